-- Discord servers (guilds) linked to an organization. A guild belongs to
-- one organization at a time.
CREATE TABLE IF NOT EXISTS `discord_guilds` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NOT NULL,
    `guild_id` BIGINT UNSIGNED NOT NULL COMMENT 'Discord guild snowflake',
    `guild_name` VARCHAR(255) NOT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_discord_guilds_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_discord_guilds_guild_id` (`guild_id`),
    INDEX `idx_discord_guilds_organization` (`organization_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
