// The scheduler, driven deterministically by CAF's test coordinator: time
// moves only when the test advances it, and the wall clock the scheduler
// reads moves with it. Tasks live in a real MariaDB: the store stand-in
// serves the scheduler's requests with the real repository on the test's
// thread (the persistence pool would answer from its own threads), and
// the room supervisor stand-in answers, fails or holds each poll.

#define BOOST_TEST_MODULE actors_scheduler
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/persistence_actor.hpp"
#include "actors/scheduler.hpp"

#include "persistence/migration_set.hpp"
#include "persistence/scheduled_task_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

// The room supervisor must convert to what the scheduler uses of it.
[[maybe_unused]] room_poller_actor poller_of(room_supervisor_actor rooms) {
  return rooms;
}
[[maybe_unused]] task_store_actor store_of(persistence_actor db) {
  return db;
}

const timestamp t0{std::chrono::seconds{1796126820}}; // 2026-12-01 12:07 UTC

/// What the store stand-in does; `down` makes it answer like a database
/// that cannot be reached.
struct store_script {
  bool down = false;
  /// Claims are made, but their answers lost (the request timed out just
  /// as MariaDB committed).
  bool lose_claim_answers = false;
  /// Claims time out before MariaDB commits them; each commits right after
  /// the next load read the rows (so that load does not show it).
  bool commit_claims_late = false;
  std::optional<task_claim> late;
};

task_store_actor::behavior_type task_store(task_store_actor::pointer,
                                           odb::mysql::database* db,
                                           std::shared_ptr<store_script> s) {
  auto repo = [db] {
    return persistence::scheduled_task_repository{*db};
  };
  auto unavailable = [] {
    return make_error(ec::database_unavailable, "MariaDB is away (test)");
  };
  return {
      [=](atom::get, atom::tasks) -> caf::result<std::vector<task_record>> {
        if (s->down)
          return unavailable();
        auto rows = repo().tasks_to_schedule();
        if (auto c = std::exchange(s->late, std::nullopt))
          repo().claim(*c);
        return rows;
      },
      [=](atom::put, const task_schedule& x) -> caf::result<bool> {
        if (s->down)
          return unavailable();
        return repo().schedule(x);
      },
      [=](atom::put, const task_claim& x) -> caf::result<claim_outcome> {
        if (s->down)
          return unavailable();
        if (s->commit_claims_late) {
          s->late = x;
          return caf::make_error(caf::sec::request_timeout);
        }
        auto outcome = repo().claim(x);
        if (s->lose_claim_answers)
          return caf::make_error(caf::sec::request_timeout);
        return outcome;
      },
      [=](atom::put, const task_finish& x) -> caf::result<bool> {
        if (s->down)
          return unavailable();
        return repo().finish(x);
      },
      [=](atom::put, const task_invalid& x) -> caf::result<atom::ok> {
        if (s->down)
          return unavailable();
        repo().record_invalid(x);
        return atom::ok::value;
      },
  };
}

/// What the room supervisor stand-in does with a poll.
struct rooms_script {
  enum class mode { answer, fail, hold } how = mode::answer;
  int polls = 0;
  poll_summary summary{3, 2, 1, 0};
  std::vector<caf::typed_response_promise<poll_summary>> held;
  /// Runs when a poll arrives, before it is answered.
  std::function<void()> on_poll;
};

using release_atom = caf::atom_constant<caf::atom("t_release")>;

/// The stand-in, plus a message that answers the oldest held poll (a
/// promise is delivered from inside its actor, not from the test).
using test_rooms_actor =
    room_poller_actor::extend<caf::reacts_to<release_atom, poll_summary>>;

test_rooms_actor::behavior_type
rooms_stand_in(test_rooms_actor::pointer self,
               std::shared_ptr<rooms_script> s) {
  return {
      [=](release_atom, const poll_summary& answer) {
        BOOST_REQUIRE(!s->held.empty());
        auto rp = s->held.front();
        s->held.erase(s->held.begin());
        rp.deliver(answer);
      },
      [=](atom::poll) -> caf::result<poll_summary> {
        ++s->polls;
        if (s->on_poll)
          s->on_poll();
        switch (s->how) {
          case rooms_script::mode::fail:
            return make_error(ec::unspecified, "racetime.gg answered 503");
          case rooms_script::mode::hold: {
            auto rp = self->make_response_promise<poll_summary>();
            s->held.push_back(rp);
            return rp;
          }
          default:
            return s->summary;
        }
      },
  };
}

