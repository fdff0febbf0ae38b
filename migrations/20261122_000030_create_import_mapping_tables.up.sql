-- Bookkeeping of `racecontrol-migrate import-sahasrahbot` (seed 002): for
-- every imported source row, its old id and the id it got here; for every
-- row that could not be imported, why; and how far each source table got,
-- so an interrupted import resumes exactly where it stopped. Kept after the
-- import as the record of what came from where.
CREATE TABLE IF NOT EXISTS `migration_user_map` (
    `old_id` INT NOT NULL PRIMARY KEY,
    `new_id` INT NOT NULL,
    `discord_user_id` BIGINT NULL,
    `migrated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    INDEX `idx_migration_user_map_new` (`new_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `migration_guild_org_map` (
    `guild_id` BIGINT NOT NULL PRIMARY KEY,
    `organization_id` INT NOT NULL,
    `guild_name` VARCHAR(255) NULL,
    `migrated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `migration_tournament_map` (
    `old_id` INT NOT NULL PRIMARY KEY,
    `new_id` INT NOT NULL,
    `old_guild_id` BIGINT NULL,
    `new_organization_id` INT NULL,
    `migrated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `migration_pool_map` (
    `old_id` INT NOT NULL PRIMARY KEY,
    `new_id` INT NOT NULL,
    `migrated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `migration_permalink_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_race_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_live_race_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_permission_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_whitelist_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_audit_log_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_review_note_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_verification_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_verified_racer_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_namespace_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_collaborator_map` LIKE `migration_pool_map`;
CREATE TABLE IF NOT EXISTS `migration_preset_map` LIKE `migration_pool_map`;

-- Rows that were not imported, with the reason; and rows imported after a
-- documented rule changed or filled a value.
CREATE TABLE IF NOT EXISTS `migration_skipped` (
    `source_table` VARCHAR(64) NOT NULL,
    `source_id` BIGINT NOT NULL,
    `reason` VARCHAR(500) NOT NULL,
    `migrated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (`source_table`, `source_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `migration_adjusted` (
    `source_table` VARCHAR(64) NOT NULL,
    `source_id` BIGINT NOT NULL,
    `rule` VARCHAR(100) NOT NULL,
    `detail` VARCHAR(500) NULL,
    `migrated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (`source_table`, `source_id`, `rule`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per source table: the highest source id handled (imported or skipped),
-- and the id offset of the rows it created (new id = id_base + old id, so
-- a resumed import gives exactly the ids of an uninterrupted one).
CREATE TABLE IF NOT EXISTS `migration_progress` (
    `source_table` VARCHAR(64) NOT NULL PRIMARY KEY,
    `last_id` BIGINT NOT NULL,
    `id_base` BIGINT NOT NULL,
    `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
