DROP TABLE IF EXISTS `verified_racer`;
