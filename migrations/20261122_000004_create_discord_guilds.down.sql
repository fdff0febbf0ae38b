DROP TABLE IF EXISTS `discord_guilds`;