/// The room automation's side of RACETIME_OPEN_ROOM runs: counts passes
/// and the organizations they were for.
struct passes_script {
  std::vector<std::optional<std::int32_t>> organizations;
  std::vector<manual_open> manual;
};

open_pass_actor::behavior_type
passes_stand_in(open_pass_actor::pointer,
                std::shared_ptr<passes_script> script) {
  return {
      [script](atom::open, const open_pass& pass) {
        script->organizations.push_back(pass.organization_id);
        return open_pass_summary{2, 3, 1, 2, 0};
      },
      [script](atom::open, const manual_open& request) {
        script->manual.push_back(request);
        return room_answer{"alttpr/cool-doge-1234",
                           "https://racetime.gg/alttpr/cool-doge-1234", 2,
                           "Beat the game", false};
      },
  };
}

struct fixture {
  test::scratch_database scratch;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  caf::actor_clock::time_point start;
  std::shared_ptr<store_script> store_state = std::make_shared<store_script>();
  std::shared_ptr<rooms_script> rooms = std::make_shared<rooms_script>();
  task_store_actor store;
  test_rooms_actor poller;
  std::shared_ptr<passes_script> passes = std::make_shared<passes_script>();
  open_pass_actor tournaments;
  std::vector<scheduler_actor> schedulers;
  /// A step of the wall clock the schedulers read (set by a test).
  std::shared_ptr<caf::timespan> wall_step = std::make_shared<caf::timespan>(0);

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    start = sched->clock().now();
    store = sys->spawn(task_store, &scratch.db(), store_state);
    poller = sys->spawn(rooms_stand_in, rooms);
    tournaments = sys->spawn(passes_stand_in, passes);
  }

  ~fixture() {
    for (auto& s : schedulers)
      caf::anon_send_exit(s, caf::exit_reason::kill);
    caf::anon_send_exit(store, caf::exit_reason::kill);
    caf::anon_send_exit(poller, caf::exit_reason::kill);
    caf::anon_send_exit(tournaments, caf::exit_reason::kill);
    sched->run();
  }

  /// The wall clock the scheduler reads: t0 when the test starts, moved
  /// by advance().
  timestamp wall() const {
    return t0 + std::chrono::duration_cast<std::chrono::microseconds>(
                    sched->clock().now() - start + *wall_step);
  }

  scheduler_options options(const std::string& node) {
    scheduler_options o;
    o.node_name = node;
    o.reload_interval = 60s;
    o.run_timeout = 300s;
    o.stale_after = 360s;
    o.database_timeout = 60s;
    auto* coordinator = sched;
    auto begin = start;
    auto step = wall_step;
    o.clock = [coordinator, begin, step] {
      return t0 + std::chrono::duration_cast<std::chrono::microseconds>(
                      coordinator->clock().now() - begin + *step);
    };
    return o;
  }

  scheduler_actor start_scheduler(const std::string& node = "node-a",
                                  bool with_rooms = true) {
    auto s =
        sys->spawn(scheduler, store,
                   with_rooms ? room_poller_actor{poller} : room_poller_actor{},
                   with_rooms ? tournaments : open_pass_actor{}, options(node));
    schedulers.push_back(s);
    settle();
    return s;
  }

  /// Runs every message and every timer that is due now. A scheduler that
  /// keeps itself busy without time passing (a task run again and again)
  /// fails the test instead of hanging it.
  void settle() {
    constexpr std::size_t limit = 5000;
    std::size_t handled = 0;
    do {
      handled += sched->run(limit);
      BOOST_REQUIRE_MESSAGE(handled < limit,
                            "the actors never rest: a message loop");
    } while (sched->advance_time(caf::timespan{0}) > 0);
  }

  /// Moves time forward in steps, so every timer fires at its own time.
  void advance(caf::timespan d, caf::timespan step = 1s) {
    for (caf::timespan done{0}; done < d; done += step) {
      sched->advance_time(step);
      settle();
    }
  }

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(*conn, sql);
  }

  std::string column(std::int32_t id, const std::string& name) {
    auto conn = scratch.db().connection();
    return persistence::sql_scalar(*conn, "SELECT " + name +
                                              " FROM scheduled_tasks WHERE "
                                              "id = " +
                                              std::to_string(id))
        .value_or("NULL");
  }

  /// A DATETIME column as microseconds since the epoch, or "NULL".
  std::string time_of(std::int32_t id, const std::string& name) {
    return column(id, persistence::sql_epoch_us(name));
  }

  static std::string us(timestamp t) {
    return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                              t.time_since_epoch())
                              .count());
  }

  static std::string quote(std::optional<timestamp> t) {
    return t ? persistence::sql_quote(*t) : std::string{"NULL"};
  }

  std::int32_t add_task(const std::string& name, const std::string& type,
                        const std::string& schedule,
                        std::optional<int> interval,
                        std::optional<std::string> cron,
                        std::optional<timestamp> run_at,
                        std::optional<timestamp> next_run_at) {
    exec("INSERT INTO scheduled_tasks (name, task_type, schedule_type, "
         "interval_seconds, cron_expression, run_at, next_run_at) VALUES ('" +
         name + "', '" + type + "', '" + schedule + "', " +
         (interval ? std::to_string(*interval) : "NULL") + ", " +
         (cron ? "'" + *cron + "'" : std::string{"NULL"}) + ", " +
         quote(run_at) + ", " + quote(next_run_at) + ")");
    auto conn = scratch.db().connection();
    return std::stoi(
        *persistence::sql_scalar(*conn, "SELECT LAST_INSERT_ID()"));
  }

  std::int32_t poll_every(int seconds, std::optional<timestamp> next,
                          const std::string& name = "poll rooms") {
    return add_task(name, "RACETIME_POLL_OPEN_ROOMS", "INTERVAL", seconds,
                    std::nullopt, std::nullopt, next);
  }

  /// Asks `s` to run task `id` now; returns "ok" or the error.
  std::string run_now(const scheduler_actor& s, std::int32_t id) {
    auto out = std::make_shared<std::string>("no answer");
    sys->spawn([=](caf::event_based_actor* self) {
      self->request(s, caf::infinite, atom::run::value, id)
          .then(
              [=](atom::ok) {
                *out = "ok";
              },
              [=](caf::error& err) {
                *out = describe(err);
              });
    });
    settle();
    return *out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(scheduler_runs, fixture)

BOOST_AUTO_TEST_CASE(
    an_interval_task_runs_on_time_with_next_run_at_saved_first) {
  auto id = poll_every(60, t0 + 30s);
  std::string next_during_run, owner_during_run, status_during_run;
  rooms->on_poll = [&] {
    next_during_run = time_of(id, "next_run_at");
    owner_during_run = column(id, "run_owner");
    status_during_run = column(id, "last_run_status");
  };
  start_scheduler();
  advance(29s);
  BOOST_TEST(rooms->polls == 0);
  advance(1s);
  BOOST_TEST(rooms->polls == 1);
  // Before the poll was sent, the next run and the marker were saved.
  BOOST_TEST(next_during_run == us(t0 + 90s));
  BOOST_TEST(owner_during_run == "node-a");
  BOOST_TEST(status_during_run == "NULL");
  // After it answered, its result.
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(column(id, "last_run_error") == "NULL");
  BOOST_TEST(time_of(id, "last_run_at") == us(t0 + 30s));
  BOOST_TEST(column(id, "run_started_at") == "NULL");
  BOOST_TEST(column(id, "run_owner") == "NULL");
  advance(59s);
  BOOST_TEST(rooms->polls == 1);
  advance(1s);
  BOOST_TEST(rooms->polls == 2);
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 150s));
}

