DROP TABLE IF EXISTS `tournaments`;
