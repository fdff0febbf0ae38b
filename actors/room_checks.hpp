#pragma once

// Whether a match's room may be opened now: the time window and the seven
// checks of seed 001, in its order, each failure with a stable code and a
// message a person can act on. Plain functions: the tournament and the room
// opener call them with what they loaded and the bot's live state.

#include "actors/messages.hpp"

#include <chrono>
#include <optional>
#include <string>

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

/// "2026-12-02 20:00 UTC".
std::string utc_minutes(timestamp t);

} // namespace racecontrol
