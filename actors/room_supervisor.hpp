#pragma once

#include "actors/child_index.hpp"
#include "actors/interfaces.hpp"
#include "actors/race_room.hpp"
#include "actors/restart_budget.hpp"
#include "actors/room_link.hpp"
#include "actors/token_relay.hpp"

#include <caf/actor_addr.hpp>
#include <caf/typed_response_promise.hpp>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace racecontrol {

struct room_supervisor_options {
  race_room_options room;
  /// Watch every room whose race has not ended at start (a standalone
  /// node). A worker node's supervisor watches only what it is told.
  bool load_at_start = true;
  /// How much later than asked the room clock may wake a room: the rooms of
  /// a burst share its timer (their periodic pass is a minute or more, the
  /// write batches wait a quarter of a second).
  std::chrono::milliseconds clock_resolution{100};
  /// A room watcher that fails is restarted after a backoff; one more
  /// failure than the budget allows within the window parks the room.
  restart_options restarts{
      {std::chrono::milliseconds{1000}, std::chrono::milliseconds{60000}},
      5,
      std::chrono::minutes{10}};
};

/// One watched room and its restart record.
struct watched_room {
  room_record room;
  race_room_actor handle; ///< invalid while restarting or parked
  restart_budget restarts;
  std::string last_error;
  bool parked = false;
  bool park_written = false;
};

struct room_supervisor_state {
  static constexpr const char* name = "room-supervisor";

  room_supervisor_options options;
  persistence_actor db;
  room_clock_actor clock; ///< its rooms' timers (linked: ends with it)
  /// Shared with the token relays' callback; set later on a worker.
  std::shared_ptr<bot_supervisor_actor> bots;
  room_link_factory links;
  std::shared_ptr<token_relays> relays;
  std::map<std::int32_t, watched_room> rooms;
  /// Room ids by watcher; its watchers end with this actor.
  child_index<std::int32_t> by_address = make_child_index<std::int32_t>();
  bool stopping = false;
  caf::error stop_reason; ///< what it ends with: none, or its clock's failure
  /// `drop` requests waiting for their room's watcher to stop, by room id.
  std::map<std::int32_t, caf::typed_response_promise<atom::ok>> drops;
  protocol::backoff load_backoff;
  room_changes changes; ///< the last answer; its marker starts the next
  bool asking_changes = false;
};

/// The room supervisor's behavior: at start, a watcher for every room whose
/// race has not ended (parked ones too: a start tries them again); more
/// through `watch` and `poll`. Every rooms.refresh_interval it asks which
/// rooms' matches, players or users changed and tells those rooms to reload
/// (a player who linked is invited), instead of every room asking.
/// @param db the persistence actor
/// @param bots the bot supervisor, for tokens (may be invalid in tests)
/// @param links makes each room's link to racetime.gg
room_supervisor_actor::behavior_type room_supervisor(
    room_supervisor_actor::stateful_pointer<room_supervisor_state> self,
    persistence_actor db, bot_supervisor_actor bots, room_link_factory links,
    room_supervisor_options options);

} // namespace racecontrol
