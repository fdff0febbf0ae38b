// racecontrold as a real process against what goes wrong in production:
// racetime.gg drops every socket, goes silent on one (half-open), expires
// the bot's token and answers 5xx to a fifth of the race-data fetches;
// the bot's credentials are revoked and restored; MariaDB is stopped for
// 30 s mid-race; SIGTERM arrives mid-race. Every time the room ends with
// the result racetime-sim reports, recorded exactly once.

#define BOOST_TEST_MODULE racecontrold_faults
#include <boost/test/unit_test.hpp>

#include "tests/support/race_world.hpp"

#include <signal.h>

#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using protocol::entrant_status;
using test::race_world;
using test::race_world_options;

namespace {

bool invited(race_world& w, const std::string& user) {
  return race_world::has_entrant(w.race(), user, entrant_status::invited);
}

/// Waits until racecontrold invited u1 and u2 (and u3, when linked), then
/// accepts for them.
void fill_the_room(race_world& w, bool with_u3) {
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return invited(w, "u1") && invited(w, "u2");
                            },
                            30s),
                        w.daemon().output());
  w.user("u1", "accept_invite");
  w.user("u2", "accept_invite");
  if (!with_u3)
    return;
  w.execute("UPDATE users SET racetime_id = 'u3' WHERE id = 3");
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return invited(w, "u3");
                            },
                            30s),
                        w.daemon().output());
  w.user("u3", "accept_invite");
}

std::string bot_status(race_world& w) {
  return w.scalar("SELECT CONCAT(status, ': ', COALESCE(status_message, '')) "
                  "FROM racetime_bots WHERE id = 1");
}

int token_requests(race_world& w) {
  auto log = w.sim().control_get("/log?kind=token").body;
  int n = 0;
  for (auto at = log.find("\"kind\""); at != std::string::npos;
       at = log.find("\"kind\"", at + 1))
    ++n;
  return n;
}

long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now() - t)
      .count();
}

} // namespace

BOOST_AUTO_TEST_SUITE(racetime_faults)

BOOST_AUTO_TEST_CASE(dropped_silent_expired_and_failing_racetime) {
  race_world w;
  // A fifth of the race-data fetches fail with 503, all along.
  auto data_path = "/" + w.race_name() + "/data";
  auto armed = w.sim().control_post(
      "/faults", R"({"path_prefix": ")" + data_path +
                     R"(", "status": 503, "every": 5, "count": 1000})");
  BOOST_REQUIRE_MESSAGE(armed.status == 200, armed.body);
  w.start_daemon(
      {"--racetime.ping_interval=400ms", "--rooms.refresh_interval=300ms"});
  fill_the_room(w, false);

  // Every socket of the race dropped; the first two reconnects refused, so
  // the room fetches the race over HTTP meanwhile.
  w.sim().control_post("/faults", R"({"path_prefix": "/ws/o/bot/)" + w.slug() +
                                      R"(", "status": 503, "count": 2})");
  w.sim().control_post("/races/" + w.slug() + "/drop-sockets");
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return w.daemon().output_count(
                                         "bot socket open") >= 2;
                            },
                            30s),
                        w.daemon().output());
  BOOST_TEST(w.daemon().output_count("bot socket lost") >= 1u);

  // The token expires on racetime.gg: the invitation of Carol (who links
  // now) is refused, the token renewed, and the invitation sent again.
  int tokens_before = token_requests(w);
  w.sim().control_post("/tokens/expire", R"({"client_id": "bot-client"})");
  w.execute("UPDATE users SET racetime_id = 'u3' WHERE id = 3");
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return invited(w, "u3");
                            },
                            30s),
                        w.daemon().output() << "\nsim log:\n"
                                            << w.sim_log());
  BOOST_TEST(token_requests(w) > tokens_before);
  w.user("u3", "accept_invite");

  // racetime.gg goes silent on the room's sockets (they stay open, and so
  // do the ones opened later): the silence is noticed, and the race, which
  // runs to its end meanwhile, is followed over HTTP.
  w.sim().control_post("/races/" + w.slug() + "/mute");
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output(
          "no data from the server for two ping intervals", 30s),
      w.daemon().output());
  w.run_race();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 60s),
      w.daemon().output());
  w.sim().control_post("/races/" + w.slug() + "/unmute");
  // Some of the fetches did fail, and were retried.
  BOOST_TEST(w.daemon().output_count("failed: HTTP 503") >= 1u,
             w.daemon().output());
  w.check_result();
  for (auto u : {"u1", "u2", "u3"})
    BOOST_TEST(w.bot_actions_containing(R"("action":"invite")", u) >= 1, u);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'racetime_room.invited'") == 3);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_CASE(revoked_credentials_then_restored_and_reloaded) {
  race_world w;
  // Short-lived tokens: the bot renews every 2 s, so it learns soon that
  // its credentials no longer work.
  w.sim().control_post("/token-lifetime", R"({"seconds": 4})");
  w.start_daemon();
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return bot_status(w) == "connected: ";
                            },
                            30s),
                        bot_status(w) << "\n"
                                      << w.daemon().output());
  auto first_connected =
      w.scalar("SELECT last_connected_at FROM racetime_bots WHERE id = 1");

  // The application's secret is changed on racetime.gg.
  auto revoked = w.sim().control_post(
      "/bots", R"({"category": "alttpr", "client_id": "bot-client",
                   "client_secret": "rotated-secret", "name": "TestBot"})");
  BOOST_REQUIRE(revoked.status == 200);
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return bot_status(w).rfind("auth_failed: ", 0) ==
                                     0;
                            },
                            30s),
                        bot_status(w) << "\n"
                                      << w.daemon().output());
  // The reason is racetime.gg's answer, and the retries stop.
  BOOST_TEST(bot_status(w).find("invalid_client") != std::string::npos,
             bot_status(w));
  int tokens_after_rejection = token_requests(w);
  std::this_thread::sleep_for(3s);
  BOOST_TEST(bot_status(w).rfind("auth_failed: ", 0) == 0u, bot_status(w));
  BOOST_TEST(token_requests(w) == tokens_after_rejection);

  // Restored on racetime.gg; SIGHUP makes racecontrold read the bot rows
  // again and try the credentials once more.
  w.sim().control_post("/bots",
                       R"({"category": "alttpr", "client_id": "bot-client",
                           "client_secret": "bot-secret", "name": "TestBot"})");
  w.daemon().signal(SIGHUP);
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return bot_status(w) == "connected: ";
                            },
                            30s),
                        bot_status(w) << "\n"
                                      << w.daemon().output());
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_bots WHERE id = 1 AND "
                     "last_connected_at > '" +
                     first_connected + "'") == 1);
  auto out = w.daemon().output();
  BOOST_TEST(out.find("bot-secret") == std::string::npos);
  BOOST_TEST(out.find("rotated-secret") == std::string::npos);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(daemon_faults)

