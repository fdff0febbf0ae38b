-- A manual open's overrides (issue 11): kept with the claim, so a claim
-- recovered after a restart sends startrace again with the goal and
-- invitational setting the organizer asked for, not the match's own.
ALTER TABLE `racetime_rooms`
    ADD COLUMN IF NOT EXISTS `requested_goal` VARCHAR(255) NULL COMMENT 'Manual open: the goal asked for; NULL for the match''s own' AFTER `requested_by`,
    ADD COLUMN IF NOT EXISTS `requested_invitational` TINYINT(1) NULL COMMENT 'Manual open: invitational asked for; NULL for the match''s own' AFTER `requested_goal`;
