-- A scheduled live race of an async tournament, run in a racetime.gg room.
CREATE TABLE IF NOT EXISTS `async_tournament_live_race` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `tournament_id` INT NOT NULL,
    `pool_id` INT NOT NULL,
    `permalink_id` INT NULL,
    `racetime_slug` VARCHAR(200) NULL COMMENT 'Full room name, e.g. alttpr/cool-doge-1234',
    `episode_id` INT NULL COMMENT 'SpeedGaming episode id',
    `match_title` VARCHAR(200) NULL,
    `status` ENUM('scheduled','pending','in_progress','finished','cancelled') NOT NULL DEFAULT 'scheduled',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_async_tournament_live_race_tournament` FOREIGN KEY (`tournament_id`) REFERENCES `async_tournament` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_async_tournament_live_race_pool` FOREIGN KEY (`pool_id`) REFERENCES `async_tournament_permalink_pool` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_async_tournament_live_race_permalink` FOREIGN KEY (`permalink_id`) REFERENCES `async_tournament_permalink` (`id`) ON DELETE SET NULL,
    UNIQUE KEY `uq_async_tournament_live_race_racetime_slug` (`racetime_slug`),
    UNIQUE KEY `uq_async_tournament_live_race_episode` (`episode_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
