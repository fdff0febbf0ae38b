-- Tournaments and their racetime.gg room automation settings (seed 001).
CREATE TABLE IF NOT EXISTS `tournaments` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NOT NULL,
    `name` VARCHAR(255) NOT NULL,
    `description` TEXT NULL,
    `is_active` TINYINT(1) NOT NULL DEFAULT 1,
    `racetime_bot_id` INT NULL COMMENT 'Bot that opens this tournament''s rooms',
    `racetime_auto_create_rooms` TINYINT(1) NOT NULL DEFAULT 0,
    `room_open_minutes_before` INT NOT NULL DEFAULT 60,
    `require_racetime_link` TINYINT(1) NOT NULL DEFAULT 0,
    `racetime_default_goal` VARCHAR(255) NULL,
    `discord_notification_channel_id` BIGINT UNSIGNED NULL COMMENT 'Discord channel for room and result notifications',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_tournaments_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_tournaments_racetime_bot` FOREIGN KEY (`racetime_bot_id`) REFERENCES `racetime_bots` (`id`) ON DELETE SET NULL,
    INDEX `idx_tournaments_auto_create` (`is_active`, `racetime_auto_create_rooms`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
