DROP TABLE IF EXISTS `racetime_bot_organizations`;
