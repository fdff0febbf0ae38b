DROP TABLE IF EXISTS `audit_log`;
