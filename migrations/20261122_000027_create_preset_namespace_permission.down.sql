DROP TABLE IF EXISTS `preset_namespace_permission`;
