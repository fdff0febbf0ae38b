-- The audit trail: who did what, to which entity, when.
CREATE TABLE IF NOT EXISTS `audit_log` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NULL,
    `user_id` INT NULL COMMENT 'NULL: done by racecontrol itself',
    `action` VARCHAR(255) NOT NULL,
    `entity_type` VARCHAR(50) NULL COMMENT 'e.g. match, racetime_room, async_tournament',
    `entity_id` INT NULL,
    `details` JSON NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_audit_log_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_audit_log_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL,
    INDEX `idx_audit_log_organization_created` (`organization_id`, `created_at`),
    INDEX `idx_audit_log_entity` (`entity_type`, `entity_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
