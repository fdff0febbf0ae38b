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
#include "config/database_url.hpp"
#include "persistence/database.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/sql.hpp"
#include "protocol/http_client.hpp"
#include "protocol/json.hpp"
#include "protocol/racetime_api.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

using namespace racecontrol;
using clock_type = std::chrono::steady_clock;
using std::chrono::seconds;

namespace {

constexpr const char* bot_client = "bench-client";
constexpr const char* bot_secret = "bench-secret";

[[noreturn]] void die(const std::string& message) {
  std::cerr << "rooms_bench: " << message << "\n";
  std::exit(1);
}

double since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// --- child processes ---------------------------------------------------------

/// A program run with its standard output and error in one file.
class child {
 public:
  child(std::vector<std::string> args, const std::vector<std::string>& env,
        std::string log_path)
      : log_path_(std::move(log_path)) {
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string{*e}.rfind("RACECONTROL_", 0) != 0)
        env_strings.emplace_back(*e);
    env_strings.insert(env_strings.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : env_strings)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(),
                         envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
      die("cannot start " + args[0] + ": " + std::strerror(rc));
  }

  ~child() {
    if (running())
      stop(seconds{5});
  }

  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  bool running() {
    if (pid_ == 0)
      return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return false;
    }
    return true;
  }

  /// SIGTERM, then SIGKILL after `limit`; true when it stopped in time.
  bool stop(seconds limit) {
    if (!running())
      return true;
    kill(pid_, SIGTERM);
    auto deadline = clock_type::now() + limit;
    while (clock_type::now() < deadline) {
      if (!running())
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
    return false;
  }

 private:
  pid_t pid_ = 0;
  std::string log_path_;
};

/// Reads a growing log file line by line from where it stopped last.
class log_reader {
 public:
  explicit log_reader(std::string path) : path_(std::move(path)) {}

  /// Calls `f` for each complete line not seen yet, until it returns false.
  void each_new_line(const std::function<bool(const std::string&)>& f) {
    std::ifstream in(path_);
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) // a line still being written: read it next time
        break;
      offset_ += line.size() + 1;
      if (!f(line))
        break;
    }
  }

  /// Waits until a line contains `text` (or `limit` passes); the line.
  std::optional<std::string> wait_for(const std::string& text, seconds limit,
                                      child& process) {
    auto deadline = clock_type::now() + limit;
    while (clock_type::now() < deadline && process.running()) {
      std::optional<std::string> found;
      each_new_line([&](const std::string& line) {
        if (line.find(text) != std::string::npos)
          found = line;
        return !found; // the lines after it are the caller's
      });
      if (found)
        return found;
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    return std::nullopt;
  }

 private:
  std::string path_;
  std::size_t offset_ = 0;
};

std::string tail_of(const std::string& path, std::size_t bytes = 3000) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  auto text = s.str();
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

// --- /proc -------------------------------------------------------------------

