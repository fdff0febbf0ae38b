-- A randomizer preset (YAML settings) in a namespace.
CREATE TABLE IF NOT EXISTS `randomizer_preset` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `namespace_id` INT NOT NULL,
    `randomizer` VARCHAR(50) NOT NULL COMMENT 'alttpr, sm, smz3, ...',
    `name` VARCHAR(100) NOT NULL,
    `content` LONGTEXT NOT NULL COMMENT 'Preset settings as YAML',
    `generated_count` INT NOT NULL DEFAULT 0,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT `fk_randomizer_preset_namespace` FOREIGN KEY (`namespace_id`) REFERENCES `preset_namespace` (`id`) ON DELETE CASCADE,
    UNIQUE KEY `uq_randomizer_preset_namespace_randomizer_name` (`namespace_id`, `randomizer`, `name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
