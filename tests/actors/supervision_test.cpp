// The node's supervision, driven deterministically by CAF's test
// coordinator: restarts wait for their backoff, a budget per window ends in
// one error, a normal exit is not a failure, shutdown runs newest-first,
// and no component outlives the node.

#define BOOST_TEST_MODULE actors_supervision
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/restart_budget.hpp"
#include "tests/support/deterministic_actor_system.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

using fail_atom = caf::atom_constant<caf::atom("t_fail")>;
using finish_atom = caf::atom_constant<caf::atom("t_finish")>;
using watch_atom = caf::atom_constant<caf::atom("t_watch")>;

/// What the test components and the watcher saw, in order.
struct journal {
  std::vector<std::string> events;
  std::map<std::string, caf::actor> current; ///< newest handle per name
  std::map<std::string, int> starts;

  int count(const std::string& event) const {
    int n = 0;
    for (const auto& e : events)
      n += e == event;
    return n;
  }

  int count_prefix(const std::string& prefix) const {
    int n = 0;
    for (const auto& e : events)
      n += e.rfind(prefix, 0) == 0;
    return n;
  }
};

/// A component that fails or finishes on request and logs its stop. With
/// `stubborn`, it ignores requests to stop (only a kill ends it).
caf::behavior test_component(caf::event_based_actor* self, std::string name,
                             std::shared_ptr<journal> j, bool stubborn) {
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (stubborn)
      return;
    j->events.push_back("stop " + name);
    self->quit(msg.reason);
  });
  return {
      [=](fail_atom) {
        self->quit(make_error(ec::unspecified, name + " broke"));
      },
      [=](finish_atom) {
        self->quit();
      },
  };
}

/// Monitors what it is told to and logs each end with its reason.
caf::behavior watcher(caf::event_based_actor* self,
                      std::shared_ptr<journal> j) {
  auto names = std::make_shared<std::map<caf::actor_addr, std::string>>();
  self->set_down_handler([=](caf::down_msg& msg) {
    j->events.push_back("down " + (*names)[msg.source] + ": " +
                        (msg.reason ? describe(msg.reason) : "normal"));
  });
  return {[=](watch_atom, caf::actor who, std::string name) {
    (*names)[who.address()] = name;
    self->monitor(who);
  }};
}

struct fixture : test::deterministic_actor_system {
  std::shared_ptr<journal> j = std::make_shared<journal>();
  caf::actor watch;
  node_actor root;

  fixture() { watch = sys->spawn(watcher, j); }

  ~fixture() {
    caf::anon_send_exit(watch, caf::exit_reason::kill);
    if (root)
      caf::anon_send_exit(root, caf::exit_reason::kill);
    sched->run();
  }

  component_spec spec(const std::string& name, bool stubborn = false) {
    auto jj = j;
    return {name, [name, jj, stubborn](caf::actor_system& s,
                                       const component_handles&) {
              auto h = s.spawn(test_component, name, jj, stubborn);
              jj->current[name] = h;
              jj->starts[name]++;
              return h;
            }};
  }

  /// Components named with a trailing '?' wait for `start`; with a
  /// trailing '!' they are critical.
  void start_node(std::vector<std::string> names, int max_restarts = 3,
                  std::vector<std::string> stubborn = {}) {
    node_options o;
    o.node_name = "test";
    o.shutdown_timeout = 2s;
    o.restarts.backoff = {1000ms, 60000ms, 2.0, 0.0, 60000ms};
    o.restarts.max_restarts = max_restarts;
    o.restarts.window = 60s;
    for (auto n : names) {
      bool waits = n.back() == '?', critical = n.back() == '!';
      if (waits || critical)
        n.pop_back();
      o.components.push_back(spec(
          n, std::find(stubborn.begin(), stubborn.end(), n) != stubborn.end()));
      o.components.back().waits = waits;
      o.components.back().critical = critical;
    }
    root = sys->spawn(node, o);
    caf::anon_send(watch, watch_atom::value, caf::actor_cast<caf::actor>(root),
                   std::string{"node"});
    sched->run();
  }

  void watch_current(const std::string& name) {
    caf::anon_send(watch, watch_atom::value, j->current[name], name);
    sched->run();
  }

