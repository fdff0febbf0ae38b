-- Which organizations may use which racetime.gg bot.
CREATE TABLE IF NOT EXISTS `racetime_bot_organizations` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `bot_id` INT NOT NULL,
    `organization_id` INT NOT NULL,
    `is_active` TINYINT(1) NOT NULL DEFAULT 1,
    `assigned_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_racetime_bot_organizations_bot` FOREIGN KEY (`bot_id`) REFERENCES `racetime_bots` (`id`) ON DELETE CASCADE,
    CONSTRAINT `fk_racetime_bot_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_racetime_bot_organizations_bot_organization` (`bot_id`, `organization_id`),
    INDEX `idx_racetime_bot_organizations_organization` (`organization_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
