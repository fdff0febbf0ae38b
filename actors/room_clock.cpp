#include "actors/room_clock.hpp"

#include <caf/actor_cast.hpp>

#include <algorithm>

namespace racecontrol {

namespace {

using clock_pointer = room_clock_actor::stateful_pointer<room_clock_state>;
using time_point = caf::actor_clock::time_point;

/// `t` rounded up to the clock's resolution.
time_point round_up(time_point t, caf::timespan resolution) {
  if (resolution.count() <= 0)
    return t;
  auto since = t.time_since_epoch();
  auto rest = since % resolution;
  return rest.count() == 0 ? t : t + (resolution - rest);
}

/// Arms a timer for the earliest alarm unless one in flight comes by then.
void arm(clock_pointer self) {
  auto& st = self->state;
  if (st.alarms.empty())
    return;
  auto first = st.alarms.begin()->first;
  if (!st.timers.empty() && *st.timers.begin() <= first)
    return;
  st.timers.insert(first);
  auto delay = std::max(caf::timespan{0}, first - self->clock().now());
  self->delayed_send(self, delay, atom::due::value, first.time_since_epoch());
}

void add(clock_pointer self, caf::timespan delay, const race_room_actor& room,
         bool flush) {
  auto& st = self->state;
  auto at = round_up(self->clock().now() + delay, st.resolution);
  st.alarms.emplace(at, room_alarm{room.address(), flush});
  arm(self);
}

/// Sends every alarm that is due.
void ring(clock_pointer self, time_point timer) {
  auto& st = self->state;
  st.timers.erase(timer);
  auto now = self->clock().now();
  auto end = st.alarms.upper_bound(now);
  for (auto i = st.alarms.begin(); i != end; ++i) {
    auto room = caf::actor_cast<race_room_actor>(i->second.room);
    if (!room)
      continue; // the room is gone (one that ended but is still referenced
                // gets the message into its closed mailbox: dropped)
    if (i->second.flush)
      self->send(room, atom::flush::value);
    else
      self->send(room, atom::tick::value);
  }
  st.alarms.erase(st.alarms.begin(), end);
  arm(self);
}

} // namespace

room_clock_actor::behavior_type
room_clock(room_clock_actor::stateful_pointer<room_clock_state> self,
           caf::timespan resolution) {
  self->state.resolution = resolution;
  return {
      [self](atom::tick, caf::timespan delay, const race_room_actor& room) {
        add(self, delay, room, false);
      },
      [self](atom::flush, caf::timespan delay, const race_room_actor& room) {
        add(self, delay, room, true);
      },
      [self](atom::due, caf::timespan timer) {
        ring(self, time_point{timer});
      },
  };
}

} // namespace racecontrol
