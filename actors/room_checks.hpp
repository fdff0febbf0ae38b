#pragma once

// Whether a match's room may be opened now: the time window and the seven
// checks of seed 001, in its order, each failure with a stable code and a
// message a person can act on. Plain functions: the tournament and the room
// opener call them with what they loaded and the bot's live state.
//
// decide_open adds what a room opener does with the match it loaded, so the
// persistence worker that loads the match and claims its room in the same
// request and the opener that acts on the answer decide alike (one hand-off
// between them per room instead of two).

#include "actors/match_room_settings.hpp"
#include "actors/messages.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol {

/// Where a match stands against its opening window.
enum class window_state {
  not_yet,    ///< before scheduled_at - room_open_minutes_before
  due,        ///< in [open time, scheduled_at + grace)
  past_grace, ///< at or after scheduled_at + grace: reported, not opened
};

/// When the match's room opens: scheduled_at - room_open_minutes_before.
timestamp open_time(timestamp scheduled_at, std::int32_t open_minutes_before);

window_state window(timestamp scheduled_at, std::int32_t open_minutes_before,
                    std::chrono::microseconds grace, timestamp now);

/// Automatic opens run every check; a manual open (someone asked) skips the
/// auto-create flags and the window.
enum class open_mode { automatic, manual };

/// Why a match's room is not opened, for operators.
struct not_opened {
  std::string code;    ///< stable: tournament_auto_create_off, no_bot, ...
  std::string message; ///< names what to fix
};

/// What the checks decided.
struct check_verdict {
  enum class kind {
    open,     ///< every check passed: claim and open the room
    wait,     ///< not due yet: nothing to report
    has_room, ///< the match has its room (or a claim) already
    blocked,  ///< a check failed: `reason` says which and why
  };
  kind what = kind::open;
  not_opened reason;
};

/// Runs the checks in seed 001's order, the first failure wins:
/// 1 tournament_auto_create_off, 2 no_bot, 3 bot_not_connected (from the
/// bot's live state, never the racetime_bots row), 4 match_auto_create_off,
/// 5 the window (not due: wait; past grace: window_passed), 6 has a room,
/// 7 players_not_linked (with require_racetime_link; names each player).
/// Also refused: a finished match (match_finished), an automatic open of a
/// match without a time (not_scheduled) and of an inactive tournament
/// (tournament_inactive). `live_bot` is null when the bot does not run; a
/// bot still `starting` (no answer from racetime.gg yet) makes it wait.
check_verdict check(const match_open_context& m, const bot_info* live_bot,
                    timestamp now, std::chrono::microseconds grace,
                    open_mode mode);

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

/// "2026-12-02 20:00 UTC".
std::string utc_minutes(timestamp t);

/// "match 7 'Final'" (the title when it has one), for the reasons' messages.
std::string match_label(const match_open_context& m);

} // namespace racecontrol
