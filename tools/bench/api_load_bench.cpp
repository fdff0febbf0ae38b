// api_load_bench: 200 concurrent API clients for 60 s against racecontrold
// while it opens and watches rooms (issue 12's load point). Seeds a
// tournament whose matches fall due during the load, each of two linked
// players whom racetime-sim's demo players play for, starts racecontrold
// and racetime-sim (the built binaries) as processes, and runs N clients,
// each on a keep-alive connection of its own, sending authenticated reads
// one after the other for the whole duration: a match's room (seed 001's
// GET), a match, a page of matches, a page of rooms, a tournament. Then it
// waits until every race has its result recorded and prints:
//
// - requests, requests per second, latency p50/p90/p99/max, and every
//   answer that is not 200 or transport failure counted as an error;
// - how the rooms fared meanwhile: lateness of each room against its open
//   time, and the lag from each race's end on the simulator to the
//   race_finished row racecontrol wrote (both from the clocks of the
//   simulator and MariaDB, in UTC);
// - racecontrold's CPU and RSS over the load, and this program's own CPU
//   (it shares the machine's cores).
//
// Exit status 1 when a request failed or a room or result is missing.
//
//   api_load_bench [--clients 200] [--seconds 60] [--matches 100]
//                  [--time-scale 0.25] [--database URL] [--keep-logs DIR]
//                  [--SECTION.KEY=VALUE ...]   (passed on to racecontrold)

#include "config/command_line.hpp"
#include "persistence/api_token_repository.hpp"
#include "protocol/iso8601.hpp"
#include "protocol/json.hpp"
#include "tools/bench/bench_world.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <random>

using namespace racecontrol;
using namespace racecontrol::bench;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr const char* bot_client = "load-client";
constexpr const char* bot_secret = "load-secret";

struct options {
  std::size_t clients = 200;
  seconds duration{60};
  std::size_t matches = 100;
  double time_scale = 0.25;
};

/// What every client saw, merged at the end.
struct tally {
  std::vector<double> latency_ms;
  std::map<std::string, std::size_t> errors; ///< "status 503", "read: ..."
  std::size_t requests = 0;
};

/// One API client: a keep-alive connection, one request at a time until
/// the stop time, reconnecting when the server closes the connection.
class load_client : public std::enable_shared_from_this<load_client> {
 public:
  load_client(asio::io_context& io, asio::ip::tcp::endpoint server,
              std::string token, std::size_t matches, unsigned seed,
              clock_type::time_point stop_at, tally& out)
      : stream_(io), server_(server), token_(std::move(token)),
        matches_(matches), random_(seed), stop_at_(stop_at), out_(out) {}

  void start() { connect(); }