  void fail(const std::string& name) {
    caf::anon_send(j->current[name], fail_atom::value);
    sched->run();
  }

  void advance(caf::timespan t) {
    sched->advance_time(t);
    sched->run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(supervision, fixture)

BOOST_AUTO_TEST_CASE(a_failed_component_restarts_after_its_backoff) {
  start_node({"a", "b"});
  BOOST_TEST(j->starts["a"] == 1);
  BOOST_TEST(j->starts["b"] == 1);
  fail("b");
  BOOST_TEST(j->starts["b"] == 1); // not at once
  advance(999ms);
  BOOST_TEST(j->starts["b"] == 1);
  advance(1ms);
  BOOST_TEST(j->starts["b"] == 2);
  // The next failure waits twice as long.
  fail("b");
  advance(1999ms);
  BOOST_TEST(j->starts["b"] == 2);
  advance(1ms);
  BOOST_TEST(j->starts["b"] == 3);
  BOOST_TEST(j->starts["a"] == 1); // the others are untouched
  BOOST_TEST(j->count_prefix("down node") == 0);
}

BOOST_AUTO_TEST_CASE(those_started_after_a_failed_component_restart_with_it) {
  // c may hold b's handle (as rooms hold the bot supervisor's), so it
  // stops when b fails and starts again right after b; a is untouched.
  start_node({"a", "b", "c"});
  fail("b");
  BOOST_TEST(j->count("stop c") == 1);
  BOOST_TEST(j->starts["c"] == 1);
  advance(1s);
  BOOST_TEST(j->starts["b"] == 2);
  BOOST_TEST(j->starts["c"] == 2);
  BOOST_TEST(j->starts["a"] == 1);
  // c's stop was no failure of its own: its budget is untouched, and the
  // node still runs.
  BOOST_TEST(j->count_prefix("down node") == 0);
  fail("c");
  advance(1s); // c's first own failure: the first backoff step
  BOOST_TEST(j->starts["c"] == 3);
}

BOOST_AUTO_TEST_CASE(a_spent_budget_stops_the_node_with_an_error) {
  start_node({"a", "b"}, 3);
  for (int i = 0; i < 3; ++i) {
    fail("b");
    advance(10s);
  }
  BOOST_TEST(j->starts["b"] == 4);
  fail("b"); // the fourth failure within the window
  BOOST_TEST(j->starts["b"] == 4);
  BOOST_TEST(j->count("stop a") == 1); // the rest stopped in order
  BOOST_REQUIRE(!j->events.empty());
  auto last = j->events.back();
  BOOST_TEST(last.find("down node: component_failed: b failed 4 times "
                       "within 60 s; last error: unspecified: b broke") == 0,
             last);
}

BOOST_AUTO_TEST_CASE(the_budget_counts_per_window) {
  start_node({"a"}, 3);
  // Ten failures, each after more than the window of stable running: the
  // budget never runs out, and the backoff starts again from 1 s.
  for (int i = 0; i < 10; ++i) {
    fail("a");
    advance(1s);
    BOOST_TEST(j->starts["a"] == i + 2);
    advance(61s);
  }
  BOOST_TEST(j->count_prefix("down node") == 0);
}

BOOST_AUTO_TEST_CASE(a_normal_exit_is_not_a_failure) {
  start_node({"a", "b"}, 1);
  caf::anon_send(j->current["b"], finish_atom::value);
  sched->run();
  advance(10min);
  BOOST_TEST(j->starts["b"] == 1); // not restarted
  // and it took nothing from the budget of the node: a may still fail once
  fail("a");
  advance(1s);
  BOOST_TEST(j->starts["a"] == 2);
  BOOST_TEST(j->count_prefix("down node") == 0); // the node still runs
}

BOOST_AUTO_TEST_CASE(shutdown_stops_components_newest_first) {
  start_node({"a", "b", "c"});
  caf::anon_send(root, atom::shutdown::value);
  sched->run();
  std::vector<std::string> expected{"stop c", "stop b", "stop a",
                                    "down node: normal"};
  BOOST_TEST(j->events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_component_that_ignores_shutdown_is_killed) {
  start_node({"a", "b"}, 3, {"b"});
  watch_current("b");
  caf::anon_send(root, atom::shutdown::value);
  sched->run();
  BOOST_TEST(j->count("stop a") == 1);
  BOOST_TEST(j->count("down node: normal") == 0); // still waiting for b
  advance(2s);
  BOOST_TEST(j->count_prefix("down b: ") == 1);
  BOOST_TEST(j->count("down b: normal") == 0); // killed, not stopped
  BOOST_TEST(j->count("down node: normal") == 1);
}

BOOST_AUTO_TEST_CASE(killing_the_node_kills_every_component) {
  start_node({"a", "b"}, 3, {"a", "b"});
  // A restart is pending for nobody; both run and ignore polite exits.
  watch_current("a");
  watch_current("b");
  caf::anon_send_exit(root, caf::exit_reason::kill);
  sched->run();
  BOOST_TEST(j->count_prefix("down a: ") == 1);
  BOOST_TEST(j->count_prefix("down b: ") == 1);
  BOOST_TEST(j->count("down a: normal") == 0);
}

BOOST_AUTO_TEST_CASE(waiting_components_start_on_start_once_in_order) {
  // A standby coordinator: only "db" and "lease" run until the lease is
  // taken.
  start_node({"db", "lease", "rooms?", "api?"});
  BOOST_TEST(j->starts["db"] == 1);
  BOOST_TEST(j->starts["lease"] == 1);
  BOOST_TEST(j->starts.count("rooms") == 0);
  BOOST_TEST(j->starts.count("api") == 0);
  caf::anon_send(root, atom::start::value, std::uint64_t{3});
  sched->run();
  BOOST_TEST(j->starts["rooms"] == 1);
  BOOST_TEST(j->starts["api"] == 1);
  caf::anon_send(root, atom::start::value, std::uint64_t{3}); // ignored
  sched->run();
  BOOST_TEST(j->starts["rooms"] == 1);
  // Started late, they are supervised like the others.
  fail("rooms");
  BOOST_TEST(j->count("stop api") == 1);
  advance(1s);
  BOOST_TEST(j->starts["rooms"] == 2);
  BOOST_TEST(j->starts["api"] == 2);
}

BOOST_AUTO_TEST_CASE(waiting_components_never_started_do_not_hold_shutdown) {
  start_node({"db", "rooms?"});
  caf::anon_send(root, atom::shutdown::value);
  sched->run();
  std::vector<std::string> expected{"stop db", "down node: normal"};
  BOOST_TEST(j->events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_critical_component_that_ends_stops_the_node) {
  start_node({"db", "lease!", "rooms"});
  fail("lease");
  BOOST_TEST(j->count("stop rooms") == 1);
  BOOST_TEST(j->count("stop db") == 1);
  BOOST_REQUIRE(!j->events.empty());
  auto last = j->events.back();
  BOOST_TEST(last.find("down node: component_failed: lease ended") == 0, last);
  advance(10s);
  BOOST_TEST(j->starts["lease"] == 1); // no restart
}

BOOST_AUTO_TEST_CASE(a_critical_component_stopped_to_follow_stops_the_node) {
  // The lease follows the database it was started after: a restart would
  // hand a lease it held to a new actor that cannot vouch for it.
  start_node({"db", "lease!"});
  fail("db");
  BOOST_REQUIRE(!j->events.empty());
  BOOST_TEST(j->events.back().find("down node: component_failed") == 0,
             j->events.back());
  advance(10s);
  BOOST_TEST(j->starts["db"] == 1);
}

BOOST_AUTO_TEST_CASE(restart_budget_alone) {
  restart_options o;
  o.backoff = {1000ms, 8000ms, 2.0, 0.0, 60000ms};
  o.max_restarts = 2;
  o.window = 60s;
  restart_budget b{o};
  restart_budget::time_point t{};
  b.started(t);
  BOOST_TEST(b.failed(t + 1s).value().count() == 1000);
  b.started(t + 2s);
  BOOST_TEST(b.failed(t + 3s).value().count() == 2000);
  b.started(t + 5s);
  BOOST_TEST(!b.failed(t + 6s)); // third within the window
  // Once the window has passed, restarts are allowed again.
  BOOST_TEST(b.failed(t + 70s).has_value());
  restart_options unlimited = o;
  unlimited.max_restarts = 0;
  restart_budget forever{unlimited};
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(forever.failed(t + std::chrono::seconds{i}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
