// cluster_soak: rooms placed on worker nodes (issue 13), every node a real
// process. Seeds matches whose rooms open within a short spread, runs a
// coordinator and three workers (mutual TLS on loopback, certificates from
// tools/cluster-certs) against racetime-sim (the built binary, its demo
// players accepting, readying and finishing), and
//   1. once every room is placed, prints the rooms each worker got and
//      checks the busiest has at most 1.5 times the least busy; then makes
//      the coordinator's lease run out by MariaDB's clock alone (as a
//      paused VM does) and checks it retakes it and goes on;
//   2. SIGKILLs the worker hosting the most live rooms, mid-race, and
//      prints how long after the kill each of its rooms was watched again
//      on a survivor (the coordinator's "placement: room ... watched on"
//      line; must be under 10 s);
//   then `drain NODE` in the coordinator's console for the survivor with
//   the most live rooms (each watched elsewhere within 10 s), and a SIGKILL
//   and restart of the coordinator (the workers join again and keep their
//   rooms: printed, not checked);
//   3. waits for every race's result and counts (soak_tally): one room per
//      match on the simulator, every result recorded exactly once, and no
//      player invited twice (racetime-sim's record of bot actions).
// With --cut-off (as root) the last worker runs in a network namespace of
// its own, joined to this one by a veth pair, reaching MariaDB through its
// unix socket (not cut: the worst case for fencing) and racetime-sim and
// the coordinator over the veth; mid-race the link is taken down instead
// of the kill: its rooms must be watched again elsewhere within 10 s, the
// worker must say it stopped acting once its lease ran out, and after that
// moment racetime-sim must have no action from its address (also once the
// link is up again and it has joined again); no drain or restart then.
// With --capacity it injects no fault (no kill, drain or restart) and
// measures instead: each worker's resident memory before its first room
// and at its peak, its CPU time, and from those the memory and CPU per
// room; run it with --workers 1, 2 and 3 to compare.
// Exit status 1 when a check fails.
//
//   cluster_soak [--matches 300] [--workers 3] [--capacity | --cut-off]
//                [--spread-seconds N] [--time-scale 1]
//                [--finish-timeout 300] [--database URL] [--keep-logs DIR]
//                [--SECTION.KEY=VALUE ...]   (passed on to every racecontrold)
//
// The matches default comes from CLUSTER_SOAK_MATCHES when set; the spread
// defaults to 0.05 s per match.

#include "config/command_line.hpp"
#include "protocol/iso8601.hpp"
#include "protocol/json.hpp"
#include "tests/support/line_client.hpp"
#include "tools/bench/bench_world.hpp"
#include "tools/bench/soak_tally.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

using namespace racecontrol;
using namespace racecontrol::bench;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* bot_client = "cluster-client";
constexpr const char* bot_secret = "cluster-secret";
std::vector<std::string> worker_names{"w1", "w2", "w3"};
constexpr const char* console_password = "cluster-soak-console";

struct soak_options {
  std::size_t matches = 300;
  std::size_t workers = 3;
  bool capacity = false;
  bool cut_off = false;
  double spread = -1;
  double time_scale = 1;
  seconds finish_timeout{300};
  std::optional<std::string> database;
  std::optional<std::string> keep_logs;
  std::vector<std::string> overrides;
};

soak_options parse_options(int argc, char** argv) {
  config::command_line cli;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc),
        {"capacity", "cut-off"},
        {"matches", "workers", "spread-seconds", "time-scale", "finish-timeout",
         "database", "keep-logs"});
  } catch (const std::exception& e) {
    die(e.what());
  }
  soak_options o;
  double matches = 300;
  if (const char* env = std::getenv("CLUSTER_SOAK_MATCHES"))
    matches = std::atof(env);
  o.matches =
      static_cast<std::size_t>(number_option(cli, "matches", matches, 3));
  o.workers = static_cast<std::size_t>(number_option(cli, "workers", 3, 1));
  o.capacity = cli.has("capacity");
  o.cut_off = cli.has("cut-off");
  if (o.capacity && o.cut_off)
    die("--capacity and --cut-off exclude each other");
  if (o.cut_off && o.workers < 2)
    die("--cut-off needs at least 2 workers");
  o.spread = number_option(cli, "spread-seconds", 0.05 * double(o.matches), 0);
  o.time_scale = number_option(cli, "time-scale", 1, 0.01);
  o.finish_timeout =
      seconds{static_cast<long>(number_option(cli, "finish-timeout", 300, 1))};
  o.database = cli.value("database");
  o.keep_logs = cli.value("keep-logs");
  for (const auto& [key, value] : cli.overrides)
    o.overrides.push_back("--" + key + "=" + value);
  return o;
}

/// The network namespace of --cut-off and the veth pair that joins it.
struct cut_network {
  std::string ns, host_if, ns_if;
  std::string host_ip, ns_ip;
  bool made = false;
};

