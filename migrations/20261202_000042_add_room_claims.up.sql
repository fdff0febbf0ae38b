-- Exactly one room per match (issue 11): racecontrol claims a match's room
-- in this table before it sends startrace, so a second claim (another pass,
-- a manual open, a restarted daemon) meets the unique match_id instead of
-- opening a second room. A claim is `creating` until racetime.gg's answer
-- (or the room found by its marker) gives it a slug; slug and room_name are
-- NULL meanwhile. Seed 000's columns and constraints stay as they were.
ALTER TABLE `racetime_rooms`
    MODIFY COLUMN `slug` VARCHAR(255) NULL COMMENT 'Full room slug (e.g., alttpr/cool-doge-1234); NULL while the claim is creating',
    MODIFY COLUMN `room_name` VARCHAR(255) NULL COMMENT 'Room name only (e.g., cool-doge-1234); NULL while the claim is creating',
    ADD COLUMN IF NOT EXISTS `claim_state` ENUM('creating', 'created') NOT NULL DEFAULT 'created' COMMENT 'creating: startrace sent or about to be, outcome not known yet' AFTER `bot_id`,
    ADD COLUMN IF NOT EXISTS `claim_marker` VARCHAR(64) NULL COMMENT 'Sent in info_bot; finds the room when the startrace outcome is unknown' AFTER `claim_state`,
    ADD COLUMN IF NOT EXISTS `claimed_at` DATETIME(6) NULL COMMENT 'When racecontrol claimed the room for its match' AFTER `claim_marker`,
    ADD COLUMN IF NOT EXISTS `claim_owner` VARCHAR(255) NULL COMMENT 'The racecontrold node that claimed it (daemon.node_name)' AFTER `claimed_at`,
    ADD COLUMN IF NOT EXISTS `startrace_attempts` INT NOT NULL DEFAULT 0 COMMENT 'startrace requests sent under this claim' AFTER `claim_owner`,
    ADD COLUMN IF NOT EXISTS `last_attempt_at` DATETIME(6) NULL COMMENT 'Written before each startrace is sent' AFTER `startrace_attempts`,
    ADD COLUMN IF NOT EXISTS `requested_by` VARCHAR(255) NULL COMMENT 'Manual open: who asked; NULL for automatic opens' AFTER `last_attempt_at`,
    ADD COLUMN IF NOT EXISTS `adopted` TINYINT(1) NOT NULL DEFAULT 0 COMMENT '1: found on racetime.gg by its marker after an unknown outcome' AFTER `requested_by`;
CREATE UNIQUE INDEX IF NOT EXISTS `uq_racetime_rooms_claim_marker` ON `racetime_rooms` (`claim_marker`);
CREATE INDEX IF NOT EXISTS `idx_racetime_rooms_claim_state` ON `racetime_rooms` (`claim_state`);

-- Why a match has no room yet, for operators (seed 001's checks): a stable
-- code, a message a person can act on, and since when. Cleared when the
-- room opens.
ALTER TABLE `matches`
    ADD COLUMN IF NOT EXISTS `room_reason` VARCHAR(50) NULL COMMENT 'Why its room is not opened (stable code), NULL when nothing blocks it',
    ADD COLUMN IF NOT EXISTS `room_reason_message` TEXT NULL COMMENT 'The reason for a person',
    ADD COLUMN IF NOT EXISTS `room_reason_since` DATETIME(6) NULL COMMENT 'When this reason was first seen',
    ADD COLUMN IF NOT EXISTS `room_refused_settings` CHAR(64) NULL COMMENT 'SHA-256 of the settings racetime.gg refused (422): not sent again until they change';
