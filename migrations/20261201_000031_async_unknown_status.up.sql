-- Seed 002's import keeps an async race or live race whose SahasrahBot
-- status (or review status) is outside the known set instead of dropping
-- it: the row gets 'unknown' here and its original value is listed in
-- migration_adjusted. MODIFY to the same definition is a no-op, so this
-- can run twice.
ALTER TABLE `async_tournament_race`
    MODIFY `status` ENUM('pending','in_progress','finished','forfeit','disqualified','unknown') NOT NULL DEFAULT 'pending',
    MODIFY `review_status` ENUM('pending','approved','rejected','unknown') NOT NULL DEFAULT 'pending';
ALTER TABLE `async_tournament_live_race`
    MODIFY `status` ENUM('scheduled','pending','in_progress','finished','cancelled','unknown') NOT NULL DEFAULT 'scheduled';
