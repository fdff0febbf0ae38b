ALTER TABLE `matches` ADD COLUMN IF NOT EXISTS `racetime_room_slug` VARCHAR(255) NULL COMMENT 'DEPRECATED: use racetime_rooms' AFTER `finished_at`;
