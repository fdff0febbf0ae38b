#define BOOST_TEST_MODULE actors_node
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/persistence_actor.hpp"

#include "persistence/migration_set.hpp"
#include "persistence/room_claim_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <thread>
#include <variant>

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

/// `n` matches of one tournament, each with its room claimed; what their
/// openers settle once racetime.gg created them.
std::vector<claim_settled> claimed_rooms(odb::mysql::database& db, int n) {
  std::vector<claim_settled> settled;
  auto conn = db.connection();
  conn->execute("INSERT INTO organizations (id, name) VALUES (1, 'League')");
  conn->execute("INSERT INTO racetime_bots (id, category, name, client_id, "
                "client_secret) VALUES (1, 'alttpr', 'Bot', 'cid', 's')");
  conn->execute("INSERT INTO tournaments (id, organization_id, name) "
                "VALUES (1, 1, 'Cup')");
  persistence::room_claim_repository repo{db};
  for (int m = 1; m <= n; ++m) {
    conn->execute("INSERT INTO matches (id, tournament_id, title, "
                  "scheduled_at) VALUES (" +
                  std::to_string(m) + ", 1, 'Round', UTC_TIMESTAMP())");
    auto marker = "racecontrol match " + std::to_string(m) + " claim t";
    auto row = repo.claim({m, marker, "alttpr", 1, "node-1", "", std::nullopt,
                           std::nullopt})
                   .row;
    settled.push_back({row.room_id, marker, "alttpr/room-" + std::to_string(m),
                       "open", false, "{}"});
  }
  return settled;
}

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

