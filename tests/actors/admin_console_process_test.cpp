#define BOOST_TEST_MODULE admin_console_process
#include <boost/test/unit_test.hpp>

// The admin console of racecontrold as a process, over a real TCP socket on
// loopback: a scripted session that runs every command and checks its
// answer, logins refused (and slowed, the third closing the session, and a
// host's later sessions slowed more), the login deadline,
// an unknown command and a too-long line that keep the session, two
// sessions at once, and `shutdown` stopping the daemon like SIGTERM. The
// database is a scratch MariaDB database seeded with a bot, a tournament, a
// match, a room and a task; racetime.gg is not there, so the bot and the
// room's watcher report connection failures, as they would in production.

#include "persistence/sql.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/line_client.hpp"
#include "tests/support/scratch_database.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <signal.h>

#include <chrono>
#include <regex>
#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::daemon_process;
using test::line_client;

namespace {

const std::string console_password = "console-pw-4b1d9e77";

struct console_fixture {
  test::scratch_database scratch;
  std::string url_without_password;
  std::string db_password;

  console_fixture() {
    auto url = scratch.url();
    db_password = url.password.reveal();
    url.password = {};
    url_without_password = url.to_string();
    for (const char* sql : {
             "INSERT INTO organizations (id, name) VALUES (1, 'League')",
             "INSERT INTO racetime_bots (id, category, name, client_id, "
             "client_secret) VALUES (1, 'alttpr', 'TestBot', 'c', 's')",
             "INSERT INTO tournaments (id, organization_id, name, "
             "racetime_bot_id) VALUES (1, 1, 'Spring Cup', 1)",
             "INSERT INTO matches (id, tournament_id, title, scheduled_at) "
             "VALUES (1, 1, 'Final', UTC_TIMESTAMP(6) + INTERVAL 2 DAY), "
             "(2, 1, 'Semi', UTC_TIMESTAMP(6) - INTERVAL 2 HOUR)",
             "INSERT INTO racetime_rooms (id, slug, category, room_name, "
             "status, match_id, bot_id) VALUES (1, 'alttpr/console-room', "
             "'alttpr', 'console-room', 'open', 2, 1)",
             "INSERT INTO scheduled_tasks (id, name, task_type, "
             "schedule_type, interval_seconds, is_active) VALUES (5, "
             "'poll rooms', 'RACETIME_POLL_OPEN_ROOMS', 'INTERVAL', 3600, 1)",
         }) {
      auto conn = scratch.db().connection();
      persistence::sql_execute(*conn, sql);
    }
  }

  /// racecontrold with the console on a free loopback port.
  std::unique_ptr<daemon_process> start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--database.url=" + url_without_password,
                                  "--console.listen=127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<daemon_process>(
        args, std::map<std::string, std::string>{
                  {"RACECONTROL_DATABASE_PASSWORD", db_password},
                  {"RACECONTROL_CONSOLE_PASSWORD", console_password}});
  }
};

