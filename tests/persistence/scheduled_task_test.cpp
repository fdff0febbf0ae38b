// What the scheduler writes to scheduled_tasks, against the real MariaDB: a
// claim is exclusive (also when two claim at once), a run marker blocks
// further claims until its result is recorded, a failed run keeps the
// advanced next_run_at, a ONE_TIME claim deactivates its task, a result
// is only recorded by the run that holds the marker.

#include <boost/test/unit_test.hpp>

#include "persistence/api_task_repository.hpp"
#include "persistence/scheduled_task_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <future>

using namespace racecontrol;
using namespace racecontrol::persistence;
using namespace std::chrono_literals;

namespace {

const timestamp t0{std::chrono::seconds{1796126400}}; // 2026-12-01 12:00 UTC

struct task_fixture {
  test::scratch_database scratch;
  scheduled_task_repository repo{scratch.db()};

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  /// A column of task `id`, as text ("NULL" for NULL).
  std::string column(std::int32_t id, const std::string& name) {
    return scalar("SELECT " + name +
                  " FROM scheduled_tasks WHERE id = " + std::to_string(id));
  }

  std::string time_column(std::int32_t id, const std::string& name) {
    return column(id, sql_epoch_us(name));
  }

  static std::string us(timestamp t) {
    return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                              t.time_since_epoch())
                              .count());
  }

  std::int32_t add(const std::string& name, const std::string& values) {
    exec("INSERT INTO scheduled_tasks (name, task_type, schedule_type, "
         "interval_seconds, cron_expression, run_at, next_run_at, "
         "is_active) VALUES ('" +
         name + "', " + values + ")");
    return std::stoi(scalar("SELECT LAST_INSERT_ID()"));
  }

  /// An active INTERVAL task of 60 s due at t0.
  std::int32_t interval_task() {
    return add("poll", "'RACETIME_POLL_OPEN_ROOMS', 'INTERVAL', 60, NULL, "
                       "NULL, " +
                           sql_quote(t0) + ", 1");
  }

  task_claim claim_of(std::int32_t id, const std::string& owner,
                      std::optional<timestamp> expected = t0,
                      std::optional<timestamp> next = t0 + 60s) {
    task_claim c;
    c.task_id = id;
    c.expected_next_run_at = expected;
    c.next_run_at = next;
    c.owner = owner;
    c.started_at = t0 + 250ms;
    return c;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(scheduled_tasks, task_fixture)

BOOST_AUTO_TEST_CASE(active_tasks_and_runs_in_flight_are_loaded) {
  exec("INSERT INTO organizations (id, name) VALUES (4, 'League')");
  auto a = add("poll", "'RACETIME_POLL_OPEN_ROOMS', 'INTERVAL', 60, NULL, "
                       "NULL, " +
                           sql_quote(t0) + ", 1");
  exec("UPDATE scheduled_tasks SET organization_id = 4, config = "
       "'{\"category\": \"alttpr\"}', last_run_status = 'failed', "
       "last_run_error = 'boom', last_run_at = " +
       sql_quote(t0 - 60s) + " WHERE id = " + std::to_string(a));
  add("off", "'CUSTOM', 'CRON', NULL, '0 * * * *', NULL, NULL, 0");
  auto b = add("once", "'RACETIME_OPEN_ROOM', 'ONE_TIME', NULL, NULL, " +
                           sql_quote(t0 + 1h) + ", NULL, 0");
  exec("UPDATE scheduled_tasks SET run_started_at = " + sql_quote(t0) +
       ", run_owner = 'node-a' WHERE id = " + std::to_string(b));

  auto tasks = repo.tasks_to_schedule();
  BOOST_REQUIRE_EQUAL(tasks.size(), 2u);
  const auto& poll = tasks[0];
  BOOST_TEST(poll.id == a);
  BOOST_TEST((poll.organization_id == std::optional<std::int32_t>{4}));
  BOOST_TEST(poll.name == "poll");
  BOOST_TEST(poll.task_type == "RACETIME_POLL_OPEN_ROOMS");
  BOOST_TEST(poll.schedule_type == "INTERVAL");
  BOOST_TEST((poll.interval_seconds == std::optional<std::int32_t>{60}));
  BOOST_TEST(!poll.cron_expression.has_value());
  BOOST_TEST(!poll.run_at.has_value());
  BOOST_TEST(poll.config_json == R"({"category": "alttpr"})");
  BOOST_TEST(poll.is_active);
  BOOST_TEST((poll.next_run_at == t0));
  BOOST_TEST((poll.last_run_at == t0 - 60s));
  BOOST_TEST(poll.last_run_status == "failed");
  BOOST_TEST(poll.last_run_error == "boom");
  BOOST_TEST(!poll.run_started_at.has_value());
  BOOST_TEST(poll.run_owner == "");
  const auto& once = tasks[1];
  BOOST_TEST(once.id == b);
  BOOST_TEST(!once.is_active);
  BOOST_TEST((once.run_at == t0 + 1h));
  BOOST_TEST((once.run_started_at == t0));
  BOOST_TEST(once.run_owner == "node-a");
}

BOOST_AUTO_TEST_CASE(a_claim_is_exclusive) {
  auto id = interval_task();
  BOOST_TEST((repo.claim(claim_of(id, "node-a")) == claim_outcome::claimed));
  // The same occurrence again, from another scheduler or a restarted one.
  BOOST_TEST((repo.claim(claim_of(id, "node-b")) == claim_outcome::changed));
  BOOST_TEST((repo.claim(claim_of(id, "node-a")) == claim_outcome::changed));
  BOOST_TEST(time_column(id, "next_run_at") == us(t0 + 60s));
  BOOST_TEST(time_column(id, "run_started_at") == us(t0 + 250ms));
  BOOST_TEST(column(id, "run_owner") == "node-a");
}

BOOST_AUTO_TEST_CASE(two_claims_at_once_give_one_run) {
  auto id = interval_task();
  for (int round = 0; round < 20; ++round) {
    exec("UPDATE scheduled_tasks SET next_run_at = " + sql_quote(t0) +
         ", run_started_at = NULL, run_owner = NULL WHERE id = " +
         std::to_string(id));
    auto a = std::async(std::launch::async, [&] {
      return scheduled_task_repository{scratch.db()}.claim(
          claim_of(id, "node-a"));
    });
    auto b = std::async(std::launch::async, [&] {
      return scheduled_task_repository{scratch.db()}.claim(
          claim_of(id, "node-b"));
    });
    auto ra = a.get();
    auto rb = b.get();
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_TEST(
          ((ra == claim_outcome::claimed) != (rb == claim_outcome::claimed)));
      auto winner = ra == claim_outcome::claimed ? "node-a" : "node-b";
      BOOST_TEST(column(id, "run_owner") == winner);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_run_in_flight_blocks_the_next_claim) {
  auto id = interval_task();
  BOOST_REQUIRE((repo.claim(claim_of(id, "node-a")) == claim_outcome::claimed));
  // The next occurrence is due while the first run still runs.
  auto next = claim_of(id, "node-b", t0 + 60s, t0 + 120s);
  BOOST_TEST((repo.claim(next) == claim_outcome::busy));
  BOOST_TEST(time_column(id, "next_run_at") == us(t0 + 60s));
  task_finish done{id, "node-a", t0 + 250ms, "succeeded", ""};
  BOOST_TEST(repo.finish(done));
  BOOST_TEST((repo.claim(next) == claim_outcome::claimed));
}

BOOST_AUTO_TEST_CASE(a_failed_run_keeps_the_advanced_next_run_at) {
  auto id = interval_task();
  BOOST_REQUIRE((repo.claim(claim_of(id, "node-a")) == claim_outcome::claimed));
  task_finish f{id, "node-a", t0 + 250ms, "failed",
                "the room supervisor did not answer within 300 s"};
  BOOST_TEST(repo.finish(f));
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") ==
             "the room supervisor did not answer within 300 s");
  BOOST_TEST(time_column(id, "last_run_at") == us(t0 + 250ms));
  BOOST_TEST(time_column(id, "next_run_at") == us(t0 + 60s));
  BOOST_TEST(column(id, "run_started_at") == "NULL");
  BOOST_TEST(column(id, "run_owner") == "NULL");
  // The failed occurrence cannot be claimed again.
  BOOST_TEST((repo.claim(claim_of(id, "node-a")) == claim_outcome::changed));
  // A success afterwards clears the error.
  BOOST_REQUIRE((repo.claim(claim_of(id, "node-a", t0 + 60s, t0 + 120s)) ==
                 claim_outcome::claimed));
  BOOST_TEST(repo.finish({id, "node-a", t0 + 250ms, "succeeded", ""}));
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(column(id, "last_run_error") == "NULL");
}

BOOST_AUTO_TEST_CASE(only_the_run_holding_the_marker_records_its_result) {
  auto id = interval_task();
  BOOST_REQUIRE((repo.claim(claim_of(id, "node-a")) == claim_outcome::claimed));
  BOOST_TEST(!repo.finish({id, "node-b", t0 + 250ms, "succeeded", ""}));
  BOOST_TEST(!repo.finish({id, "node-a", t0 + 251ms, "succeeded", ""}));
  BOOST_TEST(column(id, "last_run_status") == "NULL");
  BOOST_TEST(column(id, "run_owner") == "node-a");
  BOOST_TEST(repo.finish({id, "node-a", t0 + 250ms, "skipped", "nothing"}));
  // Recorded once: a second answer of the same run changes nothing.
  BOOST_TEST(!repo.finish({id, "node-a", t0 + 250ms, "failed", "late"}));
  BOOST_TEST(column(id, "last_run_status") == "skipped");
  BOOST_TEST(column(id, "last_run_error") == "nothing");
}

BOOST_AUTO_TEST_CASE(a_one_time_task_is_deactivated_by_its_claim) {
  auto id = add("once", "'RACETIME_OPEN_ROOM', 'ONE_TIME', NULL, NULL, " +
                            sql_quote(t0) + ", " + sql_quote(t0) + ", 1");
  auto c = claim_of(id, "node-a", t0, std::nullopt);
  c.deactivate = true;
  BOOST_TEST((repo.claim(c) == claim_outcome::claimed));
  BOOST_TEST(column(id, "is_active") == "0");
  BOOST_TEST(column(id, "next_run_at") == "NULL");
  // Still loaded while its run is in flight, so its result is recorded
  // (or, after a crash, its interruption).
  BOOST_TEST(repo.tasks_to_schedule().size() == 1u);
  BOOST_TEST(repo.finish({id, "node-a", t0 + 250ms, "succeeded", ""}));
  BOOST_TEST(repo.tasks_to_schedule().empty());
  BOOST_TEST((repo.claim(claim_of(id, "node-b", std::nullopt, std::nullopt)) ==
              claim_outcome::changed));
}

BOOST_AUTO_TEST_CASE(a_change_read_before_a_claim_keeps_what_the_claim_did) {
  // An API rename read the one-time task just before the scheduler claimed
  // it: the rename must not switch the task back on (it would run again).
  exec("INSERT INTO organizations (id, name) VALUES (1, 'Org')");
  auto id = add("once", "'RACETIME_OPEN_ROOM', 'ONE_TIME', NULL, NULL, " +
                            sql_quote(t0) + ", " + sql_quote(t0) + ", 1");
  exec("UPDATE scheduled_tasks SET organization_id = 1 WHERE id = " +
       std::to_string(id));
  auto read_task = [&] {
    auto conn = scratch.db().connection();
    return scheduled_task_repository::select_in(
               *conn, "id = " + std::to_string(id), "")
        .front();
  };
  auto read = read_task();
  auto c = claim_of(id, "node-a", t0, std::nullopt);
  c.deactivate = true;
  BOOST_REQUIRE((repo.claim(c) == claim_outcome::claimed));
  task_write w;
  w.task = read;
  w.read_as = read;
  w.task.name = "renamed";
  w.organization_id = 1;
  w.actor = "api-token:ops#1";
  auto written = api_task_repository{scratch.db()}.write(w);
  BOOST_REQUIRE(std::holds_alternative<task_record>(written));
  BOOST_TEST(column(id, "name") == "renamed");
  BOOST_TEST(column(id, "is_active") == "0");
  BOOST_TEST(column(id, "next_run_at") == "NULL");
  BOOST_TEST(column(id, "run_owner") == "node-a");
  BOOST_TEST(scalar("SELECT JSON_EXTRACT(details, '$.fields') FROM "
                    "audit_log WHERE action = 'task_updated'") == "[\"name\"]");
  // Switching it on again is a change the request makes itself.
  w.read_as = read_task();
  w.task = *w.read_as;
  w.task.is_active = true;
  written = api_task_repository{scratch.db()}.write(w);
  BOOST_REQUIRE(std::holds_alternative<task_record>(written));
  BOOST_TEST(column(id, "is_active") == "1");
  BOOST_TEST(column(id, "name") == "renamed");
}

BOOST_AUTO_TEST_CASE(missed_runs_coalesce_into_one_claim) {
  // Due ten minutes ago: ten runs were missed while nothing ran.
  auto id = add("poll", "'RACETIME_POLL_OPEN_ROOMS', 'INTERVAL', 60, NULL, "
                        "NULL, " +
                            sql_quote(t0 - 10min) + ", 1");
  auto row = repo.tasks_to_schedule().at(0);
  // The scheduler claims the oldest occurrence with a next_run_at after
  // now (task_timing, tested in actors_cron_schedule_test).
  auto now = t0 + 5s;
  task_claim c = claim_of(id, "node-a", row.next_run_at, t0 + 60s);
  c.started_at = now;
  BOOST_TEST((repo.claim(c) == claim_outcome::claimed));
  BOOST_TEST(repo.finish({id, "node-a", now, "succeeded", ""}));
  // None of the missed occurrences can be claimed any more.
  for (int k = 1; k <= 10; ++k)
    BOOST_TEST((repo.claim(claim_of(id, "node-a", t0 - 10min + k * 60s,
                                    t0 + 60s)) == claim_outcome::changed));
  BOOST_TEST(time_column(id, "next_run_at") == us(t0 + 60s));
}

BOOST_AUTO_TEST_CASE(a_first_schedule_is_written_once) {
  auto id = add("cron", "'RACETIME_POLL_OPEN_ROOMS', 'CRON', NULL, "
                        "'*/15 * * * *', NULL, NULL, 1");
  BOOST_TEST(repo.schedule({id, std::nullopt, t0 + 15min}));
  BOOST_TEST(!repo.schedule({id, std::nullopt, t0 + 30min}));
  BOOST_TEST(time_column(id, "next_run_at") == us(t0 + 15min));
  exec("UPDATE scheduled_tasks SET is_active = 0, next_run_at = NULL");
  BOOST_TEST(!repo.schedule({id, std::nullopt, t0 + 15min}));
  BOOST_TEST(column(id, "next_run_at") == "NULL");
}

BOOST_AUTO_TEST_CASE(an_invalid_schedule_is_recorded_with_its_reason) {
  auto id = add("bad", "'RACETIME_POLL_OPEN_ROOMS', 'CRON', NULL, "
                       "'61 * * * *', NULL, " +
                           sql_quote(t0) + ", 1");
  repo.record_invalid({id, "invalid schedule: cron '61 * * * *': minute 61 "
                           "is out of range 0-59"});
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") ==
             "invalid schedule: cron '61 * * * *': minute 61 is out of range "
             "0-59");
  BOOST_TEST(column(id, "next_run_at") == "NULL");
  BOOST_TEST(column(id, "is_active") == "1"); // runs again once fixed
  BOOST_TEST(column(id, "last_run_at") == "NULL");
}

BOOST_AUTO_TEST_SUITE_END()
