-- Pools of seeds (permalinks) of an async tournament.
CREATE TABLE IF NOT EXISTS `async_tournament_permalink_pool` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `tournament_id` INT NOT NULL,
    `name` VARCHAR(45) NOT NULL,
    `preset` VARCHAR(45) NULL COMMENT 'Preset used to roll live-race seeds',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_async_tournament_permalink_pool_tournament` FOREIGN KEY (`tournament_id`) REFERENCES `async_tournament` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_async_tournament_permalink_pool_tournament_name` (`tournament_id`, `name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