 private:
  void connect() {
    stream_.expires_after(seconds{10});
    stream_.async_connect(server_,
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec)
                              return self->fail("connect: " + ec.message());
                            self->send();
                          });
  }

  /// The next read of the mix: the seed endpoint most often, as a
  /// tournament's page or a bot would poll it.
  std::string next_target() {
    auto match = std::to_string(1 + random_() % matches_);
    switch (random_() % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        return "/api/matches/" + match + "/racetime-room";
      case 4:
      case 5:
        return "/api/matches/" + match;
      case 6:
      case 7:
        return "/api/matches?limit=20";
      case 8:
        return "/api/rooms?limit=20";
      default:
        return "/api/tournaments/1";
    }
  }

  void send() {
    if (clock_type::now() >= stop_at_)
      return close();
    request_ = {http::verb::get, next_target(), 11};
    request_.set(http::field::host, "127.0.0.1");
    request_.set(http::field::authorization, "Bearer " + token_);
    request_.keep_alive(true);
    sent_at_ = clock_type::now();
    stream_.expires_after(seconds{30});
    http::async_write(
        stream_, request_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return self->fail("write: " + ec.message());
          self->receive();
        });
  }

  void receive() {
    response_ = {};
    http::async_read(
        stream_, buffer_, response_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return self->fail("read: " + ec.message());
          self->answered();
        });
  }

  void answered() {
    ++out_.requests;
    out_.latency_ms.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - sent_at_)
            .count());
    if (response_.result_int() != 200)
      ++out_.errors["status " + std::to_string(response_.result_int()) + " " +
                    std::string{request_.target()}];
    if (response_.keep_alive())
      return send();
    // The server may end a connection between requests (its own limit);
    // a client then opens a new one, as any HTTP client would.
    beast::error_code ignored;
    stream_.socket().close(ignored);
    buffer_.clear();
    connect();
  }

  void fail(const std::string& what) {
    ++out_.errors[what];
    close();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  asio::ip::tcp::endpoint server_;
  std::string token_;
  std::size_t matches_;
  std::minstd_rand random_;
  clock_type::time_point stop_at_;
  tally& out_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  http::response<http::string_body> response_;
  clock_type::time_point sent_at_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

/// The port racecontrold's log names in "http: listening on 127.0.0.1:N".
std::uint16_t http_port_of(child& daemon) {
  log_reader log{daemon.log_path()};
  auto line = log.wait_for("http: listening on", seconds{30}, daemon);
  if (!line)
    die("racecontrold did not start its HTTP server:\n" +
        tail_of(daemon.log_path()));
  auto colon = line->rfind(':');
  return static_cast<std::uint16_t>(std::stoi(line->substr(colon + 1)));
}

/// A token of organization 1 that may read everything the clients ask.
std::string api_token(scratch& db) {
  persistence::api_token_repository tokens{db.odb()};
  auto made = tokens.create(1, "api_load_bench",
                            {"tournaments:read", "matches:read", "rooms:read"});
  if (auto* refused = std::get_if<persistence::api_token_refused>(&made))
    die("could not create an API token: " + refused->message);
  return std::get<persistence::api_token_created>(made).plaintext.reveal();
}

double cpu_seconds_of_this_program() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

tally run_load(const options& o, std::uint16_t port, const std::string& token) {
  asio::io_context io;
  tally out;
  out.latency_ms.reserve(1 << 20);
  asio::ip::tcp::endpoint server{asio::ip::make_address("127.0.0.1"), port};
  auto stop_at = clock_type::now() + o.duration;
  for (std::size_t i = 0; i < o.clients; ++i)
    std::make_shared<load_client>(io, server, token, o.matches,
                                  static_cast<unsigned>(i + 1), stop_at, out)
        ->start();
  io.run();
  return out;
}

/// Milliseconds from each race's end on the simulator to racecontrol's
/// race_finished row of its room.
std::vector<double> result_lag_ms(client& c, const sim_process& sim,
                                  scratch& db) {
  std::map<std::string, protocol::time_point> ended;
  auto doc = protocol::parse_json(c.control(sim.control_port, "/races").body,
                                  256 * 1024 * 1024);
  for (const auto& r : doc.GetArray())
    if (r.HasMember("ended_at") && r["ended_at"].IsString())
      if (auto t = protocol::parse_iso8601_time(r["ended_at"].GetString()))
        ended[r["name"].GetString()] = *t;
  std::vector<double> out;
  for (const auto& row : db.rows(
           "SELECT r.slug, DATE_FORMAT(a.created_at, '%Y-%m-%dT%H:%i:%s.%fZ') "
           "FROM audit_log a JOIN racetime_rooms r ON a.entity_type = "
           "'racetime_room' AND a.entity_id = r.id WHERE a.action = "
           "'race_finished'")) {
    auto end = ended.find(*row[0]);
    auto written = protocol::parse_iso8601_time(*row[1]);
    if (end != ended.end() && written)
      out.push_back(
          std::chrono::duration<double, std::milli>(*written - end->second)
              .count());
  }
  return out;
}

/// Waits until every room has its race_finished or race_cancelled row.
long wait_for_results(scratch& db, child& daemon, std::size_t matches) {
  auto deadline = clock_type::now() + seconds{300};
  for (;;) {
    long done = db.number(
        "SELECT COUNT(DISTINCT entity_id) FROM audit_log WHERE entity_type = "
        "'racetime_room' AND action IN ('race_finished', 'race_cancelled')");
    if (done >= static_cast<long>(matches) || clock_type::now() > deadline)
      return done;
    if (!daemon.running())
      die("racecontrold ended:\n" + tail_of(daemon.log_path()));
    std::this_thread::sleep_for(milliseconds{250});
  }
}

std::vector<double> lateness_ms(scratch& db) {
  std::vector<double> out;
  for (const auto& row : db.rows(
           "SELECT TIMESTAMPDIFF(MICROSECOND, m.scheduled_at - INTERVAL 60 "
           "SECOND, a.created_at) / 1000 FROM audit_log a JOIN racetime_rooms "
           "r ON a.entity_type = 'racetime_room' AND a.entity_id = r.id JOIN "
           "matches m ON m.id = r.match_id WHERE a.action = 'room_created'"))
    out.push_back(std::stod(*row[0]));
  return out;
}

options options_of(const config::command_line& cli) {
  options o;
  o.clients = std::stoul(cli.value("clients").value_or("200"));
  o.duration = seconds{std::stol(cli.value("seconds").value_or("60"))};
  o.matches = std::stoul(cli.value("matches").value_or("100"));
  o.time_scale = std::stod(cli.value("time-scale").value_or("0.25"));
  if (o.clients == 0 || o.matches == 0 || o.duration.count() < 10)
    die("--clients and --matches need a positive count, --seconds at least "
        "10");
  return o;
}

} // namespace