cut_network* network_to_remove = nullptr;

void remove_network() {
  if (!network_to_remove || !network_to_remove->made)
    return;
  network_to_remove->made = false;
  std::system(("ip link del " + network_to_remove->host_if +
               " 2>/dev/null; ip netns del " + network_to_remove->ns +
               " 2>/dev/null")
                  .c_str());
}

void sh(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null").c_str()) != 0)
    die("failed: " + cmd);
}

/// A namespace and a veth pair, this side HOST_IP, the other NS_IP (a /30
/// of 10.213.0.0/16 chosen by the process id); removed at exit.
void make_network(cut_network& n) {
  if (geteuid() != 0) {
    std::printf("cluster_soak: --cut-off makes a network namespace and needs "
                "root: skipped\n");
    std::exit(77); // ctest's SKIP_RETURN_CODE
  }
  auto id = std::to_string(getpid());
  n.ns = "rccut" + id;
  n.host_if = "rcc" + id + "h";
  n.ns_if = "rcc" + id + "n";
  auto block = (getpid() % 16000) * 4;
  auto net = "10.213." + std::to_string(block / 256) + ".";
  n.host_ip = net + std::to_string(block % 256 + 1);
  n.ns_ip = net + std::to_string(block % 256 + 2);
  network_to_remove = &n;
  std::atexit(remove_network);
  sh("ip netns add " + n.ns);
  n.made = true;
  sh("ip link add " + n.host_if + " type veth peer name " + n.ns_if);
  sh("ip link set " + n.ns_if + " netns " + n.ns);
  sh("ip addr add " + n.host_ip + "/30 dev " + n.host_if);
  sh("ip link set " + n.host_if + " up");
  sh("ip netns exec " + n.ns + " ip addr add " + n.ns_ip + "/30 dev " +
     n.ns_if);
  sh("ip netns exec " + n.ns + " ip link set " + n.ns_if + " up");
  sh("ip netns exec " + n.ns + " ip link set lo up");
}

struct cluster_world {
  soak_options options;
  cut_network cut;
  std::uint16_t cluster_port = 0;
  std::size_t coordinator_lives = 1;
  std::string dir;
  std::unique_ptr<scratch> db;
  sim_process sim;
  client c;
  daemon_setup base;
  std::unique_ptr<child> coordinator;
  std::map<std::string, std::unique_ptr<child>> workers;
};

std::string json_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// The arguments every node gets for its cluster identity.
std::vector<std::string> node_args(const cluster_world& w,
                                   const std::string& name) {
  auto certs = w.dir + "/certs/";
  return {"--daemon.node_name=" + name,
          "--cluster.certificate=" + certs + name + ".pem",
          "--cluster.key=" + certs + name + ".key",
          "--cluster.ca=" + certs + "ca.pem"};
}

/// The setup of the worker in the namespace of --cut-off: run through `ip
/// netns exec`, racetime-sim over the veth, MariaDB on its unix socket.
daemon_setup cut_off_setup(const cluster_world& w) {
  const char* socket_url = std::getenv("TEST_DATABASE_SOCKET_URL");
  if (!socket_url)
    die("--cut-off needs TEST_DATABASE_SOCKET_URL (MariaDB on a unix "
        "socket, which a network namespace does not cut)");
  std::string error;
  auto socket = config::parse_database_url(socket_url, error);
  if (!socket || socket->socket.empty())
    die("TEST_DATABASE_SOCKET_URL names no socket: " + error);
  auto setup = w.base;
  auto url = w.db->url();
  url.password = {};
  url.socket = socket->socket;
  url.host = "localhost";
  setup.database_url = url.to_string();
  setup.racetime_url =
      "http://" + w.cut.host_ip + ":" + std::to_string(w.sim.port);
  setup.prefix = {"/usr/sbin/ip", "netns", "exec", w.cut.ns};
  return setup;
}

std::unique_ptr<child> start_node(const cluster_world& w,
                                  const std::string& name,
                                  std::vector<std::string> role_args,
                                  const std::string& log_name = "",
                                  const daemon_setup* base = nullptr) {
  auto setup = base ? *base : w.base;
  auto ids = node_args(w, name);
  setup.overrides.insert(setup.overrides.end(), ids.begin(), ids.end());
  setup.overrides.insert(setup.overrides.end(), role_args.begin(),
                         role_args.end());
  return start_daemon(setup, log_name.empty() ? name : log_name);
}