/// The port racecontrold logged for its console, 0 when none.
std::uint16_t console_port(daemon_process& d) {
  if (!d.wait_for_output("console: listening on 127.0.0.1:", 20s))
    return 0;
  std::smatch m;
  auto out = d.output();
  if (!std::regex_search(out, m,
                         std::regex{"console: listening on 127.0.0.1:(\\d+)"}))
    return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

/// The status of GET /api/tournaments with this bearer token.
unsigned api_status(std::uint16_t port, const std::string& token) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream s{io};
  s.expires_after(10s);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> req{http::verb::get, "/api/tournaments", 11};
  req.set(http::field::host, "test");
  req.set(http::field::authorization, "Bearer " + token);
  http::write(s, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(s, buffer, res);
  return res.result_int();
}

/// Sends one command and returns its whole answer (what arrives until the
/// session has been quiet for a moment).
std::string ask(line_client& c, const std::string& command) {
  BOOST_REQUIRE(c.line(command));
  return c.read_answer(20s);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Evaluates `expr` once (it may be a command sent to the console).
#define CHECK_HAS(expr, part)                                                  \
  do {                                                                         \
    const std::string checked_text_ = (expr);                                  \
    BOOST_TEST(has(checked_text_, part), "[" << checked_text_ << "]");         \
  } while (false)

} // namespace

BOOST_FIXTURE_TEST_SUITE(admin_console, console_fixture)

BOOST_AUTO_TEST_CASE(a_scripted_session_runs_every_command) {
  auto d = start();
  auto port = console_port(*d);
  BOOST_REQUIRE_MESSAGE(port != 0, d->output());
  BOOST_REQUIRE_MESSAGE(d->wait_for_output("ready: node", 20s), d->output());

  line_client c{port};
  BOOST_REQUIRE(c.connected());
  CHECK_HAS(c.read_answer(5s), "racecontrol console on ");
  CHECK_HAS(ask(c, "status"), "error: log in first");
  auto t0 = std::chrono::steady_clock::now();
  CHECK_HAS(ask(c, "login wrong-password"),
            "error: login refused (wrong password or token); 2 attempt(s) "
            "left");
  BOOST_TEST((std::chrono::steady_clock::now() - t0 >= 900ms));
  CHECK_HAS(ask(c, "login " + console_password), "logged in (password)");

  auto help = ask(c, "help");
  CHECK_HAS(help, "open-room MATCH [--goal G] [--invitational yes|no]");
  CHECK_HAS(help, "token create --org ID --name NAME --scopes A,B");
  auto status = ask(c, "status");
  CHECK_HAS(status, "draining       no");
  CHECK_HAS(status, "pending migration(s)");
  CHECK_HAS(status, "bots           1 (");
  CHECK_HAS(status, "rooms watched");

  auto bots = ask(c, "bots");
  CHECK_HAS(bots, "id  category  name     status");
  CHECK_HAS(bots, "1   alttpr    TestBot");
  CHECK_HAS(ask(c, "bot reload"), "bots reloaded from the database");

  auto rooms = ask(c, "rooms");
  CHECK_HAS(rooms, "slug");
  CHECK_HAS(rooms, "alttpr/console-room");
  auto active = ask(c, "rooms --active");
  BOOST_TEST((has(active, "alttpr/console-room") ||
              has(active, "no room is watched now")),
             active);
  auto room = ask(c, "room console-room");
  CHECK_HAS(room, "room             1 alttpr/console-room");
  CHECK_HAS(room, "match            2 Semi");
  CHECK_HAS(room, "tournament       1 Spring Cup");
  CHECK_HAS(ask(c, "room alttpr/console-room"),
            "room             1 alttpr/console-room");
  CHECK_HAS(ask(c, "room nosuch-room"),
            "error: no room 'nosuch-room' whose race has not ended");

  auto matches = ask(c, "matches");
  CHECK_HAS(matches, "match  tournament    scheduled (UTC)");
  CHECK_HAS(matches, "1 Spring Cup");
  CHECK_HAS(matches, "\n2 ");
  auto upcoming = ask(c, "matches --upcoming");
  CHECK_HAS(upcoming, "\n1 ");
  BOOST_TEST(!has(upcoming, "\n2 "), upcoming);

  CHECK_HAS(ask(c, "open-room abc"), "error: MATCH must be a match id");
  CHECK_HAS(ask(c, "open-room 1 --invitational maybe"),
            "error: --invitational takes yes or no");
  CHECK_HAS(ask(c, "open-room 999"), "error: match 999 got no room");

  auto tasks = ask(c, "tasks");
  CHECK_HAS(tasks, "poll rooms");
  CHECK_HAS(tasks, "every 3600 s");
  CHECK_HAS(ask(c, "task run 999"), "error: task 999 did not start");

  auto made =
      ask(c, "token create --org 1 --name \"console test\" --scopes admin");
  CHECK_HAS(made, "created token 1 \"console test\" of organization 1");
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(
      std::regex_search(made, m, std::regex{"(rc_[A-Za-z0-9_-]{43})"}), made);
  auto token = m[1].str();
  // The API takes it (and keeps its identity in memory for a few seconds).
  auto http_port = d->http_port(5s);
  BOOST_REQUIRE(http_port != 0);
  BOOST_TEST(api_status(http_port, token) == 200u);
  CHECK_HAS(ask(c, "token create --org 99 --name x --scopes admin"),
            "error: no token was created");
  auto list = ask(c, "token list");
  CHECK_HAS(list, "console test");
  CHECK_HAS(list, "admin");
  BOOST_TEST(!has(list, token));

  auto audit = ask(c, "audit --tail 50");
  CHECK_HAS(audit, "api_token_created");
  CHECK_HAS(audit, "console.bot_reload");
  CHECK_HAS(ask(c, "audit --tail 0"), "error: --tail takes a number");
  auto node_audit = ask(c, "audit --entity node --tail 5");
  CHECK_HAS(node_audit, "console.bot_reload");
  BOOST_TEST(!has(node_audit, "api_token_created"), node_audit);

  CHECK_HAS(ask(c, "log-level debug"), "log level is now debug");
  CHECK_HAS(ask(c, "log-level loud"), "error: unknown log level 'loud'");
  CHECK_HAS(ask(c, "log-level info"), "log level is now info");

  CHECK_HAS(ask(c, "drain"), "draining: this node opens no new rooms");
  CHECK_HAS(ask(c, "status"), "draining       yes");
  CHECK_HAS(ask(c, "open-room 1"), "this node is draining");
  CHECK_HAS(ask(c, "drain off"), "drain ended");

  // Mistakes keep the session.
  CHECK_HAS(ask(c, "frobnicate"),
            "error: unknown command 'frobnicate'; try help");
  CHECK_HAS(ask(c, "bot"), "error: 'bot' needs a subcommand; try bot reload");
  CHECK_HAS(ask(c, "room \"unclosed"), "error: unclosed double quote");
  CHECK_HAS(ask(c, std::string(10000, 'x')), "error: line longer than 4096");
  CHECK_HAS(ask(c, "drain on"), "error: drain takes nothing or off");
  CHECK_HAS(ask(c, "bots"), "TestBot");

  // A second session at once, logged in with the new token; both are
  // answered, each its own answer.
  line_client second{port};
  CHECK_HAS(second.read_answer(5s), "racecontrol console on ");
  CHECK_HAS(ask(second, "login " + token),
            "logged in (token 1 (console test))");
  BOOST_REQUIRE(c.line("bots"));
  BOOST_REQUIRE(second.line("tasks"));
  auto second_answer = second.read_answer(10s);
  auto first_answer = c.read_answer(10s);
  CHECK_HAS(second_answer, "poll rooms");
  BOOST_TEST(!has(second_answer, "TestBot"));
  CHECK_HAS(first_answer, "TestBot");
  BOOST_TEST(!has(first_answer, "poll rooms"));

  CHECK_HAS(ask(c, "token revoke 1"), "token 1 \"console test\" is revoked");
  CHECK_HAS(ask(c, "token revoke 77"), "error: token 77");
  // A revocation takes effect at once, remembered identity or not.
  BOOST_TEST(api_status(http_port, token) == 401u);
  line_client third{port};
  third.read_answer(5s);
  CHECK_HAS(ask(third, "login " + token), "error: login refused");
  // The session that logged in with it runs nothing more.
  CHECK_HAS(ask(second, "tasks"), "was revoked (or expired); closing");
  BOOST_TEST(second.closed_by_peer(5s));
  // Who made and revoked the token is in the audit log, and what came of
  // each request to a component: the task that did not start is not
  // recorded as done.
  {
    auto conn = scratch.db().connection();
    auto outcome = [&](const std::string& action) {
      return persistence::sql_scalar(
                 *conn, "SELECT JSON_VALUE(details, '$.outcome') FROM "
                        "audit_log WHERE action = '" +
                            action + "' ORDER BY id LIMIT 1")
          .value_or("NULL");
    };
    BOOST_TEST(outcome("console.bot_reload") == "done");
    BOOST_TEST(outcome("console.task_run").rfind("failed: ", 0) == 0u,
               outcome("console.task_run"));
    BOOST_TEST(outcome("console.drain") == "done");
    for (const char* action : {"console.token_create", "console.token_revoke"})
      BOOST_TEST(persistence::sql_scalar(
                     *conn, std::string{"SELECT COUNT(*) FROM audit_log WHERE "
                                        "action = '"} +
                                action +
                                "' AND JSON_VALUE(details, '$.by') = "
                                "'password'")
                         .value_or("NULL") == "1",
                 action);
  }

  // Secrets never reach the log.
  BOOST_TEST(!has(d->output(), console_password));
  BOOST_TEST(!has(d->output(), token));
  BOOST_TEST(!has(d->output(), "wrong-password"));

  CHECK_HAS(ask(c, "shutdown"), "stopping racecontrold as on SIGTERM");
  BOOST_TEST(c.closed_by_peer(10s));
  BOOST_REQUIRE_MESSAGE(d->exited(15000ms), d->output());
  BOOST_TEST(d->exit_code == 0, d->output());
}

BOOST_AUTO_TEST_CASE(three_wrong_logins_close_the_session) {
  auto d = start({"--console.login_timeout=2s"});
  auto port = console_port(*d);
  BOOST_REQUIRE_MESSAGE(port != 0, d->output());
  line_client c{port};
  c.read_answer(10s);
  auto t0 = std::chrono::steady_clock::now();
  CHECK_HAS(ask(c, "login nope-1"), "2 attempt(s) left");
  CHECK_HAS(ask(c, "login rc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            "1 attempt(s) left");
  CHECK_HAS(ask(c, "login nope-3"), "3 failed logins, closing the session");
  BOOST_TEST((std::chrono::steady_clock::now() - t0 >= 2700ms));
  BOOST_TEST(c.closed_by_peer(5s));
  CHECK_HAS(d->output(), "login refused (3 of 3)");
  BOOST_TEST(!has(d->output(), "nope-1"));

  // A new session from the same host does not get fast tries again: its
  // refusal waits twice as long. Not logged in within the login timeout,
  // it is closed (the deadline waits for the refusal being answered).
  line_client again{port};
  again.read_answer(10s);
  auto t1 = std::chrono::steady_clock::now();
  CHECK_HAS(ask(again, "login nope-4"), "2 attempt(s) left");
  BOOST_TEST((std::chrono::steady_clock::now() - t1 >= 1900ms));
  CHECK_HAS(again.read_until("closing the session\n", 5s),
            "error: not logged in within 2 s; closing the session");
  BOOST_TEST(again.closed_by_peer(5s));

  // A session that logged in outlives the deadline.
  line_client member{port};
  member.read_answer(10s);
  CHECK_HAS(ask(member, "login " + console_password), "logged in (password)");
  std::this_thread::sleep_for(2500ms);
  CHECK_HAS(ask(member, "help"), "open-room");
  d->signal(SIGTERM);
  BOOST_REQUIRE(d->exited(10000ms));
  BOOST_TEST(d->exit_code == 0);
}

BOOST_AUTO_TEST_CASE(
    the_console_is_off_by_default_and_a_port_in_use_stops_the_start) {
  daemon_process off({"--database.url=" + url_without_password},
                     {{"RACECONTROL_DATABASE_PASSWORD", db_password}});
  BOOST_REQUIRE_MESSAGE(off.wait_for_output("ready: node", 20s), off.output());
  CHECK_HAS(off.output(), "console: off");
  off.signal(SIGTERM);
  BOOST_REQUIRE(off.exited(10000ms));

  auto d = start();
  auto port = console_port(*d);
  BOOST_REQUIRE(port != 0);
  daemon_process clash({"--database.url=" + url_without_password,
                        "--console.listen=127.0.0.1:" + std::to_string(port)},
                       {{"RACECONTROL_DATABASE_PASSWORD", db_password}});
  BOOST_REQUIRE(clash.exited(20000ms));
  BOOST_TEST(clash.exit_code == 2);
  CHECK_HAS(clash.error_output(), "console: cannot listen on 127.0.0.1:");
  d->signal(SIGTERM);
  BOOST_REQUIRE(d->exited(10000ms));
}

BOOST_AUTO_TEST_SUITE_END()
