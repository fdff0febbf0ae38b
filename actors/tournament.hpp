#pragma once

// A tournament actor: times its matches' room openings (issue 11, point 1).
// See tournament_actor in interfaces.hpp.

#include "actors/interfaces.hpp"

#include <chrono>
#include <optional>

namespace racecontrol {

struct tournament_options {
  /// A due match may still be opened this long after its scheduled time.
  std::chrono::microseconds grace = std::chrono::minutes{30};
  /// How often the matches are reloaded and blocked ones asked again.
  std::chrono::milliseconds recheck_interval = std::chrono::seconds{30};
  /// How far ahead matches are loaded and timed: more than any
  /// tournament's room_open_minutes_before (seed 001: 30 to 120).
  std::chrono::hours lookahead{24 * 7};
  /// How far back past their grace matches are still reported (once).
  std::chrono::hours report_window{6};
  /// Timers are armed at most this far ahead and then armed again, so a
  /// step of the wall clock moves an opening by at most this much.
  std::chrono::milliseconds max_timer = std::chrono::minutes{10};
  /// Open times are rounded up to a multiple of this (counted from the
  /// epoch, so every tournament's rounds coincide): matches due within one
  /// such step open together, their hand-offs between threads shared,
  /// instead of one wake-up of every thread per room. 0: each on its own.
  std::chrono::milliseconds open_step{0};
};

struct tournament_state {
  static constexpr const char* name = "tournament";

  std::int32_t tournament_id = 0;
  tournament_options options;
  automation_store_actor db;
  tournament_supervisor_actor parent;
  std::optional<tournament_plan> plan;
  /// The number of the one current timer (at the next open time); a timer
  /// armed before it is ignored when it fires.
  std::uint64_t timer = 0;
  /// Due matches up to this time were asked for: a timer asks only for
  /// those that came due since.
  timestamp swept_until = timestamp::min();
  bool loading = false;
};

/// Loads its tournament's matches at once and every recheck_interval; quits
/// when the tournament is gone, inactive or no longer opens rooms itself.
tournament_actor::behavior_type
tournament(tournament_actor::stateful_pointer<tournament_state> self,
           std::int32_t tournament_id, automation_store_actor db,
           tournament_supervisor_actor parent, tournament_options options);

/// The plan query for one tournament (or all) now.
plan_query plan_window(const tournament_options& options,
                       std::optional<std::int32_t> tournament_id,
                       std::optional<std::int32_t> organization_id);

} // namespace racecontrol
