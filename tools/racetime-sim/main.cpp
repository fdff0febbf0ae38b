// racetime-sim: a local racetime.gg for tests and demos. Speaks racetime.gg's
// HTTP and bot WebSocket protocol on one port and offers a control API on
// another. See --help.

#include "tools/racetime-sim/sim_server.hpp"

#include "config/command_line.hpp"
#include "config/logging.hpp"
#include "config/settings.hpp"
#include "racecontrol/version.hpp"

#include <boost/asio/signal_set.hpp>

#include <spdlog/spdlog.h>

#include <iostream>
#include <random>

#include <sys/resource.h>

namespace {

using namespace racecontrol;

const char* usage = R"(usage: racetime-sim [options]

A local racetime.gg: OAuth2 (/o/token, /o/authorize, /o/userinfo), category
and race data, POST /o/{category}/startrace and /o/{category}/{race}/edit,
and the bot WebSocket /ws/o/bot/{slug} with every bot action, running the
race state machine (open/invitational -> pending -> in_progress -> finished
or cancelled) with racetime.gg's quirks: any token accepted at connect but
checked on every action, 1011 close without `data`, guid rules and 300 s
duplicate suppression, no acknowledgements, unknown slugs reset (or hang),
omitted startrace fields take model defaults, Django booleans, no `info`,
edits of a started race dropped with a 200, the system chat racetime.gg
posts. Its JSON is written from its own model (see README, "racetime-sim").

options:
  --address ADDR         listen address (default 127.0.0.1)
  --port N               racetime.gg port (default 8910; 0 = any free port)
  --control-port N       control API port (default 8911; 0 = any free port)
  --tls-cert FILE        PEM certificate chain: serve HTTPS and WSS
  --tls-key FILE         PEM private key for --tls-cert
  --time-scale F         multiply race timings (countdowns) by F (default 1)
  --seed N               seed of room names and tokens (default: random, so
                         a restarted simulator does not reuse room names)
  --token-lifetime S     access token lifetime in seconds (default 36000)
  --unknown-race-hang MS a bot socket for an unknown race hangs this long
                         before it drops (default 0: reset at once)
  --bot-data-cache MS    /o/{category}/data cache lifetime (default 60000)
  --ws-ping MS           a WebSocket ping this often; a socket that sends
                         nothing in the interval after one is closed
                         (daphne's ping_interval; default 20000; 0 = never)
  --low-entrants-limit MS  cancel a race still open this long after it
                         opened with fewer than two entrants joined, as
                         racetime.gg's racebot does (default 1800000: 30
                         min; 0 = never)
  --category SLUG[:NAME] create a category (repeatable)
  --goal SLUG:GOAL       add a goal to a category (repeatable)
  --bot CAT:ID:SECRET[:NAME]  a category bot (repeatable)
  --app ID:SECRET:REDIRECT    an OAuth app for account linking (repeatable)
  --user ID:NAME[:TWITCH]     a user (repeatable)
  --authorize-user ID    the user /o/authorize approves as
  --demo-players         users a bot invites play by themselves: accept after
                         1.5 s, ready 3 s later, finish 8-20 s after the start
                         (POST /demo-players to change; times on the sim's
                         clock, scaled by --time-scale)
  --log-level LEVEL      trace, debug, info, warn, error (default info)
  --help, --version

control API (JSON, on --control-port):
  GET  /health
  GET  /stats                                  {"connections": accepted so far,
                                               "client_close_frames": bot
                                               sockets the client ended with a
                                               close frame, "faults_served":
                                               requests that met a fault,
                                               "open_bot_sockets": bot
                                               sockets open now}
  POST /categories {"slug","name","goals":[..],"allow_partitionable",...}
  POST /categories/{slug}/goals {"name"}
  POST /bots {"category","client_id","client_secret","name","active"}
  POST /apps {"client_id","client_secret","name","redirect_uris":[..]}
  POST /users {"id","name","discriminator","twitch_name","banned","live"}
  POST /authorize-user {"user_id", "consent"?}  /o/authorize's session
                                              ("" or null: not logged in)
  POST /token-lifetime {"seconds"}
  POST /tokens/expire {"client_id"?}          expire tokens (all, or one app's)
  POST /codes/expire                           age authorization codes past 600 s
  POST /unknown-race {"hang_ms"}               bot sockets for unknown races:
                                               0 reset at once, else hang first
  POST /crash-close {"reset"}                  after a 1011 close frame, reset
                                               the connection as racetime.gg
                                               did (plain sockets only)
  POST /faults {"path_prefix","path_suffix"?,"status"?,"body"?,
                "content_type"?,"delay_ms"?,"count"?,"every"?,
                "retry_after"?,"drop_connection"?,"serve_first"?}
                                               the next "count" (1) requests
                                               whose path has the prefix and
                                               suffix: "delay_ms" late, then
                                               answered "status" (a generic
                                               HTML page, or "body" - a string
                                               as is, other JSON as its text -
                                               as "content_type", default
                                               application/json; Retry-After
                                               seconds) without being served,
                                               or served and the connection
                                               closed unanswered
                                               (drop_connection), or served;
                                               "serve_first": served at once
                                               (a startrace creates its room),
                                               then after the delay the status,
                                               the close or the real answer;
                                               "every": N hits only every Nth
                                               matching request (5: 20%)
  DELETE /faults                               forget them
  POST /faults/random {"path_prefix"?,"path_suffix"?,"rate","seed"?,
                       "modes"?,"delay_ms"?}
                                               each matching request (path
                                               prefix, default "/", and suffix)
                                               fails with probability "rate",
                                               in one of "modes" (equally
                                               likely), drawn from a PRNG
                                               seeded with "seed" (1): the same
                                               seed and requests, the same
                                               faults. Modes: status_5xx_no_
                                               create (answered 5xx, nothing
                                               done), serve_then_5xx (served,
                                               answered 5xx), serve_then_drop
                                               (served, closed unanswered),
                                               serve_late (served, answered
                                               after "delay_ms", default
                                               12000), arrive_late (served and
                                               answered after "delay_ms");
                                               default: status_503_no_create,
                                               serve_then_503, serve_then_drop,
                                               serve_late. One-off faults go
                                               first. Answers as /faults/stats.
  GET  /faults/stats                           the random mix: {"enabled",
                                               "path_prefix","path_suffix",
                                               "rate","seed","modes",
                                               "delay_ms","matched","faulted",
                                               "by_mode":{mode: count}}
  DELETE /faults/random                        stop it (counts stay)
  POST /demo-players {"enabled"?,"accept_after_ms"?,"ready_after_ms"?,
                      "finish_min_ms"?,"finish_max_ms"?,"forfeit_rate"?,
                      "undo_rate"?,"undo_after_ms"?,
                      "seed"?}                 users a bot invites accept,
                                               ready (after accepting), and
                                               finish (or forfeit, with that
                                               probability) at a random time
                                               in [min, max] after the start,
                                               min over 5000; with undo_rate's
                                               probability take it back
                                               undo_after_ms later and make it
                                               again as much later (the last
                                               one reopens the race); each
                                               POST sets all, omitted fields
                                               take the defaults (true, 1500,
                                               3000, 8000, 20000, 0, 0, 2000,
                                               1)
  GET  /demo-players                           the settings
  GET  /races                                  every race ever opened, oldest
                                               first: [{"name","category",
                                               "slug","status","version",
                                               "info_user","info_bot",
                                               "opened_at","opened_by" (client
                                               id),"opened_by_bot" (name),
                                               "invitational","goal":{"name",
                                               "custom"},"started_at",
                                               "ended_at","cancelled_at",
                                               "entrants":[{"user","name",
                                               "status","place",
                                               "finish_time"}]}]
  GET  /races/{slug}                           race data and chat
  POST /races/{slug}/users/{user}/{join|request_invite|accept_invite|
        decline_invite|cancel_invite|ready|unready|done|undone|forfeit|
        unforfeit|leave|stream_live|stream_offline}
  POST /races/{slug}/users/{user}/message {"message"}   chat as the user
        (".ready" and other commands are run, as racetime.gg does)
  POST /races/{slug}/hold-race-data {"delay_ms"?, "count"?}
                                               the next race.data broadcasts
                                               arrive late (out of order)
  POST /races/{slug}/drop-sockets              close every socket of a race
  POST /races/{slug}/mute | /unmute            go silent without closing
  POST /races/{slug}/stall-reads | /resume-reads
                                               current sockets stop reading,
                                               or read again
  GET  /log[?kind=startrace|race_opened|edit|race_edited|action|token|
             random_fault]                     everything bots did (a bot
                                               action with the bot's IP
                                               address as "peer"), and each
                                               random fault ({"n","mode",
                                               "path"}: n counts matching
                                               requests from 1)
)";

std::vector<std::string> split(const std::string& text, std::size_t max) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() + 1 < max) {
    auto colon = text.find(':', start);
    if (colon == std::string::npos)
      break;
    out.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  out.push_back(text.substr(start));
  return out;
}

