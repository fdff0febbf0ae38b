// A bot opens rooms and lists its category's races: the bot supervisor and
// its bot actor with a real persistence pool on a scratch MariaDB database,
// against racetime-sim in-process over real sockets. Each outcome of a
// startrace comes from the simulator's own answers or its faults; the
// simulator's log and counters show how many requests went out.

#define BOOST_TEST_MODULE actors_bot_start
#include <boost/test/unit_test.hpp>

#include "actors/bot_supervisor.hpp"
#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/persistence_actor.hpp"
#include "actors/start_outcome.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/sql.hpp"
#include "protocol/io_runtime.hpp"
#include "protocol/json.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/scratch_database.hpp"
#include "tests/support/sim_harness.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using kind = start_race_outcome::kind;

namespace {

/// Every bot state a subscriber heard, in order.
struct heard_states {
  std::mutex mtx;
  std::vector<std::string> statuses;

  std::vector<std::string> copy() {
    std::lock_guard<std::mutex> g{mtx};
    return statuses;
  }
};

bot_state_subscriber_actor::behavior_type
recorder(std::shared_ptr<heard_states> heard) {
  return {
      [heard](atom::state, const bot_info& info) {
        std::lock_guard<std::mutex> g{heard->mtx};
        heard->statuses.push_back(info.status);
      },
  };
}

/// The error of `x`, or "" when it holds a value (a message is built even
/// when its check passes).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : describe(x.error());
}

race_settings settings_with(const std::string& marker) {
  race_settings s;
  s.goal = "Beat the game";
  s.invitational = true;
  s.info_user = "Spring Cup - Match 1 - Scheduled: 2027-01-01 18:00 UTC";
  s.info_bot = marker;
  s.start_delay = 30;
  s.time_limit = 6;
  s.chat_message_delay = 5;
  return s;
}

struct fixture {
  test::scratch_database scratch;
  persistence::migration_set migrations =
      persistence::migration_set::embedded();
  test::sim_harness sim;
  // Made before the actor system and gone after it: no callback runs into
  // a destroyed client.
  std::unique_ptr<protocol::io_runtime> io;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  persistence_actor db;
  bot_supervisor_actor sup;

  fixture() {
    sim.seed_defaults();
    sim.start();
    protocol::io_runtime_options o;
    o.racetime = sim.base();
    io = std::make_unique<protocol::io_runtime>(o);
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    execute("INSERT INTO racetime_bots (id, category, name, client_id, "
            "client_secret) VALUES (1, 'alttpr', 'TestBot', 'bot-client', "
            "'bot-secret')");
    db = sys->spawn(
        persistence_behavior,
        persistence_options{scratch.shared(), &migrations, 2, 10000ms});
  }

