-- Refused (strict mode: NULL into NOT NULL) while a claim is still
-- `creating`: resolve those first (racecontrold finds or opens their rooms
-- when it runs), or delete them once sure racetime.gg has no such room.
ALTER TABLE `racetime_rooms`
    MODIFY COLUMN `slug` VARCHAR(255) NOT NULL COMMENT 'Full room slug (e.g., alttpr/cool-doge-1234)',
    MODIFY COLUMN `room_name` VARCHAR(255) NOT NULL COMMENT 'Room name only (e.g., cool-doge-1234)';
DROP INDEX IF EXISTS `idx_racetime_rooms_claim_state` ON `racetime_rooms`;
DROP INDEX IF EXISTS `uq_racetime_rooms_claim_marker` ON `racetime_rooms`;
ALTER TABLE `racetime_rooms`
    DROP COLUMN IF EXISTS `adopted`,
    DROP COLUMN IF EXISTS `requested_by`,
    DROP COLUMN IF EXISTS `last_attempt_at`,
    DROP COLUMN IF EXISTS `startrace_attempts`,
    DROP COLUMN IF EXISTS `claim_owner`,
    DROP COLUMN IF EXISTS `claimed_at`,
    DROP COLUMN IF EXISTS `claim_marker`,
    DROP COLUMN IF EXISTS `claim_state`;
ALTER TABLE `matches`
    DROP COLUMN IF EXISTS `room_refused_settings`,
    DROP COLUMN IF EXISTS `room_reason_since`,
    DROP COLUMN IF EXISTS `room_reason_message`,
    DROP COLUMN IF EXISTS `room_reason`;
