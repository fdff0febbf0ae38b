#include "tools/bench/bench_world.hpp"

#include "persistence/database.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/secret_box.hpp"
#include "persistence/sql.hpp"
#include "protocol/json.hpp"
#include "protocol/racetime_api.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>

extern char** environ;

namespace racecontrol::bench {

using std::chrono::seconds;

namespace {

std::string program_name = "bench";

} // namespace

void set_program_name(std::string name) {
  program_name = std::move(name);
}

void die(const std::string& message) {
  std::cerr << program_name << ": " << message << "\n";
  std::exit(1);
}

double number_option(const config::command_line& cli, const std::string& name,
                     double fallback, double min) {
  auto text = cli.value(name);
  if (!text)
    return fallback;
  try {
    std::size_t used = 0;
    double v = std::stod(*text, &used);
    if (used == text->size() && v >= min)
      return v;
  } catch (const std::exception&) {
  }
  die("--" + name + " needs a number of at least " + std::to_string(min) +
      ", got " + *text);
}

double since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// --- child processes --------------------------------------------------------

namespace {

// The children still running, so that a program that ends without their
// destructors (die(), an uncaught exception) does not leave a racecontrold
// or a simulator behind, writing logs for nobody.
std::mutex children_mutex;
std::set<pid_t> live_children;

void kill_live_children() {
  std::lock_guard<std::mutex> lock{children_mutex};
  for (pid_t pid : live_children) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  live_children.clear();
}

void track_child(pid_t pid) {
  static const bool hooked = [] {
    std::atexit(kill_live_children);
    std::set_terminate([] {
      kill_live_children();
      std::abort();
    });
    return true;
  }();
  (void)hooked;
  std::lock_guard<std::mutex> lock{children_mutex};
  live_children.insert(pid);
}

void forget_child(pid_t pid) {
  std::lock_guard<std::mutex> lock{children_mutex};
  live_children.erase(pid);
}

} // namespace

child::child(std::vector<std::string> args, const std::vector<std::string>& env,
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
  int rc =
      posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    die("cannot start " + args[0] + ": " + std::strerror(rc));
  track_child(pid_);
}

child::~child() {
  if (running())
    stop(seconds{5});
}

bool child::running() {
  if (pid_ == 0)
    return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    forget_child(pid_);
    pid_ = 0;
    return false;
  }
  return true;
}