void seed(sim::world& w, const config::command_line& cli) {
  for (const auto& [name, value] : cli.options) {
    if (name == "category") {
      auto p = split(value, 2);
      w.add_category(
          {p[0], p.size() > 1 ? p[1] : p[0], "", {}, false, false, false});
    } else if (name == "goal") {
      auto p = split(value, 2);
      if (p.size() != 2 || !w.find_category(p[0]))
        throw config::config_error(
            "--goal needs CATEGORY:GOAL of a known category");
      w.add_goal(p[0], p[1]);
    } else if (name == "bot") {
      auto p = split(value, 4);
      if (p.size() < 3 || !w.find_category(p[0]))
        throw config::config_error(
            "--bot needs CATEGORY:CLIENT_ID:SECRET[:NAME]");
      w.oauth().add_application({p[1],
                                 p[2],
                                 p.size() > 3 ? p[3] : p[1],
                                 sim::application::grant::client_credentials,
                                 p[0],
                                 true,
                                 {}});
    } else if (name == "app") {
      auto p = split(value, 3);
      if (p.size() != 3)
        throw config::config_error("--app needs CLIENT_ID:SECRET:REDIRECT_URI");
      w.oauth().add_application({p[0],
                                 p[1],
                                 p[0],
                                 sim::application::grant::authorization_code,
                                 "",
                                 true,
                                 {p[2]}});
    } else if (name == "user") {
      auto p = split(value, 3);
      if (p.size() < 2)
        throw config::config_error("--user needs ID:NAME[:TWITCH]");
      w.add_user(
          {p[0], p[1], "0000",
           p.size() > 2 ? std::optional<std::string>{p[2]} : std::nullopt,
           false});
    } else if (name == "authorize-user") {
      w.oauth().set_session(value);
    } else if (name == "token-lifetime") {
      w.oauth().set_token_lifetime(std::chrono::seconds{std::stoll(value)});
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  // Benchmarks hold thousands of bot sockets open here.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  config::command_line cli;
  sim::server_options options;
  double time_scale = 1.0;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc),
        {"help", "version", "demo-players"},
        {"address", "port", "control-port", "tls-cert", "tls-key", "time-scale",
         "token-lifetime", "unknown-race-hang", "bot-data-cache", "ws-ping",
         "low-entrants-limit", "seed", "category", "goal", "bot", "app", "user",
         "authorize-user", "log-level"});
    if (cli.has("help")) {
      std::cout << usage;
      return 0;
    }
    if (cli.has("version")) {
      std::cout << "racetime-sim " << racecontrol::version << "\n";
      return 0;
    }
    options.address = cli.value("address").value_or("127.0.0.1");
    options.port = static_cast<std::uint16_t>(
        std::stoi(cli.value("port").value_or("8910")));
    options.control_port = static_cast<std::uint16_t>(
        std::stoi(cli.value("control-port").value_or("8911")));
    options.tls_cert = cli.value("tls-cert").value_or("");
    options.tls_key = cli.value("tls-key").value_or("");
    options.unknown_race_hang = std::chrono::milliseconds{
        std::stoll(cli.value("unknown-race-hang").value_or("0"))};
    options.bot_category_ttl = std::chrono::milliseconds{
        std::stoll(cli.value("bot-data-cache").value_or("60000"))};
    options.ws_ping = std::chrono::milliseconds{
        std::stoll(cli.value("ws-ping").value_or("20000"))};
    options.low_entrants_limit = std::chrono::milliseconds{
        std::stoll(cli.value("low-entrants-limit").value_or("1800000"))};
    time_scale = std::stod(cli.value("time-scale").value_or("1"));
    options.seed = cli.value("seed")
                       ? std::stoull(*cli.value("seed"))
                       : (std::uint64_t{std::random_device{}()} << 32) ^
                             std::random_device{}();
    config::log_options log;
    if (auto level = cli.value("log-level")) {
      auto parsed = config::parse_log_level(*level);
      if (!parsed)
        throw config::config_error("--log-level: unknown level " + *level);
      log.level = *parsed;
    }
    config::setup_logging(log, "racetime-sim");
  } catch (const std::exception& e) {
    std::cerr << "racetime-sim: " << e.what() << "\n";
    return 2;
  }
  boost::asio::io_context io;
  sim::server srv{io, time_scale, options};
  try {
    seed(srv.state(), cli);
    if (cli.has("demo-players"))
      srv.enable_demo_players();
    srv.start();
  } catch (const std::exception& e) {
    std::cerr << "racetime-sim: " << e.what() << "\n";
    return 2;
  }
  spdlog::info(
      "racetime-sim {} listening on {}://{}:{} (control API on port {}), "
      "time scale {}",
      racecontrol::version, options.tls_cert.empty() ? "http" : "https",
      options.address, srv.port(), srv.control_port(), time_scale);
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](boost::system::error_code, int) {
    spdlog::info("racetime-sim stopping");
    io.stop();
  });
  io.run();
  return 0;
}
