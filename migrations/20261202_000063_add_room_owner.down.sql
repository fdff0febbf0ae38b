ALTER TABLE `racetime_rooms`
    DROP COLUMN IF EXISTS `owner_epoch`,
    DROP COLUMN IF EXISTS `owner_node`;
