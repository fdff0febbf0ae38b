-- Cluster leases (issue 13): who may act as the active coordinator. A
-- coordinator takes the lease when it is free, expired or already its own,
-- and renews it every second; MariaDB's clock (NOW(3)), not a node's,
-- decides when it has run out. The epoch grows each time the lease is taken
-- afresh, so whatever a holder writes can be told from an older holder's.
CREATE TABLE IF NOT EXISTS `cluster_leases` (
    `name` VARCHAR(64) NOT NULL PRIMARY KEY COMMENT 'e.g. coordinator',
    `holder` VARCHAR(255) NOT NULL DEFAULT '' COMMENT 'daemon.node_name of the holder',
    `epoch` BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'grows on each fresh take',
    `expires_at` DATETIME(3) NOT NULL COMMENT 'the holder must renew before this',
    `renewed_at` DATETIME(3) NOT NULL COMMENT 'last take or renewal'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
