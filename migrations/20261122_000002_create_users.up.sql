-- Users: a Discord identity and, once linked, a racetime.gg account.
-- RaceTime tokens are secrets; the daemon never logs them.
CREATE TABLE IF NOT EXISTS `users` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `discord_id` BIGINT UNSIGNED NULL COMMENT 'Discord snowflake; NULL for placeholder users',
    `discord_username` VARCHAR(255) NULL,
    `display_name` VARCHAR(255) NULL,
    `twitch_name` VARCHAR(200) NULL,
    `racetime_id` VARCHAR(255) NULL COMMENT 'racetime.gg user hash id',
    `racetime_name` VARCHAR(255) NULL,
    `racetime_access_token` TEXT NULL,
    `racetime_refresh_token` TEXT NULL,
    `racetime_token_expires_at` DATETIME(6) NULL,
    `is_active` TINYINT(1) NOT NULL DEFAULT 1,
    `is_test_user` TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'Test account (SahasrahBot test_user)',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE KEY `uq_users_discord_id` (`discord_id`),
    UNIQUE KEY `uq_users_racetime_id` (`racetime_id`),
    INDEX `idx_users_display_name` (`display_name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
