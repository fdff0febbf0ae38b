-- Which worker node hosts a room and the placement's epoch (issue 13). The
-- coordinator bumps owner_epoch each time it places the room; every write a
-- room's watcher makes carries the epoch it was given and is refused when
-- the row holds another, so a worker cut off from the cluster cannot write
-- for a room that was moved. Standalone nodes leave both as they are (0).
ALTER TABLE `racetime_rooms`
    ADD COLUMN IF NOT EXISTS `owner_node` VARCHAR(64) NULL COMMENT 'The worker node the room is placed on' AFTER `parked_at`,
    ADD COLUMN IF NOT EXISTS `owner_epoch` BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'Bumped at each placement; writes of another epoch are refused' AFTER `owner_node`;
