-- Asynchronous tournaments (qualifiers run on a player's own time), as
-- SahasrahBot kept them; the import target of seed 002, phase 4.1.
CREATE TABLE IF NOT EXISTS `async_tournament` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NOT NULL,
    `name` VARCHAR(255) NOT NULL,
    `discord_channel_id` BIGINT UNSIGNED NULL COMMENT 'Channel where runs are started',
    `report_channel_id` BIGINT UNSIGNED NULL COMMENT 'Channel where results are reported',
    `owner_discord_id` BIGINT UNSIGNED NULL COMMENT 'Discord user who owns the tournament',
    `owner_user_id` INT NULL COMMENT 'The owner as a racecontrol user, when known',
    `is_active` TINYINT(1) NOT NULL DEFAULT 1,
    `allowed_reattempts` SMALLINT NOT NULL DEFAULT 0,
    `runs_per_pool` SMALLINT NOT NULL DEFAULT 1,
    `customization` VARCHAR(45) NOT NULL DEFAULT 'default',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_async_tournament_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_async_tournament_owner_user` FOREIGN KEY (`owner_user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL,
    UNIQUE KEY `uq_async_tournament_discord_channel` (`discord_channel_id`),
    INDEX `idx_async_tournament_organization` (`organization_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
