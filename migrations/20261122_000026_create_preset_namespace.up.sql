-- A namespace of randomizer presets, owned by a user or an organization.
CREATE TABLE IF NOT EXISTS `preset_namespace` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `name` VARCHAR(100) NOT NULL COMMENT 'Unique slug',
    `owner_discord_id` BIGINT UNSIGNED NULL,
    `user_id` INT NULL COMMENT 'Owner, for personal namespaces',
    `organization_id` INT NULL COMMENT 'Owner, for organization namespaces',
    `is_public` TINYINT(1) NOT NULL DEFAULT 1,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_preset_namespace_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL,
    CONSTRAINT `fk_preset_namespace_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_preset_namespace_name` (`name`),
    UNIQUE KEY `uq_preset_namespace_owner_discord_id` (`owner_discord_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
