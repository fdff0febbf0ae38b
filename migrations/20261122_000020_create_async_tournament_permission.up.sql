-- Who may administer or moderate an async tournament: a user, or everyone
-- with a Discord role.
CREATE TABLE IF NOT EXISTS `async_tournament_permission` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `tournament_id` INT NOT NULL,
    `user_id` INT NULL,
    `discord_role_id` BIGINT UNSIGNED NULL,
    `role` ENUM('admin','mod') NOT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_async_tournament_permission_tournament` FOREIGN KEY (`tournament_id`) REFERENCES `async_tournament` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_async_tournament_permission_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE,
    INDEX `idx_async_tournament_permission_tournament` (`tournament_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
