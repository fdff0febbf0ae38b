#pragma once

// What a room opener does with the match it loaded: one pure function, so
// the persistence worker that loads the match and claims its room in the
// same request and the opener that acts on the answer decide alike (one
// hand-off between them per room instead of two).

#include "actors/match_room_settings.hpp"
#include "actors/room_checks.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace racecontrol {

struct open_decision {
  enum class kind {
    claim,          ///< every check passed: claim the room, then startrace
    existing_room,  ///< the match has its room, or an earlier life's claim
    wait,           ///< not due yet: nothing to report
    blocked,        ///< a check failed: `reason` says which and why
    refused_before, ///< racetime.gg refused exactly these settings before
  };
  kind what = kind::claim;
  not_opened reason;
  /// The request's, or an earlier life's manual claim's when that claim
  /// is recovered (its room is asked for with what the organizer gave).
  open_overrides overrides;
  std::string requested_by;
  /// The room's settings, info_bot empty (the claim's marker goes there).
  race_settings settings;
};

/// Decides for match `m` at `now`: an earlier life's claim still creating
/// is recovered before any check; otherwise the checks of room_checks with
/// the live state of the match's bot among `bots` (none running: not
/// connected), and settings racetime.gg refused before are not sent again.
open_decision decide_open(const match_open_context& m,
                          const std::vector<bot_info>& bots, timestamp now,
                          std::chrono::microseconds grace, open_mode mode,
                          open_overrides overrides, std::string requested_by);

/// The same with what an opening_request carries.
open_decision decide_open(const match_open_context& m,
                          const opening_request& asked);

} // namespace racecontrol
