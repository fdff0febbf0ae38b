#pragma once

// What the benchmarks and soak programs that run the built binaries share:
// child processes with their output in a log file, a log reader that
// follows it, /proc figures, a client io_context with blocking helpers for
// racetime-sim's control API, racetime-sim as a process, and a scratch
// MariaDB database migrated to the current schema and dropped at the end.

#include "config/command_line.hpp"
#include "config/database_url.hpp"
#include "persistence/sql.hpp"
#include "protocol/http_client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <odb/mysql/database.hxx>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace racecontrol::bench {

using clock_type = std::chrono::steady_clock;

/// The name die() prefixes its message with (the program's).
void set_program_name(std::string name);

/// Prints "<program>: message" and exits with status 1.
[[noreturn]] void die(const std::string& message);

/// The number given for --NAME (at least `min`), or `fallback` when it is
/// not given; dies naming the option when it is not such a number.
double number_option(const config::command_line& cli, const std::string& name,
                     double fallback, double min);

/// Seconds from `start` to now.
double since(clock_type::time_point start);

// --- child processes --------------------------------------------------------

/// A program run with its standard output and error in one file, with the
/// caller's environment minus RACECONTROL_* variables, plus `env`. One the
/// caller did not stop is killed when the program exits (die() too) or
/// terminates on an uncaught exception.
class child {
 public:
  child(std::vector<std::string> args, const std::vector<std::string>& env,
        std::string log_path);
  ~child();

  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  bool running();
  /// SIGTERM, then SIGKILL after `limit`; true when it stopped in time.
  bool stop(std::chrono::seconds limit);
  /// SIGKILL, as a crash would, and reaps it.
  void kill_now();

 private:
  pid_t pid_ = 0;
  std::string log_path_;
};

/// Reads a growing log file line by line from where it stopped last.
class log_reader {
 public:
  explicit log_reader(std::string path) : path_(std::move(path)) {}

  /// Calls `f` for each complete line not seen yet, until it returns false.
  void each_new_line(const std::function<bool(const std::string&)>& f);

  /// Waits until a line contains `text` (or `limit` passes); the line.
  std::optional<std::string>
  wait_for(const std::string& text, std::chrono::seconds limit, child& process);

 private:
  std::string path_;
  std::size_t offset_ = 0;
};

/// The last `bytes` of a file (for failure messages).
std::string tail_of(const std::string& path, std::size_t bytes = 3000);

// --- /proc ------------------------------------------------------------------

/// A "Name:   value kB" field of /proc/PID/status; -1 when missing.
long status_field(pid_t pid, const std::string& name);

struct cpu_ticks {
  unsigned long long user = 0, system = 0;
  /// In seconds.
  double total_seconds() const;
};

/// utime and stime of a /proc/PID/stat (or /proc/PID/task/TID/stat) text;
/// nullopt when it is not one (the thread ended while it was read).
std::optional<cpu_ticks> cpu_of_stat(const std::string& stat);

/// utime and stime of /proc/PID/stat.
cpu_ticks cpu_of(pid_t pid);

std::size_t open_files(pid_t pid);
std::string soft_open_files_limit(pid_t pid);

// --- HTTP -------------------------------------------------------------------

/// A client io_context on a thread of its own, and blocking helpers.
class client {
 public:
  client();
  ~client();

  protocol::http_client& http() { return http_; }
  boost::asio::io_context& io() { return io_; }

  /// GET (or POST `post`) on 127.0.0.1:`port`; dies unless it answers 2xx.
  protocol::http_response control(std::uint16_t port, const std::string& path,
                                  std::optional<std::string> post = {});
  /// DELETE on 127.0.0.1:`port`; dies unless it answers 2xx.
  protocol::http_response control_delete(std::uint16_t port,
                                         const std::string& path);

  /// Runs `count` asynchronous jobs, `parallel` at a time; `start(i, done)`
  /// begins job i and calls done() once it finished.
  void
  run_all(std::size_t count, std::size_t parallel,
          const std::function<void(std::size_t, std::function<void()>)>& start);

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;
  protocol::http_client http_;
  std::thread thread_;
};

// --- racetime-sim -----------------------------------------------------------

struct sim_process {
  std::unique_ptr<child> process;
  std::uint16_t port = 0;
  std::uint16_t control_port = 0;
  std::string scheme = "http"; ///< "https" when started with a certificate
  std::string bot_client, bot_secret;

  /// What racecontrold's racetime.url names.
  std::string base_url() const;
};

