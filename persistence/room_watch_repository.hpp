#pragma once

// What watching a racetime.gg room writes and reads: the rooms to watch,
// a room's match and players, progress as the race goes, the result exactly
// once, and why a room stopped being watched. One transaction per call;
// each call writes only the columns its step owns.

#include "persistence/runtime_records.hpp"
#include "persistence/sql.hpp"

#include <odb/mysql/database.hxx>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace racecontrol::persistence {

/// A match's players with their users and results, in the order they were
/// added, read on the caller's connection (inside its transaction or not).
std::vector<match_player_info> load_match_players(odb::mysql::connection& conn,
                                                  std::int32_t match_id);

/// The room with its match (when it has one) and the match's players, read
/// on the caller's connection in one statement; nullopt when there is no
/// such room.
std::optional<room_context> load_room_context(odb::mysql::connection& conn,
                                              std::int32_t room_id);

/// The same for several rooms in one statement, by room id; rooms that do
/// not exist are left out.
std::vector<room_context>
load_room_contexts(odb::mysql::connection& conn,
                   const std::vector<std::int32_t>& room_ids);

/// A room's write refused because it came from an earlier placement of the
/// room (racetime_rooms.owner_epoch differs): another node owns the room.
class room_fenced : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class room_watch_repository {
 public:
  explicit room_watch_repository(odb::mysql::database& db) : db_(db) {}

  /// Rooms whose race has not ended (status not finished or cancelled, and
  /// not closed by racecontrol), oldest first. Parked rooms only when
  /// asked (a daemon start tries them again; the periodic poll does not).
  /// Claims still `creating` are not rooms yet: their opener owns them.
  /// With an `undo_window`, also the rooms whose race ended (finished or
  /// cancelled: race_ended_at, else the match's end) within it: an entrant may
  /// still undo a finish or a forfeit and reopen the race, so a restart or a
  /// move must not leave them unwatched.
  std::vector<room_record>
  rooms_to_watch(bool include_parked,
                 std::chrono::milliseconds undo_window = {});

  /// One room by id, whatever its state.
  std::optional<room_record> room(std::int32_t room_id);

  /// The room with its match (when it has one) and the match's players.
  /// nullopt when no such room exists.
  std::optional<room_context> context(std::int32_t room_id);

  /// Rooms to watch whose room row, match, match players or players' users
  /// were updated after `since` (one query for every room, instead of each
  /// room reloading its context on a timer), each with its context's
  /// fingerprint: a room whose own writes stamped those rows finds its
  /// fingerprint unchanged. Without `since`, only the marker. A player
  /// removed from a match leaves no trace here: whoever removes one tells
  /// the room (issue 12's API). Markers overlap by 15 hours (writers in
  /// other time zones, clocks behind), so a room may be listed on several
  /// calls for one change: its fingerprint tells.
  room_changes changed_rooms(std::optional<timestamp> since);

  /// Writes what changed: the room's status (clearing a parked state and
  /// its message), the players whose entrant state changed, the match's
  /// started_at when not yet set, and an audit entry for a status change.
  void record_progress(const room_progress& progress);

  /// Writes a room's queued progress and audit entries, in order, in one
  /// transaction: all of them or none.
  void record_updates(const std::vector<room_update>& updates);

  /// Writes the final result in one transaction: every match player's
  /// entrant status, place and time (players racetime.gg does not list keep
  /// theirs), the match's started_at/finished_at, the room's status
  /// `finished` and one audit entry. Exactly once: when the match (or, for
  /// a room without a match, the room) is already finished, nothing is
  /// written and `already_recorded` is returned, unless the result has the
  /// recorded end and other outcomes (racetime.gg changed it after the end:
  /// a disqualification): those are written with a `race_result_changed`
  /// event, and `recorded` is returned.
  result_outcome record_result(const room_result& result);

  /// Stops watching a room for a reason other than a result (status,
  /// message, parked_at) and writes an audit entry.
  void close(const room_closure& closure);

  /// Places a room on a node: owner_node set, owner_epoch bumped, in one
  /// transaction; the row as it is now, nullopt when there is none.
  std::optional<room_record> assign(const room_assignment& assignment);

  // record_progress, record_updates, record_result and close check the
  // writer's owner_epoch against the row's in their transaction and throw
  // room_fenced (writing nothing) when they differ.

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
