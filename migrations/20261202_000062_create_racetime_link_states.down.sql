DROP TABLE IF EXISTS `racetime_link_states`;
