-- Players allowed into a restricted async tournament.
CREATE TABLE IF NOT EXISTS `async_tournament_whitelist` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `tournament_id` INT NOT NULL,
    `user_id` INT NOT NULL,
    `discord_user_id` BIGINT UNSIGNED NULL COMMENT 'Legacy SahasrahBot column',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_async_tournament_whitelist_tournament` FOREIGN KEY (`tournament_id`) REFERENCES `async_tournament` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_async_tournament_whitelist_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE,
    INDEX `idx_async_tournament_whitelist_tournament` (`tournament_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
