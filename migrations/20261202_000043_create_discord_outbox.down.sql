-- Undelivered notifications are lost with the table.
DROP TABLE IF EXISTS `discord_outbox`;
