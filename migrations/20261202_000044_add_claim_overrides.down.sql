ALTER TABLE `racetime_rooms`
    DROP COLUMN IF EXISTS `requested_invitational`,
    DROP COLUMN IF EXISTS `requested_goal`;