/// racetime-sim (the built binary) on free ports with category alttpr, its
/// goal "Beat the game" and one bot, plus `extra` arguments; its log in
/// `dir`/racetime-sim.log.
sim_process start_sim(const std::string& path, const std::string& dir,
                      const std::string& bot_client,
                      const std::string& bot_secret,
                      const std::vector<std::string>& extra = {});

std::uint64_t sim_open_sockets(client& c, const sim_process& sim);

/// A bot token from the simulator for its bot.
std::string bot_token(client& c, const sim_process& sim);

/// Adds users b<from+1> .. b<to> (named Racer<n>, Twitch racer<n>) to the
/// simulator.
void add_sim_users(client& c, const sim_process& sim, std::size_t from,
                   std::size_t to);

// --- discord-sim ------------------------------------------------------------

struct discord_sim_process {
  std::unique_ptr<child> process;
  std::uint16_t port = 0;
  std::uint16_t control_port = 0;
  std::string token; ///< the bot token it accepts

  /// What racecontrold's discord.api_url names.
  std::string api_url() const;
};

/// discord-sim (the built binary) on free ports, accepting `token`, with
/// the channels `channels` and `extra` arguments; its log in
/// `dir`/discord-sim.log.
discord_sim_process
start_discord_sim(const std::string& path, const std::string& dir,
                  const std::string& token,
                  const std::vector<std::string>& channels,
                  const std::vector<std::string>& extra = {});

// --- MariaDB ----------------------------------------------------------------

/// <name>_<suffix>_<pid> next to the database `server` names, created,
/// migrated to the current schema, and dropped at the end.
class scratch {
 public:
  scratch(config::database_url server, const std::string& suffix);
  ~scratch();

  const config::database_url& url() const { return url_; }
  void execute(const std::string& sql);
  /// Every row of a query, each value as text or NULL.
  std::vector<persistence::sql_row> rows(const std::string& sql);
  /// The first column of the first row; "NULL" for none.
  std::string scalar(const std::string& sql);
  long number(const std::string& sql) { return std::stol(scalar(sql)); }
  /// For repositories (the bench's own setup, not the daemon's work).
  odb::mysql::database& odb() { return *db_; }

 private:
  void admin(const std::string& sql);

  config::database_url server_; ///< the database the URL named
  config::database_url url_;
  std::shared_ptr<odb::mysql::database> db_;
};

/// Rows in batches of 1000: `row(i)` gives the VALUES tuple of row i.
void insert_rows(scratch& db, const std::string& head, std::size_t from,
                 std::size_t to,
                 const std::function<std::string(std::size_t)>& row);

/// The database URL of the TEST_DATABASE_URL environment variable or of
/// `given`; dies when neither is there or it does not parse.
config::database_url database_url_of(const std::optional<std::string>& given);

// --- the room automation's world ---------------------------------------------

struct automation_plan {
  std::size_t matches = 0;
  std::size_t tournaments = 1;
  /// Seconds from now to the first match's open time, and the window the
  /// open times fill evenly: match i opens first_open_in + i * spread /
  /// matches from now (0: every match at once).
  double first_open_in = 10;
  double spread = 0;
  /// Tournament t's Discord channel is channel_base + t; 0: none.
  std::uint64_t channel_base = 0;
};

/// Organization 1 with bot 1 (category alttpr, `bot_client`/`bot_secret`)
/// assigned to it; tournaments 1..T opening their rooms one minute before
/// each match (default goal "Beat the game"); users 1..2M linked to
/// racetime.gg users b1..b2M (add_sim_users); matches 1..M of users 2i-1
/// and 2i, in tournament (i mod T) + 1, open times staggered as the plan
/// says.
void seed_automation(scratch& db, const automation_plan& plan,
                     const std::string& bot_client,
                     const std::string& bot_secret);

// --- racecontrold -----------------------------------------------------------

struct daemon_setup {
  std::string program;      ///< the racecontrold to run
  std::string database_url; ///< without the password
  std::string password;
  std::string racetime_url;
  std::vector<std::string> overrides; ///< --section.key=value
  std::vector<std::string> env;       ///< NAME=VALUE, beside the password
  std::string dir;                    ///< for the log
  /// Runs the program through these (e.g. ip netns exec NS), when set.
  std::vector<std::string> prefix;
};

/// The daemon setup for `db` and `sim` (the password moved to the
/// environment, as in production).
daemon_setup daemon_setup_for(const scratch& db, const sim_process& sim,
                              std::string program, std::string dir);

/// racecontrold with the setup; its log in `dir`/`name`.log.
std::unique_ptr<child> start_daemon(const daemon_setup& d,
                                    const std::string& name);

/// Waits up to 60 s for bot 1's row to say "connected".
void wait_for_bot(scratch& db, child& daemon);

} // namespace racecontrol::bench
