// automation_bench: 1,000 matches due in the same minute (issue 11). Seeds a
// tournament that opens its rooms itself, N matches of two linked players
// each whose open times fall in one window (--spread-seconds, 60 by
// default; 0: all at the same instant), starts racecontrold (the built
// binary) and racetime-sim (the built binary) as processes, and waits until
// every match has its room and racecontrol has recorded both players as
// invited. It prints:
//
// - the wall time from the first open time until the last room exists and
//   until every player is recorded as invited;
// - how late each room was: the room_created audit row's time against the
//   match's open time (p50, p95, max);
// - racecontrold's own CPU time (utime + stime from /proc/PID/stat) from
//   just before the first open time until every player was invited, per
//   room, raw and with its idle rate (measured before the window) taken
//   out (the target: under 1 ms per room);
// - the rooms per marker on the simulator (GET /races): every match one.
//
//   automation_bench [--matches 1000] [--spread-seconds 60] [--lead-seconds 40]
//                    [--live-seconds N]  (then N s with every room open)
//                    [--tls]  (the simulator serves HTTPS and WSS, as
//                              racetime.gg does, with a CA of this run)
//                    [--database URL] [--keep-logs DIR]
//                    [--SECTION.KEY=VALUE ...]   (passed on to racecontrold)

#include "config/command_line.hpp"
#include "protocol/json.hpp"
#include "tools/bench/bench_world.hpp"
#include "tools/bench/wake_cost.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::bench;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* bot_client = "bench-client";
constexpr const char* bot_secret = "bench-secret";

std::vector<double> numbers_of(const std::string& csv) {
  std::vector<double> out;
  std::istringstream in(csv);
  std::string item;
  while (std::getline(in, item, ','))
    out.push_back(std::stod(item));
  std::sort(out.begin(), out.end());
  return out;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto at =
      static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[at];
}

/// How late each room was, in ms: its room_created audit row against its
/// match's open time.
std::vector<double> lateness_ms(scratch& db) {
  return numbers_of(db.scalar(
      "SELECT GROUP_CONCAT(TIMESTAMPDIFF(MICROSECOND, m.scheduled_at - "
      "INTERVAL 60 SECOND, a.created_at) / 1000 SEPARATOR ',') FROM audit_log "
      "a JOIN racetime_rooms r ON a.entity_type = 'racetime_room' AND "
      "a.entity_id = r.id JOIN matches m ON m.id = r.match_id WHERE a.action "
      "= 'room_created'"));
}

/// Markers on the simulator: how many carry 0, 1 or more races.
struct marker_counts {
  std::size_t races = 0, marked = 0, more_than_one = 0;
};

marker_counts count_markers(client& c, const sim_process& sim) {
  auto body = c.control(sim.control_port, "/races").body;
  auto doc = protocol::parse_json(body, 256 * 1024 * 1024);
  std::map<std::string, int> per_marker;
  marker_counts out;
  for (const auto& r : doc.GetArray()) {
    ++out.races;
    if (!r.HasMember("info_bot") || !r["info_bot"].IsString())
      continue;
    std::string info = r["info_bot"].GetString();
    auto at = info.find("racecontrol match ");
    if (at == std::string::npos)
      continue;
    auto end = info.find(" claim ", at);
    ++per_marker[info.substr(at, end - at)];
  }
  out.marked = per_marker.size();
  for (const auto& [marker, count] : per_marker)
    out.more_than_one += count > 1;
  return out;
}

struct progress {
  long rooms = 0, invited = 0;
};

/// Statements the MariaDB server has run, from every client.
long server_questions(scratch& db) {
  return std::stol(db.scalar("SELECT VARIABLE_VALUE FROM "
                             "information_schema.GLOBAL_STATUS WHERE "
                             "VARIABLE_NAME = 'QUESTIONS'"));
}

progress progress_of(scratch& db) {
  progress p;
  p.rooms = db.number("SELECT COUNT(*) FROM racetime_rooms WHERE "
                      "claim_state = 'created'");
  p.invited = db.number("SELECT COUNT(*) FROM match_players WHERE "
                        "entrant_status = 'invited'");
  return p;
}

struct options {
  std::size_t matches = 1000;
  milliseconds spread{60000};
  milliseconds lead{40000};
  seconds timeout{600};
  /// After the window: how long to measure the CPU the open rooms cost
  /// while nothing is opened (0: not measured).
  seconds live{0};
};

options options_of(const config::command_line& cli) {
  options o;
  o.matches = std::stoul(cli.value("matches").value_or("1000"));
  o.spread = milliseconds{static_cast<long long>(
      1000 * std::stod(cli.value("spread-seconds").value_or("60")))};
  o.lead = milliseconds{static_cast<long long>(
      1000 * std::stod(cli.value("lead-seconds").value_or("40")))};
  o.timeout = seconds{std::stol(cli.value("timeout").value_or("600"))};
  o.live = seconds{std::stol(cli.value("live-seconds").value_or("0"))};
  if (o.matches == 0)
    die("--matches needs a positive count");
  return o;
}

} // namespace

