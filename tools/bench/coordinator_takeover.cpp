// coordinator_takeover: a standby coordinator takes over (issue 13).
// Coordinators coord-a and coord-b share one MariaDB database, each with
// its own cluster.listen; one worker, w1, knows both. Matches fall due one
// after another in racetime-sim (the built binary); halfway through, the
// active coordinator is SIGKILLed. It measures how long until the standby
// logs that it is the active coordinator (required: under 10 s) and checks
// that every match that fell due before, during and after the takeover has
// exactly one room in racetime-sim (counted by the match marker in
// info_bot, soak_tally's count) and one row in MariaDB holding that room's
// slug, and that the worker joined the new coordinator. Exit status 1 when
// anything is wrong.
//
//   coordinator_takeover [--matches 24] [--spread-seconds 24]
//                        [--database URL] [--keep-logs DIR]
//
// URL defaults to TEST_DATABASE_URL.

#include "config/command_line.hpp"
#include "tools/bench/bench_world.hpp"
#include "tools/bench/soak_tally.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

using namespace racecontrol;
using namespace racecontrol::bench;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* bot_client = "takeover-client";
constexpr const char* bot_secret = "takeover-secret";
/// Time for both coordinators and the worker to come up before the first
/// match falls due.
constexpr double first_open = 15;

struct takeover_options {
  std::size_t matches = 24;
  double spread = 24;
  std::optional<std::string> database;
  std::optional<std::string> keep_logs;
};

takeover_options parse_options(int argc, char** argv) {
  auto cli = config::parse_command_line(
      std::vector<std::string>(argv + 1, argv + argc), {},
      {"matches", "spread-seconds", "database", "keep-logs"});
  takeover_options o;
  if (auto v = cli.value("matches"))
    o.matches = std::stoul(*v);
  if (auto v = cli.value("spread-seconds"))
    o.spread = std::stod(*v);
  o.database = cli.value("database");
  o.keep_logs = cli.value("keep-logs");
  if (o.matches < 3 || o.spread < 3)
    die("--matches and --spread-seconds must be at least 3");
  return o;
}

