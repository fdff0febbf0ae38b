DROP TABLE IF EXISTS `api_tokens`;
