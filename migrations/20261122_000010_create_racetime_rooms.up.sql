-- racetime_rooms, exactly as seed 000 specifies: room lifecycle kept apart
-- from matches, at most one room per match.
CREATE TABLE IF NOT EXISTS `racetime_rooms` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `slug` VARCHAR(255) NOT NULL UNIQUE COMMENT 'Full room slug (e.g., alttpr/cool-doge-1234)',
    `category` VARCHAR(50) NOT NULL COMMENT 'RaceTime category (e.g., alttpr)',
    `room_name` VARCHAR(255) NOT NULL COMMENT 'Room name only (e.g., cool-doge-1234)',
    `status` VARCHAR(50) NULL COMMENT 'Current race status (open, pending, in_progress, finished, cancelled)',
    `match_id` INT NULL UNIQUE COMMENT 'Associated tournament match (if any)',
    `bot_id` INT NULL COMMENT 'Bot managing this room',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) COMMENT 'When room was created or joined',
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6) COMMENT 'Last status update',
    CONSTRAINT `fk_racetime_rooms_match` FOREIGN KEY (`match_id`) REFERENCES `matches` (`id`) ON DELETE SET NULL,
    CONSTRAINT `fk_racetime_rooms_bot` FOREIGN KEY (`bot_id`) REFERENCES `racetime_bots` (`id`) ON DELETE SET NULL,
    INDEX `idx_racetime_rooms_slug` (`slug`),
    INDEX `idx_racetime_rooms_category` (`category`),
    INDEX `idx_racetime_rooms_status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