void set_up(cluster_world& w) {
  const auto& o = w.options;
  if (o.keep_logs) {
    w.dir = *o.keep_logs;
  } else {
    char tmpl[] = "/tmp/cluster-soak-XXXXXX";
    w.dir = mkdtemp(tmpl);
  }
  worker_names.clear();
  for (std::size_t i = 1; i <= o.workers; ++i)
    worker_names.push_back("w" + std::to_string(i));
  auto certs = std::string{RACECONTROL_SOURCE_DIR} + "/tools/cluster-certs " +
               w.dir + "/certs coordinator";
  for (const auto& name : worker_names)
    certs += " " + name;
  certs += " >/dev/null";
  if (std::system(certs.c_str()) != 0)
    die("cannot make the cluster's certificates: " + certs);
  w.db = std::make_unique<scratch>(database_url_of(o.database), "cluster_soak");
  std::vector<std::string> sim_args{"--time-scale",
                                    json_number(o.time_scale),
                                    "--demo-players",
                                    "--bot-data-cache",
                                    "2000",
                                    "--seed",
                                    "1"};
  if (o.cut_off) {
    make_network(w.cut);
    // The namespace's worker reaches it over the veth.
    sim_args.insert(sim_args.end(), {"--address", "0.0.0.0"});
  }
  w.sim = start_sim(RACETIME_SIM_PATH, w.dir, bot_client, bot_secret, sim_args);
  add_sim_users(w.c, w.sim, 0, 2 * o.matches);
  w.c.control(w.sim.control_port, "/demo-players",
              R"({"enabled": true, "seed": 1})");
  automation_plan plan;
  plan.matches = o.matches;
  plan.tournaments = 2;
  plan.first_open_in = 10;
  plan.spread = o.spread;
  seed_automation(*w.db, plan, bot_client, bot_secret);
  w.base = daemon_setup_for(*w.db, w.sim, RACECONTROLD_PATH, w.dir);
  w.base.overrides = {"--automation.recheck_interval=2s",
                      "--automation.startrace_timeout=2s",
                      "--automation.search_after=5s",
                      "--automation.search_interval=500ms",
                      "--rooms.refresh_interval=2s",
                      "--database.health_interval=1s",
                      "--migrate"};
  w.base.overrides.insert(w.base.overrides.end(), o.overrides.begin(),
                          o.overrides.end());
  w.base.env.push_back(std::string{"RACECONTROL_CONSOLE_PASSWORD="} +
                       console_password);
  std::printf("cluster_soak: %zu matches opening over %.0f s on 1 "
              "coordinator + %zu workers, time scale %g; database %s, logs "
              "in %s\n",
              o.matches, o.spread, worker_names.size(), o.time_scale,
              w.db->url().redacted().c_str(), w.dir.c_str());
  std::fflush(stdout);
}

/// Every line of a file that contains `text`.
std::vector<std::string> lines_with(const std::string& path,
                                    const std::string& text) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.find(text) != std::string::npos)
      out.push_back(line);
  return out;
}

struct placement_line {
  int room_id = 0;
  std::string node;
};

/// "placement: room SLUG (id N) watched on NODE (epoch E)".
std::optional<placement_line> parse_placement(const std::string& line) {
  auto at = line.find("placement: room ");
  auto id = line.find(" (id ", at);
  auto on = line.find(") watched on ", id);
  if (at == std::string::npos || id == std::string::npos ||
      on == std::string::npos)
    return std::nullopt;
  placement_line p;
  p.room_id = std::atoi(line.c_str() + id + 5);
  auto node_at = on + 13;
  p.node = line.substr(node_at, line.find(' ', node_at) - node_at);
  return p;
}

void start_cluster(cluster_world& w) {
  // --cut-off: on every address, so the namespace's worker reaches it.
  auto listen = w.options.cut_off ? "0.0.0.0:0" : "127.0.0.1:0";
  w.coordinator = start_node(w, "coordinator",
                             {"--cluster.role=coordinator",
                              std::string{"--cluster.listen="} + listen,
                              "--console.listen=127.0.0.1:0"});
  log_reader coordinator_log{w.coordinator->log_path()};
  auto line = coordinator_log.wait_for("coordinator listening on ", seconds{60},
                                       *w.coordinator);
  if (!line)
    die("the coordinator did not listen:\n" +
        tail_of(w.coordinator->log_path()));
  // "coordinator listening on ADDRESS:PORT (...)"
  auto at = line->find(':', line->find("coordinator listening on ") + 25);
  auto port = std::atoi(line->c_str() + at + 1);
  w.cluster_port = static_cast<std::uint16_t>(port);
  for (const auto& name : worker_names) {
    if (w.options.cut_off && name == worker_names.back()) {
      auto setup = cut_off_setup(w);
      w.workers[name] = start_node(
          w, name,
          {"--cluster.role=worker", "--cluster.coordinator=" + w.cut.host_ip +
                                        ":" + std::to_string(port)},
          "", &setup);
      continue;
    }
    w.workers[name] =
        start_node(w, name,
                   {"--cluster.role=worker",
                    "--cluster.coordinator=127.0.0.1:" + std::to_string(port)});
  }
  // They join in any order: look at the whole log each time.
  auto deadline = clock_type::now() + seconds{60};
  for (const auto& name : worker_names)
    while (lines_with(w.coordinator->log_path(),
                      "placement: worker " + name + " takes rooms")
               .empty()) {
      if (clock_type::now() > deadline || !w.coordinator->running())
        die("worker " + name + " did not join:\n" +
            tail_of(w.workers[name]->log_path()));
      std::this_thread::sleep_for(milliseconds{100});
    }
  wait_for_bot(*w.db, *w.coordinator);
}

