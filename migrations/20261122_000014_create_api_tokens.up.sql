-- API bearer tokens. Only the SHA-256 of a token is stored; the token
-- itself is shown once, when it is created.
CREATE TABLE IF NOT EXISTS `api_tokens` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `organization_id` INT NOT NULL,
    `name` VARCHAR(255) NOT NULL,
    `token_sha256` CHAR(64) NOT NULL COMMENT 'hex SHA-256 of the token',
    `scopes` JSON NOT NULL DEFAULT ('[]') COMMENT 'e.g. ["rooms:write", "rooms:read"]',
    `created_by_id` INT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `last_used_at` DATETIME(6) NULL,
    `revoked_at` DATETIME(6) NULL,
    CONSTRAINT `fk_api_tokens_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_api_tokens_created_by` FOREIGN KEY (`created_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL,
    UNIQUE KEY `uq_api_tokens_token_sha256` (`token_sha256`),
    INDEX `idx_api_tokens_organization` (`organization_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