BOOST_AUTO_TEST_CASE(a_cron_task_is_scheduled_then_runs_at_its_times) {
  auto id =
      add_task("quarterly", "RACETIME_POLL_OPEN_ROOMS", "CRON", std::nullopt,
               std::string{"*/15 * * * *"}, std::nullopt, std::nullopt);
  start_scheduler();
  // 12:07 now: the first run is at 12:15, saved at once.
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 8min));
  BOOST_TEST(rooms->polls == 0);
  advance(8min);
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 23min));
  advance(15min);
  BOOST_TEST(rooms->polls == 2);
  BOOST_TEST(time_of(id, "last_run_at") == us(t0 + 23min));
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 38min));
}

BOOST_AUTO_TEST_CASE(a_wall_clock_step_forward_delays_a_run_a_minute_at_most) {
  add_task("poll later", "RACETIME_POLL_OPEN_ROOMS", "ONE_TIME", std::nullopt,
           std::nullopt, t0 + 2h, std::nullopt);
  start_scheduler();
  advance(10s);
  BOOST_TEST(rooms->polls == 0);
  // The wall clock steps two hours forward (NTP after a boot, a VM
  // restored): the task is due now, while its timer was set on the steady
  // clock two hours ahead.
  *wall_step = 2h;
  advance(61s);
  BOOST_TEST(rooms->polls == 1);
}

