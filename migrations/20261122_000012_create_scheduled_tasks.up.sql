-- Scheduled tasks such as "open race rooms every 5 minutes". A task whose
-- run fails still gets its next_run_at advanced (see reliability lessons).
CREATE TABLE IF NOT EXISTS `scheduled_tasks` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NULL COMMENT 'NULL: a global task',
    `name` VARCHAR(255) NOT NULL,
    `description` TEXT NULL,
    `task_type` ENUM('RACETIME_OPEN_ROOM','RACETIME_POLL_OPEN_ROOMS','CUSTOM') NOT NULL,
    `schedule_type` ENUM('INTERVAL','CRON','ONE_TIME') NOT NULL,
    `interval_seconds` INT NULL,
    `cron_expression` VARCHAR(255) NULL,
    `run_at` DATETIME(6) NULL COMMENT 'For ONE_TIME tasks',
    `config` JSON NOT NULL DEFAULT ('{}'),
    `is_active` TINYINT(1) NOT NULL DEFAULT 1,
    `last_run_at` DATETIME(6) NULL,
    `next_run_at` DATETIME(6) NULL,
    `last_run_status` VARCHAR(50) NULL,
    `last_run_error` TEXT NULL,
    `created_by_id` INT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_scheduled_tasks_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_scheduled_tasks_created_by` FOREIGN KEY (`created_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL,
    INDEX `idx_scheduled_tasks_organization_active` (`organization_id`, `is_active`),
    INDEX `idx_scheduled_tasks_next_run` (`next_run_at`, `is_active`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
