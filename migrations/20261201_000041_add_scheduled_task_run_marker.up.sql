-- The run of a scheduled task that is in flight (the run marker): set
-- together with the advanced next_run_at before the run starts, cleared
-- when its result is written to last_run_*. While it is set no scheduler
-- claims the task again, and a marker whose run never finished (the daemon
-- stopped mid-run) is recorded as an interrupted run instead of being run
-- again at once.
ALTER TABLE `scheduled_tasks`
    ADD COLUMN IF NOT EXISTS `run_started_at` DATETIME(6) NULL COMMENT 'When the run in flight started; NULL when none runs' AFTER `last_run_error`,
    ADD COLUMN IF NOT EXISTS `run_owner` VARCHAR(255) NULL COMMENT 'Node (daemon.node_name) running it' AFTER `run_started_at`;
