// The coordinator's room placer on CAF's test coordinator, with MariaDB's
// assignments and the workers' room supervisors played by small actors that
// log what they are asked: a worker that comes back after its lease ran out
// stops the rooms placed elsewhere meanwhile, and a worker that does not
// take a room gets no new ones for a while.

#define BOOST_TEST_MODULE actors_room_placer
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/room_placer.hpp"
#include "tests/support/deterministic_actor_system.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

/// What one fake worker was asked, and what it answers.
struct worker_log {
  std::vector<std::int32_t> watched;   ///< rooms it was told to watch
  std::vector<std::int32_t> dropped;   ///< rooms it was told to stop
  std::vector<room_watch_info> status; ///< its answer to `status`
  bool refuse_watch = false;           ///< as a dead connection would
};

/// A worker's room supervisor: answers watch, drop and status from `log`.
caf::behavior fake_worker(std::shared_ptr<worker_log> log) {
  return {
      [log](atom::watch, const room_record& r) -> caf::result<atom::ok> {
        if (log->refuse_watch)
          return make_error(ec::refused, "the connection is gone (test)");
        log->watched.push_back(r.id);
        return atom::ok::value;
      },
      [log](atom::drop, std::int32_t id) {
        log->dropped.push_back(id);
        return atom::ok::value;
      },
      [log](atom::status) {
        return log->status;
      },
  };
}

/// MariaDB's side of placement: every assignment is taken (a new epoch);
/// no rooms to watch besides those the test hands over.
caf::behavior fake_db(std::shared_ptr<std::uint64_t> epoch) {
  return {
      [epoch](atom::put, const room_assignment& a) {
        room_record r;
        r.id = a.room_id;
        r.slug = "alttpr/room-" + std::to_string(a.room_id);
        r.owner_node = a.node;
        r.owner_epoch = ++*epoch;
        return r;
      },
      [](atom::get, atom::rooms, bool) {
        return std::vector<room_record>{};
      },
  };
}

struct placer_fixture : test::deterministic_actor_system {
  std::shared_ptr<std::uint64_t> epoch = std::make_shared<std::uint64_t>(0);
  room_placer_actor placer;

  placer_fixture() {
    auto db = caf::actor_cast<persistence_actor>(sys->spawn(fake_db, epoch));
    room_placer_options o;
    o.adopt_grace = 0ms;
    placer = sys->spawn(room_placer, db, o);
    sched->run();
  }

  ~placer_fixture() {
    caf::anon_send_exit(placer, caf::exit_reason::user_shutdown);
    sched->run();
  }

  /// A worker named `name` joins with a fresh room supervisor.
  std::pair<room_supervisor_actor, std::shared_ptr<worker_log>>
  join(const std::string& name, std::vector<room_watch_info> watching = {}) {
    auto log = std::make_shared<worker_log>();
    log->status = std::move(watching);
    auto rooms =
        caf::actor_cast<room_supervisor_actor>(sys->spawn(fake_worker, log));
    caf::anon_send(placer, atom::join::value, name, rooms);
    sched->run();
    return {rooms, log};
  }

  void watch(std::int32_t id) {
    room_record r;
    r.id = id;
    r.slug = "alttpr/room-" + std::to_string(id);
    caf::anon_send(placer, atom::watch::value, r);
    sched->run();
  }
};

room_watch_info watching(std::int32_t id) {
  return {
      id, "alttpr/room-" + std::to_string(id), "in_progress", "watching", 0, "",
      ""};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(room_placer_suite, placer_fixture)

BOOST_AUTO_TEST_CASE(a_worker_back_after_its_lease_ran_out_stops_moved_rooms) {
  auto w1 = join("w1");
  watch(7);
  BOOST_TEST(w1.second->watched == std::vector<std::int32_t>{7});
  // w1's lease runs out here: room 7 waits, then goes to w2.
  caf::anon_send(placer, atom::leave::value, std::string{"w1"});
  sched->run();
  auto w2 = join("w2");
  BOOST_TEST(w2.second->watched == std::vector<std::int32_t>{7});
  // w1 joins again, still watching room 7 (and room 9, placed nowhere).
  auto back = join("w1", {watching(7), watching(9)});
  BOOST_TEST(back.second->dropped == std::vector<std::int32_t>{7});
  BOOST_TEST(w2.second->dropped.empty());
}

BOOST_AUTO_TEST_CASE(a_worker_that_does_not_take_a_room_gets_none_for_a_while) {
  auto w1 = join("w1");
  auto w2 = join("w2");
  w1.second->refuse_watch = true; // its connection is gone, its lease holds
  watch(8);                       // both empty: w1 comes first
  BOOST_TEST(w1.second->watched.empty());
  // The room is tried again after a second: on w2, not on w1 again.
  sched->advance_time(1s);
  sched->run();
  BOOST_TEST(w2.second->watched == std::vector<std::int32_t>{8});
  // Once the pause is over, w1 (working again) gets rooms as before.
  w1.second->refuse_watch = false;
  sched->advance_time(5s);
  sched->run();
  watch(10);
  BOOST_TEST(w1.second->watched == std::vector<std::int32_t>{10});
}

BOOST_AUTO_TEST_SUITE_END()
