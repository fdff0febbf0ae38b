DROP TABLE IF EXISTS `organization_members`;