// Room openers' requests that wait for a worker go to it together: a burst
// of due matches costs one SELECT and one INSERT per batch, not two
// statements per room, and each opener still gets its own answer.
BOOST_AUTO_TEST_CASE(room_openings_waiting_together_go_to_a_worker_as_one) {
  test::scratch_database scratch;
  auto db = scratch.shared();
  {
    auto conn = db->connection();
    conn->execute("INSERT INTO organizations (id, name) VALUES (1, 'League')");
    conn->execute("INSERT INTO racetime_bots (id, category, name, client_id, "
                  "client_secret) VALUES (1, 'alttpr', 'Bot', 'cid', 's')");
    conn->execute("INSERT INTO racetime_bot_organizations (bot_id, "
                  "organization_id) VALUES (1, 1)");
    conn->execute("INSERT INTO tournaments (id, organization_id, name, "
                  "racetime_bot_id, racetime_auto_create_rooms, "
                  "room_open_minutes_before) VALUES (1, 1, 'Cup', 1, 1, 60)");
    for (int m = 1; m <= 10; ++m)
      conn->execute("INSERT INTO matches (id, tournament_id, title, "
                    "scheduled_at) VALUES (" +
                    std::to_string(m) +
                    ", 1, 'Round', UTC_TIMESTAMP() + INTERVAL 10 MINUTE)");
  }
  persistence_options options{db, &migrations, 1, 10000ms};
  options.worker_depth = 1;
  auto store = sys->spawn(persistence_behavior, options);
  std::shared_ptr<void> stop_store(nullptr, [store](void*) {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  });
  bot_info bot{1, "alttpr", "Bot", "connected", "", true, {}};
  // The lone worker is held by a read of the locked bots table while the
  // openers ask, so that all their requests wait for it together; their
  // answers in order.
  auto marker = [](int id, const std::string& suffix = "t") {
    return "racecontrol match " + std::to_string(id) + " claim " + suffix;
  };
  auto open_all = [&](const std::vector<std::pair<int, std::string>>& asks) {
    auto holder = db->connection();
    holder->execute("LOCK TABLES racetime_bots WRITE");
    caf::scoped_actor stalled{*sys};
    auto bots =
        stalled->request(store, 30s, atom::get::value, atom::bots::value);
    std::this_thread::sleep_for(100ms);
    auto now = std::chrono::time_point_cast<timestamp::duration>(
        std::chrono::system_clock::now());
    std::vector<std::unique_ptr<caf::scoped_actor>> openers;
    using handle = decltype(stalled->request(store, 30s, atom::put::value,
                                             opening_request{}));
    std::vector<handle> asked;
    for (const auto& [id, its_marker] : asks) {
      openers.push_back(std::make_unique<caf::scoped_actor>(*sys));
      opening_request r{id,           false,
                        its_marker,   "node-1",
                        "",           std::nullopt,
                        std::nullopt, {bot},
                        now,          std::int64_t{30} * 60 * 1000000};
      asked.push_back(
          (*openers.back())->request(store, 30s, atom::put::value, r));
    }
    std::this_thread::sleep_for(100ms);
    holder->execute("UNLOCK TABLES");
    bots.receive([](const std::vector<bot_record>&) {},
                 [](const caf::error& err) {
                   BOOST_FAIL(describe(err));
                 });
    std::vector<std::variant<opening_result, caf::error>> out;
    for (auto& h : asked)
      h.receive(
          [&](const opening_result& r) {
            out.emplace_back(r);
          },
          [&](const caf::error& err) {
            out.emplace_back(err);
          });
    return out;
  };
  std::vector<int> ids{3, 999, 1, 2, 4, 5, 6, 7, 8, 9, 10};
  std::vector<std::pair<int, std::string>> asks;
  for (auto id : ids)
    asks.emplace_back(id, marker(id));
  auto answers = open_all(asks);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (auto* err = std::get_if<caf::error>(&answers[i])) {
      BOOST_TEST(ids[i] == 999, describe(*err));
      BOOST_TEST(is(*err, ec::not_found), describe(*err));
      continue;
    }
    const auto& r = std::get<opening_result>(answers[i]);
    BOOST_TEST(r.context.match_id == ids[i]);
    BOOST_REQUIRE(r.claim.has_value());
    BOOST_TEST(r.claim->claimed);
    BOOST_TEST(r.claim->row.match_id == ids[i]);
    BOOST_TEST(r.claim->row.marker ==
               "racecontrol match " + std::to_string(ids[i]) + " claim t");
  }
  auto conn = db->connection();
  auto count = [&](const std::string& sql) {
    odb::mysql::connection& c = *conn;
    return persistence::sql_scalar(c, sql).value_or("NULL");
  };
  BOOST_TEST(count("SELECT COUNT(*) FROM racetime_rooms") == "10");
  // One INSERT wrote them all: they share its claim time to the microsecond.
  BOOST_TEST(count("SELECT COUNT(DISTINCT claimed_at) FROM racetime_rooms") ==
             "1");
  // Two openers of one match in a batch (another node's and this one's,
  // say): the batch's INSERT fails as a duplicate and writes nothing, and
  // each is claimed on its own: the first claims, the second is answered
  // with the first's claim, and the other match of the batch is claimed.
  conn->execute("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
                "VALUES (11, 1, 'Round', UTC_TIMESTAMP() + INTERVAL 10 "
                "MINUTE), (12, 1, 'Round', UTC_TIMESTAMP() + INTERVAL 10 "
                "MINUTE)");
  auto mixed = open_all(
      {{11, marker(11, "a")}, {11, marker(11, "b")}, {12, marker(12)}});
  std::vector<const opening_result*> got;
  for (const auto& m : mixed) {
    if (auto* err = std::get_if<caf::error>(&m))
      BOOST_FAIL(describe(*err));
    got.push_back(&std::get<opening_result>(m));
    BOOST_REQUIRE(got.back()->claim.has_value());
  }
  BOOST_TEST(got[0]->claim->claimed);
  BOOST_TEST(!got[1]->claim->claimed);
  BOOST_TEST(got[1]->claim->row.marker == marker(11, "a"));
  BOOST_TEST(got[2]->claim->claimed);
  BOOST_TEST(got[2]->claim->row.match_id == 12);
  BOOST_TEST(count("SELECT COUNT(*) FROM racetime_rooms") == "12");
}

