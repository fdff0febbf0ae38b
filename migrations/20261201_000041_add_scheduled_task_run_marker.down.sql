ALTER TABLE `scheduled_tasks`
    DROP COLUMN IF EXISTS `run_owner`,
    DROP COLUMN IF EXISTS `run_started_at`;