std::string read_proc(pid_t pid, const char* what) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + what);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A "Name:   value kB" field of /proc/PID/status.
long status_field(pid_t pid, const std::string& name) {
  std::istringstream in(read_proc(pid, "status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + ":", 0) == 0)
      return std::stol(line.substr(name.size() + 1));
  return -1;
}

struct cpu_ticks {
  unsigned long long user = 0, system = 0;
};

cpu_ticks cpu_of(pid_t pid) {
  auto stat = read_proc(pid, "stat");
  // Fields after the command name (which may hold spaces), from field 3.
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> f;
  std::string x;
  while (in >> x)
    f.push_back(x);
  if (f.size() < 13)
    die("cannot read /proc/" + std::to_string(pid) + "/stat");
  return {std::stoull(f[11]), std::stoull(f[12])}; // fields 14 and 15
}

std::size_t open_files(pid_t pid) {
  auto path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr)
    return 0;
  std::size_t n = 0;
  while (auto* e = readdir(dir))
    n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

std::string soft_open_files_limit(pid_t pid) {
  std::istringstream in(read_proc(pid, "limits"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream f(line.substr(14));
      std::string soft;
      f >> soft;
      return soft;
    }
  return "?";
}

// --- HTTP to the simulator
// -----------------------------------------------------

/// A client io_context on a thread of its own, and blocking helpers.
class client {
 public:
  client()
      : work_(boost::asio::make_work_guard(io_)),
        http_(io_, protocol::make_client_tls_context(), options()) {
    thread_ = std::thread([this] {
      io_.run();
    });
  }

  ~client() {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  protocol::http_client& http() { return http_; }
  boost::asio::io_context& io() { return io_; }

  protocol::http_response control(std::uint16_t port, const std::string& path,
                                  std::optional<std::string> post = {}) {
    protocol::http_request req;
    req.target =
        *protocol::parse_url("http://127.0.0.1:" + std::to_string(port) + path);
    if (post) {
      req.method = boost::beast::http::verb::post;
      req.body = *post;
      req.content_type = "application/json";
    }
    std::promise<protocol::http_outcome> done;
    auto future = done.get_future();
    http_.request(std::move(req), [&done](protocol::http_outcome out) {
      done.set_value(std::move(out));
    });
    auto out = future.get();
    if (!out)
      die("control API " + path + ": " + out.error().message);
    if (out->status != 200)
      die("control API " + path + ": HTTP " + std::to_string(out->status) +
          " " + out->body);
    return *out;
  }

  /// Runs `count` asynchronous jobs, `parallel` at a time; `start(i, done)`
  /// begins job i and calls done() once it finished.
  void run_all(
      std::size_t count, std::size_t parallel,
      const std::function<void(std::size_t, std::function<void()>)>& start) {
    std::mutex m;
    std::condition_variable cv;
    std::size_t next = 0, finished = 0;
    std::function<void()> launch = [&] {
      std::size_t i;
      {
        std::lock_guard<std::mutex> lock{m};
        if (next >= count)
          return;
        i = next++;
      }
      start(i, [&] {
        launch(); // first: once the last job counts, the caller returns
        std::lock_guard<std::mutex> lock{m};
        if (++finished == count)
          cv.notify_all();
      });
    };
    for (std::size_t k = 0; k < std::min(parallel, count); ++k)
      launch();
    std::unique_lock<std::mutex> lock{m};
    cv.wait(lock, [&] {
      return finished == count;
    });
  }

 private:
  static protocol::http_client_options options() {
    protocol::http_client_options o;
    o.max_idle_per_host = 32;
    return o;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;
  protocol::http_client http_;
  std::thread thread_;
};

// --- the world -------------------------------------------------------------

struct sim_process {
  std::unique_ptr<child> process;
  std::uint16_t port = 0;
  std::uint16_t control_port = 0;
};

sim_process start_sim(const std::string& dir) {
  sim_process sim;
  sim.process = std::make_unique<child>(
      std::vector<std::string>{
          RACETIME_SIM_PATH, "--port", "0", "--control-port", "0", "--category",
          "alttpr:A Link to the Past Randomizer", "--goal",
          "alttpr:Beat the game", "--bot",
          std::string{"alttpr:"} + bot_client + ":" + bot_secret + ":BenchBot"},
      std::vector<std::string>{}, dir + "/racetime-sim.log");
  log_reader log{sim.process->log_path()};
  auto line = log.wait_for("listening on", seconds{20}, *sim.process);
  if (!line)
    die("racetime-sim did not start:\n" + tail_of(sim.process->log_path()));
  // "... listening on http://127.0.0.1:PORT (control API on port N), ..."
  auto at = line->find("127.0.0.1:") + 10;
  sim.port = static_cast<std::uint16_t>(std::stoi(line->substr(at)));
  at = line->find("control API on port ") + 20;
  sim.control_port = static_cast<std::uint16_t>(std::stoi(line->substr(at)));
  return sim;
}

std::uint64_t sim_open_sockets(client& c, const sim_process& sim) {
  auto body = c.control(sim.control_port, "/stats").body;
  auto doc = protocol::parse_json(body);
  return doc["open_bot_sockets"].GetUint64();
}

std::string bot_token(client& c, const sim_process& sim) {
  protocol::racetime_api api{
      c.io(), c.http(),
      *protocol::parse_url("http://127.0.0.1:" + std::to_string(sim.port))};
  std::promise<protocol::racetime_result<protocol::token_response>> done;
  auto future = done.get_future();
  api.client_credentials_token({bot_client, bot_secret}, [&done](auto r) {
    done.set_value(std::move(r));
  });
  auto r = future.get();
  if (!r)
    die("no bot token from racetime-sim: " + r.error().message);
  return r->access_token;
}

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

/// Adds users b<from+1> .. b<to> to the simulator.
void add_sim_users(client& c, const sim_process& sim, std::size_t from,
                   std::size_t to) {
  c.run_all(to - from, 16, [&](std::size_t i, std::function<void()> done) {
    auto id = std::to_string(from + i + 1);
    protocol::http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = *protocol::parse_url(
        "http://127.0.0.1:" + std::to_string(sim.control_port) + "/users");
    req.body = "{\"id\":\"b" + id + "\",\"name\":\"Racer" + id + "\"}";
    req.content_type = "application/json";
    c.http().request(std::move(req), [done, id](protocol::http_outcome out) {
      if (!out || out->status != 200)
        die("racetime-sim refused user b" + id);
      done();
    });
  });
}

class scratch {
 public:
  explicit scratch(config::database_url server)
      : server_(server), url_(std::move(server)) {
    url_.database += "_rooms_bench_" + std::to_string(getpid());
    admin("DROP DATABASE IF EXISTS " +
          persistence::sql_identifier(url_.database));
    admin("CREATE DATABASE " + persistence::sql_identifier(url_.database) +
          " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    persistence::database_options o;
    o.url = url_;
    o.max_connections = 2;
    db_ = persistence::open_database(o);
    auto set = persistence::migration_set::embedded();
    persistence::migrator{*db_, set}.up();
  }

  ~scratch() {
    db_.reset();
    try {
      admin("DROP DATABASE IF EXISTS " +
            persistence::sql_identifier(url_.database));
    } catch (const std::exception& e) {
      std::cerr << "rooms_bench: could not drop " << url_.database << ": "
                << e.what() << "\n";
    }
  }

  const config::database_url& url() const { return url_; }

  void execute(const std::string& sql) {
    auto conn = db_->connection();
    persistence::sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = db_->connection();
    return persistence::sql_scalar(*conn, sql).value_or("NULL");
  }

 private:
  void admin(const std::string& sql) {
    persistence::database_options o;
    o.url = server_;
    o.max_connections = 1;
    auto admin_db = persistence::open_database(o);
    auto conn = admin_db->connection();
    persistence::sql_execute(*conn, sql);
  }

  config::database_url server_; ///< the database the URL named
  config::database_url url_;
  std::shared_ptr<odb::mysql::database> db_;
};

/// Rows in batches of 1000: `row(i)` gives the VALUES tuple of row i.
void insert_rows(scratch& db, const std::string& head, std::size_t from,
                 std::size_t to,
                 const std::function<std::string(std::size_t)>& row) {
  for (std::size_t start = from; start < to; start += 1000) {
    std::string sql = head + " VALUES ";
    for (std::size_t i = start; i < std::min(to, start + 1000); ++i)
      sql += (i == start ? "" : ",") + row(i);
    db.execute(sql);
  }
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

struct daemon_setup {
  std::string database_url; ///< without the password
  std::string password;
  std::string racetime_url;
  std::vector<std::string> overrides;
  std::string dir;
};

/// The daemon to run: the built racecontrold, or ROOMS_BENCH_DAEMON (a
/// wrapper script that execs it under a profiler, say). With a wrapper that
/// does not exec, the RSS and CPU figures are the wrapper's.
std::string daemon_path() {
  const char* wrapper = std::getenv("ROOMS_BENCH_DAEMON");
  return wrapper != nullptr && *wrapper != '\0' ? wrapper : RACECONTROLD_PATH;
}

std::unique_ptr<child> start_daemon(const daemon_setup& d,
                                    const std::string& name) {
  std::vector<std::string> args{
      daemon_path(), "--database.url=" + d.database_url,
      "--racetime.url=" + d.racetime_url, "--log.level=info"};
  args.insert(args.end(), d.overrides.begin(), d.overrides.end());
  return std::make_unique<child>(
      args,
      std::vector<std::string>{"RACECONTROL_DATABASE_PASSWORD=" + d.password},
      d.dir + "/" + name + ".log");
}

/// The room id of a "room <slug> (id N, ...): ..." line.
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

void wait_for_bot(scratch& db, child& daemon) {
  auto deadline = clock_type::now() + seconds{60};
  while (db.scalar("SELECT status FROM racetime_bots WHERE id = 1") !=
         "connected") {
    if (clock_type::now() > deadline || !daemon.running())
      die("the bot did not connect within 60 s:\n" +
          tail_of(daemon.log_path()));
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
}

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
  std::string url_text;
  if (auto d = cli.value("database"))
    url_text = *d;
  else if (const char* env = std::getenv("TEST_DATABASE_URL"))
    url_text = env;
  else
    die("give --database URL or set TEST_DATABASE_URL");
  std::string error;
  auto server = config::parse_database_url(url_text, error);
  if (!server)
    die("bad database URL: " + error);

  std::string dir;
  if (auto keep = cli.value("keep-logs")) {
    dir = *keep;
  } else {
    char tmpl[] = "/tmp/rooms-bench-XXXXXX";
    dir = mkdtemp(tmpl);
  }

  scratch db{*server};
  seed_common(db);
  auto sim = start_sim(dir);
  client c;
  daemon_setup setup;
  auto url = db.url();
  setup.password = url.password.reveal();
  url.password = {};
  setup.database_url = url.to_string();
  setup.racetime_url = "http://127.0.0.1:" + std::to_string(sim.port);
  for (const auto& [key, value] : cli.overrides)
    setup.overrides.push_back("--" + key + "=" + value);
  setup.dir = dir;

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