/// A process's resident memory (KiB) and CPU time (user + system, s),
/// read from /proc; zeros once it is gone.
struct usage {
  long rss_kib = 0;
  double cpu_seconds = 0;
};

usage usage_of(pid_t pid) {
  usage u;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      u.rss_kib = std::atol(line.c_str() + 6);
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)),
                   std::istreambuf_iterator<char>());
  // Fields after the command's closing parenthesis; utime and stime are
  // the 12th and 13th of them.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return u;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 1; i <= 13 && rest >> field; ++i)
    if (i >= 12)
      ticks += std::atof(field.c_str());
  u.cpu_seconds = ticks / double(sysconf(_SC_CLK_TCK));
  return u;
}

/// What --capacity measures of one node.
struct node_usage {
  usage idle;    ///< before its first room
  long peak = 0; ///< the highest resident memory seen
  usage last;    ///< when the results were in
};

using usage_map = std::map<std::string, node_usage>;

usage_map idle_usage(cluster_world& w) {
  usage_map out;
  out["coordinator"].idle = usage_of(w.coordinator->pid());
  for (const auto& [name, worker] : w.workers)
    out[name].idle = usage_of(worker->pid());
  return out;
}

void sample_usage(cluster_world& w, usage_map& m) {
  auto take = [&m](const std::string& name, child& c) {
    auto u = usage_of(c.pid());
    if (u.rss_kib == 0)
      return;
    m[name].peak = std::max(m[name].peak, u.rss_kib);
    m[name].last = u;
  };
  take("coordinator", *w.coordinator);
  for (auto& [name, worker] : w.workers)
    take(name, *worker);
}

void print_capacity(const usage_map& m,
                    const std::map<std::string, std::set<int>>& placed,
                    std::size_t matches) {
  std::printf("capacity: %zu worker(s), %zu rooms\n", worker_names.size(),
              matches);
  std::printf("  %-12s %6s %10s %10s %12s %9s %12s\n", "node", "rooms",
              "idle MiB", "peak MiB", "KiB/room", "CPU s", "CPU ms/room");
  for (const auto& [name, u] : m) {
    std::size_t rooms = name == "coordinator" ? matches : 0;
    if (auto it = placed.find(name); it != placed.end())
      rooms = it->second.size();
    double cpu = u.last.cpu_seconds - u.idle.cpu_seconds;
    std::printf("  %-12s %6zu %10.1f %10.1f %12.1f %9.2f %12.2f\n",
                name.c_str(), rooms, double(u.idle.rss_kib) / 1024.0,
                double(u.peak) / 1024.0,
                rooms ? double(u.peak - u.idle.rss_kib) / double(rooms) : 0.0,
                cpu, rooms ? 1000.0 * cpu / double(rooms) : 0.0);
  }
  std::printf("  (coordinator: per match it placed, claimed and watched "
              "over; KiB/room is the peak's growth over the idle process)\n");
}

/// Waits until every match's room was placed; the rooms each worker got.
std::map<std::string, std::set<int>>
wait_for_placements(cluster_world& w, usage_map* usage = nullptr) {
  auto deadline = clock_type::now() + seconds{120} +
                  seconds{static_cast<long>(w.options.spread)};
  for (;;) {
    std::map<std::string, std::set<int>> by_node;
    std::set<int> rooms;
    for (const auto& line :
         lines_with(w.coordinator->log_path(), ") watched on "))
      if (auto p = parse_placement(line); p && rooms.insert(p->room_id).second)
        by_node[p->node].insert(p->room_id);
    if (usage)
      sample_usage(w, *usage);
    if (rooms.size() >= w.options.matches)
      return by_node;
    if (clock_type::now() > deadline)
      die("only " + std::to_string(rooms.size()) + " of " +
          std::to_string(w.options.matches) + " rooms were placed:\n" +
          tail_of(w.coordinator->log_path()));
    std::this_thread::sleep_for(milliseconds{200});
  }
}

bool check_distribution(const std::map<std::string, std::set<int>>& by_node) {
  std::size_t most = 0, least = SIZE_MAX;
  for (const auto& name : worker_names) {
    auto it = by_node.find(name);
    auto n = it == by_node.end() ? 0 : it->second.size();
    std::printf("worker %s: %zu rooms placed\n", name.c_str(), n);
    most = std::max(most, n);
    least = std::min(least, n);
  }
  bool ok = least > 0 && double(most) <= 1.5 * double(least);
  std::printf("distribution: busiest %zu, least busy %zu (%s: at most 1.5 "
              "times)\n",
              most, least, ok ? "ok" : "FAILED");
  return ok;
}

