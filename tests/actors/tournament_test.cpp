// A tournament actor on real time, its database and supervisor stood in
// for: it asks for each match's room once, when the match's open time has
// come, however many matches share a time and however often it reloads;
// a due match a check blocked is asked again at each reload (not by the
// timer of another match); matches with a room, or told their window
// passed, are never asked. Times are a few hundred milliseconds apart;
// each check waits well past them and asserts order and counts, not speed.

#define BOOST_TEST_MODULE actors_tournament
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/tournament.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

timestamp now() {
  return std::chrono::system_clock::now();
}

/// What the stand-ins share with the test: the plan the store answers
/// with, how often it was asked, and each `due` the supervisor got.
struct script {
  std::mutex lock;
  tournament_plan plan;
  int loads = 0;
  struct asked {
    std::int32_t match_id;
    timestamp at;
  };
  std::vector<asked> due;

  int times_asked(std::int32_t match_id) {
    std::lock_guard<std::mutex> g(lock);
    return static_cast<int>(
        std::count_if(due.begin(), due.end(), [&](const asked& a) {
          return a.match_id == match_id;
        }));
  }

  int load_count() {
    std::lock_guard<std::mutex> g(lock);
    return loads;
  }
};

caf::error unused() {
  return make_error(ec::refused, "not used by the tournament");
}

automation_store_actor::behavior_type store(automation_store_actor::pointer,
                                            std::shared_ptr<script> s) {
  return {
      [](atom::put, const opening_request&) -> caf::result<opening_result> {
        return unused();
      },
      [](atom::put, const claim_attempt&) -> caf::result<bool> {
        return unused();
      },
      [](atom::put, const claim_settled&) -> caf::result<room_context> {
        return unused();
      },
      [](atom::put, const claim_refused&) -> caf::result<bool> {
        return unused();
      },
      [](atom::put, const match_reason&) -> caf::result<bool> {
        return unused();
      },
      [](atom::get, atom::claims) -> caf::result<std::vector<room_claim_row>> {
        return unused();
      },
      [s](atom::get,
          const plan_query&) -> caf::result<std::vector<tournament_plan>> {
        std::lock_guard<std::mutex> g(s->lock);
        ++s->loads;
        return std::vector<tournament_plan>{s->plan};
      },
  };
}

tournament_supervisor_actor::behavior_type
supervisor(tournament_supervisor_actor::pointer, std::shared_ptr<script> s) {
  return {
      [](atom::open, const open_pass&) -> caf::result<open_pass_summary> {
        return unused();
      },
      [](atom::open, const manual_open&) -> caf::result<room_answer> {
        return unused();
      },
      [](atom::changed, const automation_change&) {},
      [](atom::reload) {},
      [s](atom::due, std::int32_t, std::int32_t match_id) {
        std::lock_guard<std::mutex> g(s->lock);
        s->due.push_back({match_id, now()});
      },
      [](atom::opened, const match_outcome&) {},
      [](atom::state, const bot_info&) {},
      [](atom::load) {},
      [](atom::tick) {},
      [](atom::drain, bool) -> caf::result<atom::ok> {
        return atom::ok::value;
      },
  };
}

