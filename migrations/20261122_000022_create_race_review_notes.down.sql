DROP TABLE IF EXISTS `race_review_notes`;
