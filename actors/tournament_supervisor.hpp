#pragma once

// The tournament supervisor: the room automation's root (issue 11). See
// tournament_supervisor_actor in interfaces.hpp.

#include "actors/child_index.hpp"
#include "actors/interfaces.hpp"
#include "actors/room_opener.hpp"
#include "actors/tournament.hpp"
#include "protocol/backoff.hpp"

#include <map>
#include <set>

namespace racecontrol {

struct tournament_supervisor_options {
  tournament_options tournaments;
  room_opener_options openers;
};

struct tournament_supervisor_state {
  static constexpr const char* name = "tournament-supervisor";

  tournament_supervisor_options options;
  persistence_actor db;
  bot_supervisor_actor bots;
  room_supervisor_actor rooms;
  std::map<std::int32_t, tournament_actor> tournaments;
  std::map<std::int32_t, room_opener_actor> openers; ///< by match id
  /// Match ids by opener, tournament ids by tournament actor; both end with
  /// this actor.
  child_index<std::int32_t> opener_matches = make_child_index<std::int32_t>();
  child_index<std::int32_t> tournament_ids = make_child_index<std::int32_t>();
  std::map<std::int32_t, std::string> bot_status; ///< last seen, by bot id
  protocol::backoff load_backoff;
  /// A periodic look for new automatic tournaments is under way (a
  /// stalled database gets one at a time, not one per tick).
  bool discovering = false;
  bool stopping = false; ///< asked to stop; waits for its children
  /// The console's `drain`: no new openers on this node (not kept across
  /// a restart of this actor, which starts undrained).
  bool draining = false;
};

/// Recovers the claims left `creating`, then starts a tournament actor per
/// active tournament with automatic rooms; subscribes to the bots' state.
tournament_supervisor_actor::behavior_type tournament_supervisor(
    tournament_supervisor_actor::stateful_pointer<tournament_supervisor_state>
        self,
    persistence_actor db, bot_supervisor_actor bots,
    room_supervisor_actor rooms, tournament_supervisor_options options);

} // namespace racecontrol