int main(int argc, char** argv) {
  set_program_name("api_load_bench");
  config::command_line cli;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {},
        {"clients", "seconds", "matches", "time-scale", "database",
         "keep-logs"});
  } catch (const std::exception& e) {
    die(e.what());
  }
  auto opt = options_of(cli);
  std::string dir;
  if (auto keep = cli.value("keep-logs")) {
    dir = *keep;
  } else {
    char tmpl[] = "/tmp/api-load-bench-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  scratch db{database_url_of(cli.value("database")), "api_load_bench"};
  auto sim = start_sim(
      RACETIME_SIM_PATH, dir, bot_client, bot_secret,
      {"--time-scale", std::to_string(opt.time_scale), "--demo-players"});
  client c;
  add_sim_users(c, sim, 0, 2 * opt.matches);
  auto setup = daemon_setup_for(db, sim, RACECONTROLD_PATH, dir);
  for (const auto& [key, value] : cli.overrides)
    setup.overrides.push_back("--" + key + "=" + value);

  // The rooms open during the load's first half, so their races start,
  // run and end while the clients read.
  constexpr double lead = 25;
  automation_plan plan;
  plan.matches = opt.matches;
  plan.first_open_in = lead;
  plan.spread = static_cast<double>(opt.duration.count()) / 2;
  seed_automation(db, plan, bot_client, bot_secret);
  auto load_start = clock_type::now() + seconds{static_cast<long>(lead) - 5};
  auto token = api_token(db);
  std::printf("api_load_bench: %zu clients for %lld s; %zu matches opening "
              "over the load's first %.0f s; logs in %s\n",
              opt.clients, static_cast<long long>(opt.duration.count()),
              opt.matches, plan.spread, dir.c_str());
  std::fflush(stdout);

  auto daemon = start_daemon(setup, "racecontrold");
  auto port = http_port_of(*daemon);
  wait_for_bot(db, *daemon);
  if (clock_type::now() > load_start)
    die("racecontrold was ready too late for the first open time");
  std::this_thread::sleep_until(load_start);

  auto cpu0 = cpu_of(daemon->pid());
  double own0 = cpu_seconds_of_this_program();
  auto t0 = clock_type::now();
  auto load = run_load(opt, port, token);
  double elapsed = since(t0);
  double daemon_cpu =
      cpu_of(daemon->pid()).total_seconds() - cpu0.total_seconds();
  double own_cpu = cpu_seconds_of_this_program() - own0;
  long rss = status_field(daemon->pid(), "VmRSS");
  long results_during_load = db.number(
      "SELECT COUNT(*) FROM audit_log WHERE action = 'race_finished'");

  long results = wait_for_results(db, *daemon, opt.matches);
  auto late = lateness_ms(db);
  auto lag = result_lag_ms(c, sim, db);
  daemon->stop(seconds{60});
  sim.process->stop(seconds{10});

  std::size_t errors = 0;
  for (const auto& [what, count] : load.errors)
    errors += count;
  std::printf(
      "\n%zu clients for %.1f s (%ld cores, shared by racecontrold, MariaDB, "
      "racetime-sim and this program):\n"
      "  %zu requests, %.0f requests/s; latency p50 %.1f ms, p90 %.1f ms, "
      "p99 %.1f ms, max %.1f ms; %zu errors\n"
      "  racecontrold CPU %.1f s (%.0f%% of a core), RSS %.1f MiB at the end; "
      "this program's CPU %.1f s\n"
      "rooms meanwhile (%zu matches opening during the load):\n"
      "  %zu rooms created, lateness p50 %.0f ms, p95 %.0f ms, max %.0f ms\n"
      "  %ld races finished and recorded while the load ran, %ld rooms with "
      "their end recorded in all; lag from a race's end to its "
      "race_finished row p50 %.0f ms, max %.0f ms (%zu races)\n",
      opt.clients, elapsed, sysconf(_SC_NPROCESSORS_ONLN), load.requests,
      static_cast<double>(load.requests) / elapsed,
      percentile(load.latency_ms, 0.5), percentile(load.latency_ms, 0.9),
      percentile(load.latency_ms, 0.99), percentile(load.latency_ms, 1.0),
      errors, daemon_cpu, 100.0 * daemon_cpu / elapsed,
      static_cast<double>(rss) / 1024.0, own_cpu, opt.matches, late.size(),
      percentile(late, 0.5), percentile(late, 0.95), percentile(late, 1.0),
      results_during_load, results, percentile(lag, 0.5), percentile(lag, 1.0),
      lag.size());
  for (const auto& [what, count] : load.errors)
    std::printf("  error: %zu x %s\n", count, what.c_str());
  bool ok = errors == 0 && late.size() == opt.matches &&
            results == static_cast<long>(opt.matches);
  if (!ok)
    std::printf("FAILED: expected no error, a room per match and every "
                "race's end recorded\n");
  return ok ? 0 : 1;
}
