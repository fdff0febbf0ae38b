ALTER TABLE `racetime_rooms`
    DROP COLUMN IF EXISTS `race_ended_at`;