BOOST_AUTO_TEST_CASE(a_wall_clock_step_back_delays_a_run_a_period_at_most) {
  // The clock ran two hours fast when the task last ran (its next run was
  // planned from that), then NTP corrected it: the task runs within a
  // period and a reload, not two hours later.
  auto poll = poll_every(60, t0 + 1s);
  start_scheduler();
  advance(1s);
  BOOST_TEST(rooms->polls == 1);
  *wall_step = -2h;
  advance(3min);
  BOOST_TEST(rooms->polls >= 2);
  // Planned from the corrected clock: before t0 (same number of digits).
  BOOST_TEST(time_of(poll, "next_run_at") < us(t0));
}

BOOST_AUTO_TEST_CASE(a_cron_task_keeps_its_next_occurrence_after_a_step_back) {
  // The 12:15 occurrence ran; the clock then goes back an hour: 12:15
  // comes again on the wall clock, but the task waits for 12:30 (planned
  // from now it would run the 12:15 occurrence twice).
  auto id =
      add_task("quarterly", "RACETIME_POLL_OPEN_ROOMS", "CRON", std::nullopt,
               std::string{"*/15 * * * *"}, std::nullopt, std::nullopt);
  start_scheduler();
  advance(8min);
  BOOST_TEST(rooms->polls == 1);
  *wall_step = -1h;
  advance(3min);
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 23min));
  BOOST_TEST(rooms->polls == 1);
}

BOOST_AUTO_TEST_CASE(a_one_time_task_runs_once_and_deactivates_itself) {
  auto id = add_task("open the final", "RACETIME_OPEN_ROOM", "ONE_TIME",
                     std::nullopt, std::nullopt, t0 + 10s, std::nullopt);
  auto poll = add_task("poll once", "RACETIME_POLL_OPEN_ROOMS", "ONE_TIME",
                       std::nullopt, std::nullopt, t0 + 20s, std::nullopt);
  auto s = start_scheduler();
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 10s));
  BOOST_TEST(column(id, "is_active") == "1");
  advance(10s);
  BOOST_TEST(column(id, "is_active") == "0");
  BOOST_TEST(column(id, "next_run_at") == "NULL");
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(column(id, "last_run_error") == "NULL");
  BOOST_TEST(passes->organizations.size() == 1u);
  BOOST_TEST(time_of(id, "last_run_at") == us(t0 + 10s));
  advance(10min);
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(column(poll, "is_active") == "0");
  BOOST_TEST(column(poll, "last_run_status") == "succeeded");
  BOOST_TEST(time_of(id, "last_run_at") == us(t0 + 10s));
  BOOST_TEST(run_now(s, id) == "not_found: no active scheduled task has id " +
                                   std::to_string(id));
}

BOOST_AUTO_TEST_CASE(a_claim_whose_answer_was_lost_runs_at_the_next_load) {
  // MariaDB took the claim of a one-time task (switched off, its run marker
  // set) but the answer timed out: the next load shows the marker as this
  // node's own claim, and the run happens then, not recorded as
  // interrupted (the task would never run).
  auto id = add_task("poll once", "RACETIME_POLL_OPEN_ROOMS", "ONE_TIME",
                     std::nullopt, std::nullopt, t0 + 10s, std::nullopt);
  store_state->lose_claim_answers = true;
  start_scheduler();
  advance(10s);
  BOOST_TEST(rooms->polls == 0);
  BOOST_TEST(column(id, "is_active") == "0");
  BOOST_TEST(column(id, "run_owner") == "node-a");
  store_state->lose_claim_answers = false;
  advance(60s); // the next reload
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(column(id, "run_owner") == "NULL");
  advance(10min);
  BOOST_TEST(rooms->polls == 1);
}

