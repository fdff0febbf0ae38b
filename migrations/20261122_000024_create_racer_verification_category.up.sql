-- The racetime.gg categories a racer verification counts, one per row.
CREATE TABLE IF NOT EXISTS `racer_verification_category` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `racer_verification_id` INT NOT NULL,
    `category` VARCHAR(50) NOT NULL COMMENT 'racetime.gg category slug',
    CONSTRAINT `fk_racer_verification_category_verification` FOREIGN KEY (`racer_verification_id`) REFERENCES `racer_verification` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_racer_verification_category` (`racer_verification_id`, `category`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
