DROP TABLE IF EXISTS `racetime_bots`;
