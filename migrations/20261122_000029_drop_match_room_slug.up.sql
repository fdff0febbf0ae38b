-- migrate: manual
-- migrate: retires-verify 20261122_000011
-- Seed 000, step 4: drop the deprecated matches.racetime_room_slug once
-- every room lives in racetime_rooms. Not applied by `up`; an operator
-- applies it with:
--   racecontrol-migrate up --to 20261122_000029 --include-manual
-- racecontrol itself never reads the column, so the daemon keeps working.
ALTER TABLE `matches` DROP COLUMN IF EXISTS `racetime_room_slug`;
