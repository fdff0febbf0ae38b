DROP TABLE IF EXISTS `racer_verification_category`;