BOOST_AUTO_TEST_CASE(a_claim_that_commits_after_a_load_read_the_row_runs) {
  // The lost claim commits only after the next load read the rows: that
  // load shows no marker, the one after does. The claim is kept until then.
  auto id = add_task("poll once", "RACETIME_POLL_OPEN_ROOMS", "ONE_TIME",
                     std::nullopt, std::nullopt, t0 + 10s, std::nullopt);
  store_state->commit_claims_late = true;
  start_scheduler();
  advance(10s);
  store_state->commit_claims_late = false;
  BOOST_TEST(column(id, "run_owner") == "NULL"); // not committed yet
  advance(2min);
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(column(id, "is_active") == "0");
}

BOOST_AUTO_TEST_CASE(a_failed_run_advances_next_run_at_and_is_not_retried) {
  rooms->how = rooms_script::mode::fail;
  auto id = poll_every(60, t0 + 1s);
  start_scheduler();
  advance(1s);
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") ==
             "the room supervisor failed: unspecified: racetime.gg answered "
             "503");
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 61s));
  // Not every tick, not every reload: only at its next time.
  advance(59s);
  BOOST_TEST(rooms->polls == 1);
  advance(1s);
  BOOST_TEST(rooms->polls == 2);
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 121s));
}

BOOST_AUTO_TEST_CASE(a_run_that_never_answers_times_out_as_failed) {
  rooms->how = rooms_script::mode::hold;
  auto id = poll_every(600, t0 + 1s);
  start_scheduler();
  advance(1s);
  BOOST_TEST(rooms->polls == 1);
  advance(299s);
  BOOST_TEST(column(id, "run_owner") == "node-a");
  BOOST_TEST(column(id, "last_run_status") == "NULL");
  advance(1s);
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") ==
             "the room supervisor did not answer within 300 s");
  BOOST_TEST(column(id, "run_owner") == "NULL");
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 601s));
  BOOST_TEST(rooms->polls == 1);
}

BOOST_AUTO_TEST_CASE(each_task_type_records_what_it_did) {
  auto custom = add_task("custom", "CUSTOM", "INTERVAL", 60, std::nullopt,
                         std::nullopt, t0 + 1s);
  auto open = add_task("open", "RACETIME_OPEN_ROOM", "INTERVAL", 60,
                       std::nullopt, std::nullopt, t0 + 1s);
  rooms->summary = {5, 2, 2, 1};
  auto poll = poll_every(60, t0 + 1s);
  start_scheduler();
  advance(1s);
  BOOST_TEST(column(custom, "last_run_status") == "failed");
  BOOST_TEST(column(custom, "last_run_error") ==
             "racecontrol has no handler for task type CUSTOM");
  BOOST_TEST(time_of(custom, "next_run_at") == us(t0 + 61s));
  BOOST_TEST(column(open, "last_run_status") == "succeeded");
  BOOST_TEST(passes->organizations ==
             std::vector<std::optional<std::int32_t>>{std::nullopt});
  // A poll that could not start every watcher says so.
  BOOST_TEST(column(poll, "last_run_status") == "failed");
  BOOST_TEST(column(poll, "last_run_error") ==
             "the poll could not start every watcher: 5 room(s) to watch, 2 "
             "watched already, 2 started, 1 failed");
}

BOOST_AUTO_TEST_CASE(an_open_task_naming_a_match_opens_that_room) {
  auto id = add_task("open match 12", "RACETIME_OPEN_ROOM", "ONE_TIME",
                     std::nullopt, std::nullopt, t0 + 1s, std::nullopt);
  exec("UPDATE scheduled_tasks SET config = '{\"match_id\": 12, "
       "\"goal\": \"All dungeons\", \"invitational\": false}' WHERE id "
       "= " +
       std::to_string(id));
  auto broken = add_task("broken", "RACETIME_OPEN_ROOM", "ONE_TIME",
                         std::nullopt, std::nullopt, t0 + 1s, std::nullopt);
  exec("UPDATE scheduled_tasks SET config = '{\"match_id\": \"twelve\"}' "
       "WHERE id = " +
       std::to_string(broken));
  start_scheduler();
  advance(1s);
  BOOST_REQUIRE(passes->manual.size() == 1u);
  BOOST_TEST(passes->manual[0].match_id == 12);
  BOOST_TEST(passes->manual[0].goal.value_or("") == "All dungeons");
  BOOST_TEST(passes->manual[0].invitational.value_or(true) == false);
  BOOST_TEST(passes->manual[0].requested_by ==
             "scheduled task " + std::to_string(id) + " 'open match 12'");
  BOOST_TEST(passes->organizations.empty());
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(column(broken, "last_run_status") == "failed");
  BOOST_TEST(
      column(broken, "last_run_error").find("its config cannot be read: ") ==
      0u);
}

