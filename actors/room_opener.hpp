#pragma once

// The room opener: one match's race room, from the checks and the claim to
// a watched room, exactly once (issue 11, point 5). See room_opener_actor in
// interfaces.hpp.

#include "actors/interfaces.hpp"
#include "actors/match_room_settings.hpp"
#include "actors/room_checks.hpp"
#include "protocol/backoff.hpp"

#include <caf/response_promise.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol {

struct room_opener_options {
  /// A due match may still be opened this long after its scheduled time.
  std::chrono::microseconds grace = std::chrono::minutes{30};
  /// After a startrace whose outcome is unknown, racetime.gg's /o/ race
  /// list (cached up to 60 s, never invalidated) is searched this long
  /// before the room is taken not to exist: the cache plus a slow server.
  std::chrono::milliseconds search_after = std::chrono::seconds{90};
  /// How often the list is searched meanwhile.
  std::chrono::milliseconds search_interval = std::chrono::seconds{15};
  /// The list's lag (its 60 s cache and the round trips), counted from the
  /// first search after the outcome: search_after counts from when the
  /// attempt was written, and the request may have left much later (waiting
  /// for a connection, a slow connect, a 403's retry), so the search also
  /// goes on this long after the room could last have been made.
  /// racecontrold sets it to search_after less startrace_timeout (the same
  /// horizon when the request left at once).
  std::chrono::milliseconds listing_lag = std::chrono::seconds{80};
  /// Between startrace attempts that failed for sure (and database retries).
  protocol::backoff_options retry{std::chrono::seconds{2},
                                  std::chrono::minutes{5}, 2.0};
  /// racetime.gg's origin, for room URLs.
  std::string racetime_base = "https://racetime.gg";
  /// This node's name, stored with each claim.
  std::string node_name = "racecontrold";
};

/// Why the opener was started.
enum class opener_mode : std::uint8_t {
  automatic, ///< a tournament's timer or pass
  manual,    ///< someone asked (the first request is sent right after)
};

struct room_opener_state {
  static constexpr const char* name = "room-opener";

  std::int32_t match_id = 0;
  opener_mode mode = opener_mode::automatic;
  room_opener_options options;
  automation_store_actor db;
  room_bots_actor bots;
  room_watcher_actor rooms;
  opener_parent_actor parent;

  open_overrides overrides;
  std::string requested_by;
  std::vector<caf::typed_response_promise<room_answer>> waiting;

  std::optional<match_open_context> context;
  /// What the database was last asked with: the checks' bots, time, mode
  /// and overrides, for deciding alike on its answer.
  opening_request asked;
  race_settings settings;
  std::optional<room_claim_row> claim;
  bool existed = false;
  /// Why the last startrace made no room, for the reason given if the
  /// window passes before one is made.
  std::string last_trouble;
  /// When this attempt's search began (none before the first search).
  std::optional<timestamp> searching_since;
  protocol::backoff start_backoff;
  protocol::backoff db_backoff;
  /// The step a database failure interrupted, run again on atom::flush.
  std::function<void()> retry_step;
  bool loading = false; ///< load() started
  bool decided = false; ///< the checks ran (a manual request no longer
                        ///< changes the mode)
  bool done = false;
};

/// One match's room opener. It finishes (and quits) once the match has its
/// room, or a check or racetime.gg says why not, telling `parent`.
room_opener_actor::behavior_type
room_opener(room_opener_actor::stateful_pointer<room_opener_state> self,
            std::int32_t match_id, opener_mode mode, automation_store_actor db,
            room_bots_actor bots, room_watcher_actor rooms,
            opener_parent_actor parent, room_opener_options options);

} // namespace racecontrol
