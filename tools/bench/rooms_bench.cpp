// rooms_bench: how many rooms one racecontrold holds. Starts racetime-sim
// (one category, one bot) and a scratch database, then for each room count
// opens that many races in the simulator, seeds a match with two linked
// players and a room row for each, runs racecontrold (the built binary, a
// real process) and waits until every room's bot socket is open, as both
// sides see it: racecontrold logs "bot socket open" for every room and the
// simulator counts the sockets it holds; then until every room has invited
// its two players and recorded them as invited. Then it measures racecontrold's
// RSS above its idle baseline (the same daemon with 0 rooms), its CPU over an
// idle window (utime + stime from /proc/PID/stat), its open files and the
// soft limit it logged.
//
// Idle means after the opening's follow-ups: each room's first periodic
// pass comes a minute after its start and the supervisor's first change
// pass within a minute of the last invitation, so the window starts 150 s
// after the last room was invited (at 10,000 rooms a window 10 s after
// measured 8.9% of a core, one 150 s after 3.2%). --settle-seconds 10
// measures the tail of opening instead.
//
//   rooms_bench [--rooms 1000,5000,10000] [--database URL]
//               [--idle-seconds 60] [--settle-seconds 150]
//               [--open-timeout 900] [--keep-logs DIR]
//               [--SECTION.KEY=VALUE ...]   (passed on to racecontrold)
//
// ROOMS_BENCH_DAEMON, when set, is run instead of the built racecontrold
// with the same arguments (a wrapper that starts it under heaptrack, say).
//
// URL defaults to TEST_DATABASE_URL and names any database on the server;
// the benchmark creates <name>_rooms_bench_<pid> next to it, migrates it,
// and drops it at the end. Room counts run in ascending order on the same
// database and simulator: each run adds rooms to the previous ones.

#include "config/command_line.hpp"
#include "protocol/racetime_api.hpp"
#include "tools/bench/bench_world.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::bench;
using std::chrono::seconds;

