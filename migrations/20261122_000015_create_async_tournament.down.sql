DROP TABLE IF EXISTS `async_tournament`;
