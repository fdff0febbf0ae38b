-- Seed 000, step 2: a racetime_rooms row for every unfinished match that
-- has a room in the deprecated matches.racetime_room_slug. Finished matches
-- are history and get no row. Safe to re-run: matches that already have a
-- room are skipped. Its .verify.sql holds the seed's verification query.
INSERT INTO `racetime_rooms` (`slug`, `category`, `room_name`, `match_id`, `status`, `created_at`, `updated_at`)
SELECT
    m.racetime_room_slug AS slug,
    SUBSTRING_INDEX(m.racetime_room_slug, '/', 1) AS category,
    SUBSTRING_INDEX(m.racetime_room_slug, '/', -1) AS room_name,
    m.id AS match_id,
    CASE
        WHEN m.finished_at IS NOT NULL THEN 'finished'
        WHEN m.started_at IS NOT NULL THEN 'in_progress'
        WHEN m.checked_in_at IS NOT NULL THEN 'pending'
        ELSE 'open'
    END AS status,
    m.created_at,
    m.updated_at
FROM `matches` m
WHERE m.racetime_room_slug IS NOT NULL
    AND m.finished_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM `racetime_rooms` r WHERE r.match_id = m.id);
