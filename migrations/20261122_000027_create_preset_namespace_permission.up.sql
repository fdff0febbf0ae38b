-- Collaborators of a preset namespace and what they may do.
CREATE TABLE IF NOT EXISTS `preset_namespace_permission` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `namespace_id` INT NOT NULL,
    `discord_user_id` BIGINT UNSIGNED NOT NULL,
    `user_id` INT NULL COMMENT 'The collaborator as a racecontrol user, when known',
    `can_create` TINYINT(1) NOT NULL DEFAULT 1,
    `can_update` TINYINT(1) NOT NULL DEFAULT 1,
    `can_delete` TINYINT(1) NOT NULL DEFAULT 1,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_preset_namespace_permission_namespace` FOREIGN KEY (`namespace_id`) REFERENCES `preset_namespace` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_preset_namespace_permission_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL,
    UNIQUE KEY `uq_preset_namespace_permission_namespace_discord` (`namespace_id`, `discord_user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
