-- When racetime.gg ended a room's race (finished or cancelled), from its own
-- ended_at or cancelled_at. racetime.gg lets an entrant undo a finish or a
-- forfeit for 10 minutes after: racecontrold watches such rooms again after
-- a restart while that window is open, and a cancelled race has no match
-- time (matches.finished_at) to count it from.
ALTER TABLE `racetime_rooms`
    ADD COLUMN IF NOT EXISTS `race_ended_at` DATETIME(6) NULL COMMENT 'When racetime.gg ended the race (finished or cancelled); NULL while it runs' AFTER `status_message`;
