#pragma once

// The coordinator's placement of rooms on worker nodes (issue 13). It
// stands where a standalone node's room supervisor stands, so the room
// openers, the scheduler's poll, the console's and API's status keep
// working unchanged; the rooms' watchers run on the workers.

#include "actors/interfaces.hpp"

#include <caf/actor_clock.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace racecontrol {

struct room_placer_options {
  /// How often it compares what it placed with the rooms to be watched in
  /// MariaDB: rooms whose race ended leave the count, rooms nobody holds are
  /// placed.
  std::chrono::milliseconds reconcile_interval{5000};
  /// How long a worker has to answer a `watch`, `drop` or `status`.
  std::chrono::milliseconds request_timeout{10000};
  /// After a start, rooms placed on a worker that has not joined yet wait
  /// this long for it (a worker keeps its rooms while its lease holds):
  /// the cluster lease and a little more.
  std::chrono::milliseconds adopt_grace{6000};
};

/// A connected worker and the rooms placed on it.
struct placed_worker {
  room_supervisor_actor rooms;
  std::set<std::int32_t> room_ids; ///< placed (or being placed) here
  std::uint32_t placed_total = 0;  ///< every placement since it joined
  bool draining = false;           ///< gets no new rooms
  /// A `watch` it did not take (its connection gone before its lease runs
  /// out, say) keeps new rooms off it until then.
  caf::actor_clock::time_point avoid_until{};
};

struct room_placer_state {
  static constexpr const char* name = "room-placer";

  room_placer_options options;
  persistence_actor db;
  std::map<std::string, placed_worker> workers; ///< by node name
  /// Every room placed, with the record (epoch) its worker got.
  std::map<std::int32_t, room_record> placed;
  /// When each placed room was placed (a counter): a reconcile forgets
  /// only rooms placed before it asked MariaDB.
  std::map<std::int32_t, std::uint64_t> placed_at;
  std::uint64_t placements = 0;
  /// Rooms being assigned and watched now.
  std::set<std::int32_t> placing;
  /// Rooms waiting for a worker.
  std::map<std::int32_t, room_record> waiting;
  bool warned_no_worker = false;
  /// Until then, rooms of workers not joined yet wait for them.
  caf::actor_clock::time_point adopt_until{};
  bool reconciling = false;
};

using room_placer_pointer =
    room_placer_actor::stateful_pointer<room_placer_state>;

/// The room placer's behavior: each room to be watched goes to the worker
/// with the fewest rooms (assigned in MariaDB, which bumps its epoch, then
/// watched there). Rooms wait while no worker is connected and are placed
/// when one joins; a worker whose lease ran out has its rooms placed on
/// the others; `drain NODE` moves a worker's rooms.
/// @param db the persistence actor
room_placer_actor::behavior_type room_placer(room_placer_pointer self,
                                             persistence_actor db,
                                             room_placer_options options);

} // namespace racecontrol
