-- Reverts 20261201_000031_async_unknown_status. Refused by the server (strict
-- mode: "Data truncated for column 'status'") while a row still has
-- 'unknown', rather than losing that row's status.
ALTER TABLE `async_tournament_live_race`
    MODIFY `status` ENUM('scheduled','pending','in_progress','finished','cancelled') NOT NULL DEFAULT 'scheduled';
ALTER TABLE `async_tournament_race`
    MODIFY `status` ENUM('pending','in_progress','finished','forfeit','disqualified') NOT NULL DEFAULT 'pending',
    MODIFY `review_status` ENUM('pending','approved','rejected') NOT NULL DEFAULT 'pending';