bool child::stop(seconds limit) {
  if (!running())
    return true;
  kill(pid_, SIGTERM);
  auto deadline = clock_type::now() + limit;
  while (clock_type::now() < deadline) {
    if (!running())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  kill_now();
  return false;
}

void child::kill_now() {
  if (pid_ == 0)
    return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  forget_child(pid_);
  pid_ = 0;
}

void log_reader::each_new_line(
    const std::function<bool(const std::string&)>& f) {
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

std::optional<std::string> log_reader::wait_for(const std::string& text,
                                                seconds limit, child& process) {
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

std::string tail_of(const std::string& path, std::size_t bytes) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  auto text = s.str();
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

// --- /proc ------------------------------------------------------------------

namespace {

std::string read_proc(pid_t pid, const char* what) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + what);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

long status_field(pid_t pid, const std::string& name) {
  std::istringstream in(read_proc(pid, "status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + ":", 0) == 0)
      return std::stol(line.substr(name.size() + 1));
  return -1;
}

double cpu_ticks::total_seconds() const {
  return static_cast<double>(user + system) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<cpu_ticks> cpu_of_stat(const std::string& stat) {
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size())
    return std::nullopt;
  // Fields after the command name (which may hold spaces), from field 3.
  std::istringstream in(stat.substr(close + 2));
  std::vector<std::string> f;
  std::string x;
  while (in >> x)
    f.push_back(x);
  if (f.size() < 13)
    return std::nullopt;
  return cpu_ticks{std::stoull(f[11]), std::stoull(f[12])}; // fields 14, 15
}

cpu_ticks cpu_of(pid_t pid) {
  auto ticks = cpu_of_stat(read_proc(pid, "stat"));
  if (!ticks)
    die("cannot read /proc/" + std::to_string(pid) + "/stat");
  return *ticks;
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

// --- HTTP -------------------------------------------------------------------

namespace {

protocol::http_client_options client_options() {
  protocol::http_client_options o;
  o.max_idle_per_host = 32;
  return o;
}

} // namespace

client::client()
    : work_(boost::asio::make_work_guard(io_)),
      http_(io_, protocol::make_client_tls_context(), client_options()) {
  thread_ = std::thread([this] {
    io_.run();
  });
}

client::~client() {
  work_.reset();
  io_.stop();
  thread_.join();
}

namespace {

protocol::http_response control_request(protocol::http_client& http,
                                        protocol::http_request req,
                                        const std::string& path) {
  std::promise<protocol::http_outcome> done;
  auto future = done.get_future();
  http.request(std::move(req), [&done](protocol::http_outcome out) {
    done.set_value(std::move(out));
  });
  auto out = future.get();
  if (!out)
    die("control API " + path + ": " + out.error().message);
  if (out->status < 200 || out->status > 299)
    die("control API " + path + ": HTTP " + std::to_string(out->status) + " " +
        out->body);
  return *out;
}

protocol::http_request control_target(std::uint16_t port,
                                      const std::string& path) {
  protocol::http_request req;
  req.target =
      *protocol::parse_url("http://127.0.0.1:" + std::to_string(port) + path);
  return req;
}

} // namespace

protocol::http_response client::control(std::uint16_t port,
                                        const std::string& path,
                                        std::optional<std::string> post) {
  auto req = control_target(port, path);
  if (post) {
    req.method = boost::beast::http::verb::post;
    req.body = *post;
    req.content_type = "application/json";
  }
  return control_request(http_, std::move(req), path);
}

protocol::http_response client::control_delete(std::uint16_t port,
                                               const std::string& path) {
  auto req = control_target(port, path);
  req.method = boost::beast::http::verb::delete_;
  return control_request(http_, std::move(req), path);
}

void client::run_all(
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

// --- racetime-sim -----------------------------------------------------------

sim_process start_sim(const std::string& path, const std::string& dir,
                      const std::string& bot_client,
                      const std::string& bot_secret,
                      const std::vector<std::string>& extra) {
  sim_process sim;
  sim.bot_client = bot_client;
  sim.bot_secret = bot_secret;
  std::vector<std::string> args{path,
                                "--port",
                                "0",
                                "--control-port",
                                "0",
                                "--category",
                                "alttpr:A Link to the Past Randomizer",
                                "--goal",
                                "alttpr:Beat the game",
                                "--bot",
                                "alttpr:" + bot_client + ":" + bot_secret +
                                    ":BenchBot"};
  args.insert(args.end(), extra.begin(), extra.end());
  sim.process = std::make_unique<child>(args, std::vector<std::string>{},
                                        dir + "/racetime-sim.log");
  log_reader log{sim.process->log_path()};
  auto line = log.wait_for("listening on", seconds{20}, *sim.process);
  if (!line)
    die("racetime-sim did not start:\n" + tail_of(sim.process->log_path()));
  // "... listening on http://ADDRESS:PORT (control API on port N), ..."
  auto scheme_at = line->find("listening on ") + 13;
  auto at = line->find("://", scheme_at);
  sim.scheme = line->substr(scheme_at, at - scheme_at);
  at = line->find(':', at + 3) + 1;
  sim.port = static_cast<std::uint16_t>(std::stoi(line->substr(at)));
  at = line->find("control API on port ") + 20;
  sim.control_port = static_cast<std::uint16_t>(std::stoi(line->substr(at)));
  return sim;
}

std::string sim_process::base_url() const {
  return scheme + "://127.0.0.1:" + std::to_string(port);
}

std::uint64_t sim_open_sockets(client& c, const sim_process& sim) {
  auto body = c.control(sim.control_port, "/stats").body;
  auto doc = protocol::parse_json(body);
  return doc["open_bot_sockets"].GetUint64();
}

std::string bot_token(client& c, const sim_process& sim) {
  protocol::racetime_api api{c.io(), c.http(),
                             *protocol::parse_url(sim.base_url())};
  std::promise<protocol::racetime_result<protocol::token_response>> done;
  auto future = done.get_future();
  api.client_credentials_token({sim.bot_client, sim.bot_secret},
                               [&done](auto r) {
                                 done.set_value(std::move(r));
                               });
  auto r = future.get();
  if (!r)
    die("no bot token from racetime-sim: " + r.error().message);
  return r->access_token;
}

void add_sim_users(client& c, const sim_process& sim, std::size_t from,
                   std::size_t to) {
  c.run_all(to - from, 16, [&](std::size_t i, std::function<void()> done) {
    auto id = std::to_string(from + i + 1);
    protocol::http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = *protocol::parse_url(
        "http://127.0.0.1:" + std::to_string(sim.control_port) + "/users");
    // A Twitch channel: the races racecontrol opens require streaming.
    req.body = "{\"id\":\"b" + id + "\",\"name\":\"Racer" + id +
               "\",\"twitch_name\":\"racer" + id + "\"}";
    req.content_type = "application/json";
    c.http().request(std::move(req), [done, id](protocol::http_outcome out) {
      if (!out || out->status != 200)
        die("racetime-sim refused user b" + id);
      done();
    });
  });
}

// --- discord-sim ------------------------------------------------------------

std::string discord_sim_process::api_url() const {
  return "http://127.0.0.1:" + std::to_string(port) + "/api/v10";
}

discord_sim_process start_discord_sim(const std::string& path,
                                      const std::string& dir,
                                      const std::string& token,
                                      const std::vector<std::string>& channels,
                                      const std::vector<std::string>& extra) {
  discord_sim_process d;
  d.token = token;
  std::vector<std::string> args{path, "--listen", "127.0.0.1:0", "--control",
                                "127.0.0.1:0"};
  for (const auto& c : channels) {
    args.emplace_back("--channels");
    args.push_back(c);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  // The token travels in the environment, as the demo passes it.
  d.process = std::make_unique<child>(
      args, std::vector<std::string>{"DISCORD_SIM_TOKEN=" + token},
      dir + "/discord-sim.log");
  log_reader log{d.process->log_path()};
  auto line = log.wait_for("listening on", seconds{20}, *d.process);
  if (!line)
    die("discord-sim did not start:\n" + tail_of(d.process->log_path()));
  // "... listening on http://127.0.0.1:PORT/api/v10 (control API on
  // 127.0.0.1:PORT), ..."
  auto at = line->find("127.0.0.1:") + 10;
  d.port = static_cast<std::uint16_t>(std::stoi(line->substr(at)));
  at = line->find("control API on ");
  at = line->find(':', at) + 1;
  d.control_port = static_cast<std::uint16_t>(std::stoi(line->substr(at)));
  return d;
}

// --- MariaDB ----------------------------------------------------------------

scratch::scratch(config::database_url server, const std::string& suffix)
    : server_(server), url_(std::move(server)) {
  url_.database += "_" + suffix + "_" + std::to_string(getpid());
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

scratch::~scratch() {
  db_.reset();
  try {
    admin("DROP DATABASE IF EXISTS " +
          persistence::sql_identifier(url_.database));
  } catch (const std::exception& e) {
    std::cerr << program_name << ": could not drop " << url_.database << ": "
              << e.what() << "\n";
  }
}

void scratch::execute(const std::string& sql) {
  auto conn = db_->connection();
  persistence::sql_execute(*conn, sql);
}

std::vector<persistence::sql_row> scratch::rows(const std::string& sql) {
  auto conn = db_->connection();
  return persistence::sql_query(*conn, sql);
}

std::string scratch::scalar(const std::string& sql) {
  auto conn = db_->connection();
  return persistence::sql_scalar(*conn, sql).value_or("NULL");
}

void scratch::admin(const std::string& sql) {
  persistence::database_options o;
  o.url = server_;
  o.max_connections = 1;
  auto admin_db = persistence::open_database(o);
  auto conn = admin_db->connection();
  persistence::sql_execute(*conn, sql);
}

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

config::database_url database_url_of(const std::optional<std::string>& given) {
  std::string text;
  if (given)
    text = *given;
  else if (const char* env = std::getenv("TEST_DATABASE_URL"))
    text = env;
  else
    die("give --database URL or set TEST_DATABASE_URL");
  std::string error;
  auto url = config::parse_database_url(text, error);
  if (!url)
    die("bad database URL: " + error);
  return *url;
}

// --- the room automation's world ---------------------------------------------

void seed_automation(scratch& db, const automation_plan& plan,
                     const std::string& bot_client,
                     const std::string& bot_secret) {
  auto n = [](std::size_t i) {
    return std::to_string(i);
  };
  db.execute("INSERT INTO organizations (id, name) VALUES (1, 'Bench League')");
  db.execute("INSERT INTO racetime_bots (id, category, name, client_id, "
             "client_secret) VALUES (1, 'alttpr', 'BenchBot', '" +
             bot_client + "', '" + bot_secret + "')");
  db.execute("INSERT INTO racetime_bot_organizations (bot_id, "
             "organization_id) VALUES (1, 1)");
  insert_rows(db,
              "INSERT INTO tournaments (id, organization_id, name, "
              "racetime_bot_id, racetime_auto_create_rooms, "
              "room_open_minutes_before, racetime_default_goal, "
              "discord_notification_channel_id)",
              0, plan.tournaments, [&](std::size_t t) {
                return "(" + n(t + 1) + ", 1, 'Bench Cup " + n(t + 1) +
                       "', 1, 1, 1, 'Beat the game', " +
                       (plan.channel_base == 0 ? std::string{"NULL"}
                                               : n(plan.channel_base + t + 1)) +
                       ")";
              });
  insert_rows(db,
              "INSERT INTO users (id, discord_id, display_name, racetime_id, "
              "racetime_name)",
              0, 2 * plan.matches, [&](std::size_t i) {
                return "(" + n(i + 1) + ", " + n(1000000 + i) + ", 'Racer" +
                       n(i + 1) + "', 'b" + n(i + 1) + "', 'Racer" + n(i + 1) +
                       "')";
              });
  // Open time = scheduled_at - 1 minute.
  auto open_in_us = [&](std::size_t i) {
    double step = plan.spread / double(plan.matches);
    return n(static_cast<std::size_t>(
        (60.0 + plan.first_open_in + step * double(i)) * 1e6));
  };
  insert_rows(db,
              "INSERT INTO matches (id, tournament_id, title, scheduled_at, "
              "racetime_auto_create)",
              0, plan.matches, [&](std::size_t i) {
                return "(" + n(i + 1) + ", " + n(i % plan.tournaments + 1) +
                       ", 'Match " + n(i + 1) +
                       "', UTC_TIMESTAMP(6) + INTERVAL " + open_in_us(i) +
                       " MICROSECOND, 1)";
              });
  insert_rows(db, "INSERT INTO match_players (match_id, user_id)", 0,
              plan.matches, [&](std::size_t i) {
                return "(" + n(i + 1) + ", " + n(2 * i + 1) + "), (" +
                       n(i + 1) + ", " + n(2 * i + 2) + ")";
              });
}

// --- racecontrold -----------------------------------------------------------

daemon_setup daemon_setup_for(const scratch& db, const sim_process& sim,
                              std::string program, std::string dir) {
  daemon_setup setup;
  setup.program = std::move(program);
  auto url = db.url();
  setup.password = url.password.reveal();
  url.password = {};
  setup.database_url = url.to_string();
  setup.racetime_url = sim.base_url();
  setup.dir = std::move(dir);
  return setup;
}

std::unique_ptr<child> start_daemon(const daemon_setup& d,
                                    const std::string& name) {
  auto args = d.prefix;
  std::vector<std::string> own{d.program, "--database.url=" + d.database_url,
                               "--racetime.url=" + d.racetime_url,
                               "--log.level=info",
                               // Several benches may run at once.
                               "--http.listen=127.0.0.1:0"};
  args.insert(args.end(), own.begin(), own.end());
  args.insert(args.end(), d.overrides.begin(), d.overrides.end());
  auto env = d.env;
  env.push_back("RACECONTROL_DATABASE_PASSWORD=" + d.password);
  // One key for every racecontrold of this bench: a killed daemon's
  // successor must open what it sealed.
  static const std::string key = persistence::secret_box::generate_key();
  env.push_back(std::string{persistence::secret_box::key_variable} + "=" + key);
  return std::make_unique<child>(args, env, d.dir + "/" + name + ".log");
}

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

} // namespace racecontrol::bench