  ~fixture() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(db, caf::exit_reason::user_shutdown);
    sys.reset(); // waits for every actor
  }

  void execute(const std::string& sql) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return persistence::sql_scalar(*conn, sql).value_or("NULL");
  }

  void start_supervisor(std::chrono::milliseconds category_refresh = 10min) {
    bot_supervisor_options o;
    o.bot.category_refresh = category_refresh;
    o.bot.retry = {10ms, 100ms};
    o.bot.startrace_timeout = 3s;
    sup = sys->spawn(bot_supervisor, db, io.get(), o);
  }

  template <class Predicate>
  bool wait_until(Predicate p, std::chrono::milliseconds limit = 20s) {
    return test::eventually(p, limit);
  }

  bot_info bot_status(std::int32_t id = 1) {
    caf::scoped_actor self{*sys};
    bot_info out;
    self->request(sup, 10s, atom::status::value)
        .receive(
            [&](std::vector<bot_info>& bots) {
              for (auto& b : bots)
                if (b.bot_id == id)
                  out = b;
            },
            [&](caf::error& err) {
              BOOST_FAIL("status: " << describe(err));
            });
    return out;
  }

  /// The supervisor with bot 1 connected (its token and goals read).
  void connected(std::chrono::milliseconds category_refresh = 10min) {
    start_supervisor(category_refresh);
    BOOST_REQUIRE_MESSAGE(wait_until([&] {
                            return bot_status().status == "connected";
                          }),
                          "the bot did not connect: " << bot_status().status
                                                      << " "
                                                      << bot_status().message);
  }

  caf::expected<start_race_outcome> start(const race_settings& s,
                                          const std::string& marker,
                                          std::int32_t bot_id = 1) {
    caf::scoped_actor self{*sys};
    caf::expected<start_race_outcome> out{caf::error{}};
    self->request(sup, 30s, atom::start::value,
                  start_race_request{bot_id, s, marker})
        .receive(
            [&](start_race_outcome& o) {
              out = std::move(o);
            },
            [&](caf::error& err) {
              out = std::move(err);
            });
    return out;
  }

  start_race_outcome started(const race_settings& s,
                             const std::string& marker) {
    auto out = start(s, marker);
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(out), "start: " << why(out));
    return *out;
  }

  caf::expected<category_races> races(std::int32_t bot_id = 1) {
    caf::scoped_actor self{*sys};
    caf::expected<category_races> out{caf::error{}};
    self->request(sup, 30s, atom::fetch::value, atom::races::value, bot_id)
        .receive(
            [&](category_races& r) {
              out = std::move(r);
            },
            [&](caf::error& err) {
              out = std::move(err);
            });
    return out;
  }

  rapidjson::Document control_json(const std::string& path) {
    auto res = sim.control_get(path);
    BOOST_REQUIRE_EQUAL(res.status, 200u);
    return protocol::parse_json(res.body, 64 * 1024 * 1024);
  }

  /// startrace requests the simulator served (faulted ones are not in its
  /// log; faults_served() counts those).
  int startrace_records() {
    return static_cast<int>(control_json("/log?kind=startrace").Size());
  }
  int token_records() {
    return static_cast<int>(control_json("/log?kind=token").Size());
  }
  int faults_served() {
    return control_json("/stats")["faults_served"].GetInt();
  }
  int rooms() { return static_cast<int>(control_json("/races").Size()); }

  void fault(const std::string& json) {
    BOOST_REQUIRE_EQUAL(sim.control_post("/faults", json).status, 200u);
  }

  /// The room's race document as the simulator holds it.
  rapidjson::Document room(const std::string& race_name) {
    auto slug = race_name.substr(race_name.find('/') + 1);
    return control_json("/races/" + slug);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(bot_start, fixture)

BOOST_AUTO_TEST_CASE(a_room_is_created_with_the_settings_sent) {
  connected();
  auto before = rooms();
  auto out = started(settings_with("rc-match-1"), "rc-match-1");
  BOOST_TEST((out.what == kind::created), out.message);
  BOOST_TEST(out.race_name.rfind("alttpr/", 0) == 0u, out.race_name);
  BOOST_TEST(rooms() == before + 1);
  auto log = control_json("/log?kind=startrace");
  BOOST_REQUIRE_EQUAL(log.Size(), 1u);
  const auto& fields = log[0]["detail"]["fields"];
  BOOST_TEST(std::string{fields["goal"].GetString()} == "Beat the game");
  BOOST_TEST(std::string{fields["invitational"].GetString()} == "true");
  BOOST_TEST(std::string{fields["info_bot"].GetString()} == "rc-match-1");
  BOOST_TEST(std::string{fields["start_delay"].GetString()} == "30");
  BOOST_TEST(std::string{fields["time_limit"].GetString()} == "6");
  BOOST_TEST(std::string{fields["chat_message_delay"].GetString()} == "5");
  BOOST_TEST(log[0]["detail"]["status"].GetInt() == 201);
  auto doc = room(out.race_name);
  const auto& race = doc["race"];
  BOOST_TEST(std::string{race["name"].GetString()} == out.race_name);
  BOOST_TEST(std::string{race["info_bot"].GetString()} == "rc-match-1");
  BOOST_TEST(std::string{race["status"]["value"].GetString()} ==
             "invitational");
  BOOST_TEST(std::string{race["opened_by_bot"].GetString()} == "TestBot");
}

BOOST_AUTO_TEST_CASE(racetime_gg_refusing_the_form_is_refused_with_its_words) {
  connected();
  auto before = rooms();
  // racetime.gg strips the goal: blank is no goal at all (422, __all__).
  auto s = settings_with("rc-match-2");
  s.goal = "   ";
  auto out = started(s, "rc-match-2");
  BOOST_TEST((out.what == kind::refused), out.message);
  BOOST_TEST(
      out.field_errors ==
          std::vector<std::string>{"You need to set a goal for this race."},
      boost::test_tools::per_element());
  BOOST_TEST(contains(out.message, "HTTP 422"), out.message);
  BOOST_TEST(startrace_records() == 1); // sent once, not again
  BOOST_TEST(rooms() == before);
}

BOOST_AUTO_TEST_CASE(settings_out_of_range_are_refused_before_sending) {
  connected();
  auto s = settings_with("rc-match-3");
  s.start_delay = 5;
  auto out = started(s, "rc-match-3");
  BOOST_TEST((out.what == kind::refused), out.message);
  BOOST_REQUIRE_EQUAL(out.field_errors.size(), 1u);
  BOOST_TEST(contains(out.field_errors[0], "start_delay"), out.field_errors[0]);
  BOOST_TEST(contains(out.message, "refused before sending"), out.message);
  BOOST_TEST(startrace_records() == 0);
}

BOOST_AUTO_TEST_CASE(a_lost_answer_is_unknown_and_the_room_is_listed) {
  connected();
  auto before = rooms();
  // The simulator creates the room, then drops the connection unanswered.
  fault(R"({"path_prefix": "/o/alttpr/startrace", "drop_connection": true})");
  auto out = started(settings_with("rc-match-4"), "rc-match-4");
  BOOST_TEST((out.what == kind::unknown), out.message);
  BOOST_TEST(out.race_name.empty());
  BOOST_TEST(contains(out.message, "may exist"), out.message);
  BOOST_TEST(rooms() == before + 1); // made once, not tried again
  BOOST_TEST(startrace_records() == 1);
  // The opener finds it by its marker in the category's races.
  auto listed = races();
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(listed), "races: " << why(listed));
  auto found = std::find_if(listed->races.begin(), listed->races.end(),
                            [](const race_listing& r) {
                              return contains(r.info, "rc-match-4");
                            });
  BOOST_REQUIRE(found != listed->races.end());
  BOOST_TEST(found->name.rfind("alttpr/", 0) == 0u);
  BOOST_TEST(found->status == "invitational");
  BOOST_TEST(found->opened_at.has_value());
  // info is info_user and info_bot, as racetime.gg joins them.
  BOOST_TEST(contains(found->info, "Spring Cup - Match 1"), found->info);
}

