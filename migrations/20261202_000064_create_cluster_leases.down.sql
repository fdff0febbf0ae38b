DROP TABLE IF EXISTS `cluster_leases`;
