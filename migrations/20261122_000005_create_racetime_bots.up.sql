-- racetime.gg category bots: OAuth2 client credentials, one category each.
CREATE TABLE IF NOT EXISTS `racetime_bots` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `category` VARCHAR(50) NOT NULL COMMENT 'racetime.gg category slug, e.g. alttpr',
    `name` VARCHAR(255) NOT NULL,
    `client_id` VARCHAR(255) NOT NULL,
    `client_secret` VARCHAR(255) NOT NULL COMMENT 'secret: never logged',
    `is_active` TINYINT(1) NOT NULL DEFAULT 1,
    `status` ENUM('unknown','connected','auth_failed','connection_error','disconnected') NOT NULL DEFAULT 'unknown',
    `status_message` TEXT NULL,
    `last_connected_at` DATETIME(6) NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE KEY `uq_racetime_bots_category` (`category`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
