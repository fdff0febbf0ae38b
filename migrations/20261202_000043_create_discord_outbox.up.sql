-- Notifications to Discord (issue 11, point 7), written in the same
-- transaction as the change and the audit entry they announce, so none is
-- lost and none is made twice; racecontrold delivers them in order per
-- channel with Discord's nonce (the same on every retry, enforce_nonce), so
-- a retry after a lost answer does not post twice either.
CREATE TABLE IF NOT EXISTS `discord_outbox` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NULL,
    `channel_id` BIGINT UNSIGNED NOT NULL COMMENT 'Discord channel snowflake',
    `event` VARCHAR(50) NOT NULL COMMENT 'room_created, race_finished, ...',
    `audit_log_id` BIGINT NULL COMMENT 'The audit entry this announces',
    `details` JSON NOT NULL COMMENT 'Copy of the audit details the message is rendered from',
    `dedupe_key` VARCHAR(191) NOT NULL COMMENT 'One notification per key (e.g. room:5:created:<channel>)',
    `nonce` VARCHAR(25) NOT NULL COMMENT 'Discord nonce, the same on every retry',
    `state` ENUM('pending', 'delivered', 'failed') NOT NULL DEFAULT 'pending',
    `attempts` INT NOT NULL DEFAULT 0,
    `next_attempt_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `last_attempt_at` DATETIME(6) NULL,
    `last_error` TEXT NULL,
    `discord_message_id` BIGINT UNSIGNED NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `delivered_at` DATETIME(6) NULL,
    CONSTRAINT `fk_discord_outbox_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_discord_outbox_audit` FOREIGN KEY (`audit_log_id`) REFERENCES `audit_log` (`id`) ON DELETE SET NULL,
    UNIQUE KEY `uq_discord_outbox_dedupe` (`dedupe_key`),
    UNIQUE KEY `uq_discord_outbox_nonce` (`nonce`),
    INDEX `idx_discord_outbox_pending` (`state`, `channel_id`, `id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
