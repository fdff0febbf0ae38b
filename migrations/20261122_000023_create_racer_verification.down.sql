DROP TABLE IF EXISTS `racer_verification`;
