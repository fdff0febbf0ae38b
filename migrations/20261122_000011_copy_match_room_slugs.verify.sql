-- Seed 000, step 3: every unfinished match with a room slug has a
-- racetime_rooms row. Must return 0.
SELECT COUNT(*)
FROM matches m
WHERE m.racetime_room_slug IS NOT NULL
    AND m.finished_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM racetime_rooms r WHERE r.match_id = m.id);