/// The live rooms of each worker, as MariaDB has them.
std::map<std::string, std::set<int>> live_rooms(cluster_world& w) {
  std::map<std::string, std::set<int>> out;
  for (const auto& row : w.db->rows(
           "SELECT COALESCE(owner_node, ''), id FROM racetime_rooms WHERE "
           "claim_state = 'created' AND (status IS NULL OR status NOT IN "
           "('finished', 'cancelled', 'gone'))"))
    out[row[0].value_or("")].insert(std::stoi(row[1].value_or("0")));
  return out;
}

/// Follows the coordinator's log until each room of `moving` was watched
/// on a worker other than `node` (at most 30 s); the seconds from `from`.
void follow_moves(log_reader& follow, const std::string& node,
                  const std::set<int>& moving, clock_type::time_point from,
                  std::map<int, double>& moved) {
  while (moved.size() < moving.size() && since(from) < 30) {
    follow.each_new_line([&](const std::string& line) {
      auto p = parse_placement(line);
      if (p && p->node != node && moving.count(p->room_id) &&
          !moved.count(p->room_id))
        moved[p->room_id] = since(from);
      return true;
    });
    std::this_thread::sleep_for(milliseconds{20});
  }
}

/// Waits (at most a minute) until most live races have started.
void wait_mid_race(cluster_world& w) {
  auto deadline = clock_type::now() + seconds{60};
  while (clock_type::now() < deadline &&
         2 * w.db->number("SELECT COUNT(*) FROM racetime_rooms WHERE status "
                          "= 'in_progress'") <
             w.db->number("SELECT COUNT(*) FROM racetime_rooms WHERE status "
                          "IS NULL OR status NOT IN ('finished', "
                          "'cancelled', 'gone')"))
    std::this_thread::sleep_for(milliseconds{200});
}

/// Kills the worker with the most live rooms and measures, for each of
/// them, the time until the coordinator has it watched on a survivor.
bool kill_and_measure(cluster_world& w) {
  wait_mid_race(w);
  auto live = live_rooms(w);
  std::string victim;
  for (const auto& name : worker_names)
    if (victim.empty() || live[name].size() > live[victim].size())
      victim = name;
  auto moving = live[victim];
  auto in_progress = w.db->number(
      "SELECT COUNT(*) FROM racetime_rooms WHERE status = 'in_progress'");
  if (moving.empty()) {
    std::printf("re-home: FAILED, no live room on any worker to kill (the "
                "races ended too soon)\n");
    return false;
  }
  // The other workers must keep their connections to the coordinator
  // (CAF's TLS transport once dropped them all about a second after one
  // broke: actors/openssl_error_queue.hpp).
  auto survivors_left = [&] {
    std::size_t n = 0;
    for (const auto& name : worker_names)
      if (name != victim)
        n += lines_with(w.coordinator->log_path(),
                        "cluster: worker " + name + " left")
                 .size();
    return n;
  };
  auto left_before = survivors_left();
  log_reader follow{w.coordinator->log_path()};
  follow.each_new_line([](const std::string&) {
    return true;
  });
  std::printf("killing worker %s (SIGKILL) with %zu live room(s); %ld race(s) "
              "in progress\n",
              victim.c_str(), moving.size(), in_progress);
  std::fflush(stdout);
  auto killed = clock_type::now();
  w.workers[victim]->kill_now();
  std::map<int, double> rehomed;
  follow_moves(follow, victim, moving, killed, rehomed);
  double worst = 0;
  for (auto id : moving) {
    auto it = rehomed.find(id);
    if (it == rehomed.end()) {
      std::printf("room %d: not watched again within 30 s\n", id);
      worst = 1e9;
      continue;
    }
    std::printf("room %d: watched again %.2f s after the kill\n", id,
                it->second);
    worst = std::max(worst, it->second);
  }
  bool ok = worst < 10;
  std::printf("re-home: %zu room(s) of %s, slowest %.2f s after the kill (%s: "
              "under 10 s)\n",
              moving.size(), victim.c_str(), worst, ok ? "ok" : "FAILED");
  auto dropped = survivors_left() - left_before;
  std::printf("survivors: the coordinator lost %zu connection(s) to the other "
              "workers meanwhile (%s: none)\n",
              dropped, dropped == 0 ? "ok" : "FAILED");
  return ok && dropped == 0;
}

/// What --cut-off saw: when the cut worker stopped acting (wall clock),
/// and its rooms' slugs.
struct cut_result {
  bool ok = false;
  std::chrono::system_clock::time_point stopped_acting{};
  std::set<std::string> slugs;
};

