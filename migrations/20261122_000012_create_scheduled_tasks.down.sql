DROP TABLE IF EXISTS `scheduled_tasks`;
