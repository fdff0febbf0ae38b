#pragma once

// What a room watcher does when it learns something new about its race,
// decided by plain functions so it can be tested without actors or sockets:
// which changes to write, whom to invite, whose join request to accept,
// whether the race ended. The room actor (race_room.cpp) only carries out
// the plan. Also the answers to the chat commands.

#include "persistence/runtime_records.hpp"
#include "protocol/race_snapshot.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace racecontrol {

/// How a race ended, when it did.
enum class race_end {
  none,      ///< still going
  finished,  ///< record the result
  cancelled, ///< record the cancellation
  /// racetime.gg split the race into partition races, which racecontrol
  /// does not follow: close the room without a result.
  partitioned,
};

struct room_plan {
  /// Status and entrant changes to write (nothing when nothing changed).
  std::optional<persistence::room_progress> progress;
  /// The result, once the race finished.
  std::optional<persistence::room_result> result;
  race_end end = race_end::none;
  /// racetime.gg user ids of match players to invite now.
  std::vector<std::string> invite;
  /// racetime.gg user ids of match players whose join request to accept.
  std::vector<std::string> accept;
};

/// What the watcher has done in this life of the actor, so a plan does not
/// repeat it before racetime.gg reflects it.
struct room_memory {
  std::set<std::string> invited;
  std::set<std::string> accepted;
  /// Invited at least once (logged and audited then, not on every resend).
  std::set<std::string> announced;
};

/// Whether racetime.gg still lets entrants join (invites make sense).
bool accepts_entrants(const std::string& race_status);

/// Whether a race status is final.
bool race_over(const std::string& race_status);

/// Whether a match player's outcome (status, place, time) differs between
/// two versions of a race: after the end, racetime.gg changed its result.
bool outcomes_changed(const persistence::room_context& ctx,
                      const protocol::race_snapshot& last,
                      const protocol::race_snapshot& next);

/// The plan for `next`, compared with `last` (the snapshot applied before,
/// if any) and with what the database holds (`ctx`, for the first one).
/// `now` stands in for the end time when racetime.gg gives none.
room_plan plan_room(const persistence::room_context& ctx,
                    const protocol::race_snapshot* last,
                    const protocol::race_snapshot& next,
                    const room_memory& memory,
                    std::chrono::system_clock::time_point now);

/// Invitations and acceptances alone, for a periodic pass (a player who
/// linked their account since): nothing is written.
room_plan plan_invitations(const persistence::room_context& ctx,
                           const protocol::race_snapshot& last,
                           const room_memory& memory);

// --- chat commands ----------------------------------------------------

/// The command a chat line asks for ("match" for "!match please"), or ""
/// when it is none of ours.
std::string chat_command(const std::string& text);

/// The bot's answer to a command, or "" for an unknown command (ignored).
std::string answer_command(const std::string& command,
                           const persistence::room_context& ctx,
                           const protocol::race_snapshot* race,
                           std::chrono::system_clock::time_point now);

/// Keeps the bot from flooding a room: at most `burst` answers at once,
/// then one per `interval`; the same command at most once per `interval`.
class answer_limiter {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit answer_limiter(int burst = 4, std::chrono::milliseconds interval =
                                             std::chrono::milliseconds{5000})
      : burst_(burst), interval_(interval) {}

  /// Whether an answer to `command` may go out at `now` (and counts it).
  bool allow(const std::string& command, time_point now);

 private:
  int burst_;
  std::chrono::milliseconds interval_;
  double tokens_ = -1; ///< < 0: not yet initialised (full)
  time_point refilled_{};
  std::vector<std::pair<std::string, time_point>> last_by_command_;
};

} // namespace racecontrol