/// Takes the link of the namespace's worker down mid-race; its rooms must
/// be watched elsewhere within 10 s and it must stop acting once its lease
/// ran out. The link comes up again a few seconds after that (the worker
/// joins again).
cut_result cut_and_measure(cluster_world& w) {
  cut_result r;
  wait_mid_race(w);
  const auto& victim = worker_names.back();
  auto moving = live_rooms(w)[victim];
  if (moving.empty()) {
    std::printf("cut-off: FAILED, worker %s has no live room\n",
                victim.c_str());
    return r;
  }
  for (auto id : moving)
    r.slugs.insert(w.db->scalar("SELECT slug FROM racetime_rooms WHERE id = " +
                                std::to_string(id)));
  log_reader follow{w.coordinator->log_path()};
  follow.each_new_line([](const std::string&) {
    return true;
  });
  log_reader victim_log{w.workers[victim]->log_path()};
  victim_log.each_new_line([](const std::string&) {
    return true;
  });
  std::printf("cutting worker %s off (its link %s down) with %zu live "
              "room(s)\n",
              victim.c_str(), w.cut.host_if.c_str(), moving.size());
  std::fflush(stdout);
  auto cut = clock_type::now();
  sh("ip link set " + w.cut.host_if + " down");
  std::map<int, double> rehomed;
  follow_moves(follow, victim, moving, cut, rehomed);
  double fenced = -1;
  while (fenced < 0 && since(cut) < 30) {
    victim_log.each_new_line([&](const std::string& line) {
      if (line.find("cluster: no heartbeat answered for") != std::string::npos)
        fenced = since(cut);
      return fenced < 0;
    });
    std::this_thread::sleep_for(milliseconds{20});
  }
  r.stopped_acting = std::chrono::system_clock::now() -
                     std::chrono::milliseconds{static_cast<long>(
                         1000 * (since(cut) - std::max(fenced, 0.0)))};
  double worst = rehomed.size() < moving.size() ? 1e9 : 0;
  for (const auto& [id, t] : rehomed)
    worst = std::max(worst, t);
  std::printf("cut-off: %zu of %zu room(s) of %s watched again elsewhere, "
              "slowest %.2f s after the cut (%s: under 10 s)\n",
              rehomed.size(), moving.size(), victim.c_str(), worst,
              worst < 10 ? "ok" : "FAILED");
  std::printf("cut-off: %s stopped acting %.2f s after the cut (%s: its "
              "lease, %s)\n",
              victim.c_str(), fenced,
              fenced > 0 && fenced < 10 ? "ok" : "FAILED",
              "5 s less the age of its last answered heartbeat");
  std::this_thread::sleep_for(seconds{3});
  sh("ip link set " + w.cut.host_if + " up");
  std::printf("cut-off: link up again %.2f s after the cut\n", since(cut));
  std::fflush(stdout);
  r.ok = worst < 10 && fenced > 0 && fenced < 10;
  return r;
}

/// racetime-sim's record: bot actions from the cut worker's address, on
/// its old rooms after it stopped acting (must be none), and before (must
/// be some, or the record cannot tell nodes apart).
bool check_silence(cluster_world& w, const cut_result& cut) {
  auto log = protocol::parse_json(
      w.c.control(w.sim.control_port, "/log?kind=action").body,
      256 * 1024 * 1024);
  std::size_t before = 0, after = 0;
  for (const auto& r : log.GetArray()) {
    if (!r.HasMember("peer") ||
        std::string{r["peer"].GetString()} != w.cut.ns_ip ||
        !cut.slugs.count(r["race"].GetString()))
      continue;
    auto at = protocol::parse_iso8601_time(r["at"].GetString());
    if (at && *at > cut.stopped_acting) {
      ++after;
      std::printf("action after it stopped: %s on %s\n", r["at"].GetString(),
                  r["race"].GetString());
    } else {
      ++before;
    }
  }
  bool ok = before > 0 && after == 0;
  std::printf("cut-off: racetime-sim has %zu action(s) from %s on its rooms "
              "before it stopped acting, %zu after (%s)\n",
              before, w.cut.ns_ip.c_str(), after, ok ? "ok" : "FAILED");
  auto refused =
      lines_with(w.workers[worker_names.back()]->log_path(), "fenced").size();
  std::printf("cut-off: %zu log line(s) of the cut worker name a write "
              "refused for its old epoch\n",
              refused);
  return ok;
}

