#pragma once

#include "actors/interfaces.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>

namespace racecontrol {

/// One wake-up a room asked for.
struct room_alarm {
  caf::actor_addr room; ///< weak: an alarm keeps no ended room alive
  bool flush = false;   ///< `flush`, else `tick`
};

struct room_clock_state {
  static constexpr const char* name = "room-clock";

  /// Wake-ups are rounded up to a multiple of this, so the rooms of a burst
  /// share the clock's timer instead of each arming it again.
  caf::timespan resolution{};
  std::multimap<caf::actor_clock::time_point, room_alarm> alarms;
  /// When the clock's own timers in flight come (a CAF timer cannot be
  /// taken back, so one a nearer wake-up superseded still comes).
  std::set<caf::actor_clock::time_point> timers;
};

/// The room clock's behavior (see room_clock_actor).
/// @param resolution how much later than asked a wake-up may come
room_clock_actor::behavior_type
room_clock(room_clock_actor::stateful_pointer<room_clock_state> self,
           caf::timespan resolution);

} // namespace racecontrol