BOOST_AUTO_TEST_CASE(without_a_room_supervisor_a_poll_fails_with_the_reason) {
  auto id = poll_every(60, t0 + 1s);
  start_scheduler("node-a", false);
  advance(1s);
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") == "no room supervisor on this node");
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 61s));
  BOOST_TEST(rooms->polls == 0);
}

BOOST_AUTO_TEST_CASE(a_slow_run_delays_no_other_task_and_never_runs_twice) {
  rooms->how = rooms_script::mode::hold;
  auto slow = poll_every(60, t0 + 1s, "slow poll");
  auto quick = add_task("quick", "RACETIME_OPEN_ROOM", "INTERVAL", 60,
                        std::nullopt, std::nullopt, t0 + 1s);
  start_scheduler();
  advance(1s);
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(time_of(quick, "last_run_at") == us(t0 + 1s));
  advance(60s);
  BOOST_TEST(time_of(quick, "last_run_at") == us(t0 + 61s));
  advance(90s); // t0 + 151 s: the slow one's next time passed long ago
  BOOST_TEST(time_of(quick, "last_run_at") == us(t0 + 121s));
  BOOST_TEST(rooms->polls == 1); // not picked up a second time
  BOOST_TEST(column(slow, "run_owner") == "node-a");
  // It answers: its result is recorded, and its missed time gives one
  // run at once.
  rooms->how = rooms_script::mode::answer;
  caf::anon_send(poller, release_atom::value, poll_summary{1, 1, 0, 0});
  settle();
  BOOST_TEST(rooms->polls == 2);
  BOOST_TEST(column(slow, "last_run_status") == "succeeded");
  BOOST_TEST(time_of(slow, "last_run_at") == us(t0 + 151s));
  BOOST_TEST(time_of(slow, "next_run_at") == us(t0 + 181s));
}

BOOST_AUTO_TEST_CASE(runs_missed_while_down_coalesce_into_one_at_start) {
  auto interval = poll_every(60, t0 - 10min);
  auto hourly =
      add_task("hourly", "RACETIME_POLL_OPEN_ROOMS", "CRON", std::nullopt,
               std::string{"0 * * * *"}, std::nullopt, t0 - 3h - 7min);
  start_scheduler();
  BOOST_TEST(rooms->polls == 2); // one each, not 10 + 3
  BOOST_TEST(time_of(interval, "last_run_at") == us(t0));
  BOOST_TEST(time_of(interval, "next_run_at") == us(t0 + 60s));
  BOOST_TEST(time_of(hourly, "next_run_at") == us(t0 + 53min));
  advance(59s);
  BOOST_TEST(rooms->polls == 2);
  advance(1s);
  BOOST_TEST(rooms->polls == 3);
}

BOOST_AUTO_TEST_CASE(an_invalid_schedule_is_recorded_once_and_runs_once_fixed) {
  auto id =
      add_task("bad cron", "RACETIME_POLL_OPEN_ROOMS", "CRON", std::nullopt,
               std::string{"61 * * * *"}, std::nullopt, t0 + 10s);
  auto s = start_scheduler();
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") ==
             "invalid schedule: cron '61 * * * *': minute 61 is out of range "
             "0-59");
  BOOST_TEST(column(id, "next_run_at") == "NULL");
  auto written = time_of(id, "updated_at");
  advance(5min); // five reloads
  BOOST_TEST(time_of(id, "updated_at") == written);
  BOOST_TEST(rooms->polls == 0);
  // Fixed in the database: scheduled at the next reload (asked for here).
  exec("UPDATE scheduled_tasks SET cron_expression = '*/5 * * * *'");
  caf::anon_send(s, atom::reload::value);
  settle();
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 8min)); // 12:15
  advance(3min);
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
}

