ALTER TABLE `racetime_rooms`
    DROP COLUMN IF EXISTS `parked_at`,
    DROP COLUMN IF EXISTS `status_message`;
