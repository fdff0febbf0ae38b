DROP TABLE IF EXISTS `async_tournament_whitelist`;