/// `drain NODE` in the console for the survivor with the most live rooms:
/// each must be watched on another worker within a few seconds.
bool drain_and_measure(cluster_world& w) {
  auto live = live_rooms(w);
  std::string node;
  for (const auto& [name, rooms] : live)
    if (!name.empty() && w.workers.count(name) && w.workers[name]->running() &&
        (node.empty() || rooms.size() > live[node].size()))
      node = name;
  if (node.empty() || live[node].empty()) {
    std::printf("drain: skipped, no live room left on a worker\n");
    return true;
  }
  auto console =
      lines_with(w.coordinator->log_path(), "console: listening on 127.0.0.1:");
  if (console.empty())
    die("the coordinator has no console");
  auto port = std::atoi(console.front().c_str() +
                        console.front().find("127.0.0.1:") + 10);
  test::line_client c{static_cast<std::uint16_t>(port)};
  c.line("login " + std::string{console_password});
  auto login = c.read_answer(milliseconds{10000});
  if (login.find("logged in") == std::string::npos)
    die("cannot log in to the console: " + login);
  log_reader follow{w.coordinator->log_path()};
  follow.each_new_line([](const std::string&) {
    return true;
  });
  auto moving = live[node];
  auto asked = clock_type::now();
  c.line("drain " + node);
  auto answer = c.read_answer(milliseconds{10000});
  std::printf("drain %s (%zu live room(s)): %s", node.c_str(), moving.size(),
              answer.c_str());
  std::map<int, double> moved;
  follow_moves(follow, node, moving, asked, moved);
  double worst = moved.size() < moving.size() ? 1e9 : 0;
  for (const auto& [id, t] : moved)
    worst = std::max(worst, t);
  bool ok = worst < 10;
  std::printf("drain: %zu of %zu room(s) of %s watched elsewhere, slowest "
              "%.2f s after the command (%s: under 10 s)\n",
              moved.size(), moving.size(), node.c_str(), worst,
              ok ? "ok" : "FAILED");
  return ok;
}

/// Makes the coordinator's lease run out by MariaDB's clock alone, as a
/// paused or forked VM or a wall clock step does (a CI run met it: the
/// coordinator exited and every room stopped): it must retake the lease
/// from its own row at its next renewal and go on.
bool lapse_and_check(cluster_world& w) {
  log_reader follow{w.coordinator->log_path()};
  follow.each_new_line([](const std::string&) {
    return true;
  });
  auto lapsed = clock_type::now();
  w.db->execute("UPDATE cluster_leases SET expires_at = NOW(3) - INTERVAL 1 "
                "SECOND WHERE name = 'coordinator'");
  auto retaken = follow.wait_for("lease ran out by MariaDB's clock",
                                 seconds{10}, *w.coordinator);
  auto took = since(lapsed);
  // Two renew intervals more: the coordinator still acts, nothing stopped.
  std::this_thread::sleep_for(seconds{2});
  std::size_t stops = 0;
  follow.each_new_line([&](const std::string& line) {
    stops += line.find("stops acting as the active coordinator") !=
             std::string::npos;
    return true;
  });
  bool ok = retaken && w.coordinator->running() && stops == 0;
  std::printf("lease lapse: the coordinator's lease made to run out by "
              "MariaDB's clock; %s after %.2f s, %s (%s)\n",
              retaken ? "retaken from its own row" : "not retaken", took,
              w.coordinator->running() && stops == 0 ? "still active"
                                                     : "it stopped",
              ok ? "ok" : "FAILED");
  if (!ok)
    std::printf("%s\n", tail_of(w.coordinator->log_path()).c_str());
  std::fflush(stdout);
  return ok;
}

/// SIGKILLs the coordinator and starts it again on the same port: the
/// workers join it again and keep the rooms they watch (none placed anew,
/// so no watcher restarted).
void restart_coordinator(cluster_world& w) {
  auto live = live_rooms(w);
  std::size_t hosted = 0;
  for (const auto& [name, rooms] : live)
    hosted += name.empty() ? 0 : rooms.size();
  w.coordinator->kill_now();
  auto log = "coordinator-" + std::to_string(++w.coordinator_lives);
  w.coordinator = start_node(
      w, "coordinator",
      {"--cluster.role=coordinator",
       "--cluster.listen=127.0.0.1:" + std::to_string(w.cluster_port),
       "--console.listen=127.0.0.1:0"},
      log);
  std::size_t alive = 0;
  for (const auto& [n, worker] : w.workers)
    alive += worker->running() ? 1 : 0;
  auto deadline = clock_type::now() + seconds{30};
  while (lines_with(w.coordinator->log_path(), "takes rooms (").size() <
             alive &&
         clock_type::now() < deadline)
    std::this_thread::sleep_for(milliseconds{200});
  std::this_thread::sleep_for(seconds{2});
  std::size_t kept = 0;
  for (const auto& line : lines_with(w.coordinator->log_path(), " keeps the "))
    kept +=
        std::strtoul(line.c_str() + line.find(" keeps the ") + 11, nullptr, 10);
  auto anew = lines_with(w.coordinator->log_path(), ") watched on ").size();
  std::printf("coordinator SIGKILLed and restarted: %zu live room(s) on "
              "workers; %zu kept where they were, %zu placed anew\n",
              hosted, kept, anew);
}

