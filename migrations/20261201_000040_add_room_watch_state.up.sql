-- What racecontrol knows about watching a room beyond racetime.gg's status:
-- why it stopped watching (race gone, repeated failures) and whether the
-- room is parked (not re-attached by the periodic poll until an operator
-- clears parked_at; a daemon start tries it again).
ALTER TABLE `racetime_rooms`
    ADD COLUMN IF NOT EXISTS `status_message` TEXT NULL COMMENT 'Why racecontrol stopped watching, or the last error' AFTER `status`,
    ADD COLUMN IF NOT EXISTS `parked_at` DATETIME(6) NULL COMMENT 'Set when the watcher kept failing; cleared by an operator' AFTER `status_message`;
