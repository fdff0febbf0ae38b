DROP TABLE IF EXISTS `match_players`;
