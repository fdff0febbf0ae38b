-- A user verified by a racer verification rule.
CREATE TABLE IF NOT EXISTS `verified_racer` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `racer_verification_id` INT NOT NULL,
    `user_id` INT NOT NULL,
    `race_count` INT NULL COMMENT 'Races counted at the last verification',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `last_verified_at` DATETIME(6) NULL,
    CONSTRAINT `fk_verified_racer_verification` FOREIGN KEY (`racer_verification_id`) REFERENCES `racer_verification` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_verified_racer_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_verified_racer_verification_user` (`racer_verification_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