BOOST_AUTO_TEST_CASE(a_crash_mid_run_does_not_rerun_the_task_at_once) {
  rooms->how = rooms_script::mode::hold;
  auto id = poll_every(600, t0 + 1s);
  auto first = start_scheduler();
  advance(1s);
  BOOST_REQUIRE(rooms->polls == 1);
  // Killed while the poll is in flight: no chance to record anything.
  caf::anon_send_exit(first, caf::exit_reason::kill);
  settle();
  BOOST_TEST(column(id, "run_owner") == "node-a");
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 601s));
  advance(5s);
  // The node starts a new scheduler on the same database.
  start_scheduler();
  BOOST_TEST(rooms->polls == 1); // not run again
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") ==
             "interrupted: the run started at 2026-12-01T12:07:01Z on node "
             "node-a never reported its end (its daemon stopped during the "
             "run); not run again before its next time");
  BOOST_TEST(time_of(id, "last_run_at") == us(t0 + 1s));
  BOOST_TEST(column(id, "run_owner") == "NULL");
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 601s));
  // The dead scheduler's poll answers late: nobody records it.
  caf::anon_send(poller, release_atom::value, poll_summary{});
  settle();
  BOOST_TEST(column(id, "last_run_status") == "failed");
  advance(594s);
  BOOST_TEST(rooms->polls == 1);
  advance(1s); // its next time
  BOOST_TEST(rooms->polls == 2);
}

BOOST_AUTO_TEST_CASE(an_orderly_stop_records_the_run_as_interrupted) {
  rooms->how = rooms_script::mode::hold;
  auto id = poll_every(600, t0 + 1s);
  auto s = start_scheduler();
  advance(1s);
  caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  settle();
  BOOST_TEST(column(id, "last_run_status") == "failed");
  BOOST_TEST(column(id, "last_run_error") ==
             "interrupted: racecontrold stopped during the run; not run "
             "again before its next time");
  BOOST_TEST(column(id, "run_owner") == "NULL");
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 601s));
}

BOOST_AUTO_TEST_CASE(another_nodes_run_is_left_alone_until_it_is_stale) {
  auto id = poll_every(600, t0 - 5min);
  exec("UPDATE scheduled_tasks SET next_run_at = " + quote(t0 + 1s) +
       ", run_started_at = " + quote(t0 - 1min) + ", run_owner = 'node-b'");
  start_scheduler("node-a");
  advance(4min);
  BOOST_TEST(rooms->polls == 0);
  BOOST_TEST(column(id, "run_owner") == "node-b");
  BOOST_TEST(column(id, "last_run_status") == "NULL");
  // Six minutes after it started, a run of node-b cannot still be
  // running; the next reload records it, and the due run follows.
  advance(2min);
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(time_of(id, "last_run_at") == us(t0 + 6min));
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 601s));
}

BOOST_AUTO_TEST_CASE(two_schedulers_on_one_database_run_each_time_once) {
  auto id = poll_every(60, t0 + 1s);
  start_scheduler("node-a");
  start_scheduler("node-b");
  advance(10min);
  BOOST_TEST(rooms->polls == 10);
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 601s));
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
}

BOOST_AUTO_TEST_CASE(run_now_runs_outside_the_schedule) {
  auto id = poll_every(3600, t0 + 1h);
  auto s = start_scheduler();
  BOOST_TEST(run_now(s, id) == "ok");
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(time_of(id, "last_run_at") == us(t0));
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 1h)); // unchanged
  BOOST_TEST(run_now(s, 999) ==
             "not_found: no active scheduled task has id 999");
  rooms->how = rooms_script::mode::hold;
  BOOST_TEST(run_now(s, id) == "ok");
  BOOST_TEST(run_now(s, id) == "unspecified: task " + std::to_string(id) +
                                   " 'poll rooms' is running already");
  BOOST_TEST(rooms->polls == 2);
}

