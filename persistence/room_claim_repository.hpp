#pragma once

// What opening a match's room writes and reads (issue 11): the claim that
// makes "exactly one room per match" hold across passes, manual requests,
// timeouts and restarts, the reason a match has no room, and the plans the
// tournament actors time their openings by. One transaction per call.

#include "persistence/runtime_records.hpp"

#include <odb/mysql/database.hxx>

#include <optional>
#include <vector>

namespace racecontrol::persistence {

class room_claim_repository {
 public:
  explicit room_claim_repository(odb::mysql::database& db) : db_(db) {}

  /// The match with its tournament, bot, players, room row and reason;
  /// nullopt when there is no such match.
  std::optional<match_open_context> open_context(std::int32_t match_id);

  /// The same for several matches in one round trip, by match id; the ones
  /// that do not exist are left out.
  std::vector<match_open_context>
  open_contexts(const std::vector<std::int32_t>& match_ids);

  /// Claims the match's room: a `creating` racetime_rooms row with the
  /// marker, startrace attempt 1 written ahead (so a crash right after
  /// leaves a claim that is searched for, never a blind second startrace).
  /// When the match has a row already (the unique match_id), nothing is
  /// written and that row is returned with `claimed` false.
  room_claim_result claim(const room_claim& c);

  /// The claims, in order, as one INSERT: one round trip however many
  /// (a burst of due matches). nullopt when a match has a row already or a
  /// row is refused: nothing was written, and each is for claim() on its
  /// own.
  std::optional<std::vector<room_claim_result>>
  claim_all(const std::vector<room_claim>& claims);

  /// One more startrace under a claim, written before it is sent. False
  /// when the row is no longer this marker's `creating` claim.
  bool record_attempt(const claim_attempt& a);

  /// The claimed room exists on racetime.gg: slug, name and status stored,
  /// the claim `created`, the match's reason cleared and the event
  /// (room_created, or room_opened_manually when someone asked) audited,
  /// all in one transaction. Gives the room with its match and players as
  /// its watcher loads them (load_room_context), read in that transaction.
  /// Idempotent: a claim already settled with that slug gives its room
  /// again. nullopt when the row is no longer this marker's claim.
  std::optional<room_context> settle(const claim_settled& s);

  /// The settles, in order, in one transaction and one round trip, each
  /// room's context read in it. nullopt when a claim is no longer
  /// `creating` or a statement is refused: nothing was written, and each is
  /// for settle() on its own.
  std::optional<std::vector<room_context>>
  settle_all(const std::vector<claim_settled>& settled);

  /// racetime.gg refused the room for sure (422, 403): the `creating` row is
  /// deleted (nothing exists on racetime.gg) and the match keeps the reason
  /// and, for a 422, the hash of the refused settings. False when the row
  /// is no longer this marker's claim.
  bool refuse(const claim_refused& r);

  /// Stores why the match's room is not opened (an empty code clears it).
  /// True when the code changed; each change to a non-empty code writes one
  /// `room_not_opened` audit entry. The match's updated_at is kept, so
  /// room watchers and planners do not take it for an edit.
  bool set_reason(const match_reason& r);

  /// Every claim still `creating` (recovered at start), oldest first.
  std::vector<room_claim_row> creating();

  /// The active tournaments the query selects that open rooms by
  /// themselves or have unfinished matches scheduled in [from, to], each
  /// with those matches (a tournament without automatic rooms is listed so
  /// its due matches can be told why they get none). An empty window (`to`
  /// before `from`) gives the tournaments with automatic rooms alone, in
  /// one query.
  std::vector<tournament_plan> plans(const plan_query& q);

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