/// Sends a startrace that racetime.gg creates but answers only after 5 s,
/// and ends the supervisor (`how`) once the room exists. The opener waits
/// for startrace without a timer: a bot that ends with the request sent
/// must answer it, and not as "nothing was sent".
void check_stop_before_the_answer(fixture& f, caf::exit_reason how) {
  f.connected();
  auto before = f.rooms();
  f.fault(R"({"path_prefix": "/o/alttpr/startrace", "serve_first": true,
              "delay_ms": 5000})");
  caf::scoped_actor self{*f.sys};
  auto asked = std::chrono::steady_clock::now();
  auto pending =
      self->request(f.sup, 30s, atom::start::value,
                    start_race_request{1, settings_with("rc-m-9"), "rc-m-9"});
  BOOST_REQUIRE(f.wait_until(
      [&] {
        return f.rooms() == before + 1;
      },
      2s));
  caf::anon_send_exit(f.sup, how);
  std::optional<start_race_outcome> out;
  pending.receive(
      [&](start_race_outcome& o) {
        out = std::move(o);
      },
      [&](caf::error& err) {
        BOOST_FAIL("start: " << describe(err));
      });
  BOOST_REQUIRE(out.has_value());
  BOOST_TEST((out->what == kind::unknown), out->message);
  BOOST_TEST(contains(out->message, "stopped before racetime.gg answered"),
             out->message);
  // Answered when the bot ended, not when its request timed out (3 s).
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - asked);
  BOOST_TEST(took.count() < 2500, took.count() << " ms");
}

BOOST_AUTO_TEST_CASE(a_bot_that_stops_before_the_answer_says_it_may_exist) {
  check_stop_before_the_answer(*this, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_killed_supervisor_takes_its_bots_with_it) {
  // A kill skips the supervisor's orderly stop, as a defect would; its bot
  // must end all the same, not go on beside its restarted successor's.
  check_stop_before_the_answer(*this, caf::exit_reason::kill);
}

BOOST_AUTO_TEST_CASE(a_server_error_is_unknown) {
  connected();
  auto before = rooms();
  fault(R"({"path_prefix": "/o/alttpr/startrace", "status": 503})");
  auto out = started(settings_with("rc-match-5"), "rc-match-5");
  BOOST_TEST((out.what == kind::unknown), out.message);
  BOOST_TEST(contains(out.message, "HTTP 503"), out.message);
  BOOST_TEST(faults_served() == 1);
  BOOST_TEST(rooms() == before); // this fault made none; the bot cannot know
}

BOOST_AUTO_TEST_CASE(a_429_is_rate_limited_with_the_wait_in_ms) {
  connected();
  fault(R"({"path_prefix": "/o/alttpr/startrace", "status": 429,
            "retry_after": 7})");
  auto out = started(settings_with("rc-match-6"), "rc-match-6");
  BOOST_TEST((out.what == kind::rate_limited), out.message);
  BOOST_TEST(out.retry_after_ms == 7000);
  BOOST_TEST(faults_served() == 1);
  BOOST_TEST(startrace_records() == 0);
}

