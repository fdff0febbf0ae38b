// /metrics and the status page at / (issue 12, points 7 and 8) over real
// sockets: racecontrold as a process against a scratch MariaDB and
// racetime-sim (tests/support/race_world). A race runs from invitations to
// result, and the scrape shows what happened (race.data frames, rooms by
// status, the bot connected); an automatic open shows a startrace outcome
// and a room-open latency; `promtool check metrics` accepts every scrape.
// The status page is loaded in headless Chromium and its DOM checked (a
// screenshot is saved under the build directory); its access rules are
// checked with plain requests. The registry and the HTML escaping are
// also tested on their own.

#define BOOST_TEST_MODULE status_and_metrics
#include <boost/test/unit_test.hpp>

#include "actors/status_page.hpp"
#include "protocol/metrics_registry.hpp"
#include "tests/support/race_world.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::race_world;

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;

struct answer {
  unsigned status = 0; ///< 0: no answer (the error in body)
  std::string body;
  std::string content_type;
};

/// One GET over a real socket, with extra header lines.
answer get(std::uint16_t port, const std::string& target,
           const std::string& headers = "") {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  stream.expires_after(20s);
  beast::error_code ec;
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec)
    return {0, ec.message(), ""};
  std::string text = "GET " + target +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                     headers + "\r\n";
  boost::asio::write(stream, boost::asio::buffer(text), ec);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res, ec);
  if (ec)
    return {0, ec.message(), ""};
  return {res.result_int(), res.body(),
          std::string{res[bhttp::field::content_type]}};
}

/// The value of the sample `series` (name with labels, as rendered), or
/// -1 when the scrape has no such line.
double sample(const std::string& scrape, const std::string& series) {
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  return -1;
}

