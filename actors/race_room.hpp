#pragma once

#include "actors/interfaces.hpp"

#include "actors/room_link.hpp"
#include "actors/room_plan.hpp"
#include <caf/actor_clock.hpp>

#include "protocol/backoff.hpp"

#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace racecontrol {

struct race_room_options {
  /// The periodic pass: a fetch while the socket is down. (The room
  /// supervisor asks as often which rooms' matches changed.) While the
  /// socket is open the pass waits for quiet_recheck instead.
  std::chrono::milliseconds tick_interval{60000};
  /// Retries of database writes and HTTP fetches.
  protocol::backoff_options retry{std::chrono::milliseconds{1000},
                                  std::chrono::milliseconds{60000}};
  /// How long a write waits for others to share its transaction: the
  /// race.data frames that follow the invitations (one per entrant) come
  /// within milliseconds, and one transaction for all of them costs a
  /// fraction of one each. 0: at once, after the message at hand.
  std::chrono::milliseconds write_delay{250};
  /// How long a stopping room waits for its last writes.
  std::chrono::milliseconds flush_on_stop{3000};
  /// A race that sent nothing for this long is fetched over HTTP even with
  /// its socket open: a race.data lost on a socket that stayed open (or a
  /// reopen whose getrace went unanswered) would otherwise hide the end
  /// until the next change.
  std::chrono::milliseconds quiet_recheck{600000};
  /// How long after a race's end the room keeps watching it: racetime.gg
  /// lets an entrant undo a finish (or a cancelled race's forfeit) for 10
  /// minutes, which reopens the race (what was recorded of its end is then
  /// withdrawn and the next end recorded).
  /// A minute more than racetime.gg's for clocks that differ. 0: the room
  /// stops once the result is written.
  std::chrono::milliseconds undo_window{660000};
  /// racetime.gg's racebot cancels a room that fewer than two players
  /// joined this long after it opened; such a room gives its match up.
  std::chrono::milliseconds racebot_cancel_after{1800000};
};

/// A write waiting for the database, in the order the race produced it.
using room_write =
    std::variant<persistence::room_progress, persistence::room_result,
                 persistence::room_closure, audit_record>;

struct race_room_state {
  static constexpr const char* name = "race-room";

  room_record room;
  std::string who; ///< "room alttpr/cool-doge-1234 (id 5, match 10)"
  race_room_options options;
  persistence_actor db;
  room_clock_actor clock; ///< sends the periodic pass and the write batches
  /// Closed when the state goes (its destructor waits for a callback in
  /// progress), however the actor ends.
  std::unique_ptr<room_link> link;

  /// settling: the result (or the cancellation) is written and the race
  /// could still be reopened by an undo (options.undo_window).
  enum class phase { loading, fetching, watching, settling, ending };
  phase step = phase::loading;

  std::optional<persistence::room_context> ctx;
  /// The newest race.data applied; older versions are ignored.
  std::optional<race_snapshot> last;
  room_memory memory;
  answer_limiter limiter;

  // Lists, not deques: an empty std::deque holds 576 bytes, and a node
  // keeps thousands of rooms that have nothing to write.
  std::list<room_write> writes;
  bool writing = false;
  bool socket_asked = false; ///< the link was asked to connect
  bool socket_open = false;
  /// A failed fetch's retry is armed: the periodic pass leaves the fetching
  /// to it, so an outage keeps one retry going per room, not one more
  /// each pass.
  bool fetch_retry_armed = false;
  /// An action was given up: the next pass invites and accepts again whom
  /// the race does not show yet.
  bool replan_people = false;
  /// Race data of another race came (logged once).
  bool foreign_race_seen = false;
  /// When the race last told us something (race.data or a fetch).
  caf::actor_clock::time_point last_news{};
  /// When the armed periodic pass is due; a tick that comes earlier was
  /// superseded by a nearer one (see arm_tick).
  caf::actor_clock::time_point next_tick{};
  /// When a settling room stops watching (the race's end plus the undo
  /// window, on this actor's clock).
  caf::actor_clock::time_point settle_deadline{};
  bool stopping = false;
  std::chrono::steady_clock::time_point stop_deadline{};
  caf::error stop_reason;
  std::string last_error;

  protocol::backoff load_backoff{options.retry};
  protocol::backoff fetch_backoff{options.retry};
  protocol::backoff write_backoff{options.retry};
};

/// Whether a room acts on this frame: race.data, errors, chat messages a
/// person wrote (it answers their commands) and frames that are no
/// racetime.gg message (it reports them). Its link drops the others on the
/// network thread (a race.renders follows every race.data, a system line
/// every invitation), since each frame handed over may wake the scheduler
/// for nothing.
bool room_reads(std::string_view frame);

/// The race room actor's behavior.
/// @param room the racetime_rooms row to watch
/// @param loaded its context when whoever asked for the watch has just read
///        it (a room's opener), so that the room need not load it; without
///        it the room loads its own
/// @param db the persistence actor
/// @param clock this node's room clock
/// @param links makes this room's link to racetime.gg
/// @param tokens the category bot's token, for the socket
/// @param options timers and retries
race_room_actor::behavior_type
race_room(race_room_actor::stateful_pointer<race_room_state> self,
          room_record room, std::optional<room_context> loaded,
          persistence_actor db, room_clock_actor clock, room_link_factory links,
          std::shared_ptr<protocol::token_source> tokens,
          race_room_options options);

} // namespace racecontrol
