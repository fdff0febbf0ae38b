DROP TABLE IF EXISTS `randomizer_preset`;