BOOST_AUTO_TEST_CASE(tasks_added_or_deactivated_in_the_database_take_effect) {
  auto s = start_scheduler();
  auto id = poll_every(120, std::nullopt);
  advance(59s);
  BOOST_TEST(rooms->polls == 0);
  advance(1s); // the periodic reload: first run at once
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(time_of(id, "next_run_at") == us(t0 + 180s));
  exec("UPDATE scheduled_tasks SET is_active = 0");
  caf::anon_send(s, atom::reload::value);
  settle();
  advance(10min);
  BOOST_TEST(rooms->polls == 1);
  BOOST_TEST(run_now(s, id).find("not_found") == 0u);
}

BOOST_AUTO_TEST_CASE(a_result_the_database_refused_is_saved_at_the_next_load) {
  rooms->how = rooms_script::mode::hold;
  auto id = poll_every(600, t0 + 1s);
  start_scheduler();
  advance(1s);
  store_state->down = true;
  caf::anon_send(poller, release_atom::value, poll_summary{1, 1, 0, 0});
  settle();
  BOOST_TEST(column(id, "run_owner") == "node-a"); // not written yet
  store_state->down = false;
  advance(59s); // the next reload
  BOOST_TEST(column(id, "last_run_status") == "succeeded");
  BOOST_TEST(time_of(id, "last_run_at") == us(t0 + 1s));
  BOOST_TEST(column(id, "run_owner") == "NULL");
  BOOST_TEST(rooms->polls == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// The same scheduler on real threads with the real persistence pool, as
// racecontrold wires it: every task request goes through the
// persistence actor's workers.
namespace {

struct pool_fixture {
  test::scratch_database scratch;
  persistence::migration_set migrations =
      persistence::migration_set::embedded();
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  pool_fixture() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  std::string column(std::int32_t id, const std::string& name) {
    auto conn = scratch.db().connection();
    return persistence::sql_scalar(*conn, "SELECT " + name +
                                              " FROM scheduled_tasks WHERE "
                                              "id = " +
                                              std::to_string(id))
        .value_or("NULL");
  }

  std::int32_t add(const std::string& values) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(
        *conn, "INSERT INTO scheduled_tasks (name, task_type, schedule_type, "
               "interval_seconds, run_at, next_run_at) VALUES (" +
                   values + ")");
    return std::stoi(
        *persistence::sql_scalar(*conn, "SELECT LAST_INSERT_ID()"));
  }

  /// Waits until `name` of task `id` reads `want`; false after 10 s.
  bool await_column(std::int32_t id, const std::string& name,
                    const std::string& want) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (column(id, name) == want)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(scheduler_with_the_persistence_pool, pool_fixture)

BOOST_AUTO_TEST_CASE(runs_are_claimed_and_recorded_through_the_pool) {
  auto now = persistence::sql_quote(now_us() - 1min);
  auto poll = add("'poll', 'RACETIME_POLL_OPEN_ROOMS', 'INTERVAL', 3600, "
                  "NULL, " +
                  now);
  auto once =
      add("'open', 'RACETIME_OPEN_ROOM', 'ONE_TIME', NULL, " + now + ", NULL");
  auto db = sys->spawn(
      persistence_behavior,
      persistence_options{scratch.shared(), &migrations, 2, 10000ms});
  scheduler_options o;
  o.node_name = "node-a";
  auto s = sys->spawn(scheduler, task_store_actor{db}, room_poller_actor{},
                      open_pass_actor{}, o);
  std::shared_ptr<void> stop(nullptr, [&](void*) {
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(db, caf::exit_reason::user_shutdown);
  });
  BOOST_TEST(
      await_column(poll, "last_run_error", "no room supervisor on this node"));
  BOOST_TEST(column(poll, "last_run_status") == "failed");
  BOOST_TEST(column(poll, "run_owner") == "NULL");
  BOOST_TEST(
      await_column(once, "last_run_error", "no room automation on this node"));
  BOOST_TEST(column(once, "last_run_status") == "failed");
  BOOST_TEST(column(once, "is_active") == "0");
  // Asked to run now: next_run_at stays.
  auto next = column(poll, "next_run_at");
  caf::scoped_actor self{*sys};
  self->request(s, 10s, atom::run::value, poll)
      .receive([](atom::ok) {},
               [](caf::error& err) {
                 BOOST_FAIL(describe(err));
               });
  BOOST_TEST(await_column(poll, "run_owner", "NULL"));
  BOOST_TEST(column(poll, "next_run_at") == next);
}

BOOST_AUTO_TEST_SUITE_END()