int main(int argc, char** argv) {
  set_program_name("automation_bench");
  config::command_line cli;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {"tls"},
        {"matches", "spread-seconds", "lead-seconds", "timeout", "database",
         "keep-logs", "live-seconds"});
  } catch (const std::exception& e) {
    die(e.what());
  }
  auto opt = options_of(cli);
  auto server = database_url_of(cli.value("database"));
  std::string dir;
  if (auto keep = cli.value("keep-logs")) {
    dir = *keep;
  } else {
    char tmpl[] = "/tmp/automation-bench-XXXXXX";
    dir = mkdtemp(tmpl);
  }

  scratch db{server, "automation_bench"};
  // With --tls: a CA and the simulator's certificate (for 127.0.0.1) from
  // tools/cluster-certs, as the cluster benches make theirs.
  std::vector<std::string> sim_args;
  auto certs = dir + "/certs";
  if (cli.has("tls")) {
    auto make = std::string{RACECONTROL_SOURCE_DIR} + "/tools/cluster-certs " +
                certs + " racetime-sim >/dev/null";
    if (std::system(make.c_str()) != 0)
      die("cannot make the simulator's certificate: " + make);
    sim_args = {"--tls-cert", certs + "/racetime-sim.pem", "--tls-key",
                certs + "/racetime-sim.key"};
  }
  auto sim =
      start_sim(RACETIME_SIM_PATH, dir, bot_client, bot_secret, sim_args);
  client c;
  auto setup = daemon_setup_for(db, sim, RACECONTROLD_PATH, dir);
  if (cli.has("tls"))
    setup.overrides.push_back("--racetime.ca_file=" + certs + "/ca.pem");
  for (const auto& [key, value] : cli.overrides)
    setup.overrides.push_back("--" + key + "=" + value);

  add_sim_users(c, sim, 0, 2 * opt.matches);
  // A tournament that opens its rooms a minute before each match, with no
  // Discord channel (the notifier's cost is not the rooms'). The open
  // times count from MariaDB's clock as the rows go in; steady time from
  // here is close enough for the waits (the lateness figures come from
  // MariaDB's own timestamps).
  automation_plan plan;
  plan.matches = opt.matches;
  plan.first_open_in = static_cast<double>(opt.lead.count()) / 1000.0;
  plan.spread = static_cast<double>(opt.spread.count()) / 1000.0;
  auto t = clock_type::now();
  seed_automation(db, plan, bot_client, bot_secret);
  auto first_open = t + opt.lead;
  std::printf("automation_bench: %zu matches opening over %.1f s, the first "
              "%.1f s from now; seeded in %.1f s; logs in %s\n",
              opt.matches, static_cast<double>(opt.spread.count()) / 1000.0,
              static_cast<double>(opt.lead.count()) / 1000.0, since(t),
              dir.c_str());
  std::fflush(stdout);

  // Before racecontrold starts, so that nothing of the run disturbs it.
  double wake_us = measure_wake_cost_us();
  auto daemon = start_daemon(setup, "racecontrold");
  wait_for_bot(db, *daemon);
  if (clock_type::now() + seconds{5} > first_open)
    die("racecontrold was ready too late for the first open time; give "
        "--lead-seconds more");
  // The idle rate: from the bot's connection until 1 s before the window.
  std::this_thread::sleep_for(seconds{2});
  auto idle_start = clock_type::now();
  auto idle_cpu0 = cpu_of(daemon->pid());
  std::this_thread::sleep_until(first_open - seconds{1});
  double idle_rate =
      (cpu_of(daemon->pid()).total_seconds() - idle_cpu0.total_seconds()) /
      since(idle_start);
  auto window_start = clock_type::now();
  auto cpu0 = cpu_of(daemon->pid());
  auto switches0 = context_switches_of(daemon->pid());
  auto threads0 = threads_of(daemon->pid());
  auto questions0 = server_questions(db);
  long own_queries = 0; // this program's, to take out of the server's count

  double all_rooms_s = -1;
  auto next_report = clock_type::now() + seconds{10};
  progress p;
  for (;;) {
    p = progress_of(db);
    own_queries += 2;
    auto from_first =
        std::chrono::duration<double>(clock_type::now() - first_open).count();
    if (all_rooms_s < 0 && p.rooms >= static_cast<long>(opt.matches))
      all_rooms_s = from_first;
    if (p.invited >= static_cast<long>(2 * opt.matches))
      break;
    if (!daemon->running())
      die("racecontrold ended:\n" + tail_of(daemon->log_path()));
    if (since(window_start) > static_cast<double>(opt.timeout.count()))
      die("after " + std::to_string(opt.timeout.count()) + " s: " +
          std::to_string(p.rooms) + " rooms, " + std::to_string(p.invited) +
          " players invited:\n" + tail_of(daemon->log_path()));
    if (clock_type::now() > next_report) {
      std::printf("  ... %.0f s after the first open time: %ld rooms, %ld "
                  "players invited\n",
                  from_first, p.rooms, p.invited);
      std::fflush(stdout);
      next_report += seconds{10};
    }
    std::this_thread::sleep_for(milliseconds{100});
  }
  long statements = server_questions(db) - questions0 - own_queries - 1;
  double all_invited_s =
      std::chrono::duration<double>(clock_type::now() - first_open).count();
  double window = since(window_start);
  auto cpu1 = cpu_of(daemon->pid());
  auto switches1 = context_switches_of(daemon->pid());
  auto threads1 = threads_of(daemon->pid());
  double cpu = cpu1.total_seconds() - cpu0.total_seconds();
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  double user_s = static_cast<double>(cpu1.user - cpu0.user) / hz;
  double cpu_busy = std::max(0.0, cpu - idle_rate * window);
  // The open rooms' own cost, nothing being opened: it grows during the
  // window from none to every room, so about half of it per second falls
  // on the window.
  double live_rate = -1;
  if (opt.live.count() > 0) {
    auto live0 = cpu_of(daemon->pid());
    std::this_thread::sleep_for(opt.live);
    live_rate =
        (cpu_of(daemon->pid()).total_seconds() - live0.total_seconds()) /
        static_cast<double>(opt.live.count());
  }
  auto late = lateness_ms(db);
  auto markers = count_markers(c, sim);
  long rss = status_field(daemon->pid(), "VmRSS");
  daemon->stop(seconds{60});

  double per_room = 1000.0 * cpu / static_cast<double>(opt.matches);
  double per_room_busy = 1000.0 * cpu_busy / static_cast<double>(opt.matches);
  std::printf(
      "\n%zu matches opening over %.1f s (%ld cores):\n"
      "  every room existed %.1f s after the first open time; every player "
      "invited and recorded after %.1f s\n"
      "  lateness (room_created against the open time, %zu rooms): p50 %.0f "
      "ms, p95 %.0f ms, max %.0f ms\n"
      "  racecontrold CPU over the %.1f s window: %.2f s (user %.2f s, system "
      "%.2f s) = %.3f ms per room (%.3f ms per room above its idle rate of "
      "%.2f%% of a core)\n"
      "  %.1f SQL statements per room (MariaDB's Questions counter, this "
      "program's own taken out)\n"
      "  racetime-sim holds %zu races, %zu marked, %zu markers with more "
      "than one race; racecontrold RSS %.1f MiB\n",
      opt.matches, static_cast<double>(opt.spread.count()) / 1000.0,
      sysconf(_SC_NPROCESSORS_ONLN), all_rooms_s, all_invited_s, late.size(),
      percentile(late, 0.5), percentile(late, 0.95), percentile(late, 1.0),
      window, cpu, user_s, cpu - user_s, per_room, per_room_busy,
      100.0 * idle_rate,
      static_cast<double>(statements) / static_cast<double>(opt.matches),
      markers.races, markers.marked, markers.more_than_one,
      static_cast<double>(rss) / 1024.0);
  double rooms = static_cast<double>(opt.matches);
  double slept =
      static_cast<double>(switches1.voluntary - switches0.voluntary) / rooms;
  std::printf(
      "  racecontrold's threads slept %.1f times per room (and were "
      "preempted %.1f times); one sleep and wake-up costs %.1f us of CPU on "
      "this machine (measured before the run), so sleeping and waking "
      "accounts for about %.3f ms per room\n",
      slept,
      static_cast<double>(switches1.involuntary - switches0.involuntary) /
          rooms,
      wake_us, slept * wake_us / 1000.0);
  print_threads_per_room(threads0, threads1, rooms);
  if (live_rate >= 0)
    std::printf(
        "  with all %zu rooms open and none opening, racecontrold used %.2f%% "
        "of a core over %lld s; taking half of that out of the window "
        "leaves %.3f ms per room for opening one\n",
        opt.matches, 100.0 * live_rate,
        static_cast<long long>(opt.live.count()),
        1000.0 * std::max(0.0, cpu - live_rate * window / 2) /
            static_cast<double>(opt.matches));
  std::printf("target: under 1 ms of racecontrold CPU per room\n");
  bool ok = markers.marked == opt.matches && markers.more_than_one == 0 &&
            late.size() == opt.matches;
  if (!ok)
    std::printf("FAILED: expected one race per match on the simulator and "
                "one room_created row per match\n");
  sim.process->stop(seconds{10});
  // A failed run keeps its logs for reading; a passing one leaves nothing.
  if (ok && !cli.value("keep-logs")) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  return ok ? 0 : 1;
}
