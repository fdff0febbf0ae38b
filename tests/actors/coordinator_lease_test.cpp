// The coordinator lease actor under real nodes and a real MariaDB (issue
// 13): of two coordinators on one database only one starts its waiting
// components; when it dies the other takes over once the lease ran out; an
// active one that learns the lease is someone else's, or was someone else's
// between, stops its node; one whose lease lapsed by MariaDB's clock alone
// goes on.

#define BOOST_TEST_MODULE actors_coordinator_lease
#include <boost/test/unit_test.hpp>

#include "actors/coordinator_lease.hpp"
#include "actors/error.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/persistence_actor.hpp"

#include "persistence/migration_set.hpp"
#include "persistence/sql.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/scratch_database.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

/// Stands for the coordinator's components: counts its starts.
caf::behavior counted(caf::event_based_actor*,
                      std::shared_ptr<std::atomic<int>> starts) {
  ++*starts;
  return {[](atom::tick) {}};
}

using test::eventually;

/// Long enough that a database slowed by the other tests running beside
/// this one (ctest -j) does not make the active coordinator give up on its
/// own: a CI run saw renewals stall for over half a second.
constexpr std::chrono::milliseconds lease_length{2000};

struct fixture {
  // First, so it is dropped after the actor system ended its actors.
  test::scratch_database scratch;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  persistence::migration_set migrations =
      persistence::migration_set::embedded();

  /// Every node started, ended with the fixture: a failed requirement
  /// leaves nodes running, and the actor system waits for them.
  std::vector<node_actor> nodes;

  fixture() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  ~fixture() {
    for (auto& n : nodes)
      caf::anon_send_exit(n, caf::exit_reason::kill);
  }

  /// A coordinator's node: persistence, the lease (critical), and "work"
  /// waiting for the lease.
  node_actor coordinator(const std::string& name,
                         std::shared_ptr<std::atomic<int>> starts) {
    node_options o;
    o.node_name = name;
    o.shutdown_timeout = 2s;
    persistence_options db{scratch.shared(), &migrations, 1, 10000ms};
    coordinator_lease_options lease;
    lease.node_name = name;
    lease.renew_interval = 100ms;
    lease.lease = lease_length;
    o.components = {
        {"persistence",
         [db](caf::actor_system& s, const component_handles&) {
           return caf::actor_cast<caf::actor>(
               s.spawn(persistence_behavior, db));
         }},
        {"lease",
         [lease](caf::actor_system& s, const component_handles& h) {
           return caf::actor_cast<caf::actor>(
               s.spawn(coordinator_lease,
                       caf::actor_cast<persistence_actor>(h.at("persistence")),
                       caf::actor_cast<node_actor>(h.at("node")), lease));
         }},
        {"work",
         [starts](caf::actor_system& s, const component_handles&) {
           return s.spawn(counted, starts);
         }},
    };
    o.components[1].critical = true;
    o.components[2].waits = true;
    nodes.push_back(sys->spawn(node, o));
    return nodes.back();
  }

  /// A coordinator that took the lease and started its work.
  node_actor active(const std::string& name,
                    std::shared_ptr<std::atomic<int>> starts) {
    auto n = coordinator(name, starts);
    BOOST_REQUIRE(eventually(
        [&] {
          return *starts == 1;
        },
        5s));
    return n;
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return persistence::sql_scalar(*conn, sql).value_or("NULL");
  }

  void execute(const std::string& sql) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(*conn, sql);
  }
};

