#define BOOST_TEST_MODULE actors_node
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/persistence_actor.hpp"

#include "persistence/migration_set.hpp"
#include "tests/support/scratch_database.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

struct system_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  persistence::migration_set migrations =
      persistence::migration_set::embedded();

  system_fixture() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(node_actor_tests, system_fixture)

BOOST_AUTO_TEST_CASE(node_reports_status_and_stops_in_order) {
  test::scratch_database scratch;
  node_options options;
  options.node_name = "test-node";
  options.shutdown_timeout = 2000ms;
  persistence_options db_options{scratch.shared(), &migrations, 2, 10000ms};
  options.components.push_back(
      {"persistence",
       [db_options](caf::actor_system& s, const component_handles&) {
         return caf::actor_cast<caf::actor>(
             s.spawn(persistence_behavior, db_options));
       }});
  auto root = sys->spawn(node, options);
  caf::scoped_actor self{*sys};
  self->request(root, 10s, atom::status::value)
      .receive(
          [&](const node_status& st) {
            BOOST_TEST(st.node_name == "test-node");
            BOOST_REQUIRE_EQUAL(st.components.size(), 1u);
            BOOST_TEST(st.components[0] == "persistence");
            BOOST_TEST(st.database.database == scratch.url().database);
            BOOST_TEST(st.database.server_version.find("MariaDB") !=
                       std::string::npos);
            BOOST_TEST(st.database.pending_migrations == 0u);
            // The newest regular migration (manual ones are not applied).
            std::string newest;
            for (const auto& m : migrations.all())
              if (!m.manual)
                newest = m.version;
            BOOST_TEST(st.database.schema_version == newest);
          },
          [&](const caf::error& err) {
            BOOST_FAIL(describe(err));
          });
  self->monitor(root);
  auto started = std::chrono::steady_clock::now();
  self->send(root, atom::shutdown::value);
  bool down = false;
  self->receive(
      [&](const caf::down_msg& msg) {
        down = msg.source == root.address();
      },
      caf::after(5s) >> [] {});
  BOOST_TEST(down);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 3s));
}

BOOST_AUTO_TEST_CASE(persistence_errors_are_values_and_the_actor_survives) {
  auto scratch = std::make_unique<test::scratch_database>();
  auto db = scratch->shared();
  auto store = sys->spawn(persistence_behavior,
                          persistence_options{db, &migrations, 2, 10000ms});
  // Stopped however the test ends, or the actor system would wait for it.
  std::shared_ptr<void> stop_store(nullptr, [store](void*) {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  });
  caf::scoped_actor self{*sys};
  auto ask = [&] {
    caf::expected<database_status> out{caf::error{}};
    self->request(store, 10s, atom::status::value)
        .receive(
            [&](database_status& st) {
              out = std::move(st);
            },
            [&](caf::error& err) {
              out = std::move(err);
            });
    return out;
  };
  auto first = ask();
  BOOST_REQUIRE(first);
  BOOST_TEST(first->pending_migrations == 0u);
  // Take the database away under the actor: it must answer with an error.
  test::scratch_database::admin_execute("DROP DATABASE `" +
                                        scratch->url().database + "`");
  auto failed = ask();
  BOOST_REQUIRE(!failed);
  BOOST_TEST(failed.error().category() == ec_category::value);
  BOOST_TEST(describe(failed.error()).find("database_") == 0u,
             describe(failed.error()));
  // Bring it back: the same actor serves again.
  test::scratch_database::admin_execute("CREATE DATABASE `" +
                                        scratch->url().database + "`");
  auto again = ask();
  BOOST_REQUIRE(again);
  BOOST_TEST(again->pending_migrations == migrations.all().size() - 1);
}

BOOST_AUTO_TEST_CASE(a_stalled_request_does_not_hold_up_an_idle_worker) {
  test::scratch_database scratch;
  auto db = scratch.shared();
  persistence_options options{db, &migrations, 2, 10000ms};
  options.worker_depth = 2;
  options.stall_after = 50ms;
  auto store = sys->spawn(persistence_behavior, options);
  std::shared_ptr<void> stop_store(nullptr, [store](void*) {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  });
  caf::scoped_actor self{*sys};
  auto status = [&] {
    self->request(store, 5s, atom::status::value)
        .receive(
            [&](const database_status& st) {
              BOOST_TEST(st.pending_migrations == 0u);
            },
            [&](const caf::error& err) {
              BOOST_FAIL(describe(err));
            });
  };
  status();
  // A session of the test's own holds the bots table: reading it stalls
  // one worker until the test lets go.
  auto holder = db->connection();
  holder->execute("LOCK TABLES racetime_bots WRITE");
  caf::scoped_actor stalled{*sys};
  auto bots = stalled->request(store, 30s, atom::get::value, atom::bots::value);
  // Once it has run past stall_after, nothing is queued behind it: each of
  // these goes to the other worker (or waits for it), not behind the lock.
  std::this_thread::sleep_for(4 * options.stall_after);
  for (int i = 0; i < 3; ++i)
    status();
  holder->execute("UNLOCK TABLES");
  bool answered = false;
  bots.receive(
      [&](const std::vector<bot_record>&) {
        answered = true;
      },
      [&](const caf::error& err) {
        BOOST_FAIL(describe(err));
      });
  BOOST_TEST(answered);
}

BOOST_AUTO_TEST_SUITE_END()
