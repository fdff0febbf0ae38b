DROP TABLE IF EXISTS `preset_namespace`;