namespace {

constexpr const char* bot_client = "bench-client";
constexpr const char* bot_secret = "bench-secret";

/// Opens races [from, to) in the simulator, as the bot would; their names.
std::vector<std::string> open_races(client& c, const sim_process& sim,
                                    std::size_t from, std::size_t to) {
  protocol::racetime_api api{
      c.io(), c.http(),
      *protocol::parse_url("http://127.0.0.1:" + std::to_string(sim.port))};
  auto token = bot_token(c, sim);
  std::vector<std::string> names(to - from);
  std::mutex m;
  std::string failure;
  c.run_all(to - from, 16, [&](std::size_t i, std::function<void()> done) {
    protocol::race_settings s;
    s.goal = "Beat the game";
    s.invitational = true;
    s.info_user = "Bench Cup - Match " + std::to_string(from + i + 1);
    s.streaming_required = false;
    s.auto_start = true;
    api.start_race("alttpr", s, {"Beat the game"}, token,
                   [&, i, done](auto created) {
                     std::lock_guard<std::mutex> lock{m};
                     if (created)
                       names[i] = created->name;
                     else if (failure.empty())
                       failure = created.error().message;
                     done();
                   });
  });
  if (!failure.empty())
    die("racetime-sim refused a race: " + failure);
  return names;
}

void seed_common(scratch& db) {
  db.execute("INSERT INTO organizations (id, name) VALUES (1, 'Bench League')");
  db.execute(std::string{"INSERT INTO racetime_bots (id, category, name, "
                         "client_id, client_secret) VALUES (1, 'alttpr', "
                         "'BenchBot', '"} +
             bot_client + "', '" + bot_secret + "')");
  db.execute("INSERT INTO tournaments (id, organization_id, name, "
             "racetime_bot_id) VALUES (1, 1, 'Bench Cup', 1)");
}

/// Matches from+1 .. to, each with two linked players and the room of
/// race `races[i - from]`, as race_world seeds one.
void seed_rooms(scratch& db, std::size_t from, std::size_t to,
                const std::vector<std::string>& races) {
  auto n = [](std::size_t i) {
    return std::to_string(i);
  };
  insert_rows(db,
              "INSERT INTO users (id, discord_id, display_name, racetime_id, "
              "racetime_name)",
              2 * from, 2 * to, [&](std::size_t i) {
                return "(" + n(i + 1) + ", " + n(1000000 + i) + ", 'Racer" +
                       n(i + 1) + "', 'b" + n(i + 1) + "', 'Racer" + n(i + 1) +
                       "')";
              });
  insert_rows(db,
              "INSERT INTO matches (id, tournament_id, title, scheduled_at)",
              from, to, [&](std::size_t i) {
                return "(" + n(i + 1) + ", 1, 'Match " + n(i + 1) +
                       "', UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)";
              });
  insert_rows(db, "INSERT INTO match_players (match_id, user_id)", from, to,
              [&](std::size_t i) {
                return "(" + n(i + 1) + ", " + n(2 * i + 1) + "), (" +
                       n(i + 1) + ", " + n(2 * i + 2) + ")";
              });
  insert_rows(db,
              "INSERT INTO racetime_rooms (id, slug, category, room_name, "
              "status, match_id, bot_id)",
              from, to, [&](std::size_t i) {
                const auto& name = races[i - from];
                return "(" + n(i + 1) + ", '" + name + "', 'alttpr', '" +
                       name.substr(name.find('/') + 1) + "', 'invitational', " +
                       n(i + 1) + ", 1)";
              });
}

// --- racecontrold
// -------------------------------------------------------------

/// The daemon to run: the built racecontrold, or ROOMS_BENCH_DAEMON (a
/// wrapper script that execs it under a profiler, say). With a wrapper that
/// does not exec, the RSS and CPU figures are the wrapper's.
std::string daemon_path() {
  const char* wrapper = std::getenv("ROOMS_BENCH_DAEMON");
  return wrapper != nullptr && *wrapper != '\0' ? wrapper : RACECONTROLD_PATH;
}

std::optional<long> room_id_of(const std::string& line) {
  auto at = line.find("(id ");
  if (at == std::string::npos)
    return std::nullopt;
  return std::stol(line.substr(at + 4));
}

struct idle_figures {
  long rss_kib = 0; ///< at the end of the idle window
  long rss_start_kib = 0;
  double cpu_percent = 0; ///< of one core
  double user_s = 0, system_s = 0;
  std::size_t files = 0;
  long threads = 0;
  std::string soft_limit;
};

idle_figures measure_idle(pid_t pid, seconds window) {
  idle_figures f;
  f.rss_start_kib = status_field(pid, "VmRSS");
  auto t0 = cpu_of(pid);
  auto start = clock_type::now();
  std::this_thread::sleep_for(window);
  auto t1 = cpu_of(pid);
  double wall = since(start);
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  f.user_s = static_cast<double>(t1.user - t0.user) / hz;
  f.system_s = static_cast<double>(t1.system - t0.system) / hz;
  f.cpu_percent = 100.0 * (f.user_s + f.system_s) / wall;
  f.rss_kib = status_field(pid, "VmRSS");
  f.files = open_files(pid);
  f.threads = status_field(pid, "Threads");
  f.soft_limit = soft_open_files_limit(pid);
  return f;
}

struct run_result {
  std::size_t rooms = 0;
  double open_seconds = 0;
  double invited_seconds = 0; ///< every player invited and recorded
  std::uint64_t sim_sockets = 0;
  std::size_t lost = 0; ///< sockets lost during the idle window
  idle_figures idle;
  std::string limit_line;
};

std::string limit_line_of(log_reader& log, child& daemon) {
  auto line = log.wait_for("open files limit", seconds{30}, daemon);
  if (!line)
    die("racecontrold did not log its open files limit:\n" +
        tail_of(daemon.log_path()));
  return line->substr(line->find("open files limit"));
}

/// Opening a room is more than its socket: the room invites both players
/// and records what the race says of them. The idle window starts once
/// every room has done so (the last rooms to open finish tens of seconds
/// after their sockets), or it would measure the opening's tail.
void wait_for_invitations(scratch& db, std::size_t rooms, child& daemon,
                          seconds timeout) {
  auto deadline = clock_type::now() + timeout;
  auto want = std::to_string(2 * rooms);
  for (;;) {
    auto invited = db.scalar("SELECT COUNT(*) FROM match_players WHERE "
                             "entrant_status = 'invited'");
    if (std::stoul(invited) >= 2 * rooms)
      return;
    if (!daemon.running())
      die("racecontrold ended:\n" + tail_of(daemon.log_path()));
    if (clock_type::now() > deadline)
      die("only " + invited + " of " + want +
          " players recorded as invited:\n" + tail_of(daemon.log_path()));
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
}

run_result run_rooms(std::size_t rooms, const daemon_setup& setup, scratch& db,
                     client& c, const sim_process& sim, seconds settle,
                     seconds idle, seconds open_timeout) {
  run_result r;
  r.rooms = rooms;
  auto started = clock_type::now();
  auto daemon = start_daemon(setup, "racecontrold-" + std::to_string(rooms));
  log_reader log{daemon->log_path()};
  r.limit_line = limit_line_of(log, *daemon);
  std::set<long> opened;
  std::size_t lost = 0;
  auto scan = [&] {
    log.each_new_line([&](const std::string& line) {
      if (line.find(": bot socket open") != std::string::npos) {
        if (auto id = room_id_of(line))
          opened.insert(*id);
      } else if (line.find(": bot socket lost") != std::string::npos) {
        ++lost;
      }
      return true;
    });
  };
  auto next_report = clock_type::now() + seconds{15};
  for (;;) {
    scan();
    r.sim_sockets = sim_open_sockets(c, sim);
    if (opened.size() >= rooms && r.sim_sockets >= rooms)
      break;
    if (!daemon->running())
      die("racecontrold ended:\n" + tail_of(daemon->log_path()));
    if (since(started) > static_cast<double>(open_timeout.count()))
      die(std::to_string(rooms) + " rooms: only " +
          std::to_string(opened.size()) + " sockets open (simulator holds " +
          std::to_string(r.sim_sockets) + ") after " +
          std::to_string(open_timeout.count()) + " s:\n" +
          tail_of(daemon->log_path()));
    if (clock_type::now() > next_report) {
      std::printf("  ... %zu of %zu sockets open (simulator holds %llu), "
                  "%.0f s\n",
                  opened.size(), rooms,
                  static_cast<unsigned long long>(r.sim_sockets),
                  since(started));
      std::fflush(stdout);
      next_report += seconds{15};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
  r.open_seconds = since(started);
  wait_for_invitations(db, rooms, *daemon, open_timeout);
  r.invited_seconds = since(started);
  std::this_thread::sleep_for(settle);
  scan();
  auto lost_before = lost; // a socket waits for the bot's first token
  r.idle = measure_idle(daemon->pid(), idle);
  scan();
  r.lost = lost - lost_before;
  r.sim_sockets = sim_open_sockets(c, sim);
  if (!daemon->stop(seconds{60}))
    std::printf("  (racecontrold did not stop within 60 s of SIGTERM; "
                "killed)\n");
  return r;
}

std::vector<std::size_t> parse_counts(const std::string& text) {
  std::vector<std::size_t> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    out.push_back(std::stoul(item));
  std::sort(out.begin(), out.end());
  if (out.empty() || out.front() == 0)
    die("--rooms needs positive counts, e.g. 1000,5000,10000");
  return out;
}

} // namespace

int main(int argc, char** argv) {
  set_program_name("rooms_bench");
  config::command_line cli;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {},
        {"rooms", "database", "idle-seconds", "settle-seconds", "open-timeout",
         "keep-logs"});
  } catch (const std::exception& e) {
    die(e.what());
  }
  // Start the children with the usual soft limit on open files (1024), so
  // the figures show that racecontrold (and racetime-sim) raise it.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_max > 1024) {
    lim.rlim_cur = 1024;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  auto counts = parse_counts(cli.value("rooms").value_or("1000,5000,10000"));
  seconds idle{std::stol(cli.value("idle-seconds").value_or("60"))};
  seconds settle{std::stol(cli.value("settle-seconds").value_or("150"))};
  seconds open_timeout{std::stol(cli.value("open-timeout").value_or("900"))};
  auto server = database_url_of(cli.value("database"));

  std::string dir;
  if (auto keep = cli.value("keep-logs")) {
    dir = *keep;
  } else {
    char tmpl[] = "/tmp/rooms-bench-XXXXXX";
    dir = mkdtemp(tmpl);
  }

  scratch db{server, "rooms_bench"};
  seed_common(db);
  auto sim = start_sim(RACETIME_SIM_PATH, dir, bot_client, bot_secret);
  client c;
  auto setup = daemon_setup_for(db, sim, daemon_path(), dir);
  for (const auto& [key, value] : cli.overrides)
    setup.overrides.push_back("--" + key + "=" + value);

  std::printf("rooms_bench: racecontrold %s, racetime-sim pid %d, database "
              "%s, logs in %s\n",
              daemon_path().c_str(), static_cast<int>(sim.process->pid()),
              db.url().redacted().c_str(), dir.c_str());
  std::printf("machine: %ld cores; idle window %lld s after %lld s of "
              "settling\n",
              sysconf(_SC_NPROCESSORS_ONLN),
              static_cast<long long>(idle.count()),
              static_cast<long long>(settle.count()));

  // The idle baseline: the same daemon, its bot connected, no rooms.
  auto base_daemon = start_daemon(setup, "racecontrold-0");
  log_reader base_log{base_daemon->log_path()};
  auto base_limit = limit_line_of(base_log, *base_daemon);
  wait_for_bot(db, *base_daemon);
  std::this_thread::sleep_for(std::min(settle, seconds{10}));
  auto base = measure_idle(base_daemon->pid(), idle);
  base_daemon->stop(seconds{30});
  std::printf("baseline (0 rooms, bot connected): RSS %.1f MiB, CPU %.2f%% "
              "of one core, %zu open files, %ld threads; %s\n",
              static_cast<double>(base.rss_kib) / 1024.0, base.cpu_percent,
              base.files, base.threads, base_limit.c_str());
  std::fflush(stdout);

  std::vector<run_result> results;
  std::size_t seeded = 0;
  for (auto rooms : counts) {
    auto t = clock_type::now();
    add_sim_users(c, sim, 2 * seeded, 2 * rooms);
    auto races = open_races(c, sim, seeded, rooms);
    seed_rooms(db, seeded, rooms, races);
    seeded = rooms;
    std::printf("rooms %zu: seeded (races, users, matches, rooms) in %.1f "
                "s; starting racecontrold\n",
                rooms, since(t));
    std::fflush(stdout);
    auto r = run_rooms(rooms, setup, db, c, sim, settle, idle, open_timeout);
    double per_room = static_cast<double>(r.idle.rss_kib - base.rss_kib) /
                      static_cast<double>(rooms);
    std::printf(
        "rooms %zu: every socket open after %.1f s, every player invited "
        "and recorded after %.1f s (simulator holds %llu sockets after the "
        "idle window; %zu lost during it)\n"
        "  RSS %.1f MiB at the start of the idle window, %.1f MiB at its end: "
        "%.1f KiB per room above the baseline\n"
        "  CPU over %lld s idle: %.2f%% of one core (user %.2f s, system "
        "%.2f s)\n"
        "  open files %zu, soft limit %s (logged: %s), threads %ld\n",
        rooms, r.open_seconds, r.invited_seconds,
        static_cast<unsigned long long>(r.sim_sockets), r.lost,
        static_cast<double>(r.idle.rss_start_kib) / 1024.0,
        static_cast<double>(r.idle.rss_kib) / 1024.0, per_room,
        static_cast<long long>(idle.count()), r.idle.cpu_percent, r.idle.user_s,
        r.idle.system_s, r.idle.files, r.idle.soft_limit.c_str(),
        r.limit_line.c_str(), r.idle.threads);
    std::fflush(stdout);
    results.push_back(r);
  }

  std::printf("\n%8s %10s %12s %10s %8s %10s\n", "rooms", "open (s)",
              "KiB/room", "CPU %", "files", "RSS MiB");
  for (const auto& r : results)
    std::printf("%8zu %10.1f %12.1f %10.2f %8zu %10.1f\n", r.rooms,
                r.open_seconds,
                static_cast<double>(r.idle.rss_kib - base.rss_kib) /
                    static_cast<double>(r.rooms),
                r.idle.cpu_percent, r.idle.files,
                static_cast<double>(r.idle.rss_kib) / 1024.0);
  std::printf("target at 10,000 rooms: at most 24 KiB per room, under 5%% of "
              "one core idle\n");
  sim.process->stop(seconds{10});
  return 0;
}