/// A port free on 127.0.0.1 now (the coordinators' cluster.listen must be
/// known to the worker before the standby listens on it).
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    die("cannot find a free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

struct world {
  takeover_options options;
  std::string dir;
  std::unique_ptr<scratch> db;
  client c;
  sim_process sim;
  clock_type::time_point seeded;
  std::uint16_t port_a = 0, port_b = 0;
};

/// The settings every node gets, with node `name`'s certificate.
daemon_setup setup_for(world& w, const std::string& name) {
  auto s = daemon_setup_for(*w.db, w.sim, RACECONTROLD_PATH, w.dir);
  auto certs = w.dir + "/certs/cluster/";
  s.overrides = {"--daemon.node_name=" + name,
                 "--cluster.certificate=" + certs + name + ".pem",
                 "--cluster.key=" + certs + name + ".key",
                 "--cluster.ca=" + certs + "ca.pem",
                 "--automation.recheck_interval=2s",
                 "--automation.startrace_timeout=1s",
                 "--automation.search_after=5s",
                 "--automation.search_interval=500ms",
                 "--rooms.refresh_interval=2s",
                 "--database.health_interval=1s"};
  return s;
}

std::unique_ptr<child> start_coordinator(world& w, const std::string& name,
                                         std::uint16_t port) {
  auto s = setup_for(w, name);
  s.overrides.push_back("--cluster.role=coordinator");
  s.overrides.push_back("--cluster.listen=127.0.0.1:" + std::to_string(port));
  return start_daemon(s, name);
}

std::unique_ptr<child> start_worker(world& w) {
  auto s = setup_for(w, "w1");
  s.overrides.push_back("--cluster.role=worker");
  s.overrides.push_back(
      "--cluster.coordinator=127.0.0.1:" + std::to_string(w.port_a) +
      ",127.0.0.1:" + std::to_string(w.port_b));
  return start_daemon(s, "w1");
}

void set_up(world& w) {
  const auto& o = w.options;
  if (o.keep_logs) {
    w.dir = *o.keep_logs;
  } else {
    char tmpl[] = "/tmp/coordinator-takeover-XXXXXX";
    w.dir = mkdtemp(tmpl);
  }
  auto certs = std::string{RACECONTROL_SOURCE_DIR} + "/tools/cluster-certs " +
               w.dir + "/certs/cluster coord-a coord-b w1 >/dev/null";
  if (std::system(certs.c_str()) != 0)
    die("tools/cluster-certs failed: " + certs);
  w.db = std::make_unique<scratch>(database_url_of(o.database),
                                   "coordinator_takeover");
  w.sim = start_sim(RACETIME_SIM_PATH, w.dir, bot_client, bot_secret,
                    {"--time-scale", "0.05", "--bot-data-cache", "2000"});
  add_sim_users(w.c, w.sim, 0, 2 * o.matches);
  automation_plan plan;
  plan.matches = o.matches;
  plan.tournaments = 2;
  plan.first_open_in = first_open;
  plan.spread = o.spread;
  w.seeded = clock_type::now();
  seed_automation(*w.db, plan, bot_client, bot_secret);
  w.port_a = free_port();
  w.port_b = free_port();
  std::printf("coordinator_takeover: %zu matches falling due over %.0f s "
              "from %.0f s on; database %s, logs in %s\n",
              o.matches, o.spread, first_open, w.db->url().redacted().c_str(),
              w.dir.c_str());
  std::fflush(stdout);
}

/// Seconds after seeding when match i (0-based) falls due.
double due_at(const world& w, std::size_t i) {
  return first_open + double(i) * w.options.spread / double(w.options.matches);
}

long rooms_created(world& w) {
  return w.db->number(
      "SELECT COUNT(*) FROM racetime_rooms WHERE claim_state = 'created'");
}

void wait_for_line(log_reader& log, child& process, const std::string& text,
                   seconds limit) {
  if (!log.wait_for(text, limit, process))
    die("no '" + text + "' within " + std::to_string(limit.count()) + " s:\n" +
        tail_of(process.log_path()));
}

/// Lines of a log that contain `text`.
std::size_t lines_with(const std::string& path, const std::string& text) {
  std::size_t n = 0;
  log_reader r{path};
  r.each_new_line([&](const std::string& line) {
    n += line.find(text) != std::string::npos;
    return true;
  });
  return n;
}

int run(int argc, char** argv) {
  world w;
  w.options = parse_options(argc, argv);
  set_up(w);
  auto a = start_coordinator(w, "coord-a", w.port_a);
  log_reader a_log{a->log_path()};
  wait_for_line(a_log, *a, "coord-a is now the active coordinator",
                seconds{30});
  auto b = start_coordinator(w, "coord-b", w.port_b);
  log_reader b_log{b->log_path()};
  wait_for_line(b_log, *b, "coord-b is standby", seconds{30});
  auto worker = start_worker(w);
  wait_for_line(a_log, *a, "cluster: worker w1 joined", seconds{30});
  wait_for_bot(*w.db, *a);
  // Kill halfway through the matches falling due.
  double kill_at = first_open + w.options.spread / 2;
  while (since(w.seeded) < kill_at)
    std::this_thread::sleep_for(milliseconds{50});
  std::printf("[%5.1f s] %ld rooms opened; SIGKILL coord-a\n", since(w.seeded),
              rooms_created(w));
  auto killed = clock_type::now();
  double killed_at = since(w.seeded);
  a->kill_now();
  wait_for_line(b_log, *b, "coord-b is now the active coordinator",
                seconds{30});
  double takeover = since(killed);
  double active_at = since(w.seeded);
  std::printf("[%5.1f s] coord-b is the active coordinator %.2f s after the "
              "kill\n",
              active_at, takeover);
  std::fflush(stdout);
  // Every match due, and a little time for the last one's room.
  auto settle_end = clock_type::now() + seconds{long(w.options.spread) + 60};
  auto n = static_cast<long>(w.options.matches);
  while (rooms_created(w) < n && clock_type::now() < settle_end)
    std::this_thread::sleep_for(milliseconds{500});
  bool rejoined =
      bool(b_log.wait_for("cluster: worker w1 joined", seconds{30}, *b));
  auto tally = tally_soak(*w.db, w.options.matches,
                          w.c.control(w.sim.control_port, "/races").body,
                          R"({"messages": [], "nonces": []})");
  std::size_t before = 0, during = 0, after = 0;
  for (std::size_t i = 0; i < w.options.matches; ++i) {
    auto t = due_at(w, i);
    (t < killed_at ? before : t < active_at ? during : after)++;
  }
  std::printf("\n--- coordinator_takeover ---\n");
  std::printf("takeover: %.2f s from SIGKILL of coord-a to coord-b active "
              "(required < 10 s)\n",
              takeover);
  std::printf("matches due before the kill %zu, during the takeover %zu, "
              "after %zu\n",
              before, during, after);
  std::printf("racetime-sim rooms by marker: %zu matches with one room, %zu "
              "with none, %zu with several; %zu races\n",
              tally.marker_one, tally.marker_none, tally.marker_many,
              tally.sim_races);
  std::printf("MariaDB: %zu rows hold the marked room's slug, %zu claims "
              "still creating, %zu matches without a row\n",
              tally.rows_with_sim_slug, tally.rows_creating,
              tally.rows_missing);
  std::printf("worker w1 joined coord-b after the takeover: %s\n",
              rejoined ? "yes" : "no");
  auto m = w.options.matches;
  bool ok = takeover < 10 && tally.marker_one == m && tally.marker_many == 0 &&
            tally.marker_none == 0 && tally.rows_with_sim_slug == m &&
            tally.rows_creating == 0 && tally.rows_missing == 0 && rejoined &&
            lines_with(b->log_path(), "rooms carry the claim's marker") == 0;
  std::printf("verdict: %s\n", ok ? "every count as required" : "WRONG");
  b->stop(seconds{10});
  worker->stop(seconds{10});
  w.sim.process->stop(seconds{10});
  // The logs stay for a failure to be read, or when asked for.
  if (ok && !w.options.keep_logs)
    std::filesystem::remove_all(w.dir);
  else
    std::printf("logs in %s\n", w.dir.c_str());
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  set_program_name("coordinator_takeover");
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    die(e.what());
  }
}
