// The room clock driven with CAF's test coordinator: stand-in rooms record
// the wake-ups they get, and the test moves the clock.

#include <boost/test/unit_test.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/room_clock.hpp"
#include "tests/support/deterministic_actor_system.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

using wake_log = std::shared_ptr<std::vector<std::string>>;

/// A room that writes down each tick and flush it gets, and nothing else.
race_room_actor::behavior_type stand_in_room(wake_log log) {
  return {
      [](atom::fetched, const race_snapshot&) {},
      [](atom::fetched, const fetch_failure&) {},
      [](atom::frame, const std::string&) {},
      [](atom::socket, const socket_event&) {},
      [](atom::load) {},
      [](atom::load, std::uint64_t) {},
      [](atom::fetch) {},
      [log](atom::flush) {
        log->push_back("flush");
      },
      [log](atom::tick) {
        log->push_back("tick");
      },
      [](atom::status) {
        return room_watch_info{};
      },
  };
}

struct clock_fixture : test::deterministic_actor_system {
  room_clock_actor clock;

  clock_fixture() {
    clock = sys->spawn(room_clock, caf::timespan{100ms});
    sched->run();
  }

  ~clock_fixture() {
    caf::anon_send_exit(clock, caf::exit_reason::kill);
    sched->run();
  }

  race_room_actor room(const wake_log& log) {
    return sys->spawn(stand_in_room, log);
  }

  /// The clock's own timers waiting in CAF's clock.
  std::size_t timers() { return sched->clock().schedule().size(); }

  /// Moves the clock to the next multiple of 100 ms, so that the wake-ups
  /// asked for after it fall on known times.
  void align() {
    auto since = sched->clock().now().time_since_epoch();
    auto rest = since % caf::timespan{100ms};
    if (rest.count() != 0)
      sched->advance_time(caf::timespan{100ms} - rest);
    sched->run();
  }

  void advance(caf::timespan d) {
    sched->advance_time(d);
    sched->run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(room_clock_suite, clock_fixture)

BOOST_AUTO_TEST_CASE(a_wake_up_comes_on_the_resolution_never_earlier) {
  align();
  auto log = std::make_shared<std::vector<std::string>>();
  auto r = room(log);
  advance(10ms);
  caf::anon_send(clock, atom::flush::value, caf::timespan{250ms}, r);
  sched->run();
  // Asked at 10 ms for 260 ms: rounded up to 300 ms.
  advance(249ms);
  BOOST_TEST(log->empty());
  advance(40ms); // 299 ms
  BOOST_TEST(log->empty());
  advance(1ms);
  BOOST_REQUIRE_EQUAL(log->size(), 1u);
  BOOST_TEST(log->at(0) == "flush");
  BOOST_TEST(timers() == 0u);
}

BOOST_AUTO_TEST_CASE(a_burst_of_rooms_shares_one_timer) {
  align();
  auto log = std::make_shared<std::vector<std::string>>();
  std::vector<race_room_actor> rooms;
  for (int i = 0; i < 50; ++i) {
    rooms.push_back(room(log));
    caf::anon_send(clock, atom::flush::value, caf::timespan{250ms},
                   rooms.back());
    caf::anon_send(clock, atom::tick::value, caf::timespan{60s}, rooms.back());
    sched->run();
    advance(1ms); // the rooms of a burst come a moment apart
  }
  // One timer for all 100 wake-ups, armed for the nearest.
  BOOST_TEST(timers() == 1u);
  advance(300ms);
  BOOST_TEST(log->size() == 50u);
  BOOST_TEST(std::count(log->begin(), log->end(), "flush") == 50);
  BOOST_TEST(timers() == 1u); // now for the ticks
  advance(60s);
  BOOST_TEST(std::count(log->begin(), log->end(), "tick") == 50);
  BOOST_TEST(timers() == 0u);
}

BOOST_AUTO_TEST_CASE(a_nearer_wake_up_is_not_kept_waiting_by_a_later_one) {
  align();
  auto log = std::make_shared<std::vector<std::string>>();
  auto r = room(log);
  caf::anon_send(clock, atom::tick::value, caf::timespan{60s}, r);
  sched->run();
  caf::anon_send(clock, atom::flush::value, caf::timespan{250ms}, r);
  sched->run();
  advance(300ms);
  BOOST_REQUIRE_EQUAL(log->size(), 1u);
  BOOST_TEST(log->at(0) == "flush");
  // The timer armed first, for the tick, serves it: no second one.
  BOOST_TEST(timers() == 1u);
  advance(60s);
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  BOOST_TEST(log->at(1) == "tick");
  advance(60s);
  BOOST_TEST(log->size() == 2u);
  BOOST_TEST(timers() == 0u);
}

BOOST_AUTO_TEST_CASE(a_room_that_ended_is_not_woken_nor_kept) {
  align();
  auto log = std::make_shared<std::vector<std::string>>();
  auto gone = room(log);
  auto kept = std::make_shared<std::vector<std::string>>();
  auto alive = room(kept);
  caf::anon_send(clock, atom::tick::value, caf::timespan{1s}, gone);
  caf::anon_send(clock, atom::tick::value, caf::timespan{1s}, alive);
  sched->run();
  auto addr = gone.address();
  caf::anon_send_exit(gone, caf::exit_reason::kill);
  gone = race_room_actor{};
  sched->run();
  // Its alarm does not keep the ended room's actor (a node ends thousands).
  BOOST_TEST(!caf::actor_cast<caf::actor>(addr));
  advance(1s);
  BOOST_TEST(log->empty());
  BOOST_TEST(kept->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
