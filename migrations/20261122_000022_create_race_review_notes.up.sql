-- Reviewers' notes on an async tournament race.
CREATE TABLE IF NOT EXISTS `race_review_notes` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `race_id` INT NOT NULL,
    `author_id` INT NULL COMMENT 'NULL once the author''s account is deleted',
    `note` LONGTEXT NOT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_race_review_notes_race` FOREIGN KEY (`race_id`) REFERENCES `async_tournament_race` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_race_review_notes_author` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE SET NULL,
    INDEX `idx_race_review_notes_race` (`race_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
