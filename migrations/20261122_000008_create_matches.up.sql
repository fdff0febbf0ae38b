-- Matches of a tournament. State is derived from the timestamps.
CREATE TABLE IF NOT EXISTS `matches` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `tournament_id` INT NOT NULL,
    `title` VARCHAR(255) NULL,
    `scheduled_at` DATETIME(6) NULL,
    `checked_in_at` DATETIME(6) NULL,
    `started_at` DATETIME(6) NULL,
    `finished_at` DATETIME(6) NULL,
    `racetime_room_slug` VARCHAR(255) NULL COMMENT 'DEPRECATED: use racetime_rooms',
    `racetime_goal` VARCHAR(255) NULL COMMENT 'Overrides the tournament default goal',
    `racetime_invitational` TINYINT(1) NOT NULL DEFAULT 1,
    `racetime_auto_create` TINYINT(1) NOT NULL DEFAULT 1,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_matches_tournament` FOREIGN KEY (`tournament_id`) REFERENCES `tournaments` (`id`) ON DELETE CASCADE,
    INDEX `idx_matches_scheduled_at` (`scheduled_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
