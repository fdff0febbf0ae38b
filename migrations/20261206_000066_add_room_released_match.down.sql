-- The rooms that gave their match up stay without one (the match may have
-- its new room: match_id is unique).
DROP INDEX IF EXISTS `idx_racetime_rooms_released_match` ON `racetime_rooms`;
ALTER TABLE `racetime_rooms`
    DROP COLUMN IF EXISTS `released_match_id`;
