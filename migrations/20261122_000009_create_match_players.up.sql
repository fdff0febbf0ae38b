-- Players of a match and their results.
CREATE TABLE IF NOT EXISTS `match_players` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `match_id` INT NOT NULL,
    `user_id` INT NOT NULL,
    `finish_place` INT NULL COMMENT '1-based place; NULL until finished, and for dnf/dq',
    `finish_time` TIME(6) NULL,
    `entrant_status` VARCHAR(20) NULL COMMENT 'racetime.gg entrant status (done, dnf, dq, ...)',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_match_players_match` FOREIGN KEY (`match_id`) REFERENCES `matches` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_match_players_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_match_players_match_user` (`match_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