/// Output and exit status of a shell command.
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return {-1, "popen failed"};
  char buf[4096];
  while (auto n = fread(buf, 1, sizeof buf, pipe))
    out.append(buf, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

bool have(const std::string& program) {
  return run("command -v " + program).first == 0;
}

std::string build_dir() {
  return BUILD_DIR;
}

/// `promtool check metrics` on a scrape; skipped (with a message) only
/// when promtool is missing: scripts/setup installs it.
void check_with_promtool(const std::string& scrape, const std::string& tag) {
  if (!have("promtool")) {
    BOOST_TEST_MESSAGE("SKIPPED: promtool is not installed (Debian package "
                       "prometheus; scripts/setup installs it)");
    return;
  }
  auto path = build_dir() + "/metrics-" + tag + ".txt";
  std::ofstream(path) << scrape;
  auto [code, out] = run("promtool check metrics < " + path);
  BOOST_TEST(code == 0, "promtool check metrics: " << out);
}

/// Organization 1's tokens, stored as the repository stores them.
const std::string reader_token = "rc_" + std::string(43, 'r');
const std::string bots_token = "rc_" + std::string(43, 'b');

void add_tokens(race_world& w) {
  w.execute("INSERT INTO api_tokens (organization_id, name, token_sha256, "
            "scopes) VALUES (1, 'page', SHA2('" +
            reader_token + "', 256), '[\"rooms:read\"]'), (1, 'bots', SHA2('" +
            bots_token + "', 256), '[\"bots:read\"]')");
}

/// A title only a careless page would run as script.
const std::string nasty_title =
    R"(<script>document.title="pwned"</script> & 'Semi' "Final")";

void add_upcoming_match(race_world& w) {
  w.execute("INSERT INTO matches (id, tournament_id, title, scheduled_at, "
            "racetime_auto_create, room_reason, room_reason_message) VALUES "
            "(11, 1, '" +
            std::regex_replace(nasty_title, std::regex("'"), "''") +
            "', UTC_TIMESTAMP(6) + INTERVAL 2 DAY, 0, 'auto_create_off', "
            "'rooms of this match are opened by hand')");
  w.execute("INSERT INTO match_players (match_id, user_id) VALUES (11, 1)");
}

/// Chromium's DOM of the page after it loaded (no JavaScript needed).
std::string chromium_dom(const std::string& url) {
  auto [code, out] =
      run("timeout 90 chromium --headless --disable-gpu --no-sandbox "
          "--user-data-dir=" +
          build_dir() + "/chromium-profile --dump-dom '" + url + "'");
  BOOST_TEST(code == 0, "chromium --dump-dom: " << out.substr(0, 2000));
  return out;
}

std::string chromium_screenshot(const std::string& url,
                                const std::string& name) {
  auto path = build_dir() + "/" + name;
  std::remove(path.c_str());
  auto [code, out] =
      run("timeout 90 chromium --headless --disable-gpu --no-sandbox "
          "--user-data-dir=" +
          build_dir() +
          "/chromium-profile --window-size=1280,1100 "
          "--screenshot=" +
          path + " '" + url + "'");
  BOOST_TEST(code == 0, "chromium --screenshot: " << out.substr(0, 2000));
  return path;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void wait_for_invitations(race_world& w) {
  BOOST_REQUIRE_MESSAGE(
      race_world::wait_until(
          [&] {
            auto r = w.race();
            return race_world::has_entrant(r, "u1",
                                           protocol::entrant_status::invited) &&
                   race_world::has_entrant(r, "u2",
                                           protocol::entrant_status::invited);
          },
          30s),
      w.daemon().output());
}

} // namespace

// --- the parts on their own
// ---------------------------------------------------

BOOST_AUTO_TEST_SUITE(parts)

BOOST_AUTO_TEST_CASE(registry_renders_counters_histograms_and_gauges) {
  protocol::metrics_registry r;
  r.add(protocol::metric::race_data_messages, {{"result", "decoded"}}, 3);
  r.add(protocol::metric::startrace_outcomes,
        {{"category", "al\"t\\tp\nr"}, {"outcome", "created"}});
  r.observe(protocol::metric::room_open_latency, {}, 1.5);
  r.observe(protocol::metric::room_open_latency, {}, 4000);
  auto text = r.render({{protocol::metric::outbox_depth, {}, 4}});
  BOOST_TEST(sample(text, "racecontrol_race_data_messages_total{result="
                          "\"decoded\"}") == 3);
  BOOST_TEST(contains(text, R"(category="al\"t\\tp\nr")"));
  BOOST_TEST(sample(text, "racecontrol_room_open_latency_seconds_bucket{le="
                          "\"1\"}") == 0);
  BOOST_TEST(sample(text, "racecontrol_room_open_latency_seconds_bucket{le="
                          "\"2\"}") == 1);
  BOOST_TEST(sample(text, "racecontrol_room_open_latency_seconds_bucket{le="
                          "\"+Inf\"}") == 2);
  BOOST_TEST(sample(text, "racecontrol_room_open_latency_seconds_count") == 2);
  BOOST_TEST(sample(text, "racecontrol_discord_outbox_depth") == 4);
  BOOST_TEST(sample(text, "process_resident_memory_bytes") > 0);
  BOOST_TEST(contains(text, "# TYPE racecontrol_websocket_reconnects_total "
                            "counter"));
  BOOST_CHECK_THROW(r.add("racecontrol_typo_total"), std::logic_error);
  check_with_promtool(text, "unit");
}

BOOST_AUTO_TEST_CASE(page_escapes_every_text) {
  status_page_data page;
  bot_info bot;
  bot.bot_id = 1;
  bot.name = "<b>bot</b>";
  bot.category = "alttpr";
  bot.status = "connected";
  page.bots = std::vector<bot_info>{bot};
  overview_view rows;
  match_view m;
  m.id = 7;
  m.title = nasty_title;
  m.reason_code = "bot_not_connected";
  m.reason_message = "the bot \"x\" is <down>";
  rows.upcoming.push_back(m);
  page.rows = rows;
  page.audience = "every organization";
  page.racetime_url = "https://racetime.gg";
  auto html = render_status_page(page);
  BOOST_TEST(!contains(html, "<script>document"));
  BOOST_TEST(contains(html, "&lt;script&gt;document.title=&quot;pwned&quot;"
                            "&lt;/script&gt; &amp; &#39;Semi&#39;"));
  BOOST_TEST(contains(html, "&lt;b&gt;bot&lt;/b&gt;"));
  BOOST_TEST(contains(html, R"(<meta http-equiv="refresh" content="30">)"));
  match_player_info winner;
  winner.display_name = "Alice";
  winner.finish_place = 1;
  winner.finish_time =
      std::chrono::seconds{3723} + std::chrono::milliseconds{456};
  room_view done;
  done.id = 3;
  done.slug = "alttpr/quick-fox-0001";
  done.status = "finished";
  done.results = {winner};
  rows.recent.push_back(done);
  page.rows = rows;
  html = render_status_page(page);
  BOOST_TEST(contains(html, "1. Alice 1:02:03.4"), html);
  BOOST_TEST(
      contains(html, R"(href="https://racetime.gg/alttpr/quick-fox-0001")"));
  BOOST_TEST(html_escape(R"(<a href="x">'&')") ==
             "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;");
}

BOOST_AUTO_TEST_SUITE_END()

// --- racecontrold
// ---------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(racecontrold)

BOOST_AUTO_TEST_CASE(metrics_and_status_page_follow_a_race) {
  race_world w;
  add_tokens(w);
  add_upcoming_match(w);
  w.start_daemon();
  auto port = w.daemon().http_port(20s);
  BOOST_REQUIRE(port != 0);
  wait_for_invitations(w);
  auto page_url = "http://127.0.0.1:" + std::to_string(port) + "/";

  // While the race is open: the room is active, the bot connected, the
  // nasty title shown verbatim (and never run: the document title stays).
  auto during = chromium_dom(page_url);
  BOOST_TEST(contains(during, "<title>racecontrol status</title>"), during);
  BOOST_TEST(contains(during, R"(<tr data-bot="1">)"), during);
  BOOST_TEST(contains(during, ">connected<"), during);
  BOOST_TEST(contains(during, R"(<tr data-room="5">)"), during);
  BOOST_TEST(contains(during, "href=\"" + w.sim().base().origin() + "/" +
                                  w.race_name() + "\""),
             during);
  BOOST_TEST(contains(during, R"(<tr data-match="11">)"), during);
  BOOST_TEST(contains(during, "&lt;script&gt;document.title=\"pwned\"&lt;/"
                              "script&gt; &amp; 'Semi' \"Final\""),
             during);
  BOOST_TEST(contains(during, "auto_create_off"), during);

  w.user("u1", "accept_invite");
  w.user("u2", "accept_invite");
  // Carol (u3) asks to join and links her account: she is accepted, so
  // all three race.
  w.user("u3", "request_invite");
  w.execute("UPDATE users SET racetime_id = 'u3', racetime_name = 'Racer3' "
            "WHERE id = 3");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return race_world::has_entrant(w.race(), "u3",
                                       protocol::entrant_status::not_ready);
      },
      30s));
  w.run_race();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 30s),
      w.daemon().output());

  // After it: the result is under recent results, with the places.
  auto after = chromium_dom(page_url);
  auto recent = after.substr(after.find("id=\"recent\""));
  BOOST_TEST(contains(recent, R"(<tr data-room="5">)"), after);
  BOOST_TEST(contains(recent, "1. Alice"), after);
  auto shot = chromium_screenshot(page_url, "status-page.png");
  std::ifstream png(shot, std::ios::binary);
  BOOST_TEST(png.good(), "no screenshot at " << shot);
  BOOST_TEST_MESSAGE("status page screenshot: " << shot);
  std::printf("status page screenshot: %s\n", shot.c_str());

  // The scrape counted what happened.
  auto m = get(port, "/metrics");
  BOOST_REQUIRE(m.status == 200u);
  BOOST_TEST(contains(m.content_type, "version=0.0.4"));
  BOOST_TEST(sample(m.body, "racecontrol_race_data_messages_total{result="
                            "\"decoded\"}") >= 3,
             m.body);
  BOOST_TEST(sample(m.body, "racecontrol_rooms{status=\"finished\"}") == 1,
             m.body);
  BOOST_TEST(sample(m.body, "racecontrol_rooms{status=\"in_progress\"}") == 0,
             m.body);
  BOOST_TEST(sample(m.body, "racecontrol_bot_status{bot=\"" +
                                w.scalar("SELECT name FROM racetime_bots "
                                         "WHERE id = 1") +
                                "\",category=\"alttpr\",status="
                                "\"connected\"}") == 1,
             m.body);
  BOOST_TEST(sample(m.body, "racecontrol_scrape_part_ok{part=\"database\"}") ==
             1);
  BOOST_TEST(sample(m.body, "racecontrol_scrape_part_ok{part=\"bots\"}") == 1);
  BOOST_TEST(sample(m.body, "racecontrol_discord_outbox_depth") == 0);
  BOOST_TEST(sample(m.body, "process_start_time_seconds") > 1.7e9);
  for (const char* family : {"racecontrol_websocket_reconnects_total",
                             "racecontrol_startrace_outcomes_total",
                             "racecontrol_room_open_latency_seconds",
                             "racecontrol_database_errors_total",
                             "racecontrol_scheduled_task_runs_total"})
    BOOST_TEST(contains(m.body, std::string{"# HELP "} + family + " "), family);
  check_with_promtool(m.body, "race");
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_CASE(a_slow_or_stopped_database_does_not_hang_a_scrape) {
  test::race_world_options o;
  o.private_server = true;
  race_world w(o);
  w.start_daemon();
  auto port = w.daemon().http_port(20s);
  BOOST_REQUIRE(port != 0);
  wait_for_invitations(w);
  // racetime.gg drops the room's socket: the reconnect is counted.
  w.sim().control_post("/races/" + w.slug() + "/drop-sockets");
  std::string body;
  race_world::wait_until(
      [&] {
        body = get(port, "/metrics").body;
        return sample(body, "racecontrol_websocket_reconnects_total") >= 1;
      },
      30s);
  BOOST_TEST(sample(body, "racecontrol_websocket_reconnects_total") >= 1, body);
  // MariaDB frozen: the scrape answers after scrape_timeout (3 s) with
  // what it has, and says the database part is missing.
  w.server().freeze();
  auto started = std::chrono::steady_clock::now();
  auto frozen = get(port, "/metrics");
  auto took = std::chrono::steady_clock::now() - started;
  w.server().thaw();
  BOOST_TEST(frozen.status == 200u);
  BOOST_TEST((took < 8s));
  BOOST_TEST(
      sample(frozen.body, "racecontrol_scrape_part_ok{part=\"database\"}") == 0,
      frozen.body);
  BOOST_TEST(sample(frozen.body, "racecontrol_scrape_part_ok{part=\"bots\"}") ==
             1);
  BOOST_TEST(sample(frozen.body, "racecontrol_rooms{status=\"parked\"}") == -1);
  check_with_promtool(frozen.body, "frozen");
  // MariaDB stopped: requests fail, and the failures are counted.
  w.server().stop();
  race_world::wait_until(
      [&] {
        body = get(port, "/metrics").body;
        return sample(body, "racecontrol_database_errors_total{kind="
                            "\"connection\"}") > 0;
      },
      30s);
  BOOST_TEST(sample(body, "racecontrol_database_errors_total{kind="
                          "\"connection\"}") > 0,
             body);
  BOOST_TEST(sample(body, "racecontrol_scrape_part_ok{part=\"database\"}") ==
             0);
  // Back: the gauges are back.
  w.server().start();
  race_world::wait_until(
      [&] {
        body = get(port, "/metrics").body;
        return sample(body, "racecontrol_scrape_part_ok{part=\"database\"}") ==
               1;
      },
      60s);
  BOOST_TEST(sample(body, "racecontrol_scrape_part_ok{part=\"database\"}") == 1,
             body);
  BOOST_TEST(sample(body, "racecontrol_rooms{status=\"invitational\"}") == 1,
             body);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_CASE(status_page_access) {
  race_world w;
  add_tokens(w);
  w.start_daemon();
  auto port = w.daemon().http_port(20s);
  BOOST_REQUIRE(port != 0);
  // Loopback: every organization.
  auto local = get(port, "/");
  BOOST_TEST(local.status == 200u);
  BOOST_TEST(contains(local.content_type, "text/html"));
  BOOST_TEST(contains(local.body, "every organization"));
  // Through a proxy, even on loopback: a token is needed.
  auto proxied = get(port, "/", "X-Forwarded-For: 203.0.113.9\r\n");
  BOOST_TEST(proxied.status == 403u);
  BOOST_TEST(contains(proxied.body, "rooms:read"));
  BOOST_TEST(get(port, "/", "Forwarded: for=203.0.113.9\r\n").status == 403u);
  // A token with rooms:read, as a query parameter or a header: its
  // organization's rows.
  auto by_query =
      get(port, "/?token=" + reader_token, "X-Forwarded-For: 203.0.113.9\r\n");
  BOOST_TEST(by_query.status == 200u);
  BOOST_TEST(contains(by_query.body, "organization 1"));
  BOOST_TEST(
      get(port, "/", "Authorization: Bearer " + reader_token + "\r\n").status ==
      200u);
  // Without the scope, or unknown: refused.
  BOOST_TEST(get(port, "/?token=" + bots_token).status == 403u);
  BOOST_TEST(get(port, "/?token=rc_" + std::string(43, 'x')).status == 401u);
  // The token never reaches the log.
  BOOST_TEST(w.stop_daemon() == 0);
  BOOST_TEST(!contains(w.daemon().output(), reader_token));

  // Loopback declared a proxy: what comes from it, headers or not, is
  // someone else's request.
  w.start_daemon({"--http.trusted_proxies=127.0.0.1"});
  port = w.daemon().http_port(20s);
  BOOST_REQUIRE(port != 0);
  BOOST_TEST(get(port, "/").status == 403u);
  BOOST_TEST(get(port, "/?token=" + reader_token).status == 200u);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_CASE(an_automatic_open_counts_its_outcome_and_latency) {
  test::race_world_options o;
  o.premade_room = false;
  race_world w(o);
  w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
            "organization_id) VALUES (1, 1)");
  w.execute("UPDATE tournaments SET racetime_auto_create_rooms = 1, "
            "room_open_minutes_before = 1, racetime_default_goal = 'Beat the "
            "game' WHERE id = 1");
  // Match 12 opens in 3 s.
  w.execute("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
            "VALUES (12, 1, 'Round 12', UTC_TIMESTAMP(6) + INTERVAL 63 "
            "SECOND)");
  w.execute("INSERT INTO match_players (match_id, user_id) VALUES (12, 1), "
            "(12, 2)");
  w.start_daemon();
  auto port = w.daemon().http_port(20s);
  BOOST_REQUIRE(port != 0);
  BOOST_REQUIRE_MESSAGE(
      race_world::wait_until(
          [&] {
            return w.count("SELECT COUNT(*) FROM racetime_rooms WHERE "
                           "match_id = 12 AND claim_state = 'created'") == 1;
          },
          40s),
      w.daemon().output());
  std::string body;
  race_world::wait_until(
      [&] {
        body = get(port, "/metrics").body;
        return sample(body, "racecontrol_room_open_latency_seconds_count") == 1;
      },
      10s);
  BOOST_TEST(sample(body, "racecontrol_startrace_outcomes_total{category="
                          "\"alttpr\",outcome=\"created\"}") == 1,
             body);
  BOOST_TEST(sample(body, "racecontrol_room_open_latency_seconds_count") == 1,
             body);
  // Opened within seconds of its planned time, not minutes.
  BOOST_TEST(sample(body, "racecontrol_room_open_latency_seconds_bucket{le="
                          "\"30\"}") == 1,
             body);
  check_with_promtool(body, "automation");
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
