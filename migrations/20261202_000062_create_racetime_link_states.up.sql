-- RaceTime account linking (issue 12): one-time links a player opens in a
-- browser. Only the SHA-256 of the random state is kept; the state itself
-- travels in the link and racetime.gg's redirect, so a database read does
-- not let anyone complete someone else's link.
CREATE TABLE IF NOT EXISTS `racetime_link_states` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `user_id` INT NOT NULL,
    `organization_id` INT NOT NULL COMMENT 'whose token asked for the link',
    `state_sha256` CHAR(64) NOT NULL COMMENT 'hex SHA-256 of the state',
    `created_by` VARCHAR(255) NOT NULL COMMENT 'e.g. api-token:name#3',
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `expires_at` DATETIME(6) NOT NULL,
    `used_at` DATETIME(6) NULL COMMENT 'set once, when the link completes',
    CONSTRAINT `fk_racetime_link_states_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_racetime_link_states_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_racetime_link_states_state_sha256` (`state_sha256`),
    INDEX `idx_racetime_link_states_user` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
