-- A room racetime.gg cancelled before two players joined it (its racebot
-- cancels such a room 30 minutes after it opened) gives its match up: the
-- match gets a new room while it is due, and the cancelled one keeps the
-- match it was opened for here. match_id stays unique: one live room per
-- match.
ALTER TABLE `racetime_rooms`
    ADD COLUMN IF NOT EXISTS `released_match_id` INT NULL COMMENT 'The match this room was opened for, when racetime.gg cancelled it before two players joined and the match was given a new room' AFTER `match_id`;
CREATE INDEX IF NOT EXISTS `idx_racetime_rooms_released_match` ON `racetime_rooms` (`released_match_id`);
