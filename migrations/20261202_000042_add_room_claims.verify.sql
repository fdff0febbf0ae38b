-- A room that is created has its slug and name; one still creating has the
-- marker and claim time racecontrol needs to find or open it. Must return 0.
SELECT COUNT(*)
FROM racetime_rooms
WHERE (claim_state = 'created' AND (slug IS NULL OR room_name IS NULL))
    OR (claim_state = 'creating' AND (claim_marker IS NULL OR claimed_at IS NULL OR match_id IS NULL));