BOOST_AUTO_TEST_CASE(a_403_renews_the_token_and_tries_once_more) {
  connected();
  auto tokens = token_records();
  auto before = rooms();
  fault(R"({"path_prefix": "/o/alttpr/startrace", "status": 403})");
  auto out = started(settings_with("rc-match-7"), "rc-match-7");
  BOOST_TEST((out.what == kind::created), out.message);
  // Two startrace requests: the refused one and the one that made the room.
  BOOST_TEST(faults_served() == 1);
  BOOST_TEST(startrace_records() == 1);
  BOOST_TEST(rooms() == before + 1);
  BOOST_TEST(token_records() == tokens + 1); // renewed in between
  BOOST_TEST(bot_status().status == "connected");
}

BOOST_AUTO_TEST_CASE(a_category_read_refused_with_every_token_backs_off) {
  // A proxy answering 403 on the category's data (or a bot row of another
  // category): each refusal renews the token, and each new token used to
  // read the data again at once, at the speed of the round trips.
  fault(R"({"path_prefix": "/o/alttpr/data", "status": 403,
            "count": 100000})");
  auto tokens = token_records();
  start_supervisor();
  std::this_thread::sleep_for(2s);
  auto reads = faults_served();
  auto renewals = token_records() - tokens;
  // The failed read's retry paces them (10 ms doubling to 100 ms here):
  // about 20 reads in two seconds, a renewal for each at most.
  BOOST_TEST(reads >= 5, reads << " reads");
  BOOST_TEST(reads <= 40, reads << " reads");
  BOOST_TEST(renewals <= reads + 1, renewals << " renewals");
  BOOST_TEST(bot_status().status == "connection_error");
}

BOOST_AUTO_TEST_CASE(a_bot_whose_token_comes_back_shows_connected_at_once) {
  // Connected, its next category read ten minutes away. A startrace is
  // refused (403) and the renewal meets a failing token endpoint: the bot
  // shows connection_error. When the token comes, it reads its category at
  // once and shows connected again (rooms are opened only by a connected
  // bot), not at the next ten-minute read.
  connected();
  fault(R"({"path_prefix": "/o/token", "status": 503, "count": 2})");
  fault(R"({"path_prefix": "/o/alttpr/startrace", "status": 403})");
  // Sent again or not_sent, as the renewal's timing falls.
  started(settings_with("rc-match-9"), "rc-match-9");
  BOOST_TEST(wait_until([&] {
    return faults_served() == 3; // the 403 and both 503s
  }));
  BOOST_TEST(wait_until(
      [&] {
        return bot_status().status == "connected";
      },
      5s));
}

BOOST_AUTO_TEST_CASE(a_403_with_a_fresh_token_is_forbidden_and_marks_the_bot) {
  // The category's data is read again every 100 ms: reading it needs no
  // scope, so it must not turn the bot back to connected.
  connected(100ms);
  auto before = rooms();
  fault(R"({"path_prefix": "/o/alttpr/startrace", "status": 403,
            "count": 2})");
  auto out = started(settings_with("rc-match-8"), "rc-match-8");
  BOOST_TEST((out.what == kind::forbidden), out.message);
  BOOST_TEST(contains(out.message, "racetime.gg refused bot TestBot "
                                   "permission to open rooms in category "
                                   "alttpr (403) with a fresh token"),
             out.message);
  BOOST_TEST(contains(out.message, "create_race"), out.message);
  BOOST_TEST(faults_served() == 2); // two requests, no third
  BOOST_TEST(startrace_records() == 0);
  BOOST_TEST(rooms() == before);
  BOOST_TEST(wait_until([&] {
    auto b = bot_status();
    return b.status == "auth_failed" && b.message == out.message;
  }));
  BOOST_TEST(wait_until([&] {
    return scalar("SELECT status FROM racetime_bots WHERE id = 1") ==
           "auth_failed";
  }));
  BOOST_TEST(
      contains(scalar("SELECT status_message FROM racetime_bots WHERE id = 1"),
               "create_race"));
  std::this_thread::sleep_for(1s); // ten category reads later
  BOOST_TEST(bot_status().status == "auth_failed");
  BOOST_TEST(scalar("SELECT status FROM racetime_bots WHERE id = 1") ==
             "auth_failed");
  // A startrace that works again (the operator fixed the bot) clears it.
  auto again = started(settings_with("rc-match-8"), "rc-match-8");
  BOOST_TEST((again.what == kind::created), again.message);
  BOOST_TEST(wait_until([&] {
    return bot_status().status == "connected";
  }));
}