/// Why the actor `self` monitors ended within `limit`; empty when it did
/// not.
std::string down_reason(caf::scoped_actor& self,
                        std::chrono::milliseconds limit) {
  std::string reason;
  self->receive(
      [&](const caf::down_msg& msg) {
        reason = describe(msg.reason);
      },
      caf::after(limit) >> [] {});
  return reason;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(coordinator_lease_tests, fixture)

BOOST_AUTO_TEST_CASE(one_active_then_the_standby_takes_over_after_a_kill) {
  // A database stalled by the machine's other load holds A's renewals (A
  // may give up on its own before the kill), and then the takeover's time
  // measures the stall: that try starts afresh, three at most. (A CI run saw a
  // stall of over half a second; four copies of this test at once one of four
  // seconds.)
  for (int attempt = 1; attempt <= 3; ++attempt) {
    execute("DELETE FROM cluster_leases");
    auto a_starts = std::make_shared<std::atomic<int>>(0);
    auto b_starts = std::make_shared<std::atomic<int>>(0);
    auto a = active("coord-a", a_starts);
    caf::scoped_actor self{*sys};
    self->monitor(a);
    auto b = coordinator("coord-b", b_starts);
    // B claims every 100 ms for over a lease's length: still standby.
    std::this_thread::sleep_for(lease_length + 500ms);
    int b_before = *b_starts;
    // A renewing as it should right up to the kill (during a stall the
    // timing below would measure the stall).
    auto renewing =
        scalar("SELECT holder = 'coord-a' AND epoch = 1 AND renewed_at > "
               "NOW(3) - INTERVAL 300 * 1000 MICROSECOND FROM cluster_leases");
    // A dies without a word (its components are killed with it).
    auto killed = std::chrono::steady_clock::now();
    caf::anon_send_exit(a, caf::exit_reason::kill);
    std::string own_end = "no down message";
    self->receive(
        [&](const caf::down_msg& msg) {
          own_end = msg.reason == caf::make_error(caf::exit_reason::kill)
                        ? ""
                        : describe(msg.reason);
        },
        caf::after(5s) >> [] {});
    if (renewing != "1" || !own_end.empty()) {
      BOOST_TEST_MESSAGE("try " << attempt << ": A was not renewing at the "
                                << "kill (" << own_end << "); again");
      caf::anon_send_exit(b, caf::exit_reason::kill);
      continue;
    }
    BOOST_TEST(b_before == 0);
    BOOST_REQUIRE(eventually(
        [&] {
          return *b_starts == 1;
        },
        lease_length + 5s));
    auto took = std::chrono::steady_clock::now() - killed;
    BOOST_TEST_MESSAGE(
        "standby active "
        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
        << " ms after the kill (lease " << lease_length.count() << " ms)");
    // Not before the lease ran out, and soon after.
    BOOST_TEST((took >= lease_length - 500ms));
    BOOST_TEST((took < lease_length + 2s));
    BOOST_TEST(scalar("SELECT holder FROM cluster_leases") == "coord-b");
    BOOST_TEST(scalar("SELECT epoch FROM cluster_leases") == "2");
    caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
    return;
  }
  BOOST_FAIL("A was not renewing at the kill in each of 3 tries: the "
             "database stalled every time");
}

BOOST_AUTO_TEST_CASE(an_active_coordinator_whose_lease_is_taken_stops) {
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto a = active("coord-a", starts);
  caf::scoped_actor self{*sys};
  self->monitor(a);
  // Another holder took it (as after a pause longer than the lease).
  execute("UPDATE cluster_leases SET holder = 'coord-x', epoch = epoch + 1, "
          "expires_at = NOW(3) + INTERVAL 10 SECOND");
  auto reason = down_reason(self, 5s);
  BOOST_TEST(reason.find("component_failed: lease ended") == 0, reason);
  BOOST_TEST(reason.find("coord-x") != std::string::npos, reason);
}

BOOST_AUTO_TEST_CASE(a_lease_held_by_another_between_stops_the_active_one) {
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto a = active("coord-a", starts);
  caf::scoped_actor self{*sys};
  self->monitor(a);
  // Another took it and let it lapse in turn: A's next claim takes it afresh,
  // but another coordinator may have acted in between.
  execute("UPDATE cluster_leases SET holder = 'coord-x', epoch = epoch + 1, "
          "expires_at = NOW(3) - INTERVAL 1 SECOND");
  auto reason = down_reason(self, 5s);
  BOOST_TEST(reason.find("the lease was taken afresh (epoch 1 -> 3)") !=
                 std::string::npos,
             reason);
}

BOOST_AUTO_TEST_CASE(a_lease_lapsed_by_the_database_clock_alone_goes_on) {
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto a = active("coord-a", starts);
  caf::scoped_actor self{*sys};
  self->monitor(a);
  // As after the machine was paused: MariaDB's clock says the lease ran out
  // while A's own count had not, and nobody took it between.
  execute("UPDATE cluster_leases SET expires_at = NOW(3) - INTERVAL 1 SECOND");
  BOOST_REQUIRE(eventually(
      [&] {
        return scalar("SELECT epoch FROM cluster_leases") == "2";
      },
      5s));
  // Still active, renewing under the new epoch.
  BOOST_TEST(down_reason(self, 1s).empty());
  BOOST_TEST(*starts == 1);
  BOOST_TEST(scalar("SELECT holder FROM cluster_leases") == "coord-a");
  BOOST_TEST(scalar("SELECT epoch FROM cluster_leases") == "2");
  BOOST_TEST(scalar("SELECT expires_at > NOW(3) FROM cluster_leases") == "1");
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(status_reports_the_lease_as_last_seen) {
  auto starts = std::make_shared<std::atomic<int>>(0);
  persistence_options db{scratch.shared(), &migrations, 1, 10000ms};
  auto store = sys->spawn(persistence_behavior, db);
  coordinator_lease_options o;
  o.node_name = "coord-a";
  o.renew_interval = 100ms;
  o.lease = lease_length;
  auto n = active("coord-other", starts); // holds it first
  caf::scoped_actor self{*sys};
  auto lease = sys->spawn(coordinator_lease, store, node_actor{}, o);
  std::this_thread::sleep_for(400ms);
  self->request(lease, 5s, atom::status::value)
      .receive(
          [&](const lease_state& s) {
            BOOST_TEST(!s.held);
            BOOST_TEST(s.holder == "coord-other");
            BOOST_TEST(s.epoch == 1u);
          },
          [&](const caf::error& err) {
            BOOST_FAIL(describe(err));
          });
  for (auto h :
       {caf::actor_cast<caf::actor>(lease), caf::actor_cast<caf::actor>(n),
        caf::actor_cast<caf::actor>(store)})
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
