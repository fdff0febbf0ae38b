DROP TABLE IF EXISTS `racetime_rooms`;