BOOST_AUTO_TEST_CASE(a_rejected_bot_stays_auth_failed_whatever_its_reads_say) {
  // Tokens that live 4 s: the bot renews after 2 s. Its secret is changed
  // on racetime.gg, so the renewal is rejected (invalid_client) while its
  // category is still read every 100 ms with the last token. It must stay
  // auth_failed with racetime.gg's reason (a reload retries only such a
  // bot), not turn connected or connection_error.
  BOOST_REQUIRE_EQUAL(
      sim.control_post("/token-lifetime", R"({"seconds": 4})").status, 200u);
  connected(100ms);
  BOOST_REQUIRE_EQUAL(
      sim.control_post("/bots",
                       R"({"category": "alttpr", "client_id": "bot-client",
                           "client_secret": "rotated-secret",
                           "name": "TestBot"})")
          .status,
      200u);
  BOOST_REQUIRE(wait_until(
      [&] {
        return bot_status().status == "auth_failed";
      },
      10s));
  std::this_thread::sleep_for(1500ms); // fifteen category reads later
  auto b = bot_status();
  BOOST_TEST(b.status == "auth_failed");
  BOOST_TEST(contains(b.message, "invalid_client"), b.message);
}

BOOST_AUTO_TEST_CASE(a_failed_renewal_keeps_a_bot_with_a_working_token) {
  // The renewal at the token's half-life meets a 503: the token works for
  // the other half, so the bot stays connected (rooms keep opening) while
  // the keeper tries again.
  BOOST_REQUIRE_EQUAL(
      sim.control_post("/token-lifetime", R"({"seconds": 4})").status, 200u);
  connected();
  auto heard = std::make_shared<heard_states>();
  auto sub = sys->spawn(recorder, heard);
  caf::anon_send(sup, atom::subscribe::value, sub);
  auto tokens = token_records();
  fault(R"({"path_prefix": "/o/token", "status": 503, "count": 1})");
  BOOST_REQUIRE(wait_until(
      [&] {
        return faults_served() == 1 && token_records() > tokens;
      },
      10s));
  std::this_thread::sleep_for(300ms);
  auto s = heard->copy();
  BOOST_TEST(std::count(s.begin(), s.end(), "connection_error") == 0);
  BOOST_TEST(bot_status().status == "connected");
  caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_bot_without_a_token_sends_nothing) {
  execute("UPDATE racetime_bots SET client_secret = 'wrong' WHERE id = 1");
  start_supervisor();
  BOOST_REQUIRE(wait_until([&] {
    return bot_status().status == "auth_failed";
  }));
  auto out = started(settings_with("rc-match-10"), "rc-match-10");
  BOOST_TEST((out.what == kind::not_sent), out.message);
  BOOST_TEST(contains(out.message, "has no racetime.gg token (it is "
                                   "auth_failed: "),
             out.message);
  auto listed = races();
  BOOST_REQUIRE(!listed);
  BOOST_TEST(contains(describe(listed.error()), "has no racetime.gg token"),
             describe(listed.error()));
  BOOST_TEST(startrace_records() == 0);
}

BOOST_AUTO_TEST_CASE(an_unknown_bot_is_not_found) {
  connected();
  auto out = start(settings_with("rc-match-9"), "rc-match-9", 99);
  BOOST_REQUIRE(!out);
  BOOST_TEST(is(out.error(), ec::not_found), describe(out.error()));
  BOOST_TEST(contains(describe(out.error()), "bot 99"));
  auto listed = races(99);
  BOOST_REQUIRE(!listed);
  BOOST_TEST(is(listed.error(), ec::not_found), describe(listed.error()));
  BOOST_TEST(startrace_records() == 0);
}