bool wait_for_results(cluster_world& w, usage_map* usage = nullptr) {
  auto deadline = clock_type::now() + w.options.finish_timeout;
  auto n = static_cast<long>(w.options.matches);
  for (;;) {
    auto done = w.db->number("SELECT COUNT(*) FROM racetime_rooms WHERE "
                             "status IN ('finished', 'cancelled')");
    if (usage)
      sample_usage(w, *usage);
    if (done >= n)
      return true;
    if (clock_type::now() > deadline) {
      std::printf("results: FAILED, %ld of %ld recorded within %ld s\n", done,
                  n, static_cast<long>(w.options.finish_timeout.count()));
      return false;
    }
    std::this_thread::sleep_for(milliseconds{500});
  }
}

/// racetime-sim's record of bot actions: (race, user) invited more than
/// once.
bool check_invitations(cluster_world& w) {
  auto log = protocol::parse_json(w.c.control(w.sim.control_port, "/log").body,
                                  256 * 1024 * 1024);
  std::map<std::string, int> invites;
  for (const auto& r : log.GetArray()) {
    if (std::string{r["kind"].GetString()} != "action" ||
        !r["detail"].IsObject())
      continue;
    const auto& d = r["detail"];
    if (!d.HasMember("action") ||
        std::string{d["action"].GetString()} != "invite")
      continue;
    std::string user = d.HasMember("data") && d["data"].HasMember("user")
                           ? d["data"]["user"].GetString()
                           : "";
    ++invites[std::string{r["race"].GetString()} + " " + user];
  }
  std::size_t twice = 0;
  for (const auto& [key, n] : invites)
    if (n > 1) {
      ++twice;
      std::printf("invited %d times: %s\n", n, key.c_str());
    }
  std::printf("invitations: %zu sent, %zu player(s) invited more than once "
              "(%s)\n",
              invites.size(), twice, twice == 0 ? "ok" : "FAILED");
  return twice == 0;
}

bool check_tally(cluster_world& w) {
  auto races = w.c.control(w.sim.control_port, "/races").body;
  auto t = tally_soak(*w.db, w.options.matches, races, "[]");
  auto m = w.options.matches;
  bool rooms = t.marker_one == m && t.marker_many == 0 &&
               t.rows_with_sim_slug == m && t.rows_creating == 0;
  bool results = t.races_finished + t.races_cancelled == m &&
                 t.results_recorded == m && t.result_audits_one == m &&
                 t.players_wrong == 0;
  std::printf("rooms: %zu match(es) with exactly one room on racetime-sim, "
              "%zu with more, %zu rows holding the simulator's slug (%s)\n",
              t.marker_one, t.marker_many, t.rows_with_sim_slug,
              rooms ? "ok" : "FAILED");
  std::printf("results: %zu recorded as the simulator has them, %zu with "
              "exactly one result audit entry, %zu player rows wrong (%s)\n",
              t.results_recorded, t.result_audits_one, t.players_wrong,
              results ? "ok" : "FAILED");
  for (const auto& e : t.result_examples)
    std::printf("  %s\n", e.c_str());
  return rooms && results;
}

} // namespace

int main(int argc, char** argv) {
  set_program_name("cluster_soak");
  cluster_world w;
  w.options = parse_options(argc, argv);
  set_up(w);
  auto start = clock_type::now();
  start_cluster(w);
  std::printf("[%5.1f s] cluster up: coordinator and %zu workers joined\n",
              since(start), worker_names.size());
  std::fflush(stdout);
  usage_map usage;
  if (w.options.capacity)
    usage = idle_usage(w);
  auto placed = wait_for_placements(w, w.options.capacity ? &usage : nullptr);
  std::printf("[%5.1f s] every room placed\n", since(start));
  bool ok = check_distribution(placed);
  if (!w.options.capacity)
    ok = lapse_and_check(w) && ok;
  cut_result cut;
  if (w.options.cut_off) {
    cut = cut_and_measure(w);
    ok = cut.ok && ok;
  } else if (!w.options.capacity) {
    ok = kill_and_measure(w) && ok;
    ok = drain_and_measure(w) && ok;
    restart_coordinator(w);
  }
  ok = wait_for_results(w, w.options.capacity ? &usage : nullptr) && ok;
  if (w.options.capacity)
    print_capacity(usage, placed, w.options.matches);
  std::printf("[%5.1f s] results in\n", since(start));
  ok = check_tally(w) && ok;
  ok = check_invitations(w) && ok;
  if (w.options.cut_off)
    ok = check_silence(w, cut) && ok;
  w.coordinator->stop(seconds{10});
  for (auto& [name, worker] : w.workers)
    if (worker->running())
      worker->stop(seconds{10});
  std::printf("cluster_soak: %s\n", ok ? "ok" : "FAILED");
  if (ok && !w.options.keep_logs)
    std::system(("rm -rf " + w.dir).c_str());
  return ok ? 0 : 1;
}
