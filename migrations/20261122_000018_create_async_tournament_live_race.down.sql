DROP TABLE IF EXISTS `async_tournament_live_race`;