BOOST_AUTO_TEST_CASE(mariadb_stopped_for_30_s_mid_race) {
  race_world_options options;
  options.private_server = true;
  race_world w{options};
  w.start_daemon();
  fill_the_room(w, true);
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return w.count("SELECT COUNT(*) FROM match_players WHERE match_id = "
                       "10 AND entrant_status = 'not_ready'") == 3;
      },
      30s));

  auto stopped_at = std::chrono::steady_clock::now();
  w.server().stop();
  // The race starts and ends while MariaDB is away.
  w.run_race();
  std::this_thread::sleep_for(30s -
                              std::chrono::milliseconds{ms_since(stopped_at)});
  BOOST_REQUIRE_MESSAGE(!w.daemon().exited(0ms), w.daemon().output());
  w.server().start();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 90s),
      w.daemon().output());
  BOOST_TEST_MESSAGE("result recorded " << ms_since(stopped_at) - 30000
                                        << " ms after MariaDB came back");
  // The process started before the outage is still the one running.
  BOOST_TEST(!w.daemon().exited(0ms));
  // The room held its writes through the outage and retried them.
  BOOST_TEST(w.daemon().output_count("database write failed") >= 1u,
             w.daemon().output());
  w.check_result();
  BOOST_TEST(w.daemon().output_count("result recorded") == 1u);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_mid_race_then_started_again) {
  race_world w;
  w.start_daemon();
  fill_the_room(w, true);
  for (auto u : {"u1", "u2", "u3"})
    w.user(u, "ready");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return w.scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
               "in_progress";
      },
      30s));
  auto term_at = std::chrono::steady_clock::now();
  w.daemon().signal(SIGTERM);
  BOOST_REQUIRE_MESSAGE(w.daemon().exited(5000ms),
                        "no exit within 5 s of SIGTERM:\n"
                            << w.daemon().output());
  BOOST_TEST_MESSAGE("exit " << ms_since(term_at) << " ms after SIGTERM");
  BOOST_TEST(w.daemon().exit_code == 0, w.daemon().output());
  BOOST_TEST(w.daemon().output_count("write(s) unconfirmed") == 0u);

  // Started again mid-race: it re-attaches and sees the race to its end.
  w.start_daemon();
  BOOST_REQUIRE(w.daemon().wait_for_output("bot socket open", 30s));
  w.user("u1", "done");
  std::this_thread::sleep_for(50ms);
  w.user("u3", "done");
  w.user("u2", "forfeit");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return w.race().status == protocol::race_status::finished;
      },
      30s));
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 30s),
      w.daemon().output());
  w.check_result();
  for (auto u : {"u1", "u2", "u3"})
    BOOST_TEST(w.bot_actions_containing(R"("action":"invite")", u) == 1, u);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