BOOST_AUTO_TEST_CASE(a_state_subscriber_hears_the_bot_start_and_connect) {
  execute("UPDATE racetime_bots SET is_active = 0 WHERE id = 1");
  start_supervisor();
  auto heard = std::make_shared<heard_states>();
  auto sub = sys->spawn(recorder, heard);
  caf::anon_send(sup, atom::subscribe::value, sub);
  execute("UPDATE racetime_bots SET is_active = 1 WHERE id = 1");
  {
    caf::scoped_actor self{*sys};
    self->request(sup, 10s, atom::reload::value)
        .receive([](atom::ok) {},
                 [](caf::error& err) {
                   BOOST_FAIL("reload: " << describe(err));
                 });
  }
  BOOST_TEST(wait_until([&] {
    auto s = heard->copy();
    return std::find(s.begin(), s.end(), "connected") != s.end();
  }));
  auto s = heard->copy();
  BOOST_REQUIRE(!s.empty());
  BOOST_TEST(s.front() == "starting");
  BOOST_TEST(std::count(s.begin(), s.end(), "connected") == 1);
  caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()

// What each failure of a startrace comes to, where the simulator cannot
// produce it on demand (a failure before the request leaves).
BOOST_AUTO_TEST_SUITE(outcome_mapping)

protocol::racetime_result<protocol::created_race>
failed(protocol::http_error::kind k, unsigned status = 0) {
  protocol::racetime_error e;
  e.what = protocol::racetime_error::kind::http;
  e.http.what = k;
  e.http.status = status;
  e.message = "startrace in alttpr failed: something";
  return e;
}

BOOST_AUTO_TEST_CASE(failures_before_sending_are_not_sent) {
  using k = protocol::http_error::kind;
  for (auto what : {k::network, k::timeout, k::tls})
    BOOST_TEST((to_start_outcome(failed(what)).what == kind::not_sent),
               protocol::to_string(what));
}

BOOST_AUTO_TEST_CASE(answers_lost_or_unclear_after_sending_are_unknown) {
  using k = protocol::http_error::kind;
  for (auto what :
       {k::outcome_unknown, k::server_error, k::too_large, k::bad_response})
    BOOST_TEST((to_start_outcome(failed(what, 500)).what == kind::unknown),
               protocol::to_string(what));
  protocol::racetime_error e;
  e.what = protocol::racetime_error::kind::bad_response; // 201, no Location
  e.message = "startrace in alttpr: unexpected response";
  BOOST_TEST((to_start_outcome(e).what == kind::unknown));
}

BOOST_AUTO_TEST_CASE(refusals_name_what_to_fix) {
  using k = protocol::http_error::kind;
  auto missing = to_start_outcome(failed(k::not_found, 404));
  BOOST_TEST((missing.what == kind::refused));
  BOOST_TEST(contains(missing.message, "no such category"), missing.message);
  BOOST_TEST((to_start_outcome(failed(k::unexpected_status, 400)).what ==
              kind::refused));
  protocol::racetime_error e = failed(k::unprocessable, 422).error();
  e.http.field_errors = {{"__all__", {"The race must only have one goal."}},
                         {"start_delay", {"Too short.", "Really."}}};
  auto out = to_start_outcome(e);
  BOOST_TEST((out.what == kind::refused));
  BOOST_TEST(out.field_errors ==
                 (std::vector<std::string>{"The race must only have one goal.",
                                           "start_delay: Too short.",
                                           "start_delay: Really."}),
             boost::test_tools::per_element());
  auto bare = to_start_outcome(failed(k::unprocessable, 422));
  BOOST_REQUIRE_EQUAL(bare.field_errors.size(), 1u);
  BOOST_TEST(contains(bare.field_errors[0], "without naming a field"));
}

BOOST_AUTO_TEST_CASE(a_429_without_retry_after_waits_a_minute) {
  auto out =
      to_start_outcome(failed(protocol::http_error::kind::rate_limited, 429));
  BOOST_TEST((out.what == kind::rate_limited));
  BOOST_TEST(out.retry_after_ms == default_retry_after.count());
  BOOST_TEST(contains(out.message, "no Retry-After given"), out.message);
}

BOOST_AUTO_TEST_SUITE_END()