// Settles come one by one as racetime.gg answers: while one is at a worker
// the next ones gather and go to it together, each answered on its own.
BOOST_AUTO_TEST_CASE(settles_gather_while_one_is_at_a_worker) {
  test::scratch_database scratch;
  auto db = scratch.shared();
  auto settled = claimed_rooms(*db, 5);
  persistence_options options{db, &migrations, 2, 10000ms};
  options.stall_after = 10s; // the first settle waits on a lock, not stalled
  auto store = sys->spawn(persistence_behavior, options);
  std::shared_ptr<void> stop_store(nullptr, [store](void*) {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  });
  // Sends the settles, the first alone while a session of the test locks
  // the audit log, so that the others gather behind it; their answers in
  // order (a room's context, or the error).
  auto settle = [&](const std::vector<claim_settled>& batch) {
    auto holder = db->connection();
    holder->execute("LOCK TABLES audit_log WRITE");
    std::vector<std::unique_ptr<caf::scoped_actor>> openers;
    using handle = decltype(std::declval<caf::scoped_actor&>()->request(
        store, 30s, atom::put::value, claim_settled{}));
    std::vector<handle> asked;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      openers.push_back(std::make_unique<caf::scoped_actor>(*sys));
      asked.push_back(
          (*openers.back())->request(store, 30s, atom::put::value, batch[i]));
      if (i == 0)
        std::this_thread::sleep_for(200ms);
    }
    std::this_thread::sleep_for(100ms);
    holder->execute("UNLOCK TABLES");
    std::vector<std::variant<room_context, caf::error>> out;
    for (auto& h : asked)
      h.receive(
          [&](const room_context& ctx) {
            out.emplace_back(ctx);
          },
          [&](const caf::error& err) {
            out.emplace_back(err);
          });
    return out;
  };
  auto answers = settle({settled[0], settled[1], settled[2], settled[3]});
  for (std::size_t i = 0; i < answers.size(); ++i) {
    auto* ctx = std::get_if<room_context>(&answers[i]);
    if (auto* err = std::get_if<caf::error>(&answers[i]))
      BOOST_FAIL(describe(*err));
    BOOST_TEST(ctx->room.id == settled[i].room_id);
    BOOST_TEST(ctx->room.slug == settled[i].slug);
  }
  // A batch whose settle is another claim's (its marker) is done one by
  // one: that one refused, the others stored.
  auto foreign = settled[1];
  foreign.marker = "racecontrol match 2 claim x";
  auto mixed = settle({settled[0], foreign, settled[4]});
  BOOST_TEST(std::holds_alternative<room_context>(mixed[0]));
  BOOST_REQUIRE(std::holds_alternative<caf::error>(mixed[1]));
  BOOST_TEST(is(std::get<caf::error>(mixed[1]), ec::not_found));
  BOOST_REQUIRE(std::holds_alternative<room_context>(mixed[2]));
  BOOST_TEST(std::get<room_context>(mixed[2]).room.slug == settled[4].slug);
  auto conn = db->connection();
  odb::mysql::connection& c = *conn;
  BOOST_TEST(persistence::sql_scalar(c, "SELECT COUNT(*) FROM racetime_rooms "
                                        "WHERE claim_state = 'created'")
                 .value_or("") == "5");
  // The first batch in two transactions: the first settle alone, the three
  // that waited together; the last room on its own.
  BOOST_TEST(persistence::sql_scalar(
                 c, "SELECT COUNT(DISTINCT updated_at) FROM racetime_rooms")
                 .value_or("") == "3");
}

// A settle that comes while the one at a worker waits on a lock goes on
// once that one has run past stall_after, without waiting for it.
BOOST_AUTO_TEST_CASE(a_settle_behind_a_stalled_one_goes_on) {
  test::scratch_database scratch;
  auto db = scratch.shared();
  auto settled = claimed_rooms(*db, 2);
  persistence_options options{db, &migrations, 2, 300ms};
  options.stall_after = 100ms;
  auto store = sys->spawn(persistence_behavior, options);
  std::shared_ptr<void> stop_store(nullptr, [store](void*) {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  });
  // A session of the test holds the first room's row.
  auto holder = db->connection();
  odb::mysql::connection& h = *holder;
  persistence::sql_execute(h, "START TRANSACTION");
  persistence::sql_query(h, "SELECT id FROM racetime_rooms WHERE id = " +
                                std::to_string(settled[0].room_id) +
                                " FOR UPDATE");
  caf::scoped_actor first{*sys};
  caf::scoped_actor second{*sys};
  auto stuck = first->request(store, 30s, atom::put::value, settled[0]);
  std::this_thread::sleep_for(20ms);
  auto started = std::chrono::steady_clock::now();
  second->request(store, 10s, atom::put::value, settled[1])
      .receive(
          [&](const room_context& ctx) {
            BOOST_TEST(ctx.room.slug == settled[1].slug);
          },
          [&](const caf::error& err) {
            BOOST_FAIL(describe(err));
          });
  auto waited = std::chrono::steady_clock::now() - started;
  // Let go of the row: the first settle ends too.
  persistence::sql_execute(h, "ROLLBACK");
  stuck.receive(
      [&](const room_context& ctx) {
        BOOST_TEST(ctx.room.slug == settled[0].slug);
      },
      [&](const caf::error& err) {
        BOOST_FAIL(describe(err));
      });
  // Held for stall_after, then on at the next look (the health check every
  // 300 ms here): well before the row was let go.
  auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(waited).count();
  BOOST_TEST(waited_ms < 3000);
}

BOOST_AUTO_TEST_SUITE_END()
