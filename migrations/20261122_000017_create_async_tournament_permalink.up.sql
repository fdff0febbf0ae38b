-- One seed of a pool. `url` is NULL only for rows imported from a
-- SahasrahBot database where it was missing (its migration 65 made the
-- column nullable); races on such a seed keep their history.
CREATE TABLE IF NOT EXISTS `async_tournament_permalink` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `pool_id` INT NOT NULL,
    `url` VARCHAR(500) NULL,
    `notes` VARCHAR(200) NULL,
    `live_race` TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'Generated during a live race',
    `par_time` DOUBLE NULL COMMENT 'Par time in seconds',
    `par_updated_at` DATETIME(6) NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_async_tournament_permalink_pool` FOREIGN KEY (`pool_id`) REFERENCES `async_tournament_permalink_pool` (`id`) ON DELETE CASCADE,
    INDEX `idx_async_tournament_permalink_pool` (`pool_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