upcoming_match match(std::int32_t id, std::optional<timestamp> scheduled_at) {
  upcoming_match m;
  m.match_id = id;
  m.scheduled_at = scheduled_at;
  return m;
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<script> s = std::make_shared<script>();
  automation_store_actor db;
  tournament_supervisor_actor parent;
  tournament_actor t;

  fixture() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    s->plan.tournament_id = 7;
    s->plan.organization_id = 1;
    s->plan.name = "Spring Cup";
    s->plan.auto_create = true;
    // Open times are the scheduled times: the test's times are open times.
    s->plan.room_open_minutes_before = 0;
    db = sys->spawn(store, s);
    parent = sys->spawn(supervisor, s);
  }

  ~fixture() {
    for (const caf::actor& a :
         {caf::actor_cast<caf::actor>(t), caf::actor_cast<caf::actor>(db),
          caf::actor_cast<caf::actor>(parent)})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  /// Starts the tournament; re-arms at most every `max_timer`.
  void start(std::chrono::milliseconds max_timer,
             std::chrono::milliseconds open_step = 0ms) {
    tournament_options o;
    o.recheck_interval = 1h; // reloads only when the test asks
    o.max_timer = max_timer;
    o.open_step = open_step;
    t = sys->spawn(tournament, 7, db, parent, o);
  }

  void reload_and_wait() {
    auto before = s->load_count();
    caf::anon_send(t, atom::reload::value);
    for (int i = 0; i < 200 && s->load_count() == before; ++i)
      std::this_thread::sleep_for(10ms);
    BOOST_REQUIRE_GT(s->load_count(), before);
    std::this_thread::sleep_for(50ms); // its asks reach the supervisor
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(each_match_is_asked_for_once_at_its_open_time,
                        fixture) {
  auto t0 = now();
  std::map<std::int32_t, timestamp> open_at{
      {1, t0 + 400ms}, {2, t0 + 800ms}, {3, t0 + 800ms}, {4, t0 + 1200ms}};
  for (const auto& [id, at] : open_at)
    s->plan.matches.push_back(match(id, at));
  s->plan.matches.push_back(match(5, t0 + 1h)); // not due during the test
  auto with_room = match(6, t0 + 400ms);
  with_room.has_room = true;
  s->plan.matches.push_back(with_room);
  s->plan.matches.push_back(match(8, std::nullopt)); // no time yet
  // Re-armed every 150 ms on the way: the sweeps between open times ask
  // for nothing.
  start(150ms);
  // Reloads before the first open time arm one timer again, not a timer
  // per match: none of them may ask twice.
  for (int i = 0; i < 4; ++i)
    reload_and_wait();
  std::this_thread::sleep_for(t0 + 1700ms - now());
  for (const auto& [id, at] : open_at) {
    BOOST_TEST_CONTEXT("match " << id) {
      BOOST_CHECK_EQUAL(s->times_asked(id), 1);
    }
  }
  BOOST_CHECK_EQUAL(s->times_asked(5), 0);
  BOOST_CHECK_EQUAL(s->times_asked(6), 0);
  BOOST_CHECK_EQUAL(s->times_asked(8), 0);
  std::lock_guard<std::mutex> g(s->lock);
  BOOST_REQUIRE_EQUAL(s->due.size(), 4u);
  for (const auto& a : s->due) {
    BOOST_TEST_CONTEXT("match " << a.match_id) {
      // Never early; asked in the order of the open times.
      BOOST_CHECK(a.at >= open_at.at(a.match_id));
    }
  }
  BOOST_CHECK_EQUAL(s->due.front().match_id, 1);
  BOOST_CHECK_EQUAL(s->due.back().match_id, 4);
}

BOOST_FIXTURE_TEST_CASE(matches_due_within_one_open_step_are_asked_at_its_end,
                        fixture) {
  // Steps count from the epoch: the first step's end at least 600 ms ahead.
  auto step = 500ms;
  auto since = (now() + 600ms).time_since_epoch();
  auto end = timestamp{(since / step + 1) * step};
  std::map<std::int32_t, timestamp> open_at{
      {1, end - 450ms}, {2, end - 100ms}, {3, end}, {4, end + 50ms}};
  for (const auto& [id, at] : open_at)
    s->plan.matches.push_back(match(id, at));
  start(10min, step);
  std::this_thread::sleep_for(end + step + 400ms - now());
  std::lock_guard<std::mutex> g(s->lock);
  BOOST_REQUIRE_EQUAL(s->due.size(), 4u);
  for (const auto& a : s->due) {
    BOOST_TEST_CONTEXT("match " << a.match_id) {
      // Matches 1 to 3 wait for the step's end, match 4 for the next one.
      BOOST_CHECK(a.at >= (a.match_id == 4 ? end + step : end));
    }
  }
  BOOST_CHECK_EQUAL(s->due.back().match_id, 4);
}

BOOST_FIXTURE_TEST_CASE(a_blocked_due_match_is_asked_again_at_each_reload,
                        fixture) {
  auto t0 = now();
  auto blocked = match(1, t0 - 1s); // due already: asked at the first load
  blocked.reason_code = "bot_not_connected";
  s->plan.matches.push_back(blocked);
  auto passed = match(2, t0 - 31min);   // past the 30 minutes' grace
  passed.reason_code = "window_passed"; // told once; never asked again
  s->plan.matches.push_back(passed);
  s->plan.matches.push_back(match(3, t0 + 500ms));
  start(10min);
  for (int i = 0; i < 200 && s->times_asked(1) == 0; ++i)
    std::this_thread::sleep_for(10ms);
  BOOST_CHECK_EQUAL(s->times_asked(1), 1);
  // Match 3's timer asks for match 3 alone.
  std::this_thread::sleep_for(t0 + 900ms - now());
  BOOST_CHECK_EQUAL(s->times_asked(3), 1);
  BOOST_CHECK_EQUAL(s->times_asked(1), 1);
  // A reload asks again for every due match that still has no room (the
  // cause may be fixed); match 3 got its room meanwhile.
  {
    std::lock_guard<std::mutex> g(s->lock);
    for (auto& m : s->plan.matches)
      if (m.match_id == 3)
        m.has_room = true;
  }
  reload_and_wait();
  BOOST_CHECK_EQUAL(s->times_asked(1), 2);
  BOOST_CHECK_EQUAL(s->times_asked(2), 0);
  BOOST_CHECK_EQUAL(s->times_asked(3), 1);
}

BOOST_FIXTURE_TEST_CASE(a_match_moved_earlier_is_asked_at_its_new_time,
                        fixture) {
  auto t0 = now();
  s->plan.matches.push_back(match(1, t0 + 1h));
  start(10min);
  std::this_thread::sleep_for(100ms);
  BOOST_CHECK_EQUAL(s->times_asked(1), 0);
  // The organizer moves it (the API sends the reload): the timer armed an
  // hour ahead gives way to one at the new time.
  auto moved = now() + 300ms;
  {
    std::lock_guard<std::mutex> g(s->lock);
    s->plan.matches.front().scheduled_at = moved;
  }
  reload_and_wait();
  std::this_thread::sleep_for(moved + 400ms - now());
  BOOST_CHECK_EQUAL(s->times_asked(1), 1);
}

BOOST_FIXTURE_TEST_CASE(a_match_whose_window_passed_is_timed_again_once_moved,
                        fixture) {
  // Its window passed (the reason is stored) and the organizer moved it to
  // a later time: the reason names the old time, and the match is asked
  // for at its new one. It used to be left out until an open pass.
  auto moved = now() + 300ms;
  auto m = match(1, moved);
  m.reason_code = "window_passed";
  s->plan.matches.push_back(m);
  start(10min);
  std::this_thread::sleep_for(100ms);
  BOOST_CHECK_EQUAL(s->times_asked(1), 0);
  std::this_thread::sleep_for(moved + 400ms - now());
  BOOST_CHECK_EQUAL(s->times_asked(1), 1);
}
