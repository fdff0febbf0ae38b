-- Removes the rows step 2 copied (rooms whose slug still matches their
-- match's deprecated column); matches.racetime_room_slug is left as it was.
DELETE r FROM `racetime_rooms` r
JOIN `matches` m ON m.id = r.match_id
WHERE m.racetime_room_slug = r.slug;
