-- A rule granting a Discord role to racers with enough racetime.gg races.
-- Its categories are rows of racer_verification_category.
CREATE TABLE IF NOT EXISTS `racer_verification` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NOT NULL,
    `guild_id` BIGINT UNSIGNED NOT NULL,
    `role_id` BIGINT UNSIGNED NOT NULL,
    `message_id` BIGINT UNSIGNED NULL,
    `channel_id` BIGINT UNSIGNED NULL,
    `audit_channel_id` BIGINT UNSIGNED NULL,
    `use_alttpr_ladder` TINYINT(1) NOT NULL DEFAULT 0,
    `minimum_races` INT NOT NULL DEFAULT 5,
    `time_period_days` INT NOT NULL DEFAULT 365,
    `reverify_period_days` INT NULL,
    `revoke_ineligible` TINYINT(1) NOT NULL DEFAULT 0,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_racer_verification_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    INDEX `idx_racer_verification_guild` (`guild_id`),
    INDEX `idx_racer_verification_organization` (`organization_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
