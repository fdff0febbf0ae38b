#define BOOST_TEST_MODULE racecontrold_process
#include <boost/test/unit_test.hpp>

#include "config/database_url.hpp"
#include "protocol/json.hpp"
#include "protocol/service_notifier.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/private_mariadb.hpp"
#include "tests/support/scratch_database.hpp"

#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fstream>
#include <set>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

using test::daemon_process;

/// The scratch database's URL without its password, which then travels in
/// the environment as an operator would pass it.
struct daemon_fixture {
  test::scratch_database scratch;
  std::string url_without_password;
  std::string password;

  daemon_fixture() {
    auto url = scratch.url();
    password = url.password.reveal();
    url.password = {};
    url_without_password = url.to_string();
  }
};

struct http_answer {
  unsigned status = 0; ///< 0: no answer (the error in body)
  std::string body;
};

/// One GET to racecontrold's HTTP server on loopback, 10 s at most.
http_answer http_get(std::uint16_t port, const std::string& target) {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  bhttp::response<bhttp::string_body> res;
  beast::error_code failure;
  stream.expires_after(10s);
  stream.async_connect(
      {boost::asio::ip::make_address("127.0.0.1"), port},
      [&](beast::error_code ec) {
        if (ec)
          return void(failure = ec);
        bhttp::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
          if (ec)
            return void(failure = ec);
          bhttp::async_read(stream, buffer, res,
                            [&](beast::error_code ec, std::size_t) {
                              failure = ec;
                            });
        });
      });
  io.run();
  if (failure)
    return {0, failure.message()};
  return {res.result_int(), res.body()};
}

/// Asks `target` every 200 ms until it answers `status`; the last answer.
http_answer http_wait_for(std::uint16_t port, const std::string& target,
                          unsigned status, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  http_answer last;
  do {
    last = http_get(port, target);
    if (last.status == status)
      break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return last;
}

/// A unix datagram socket standing in for systemd's $NOTIFY_SOCKET: it
/// records every datagram with the time it arrived.
class notify_listener {
 public:
  struct datagram {
    std::chrono::steady_clock::time_point at;
    std::string text;
  };

  notify_listener() {
    char dir[] = "/tmp/racecontrold-notify-XXXXXX";
    dir_ = mkdtemp(dir);
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    BOOST_REQUIRE(
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    reader_ = std::thread([this] {
      read_loop();
    });
  }

  ~notify_listener() {
    stop_ = true;
    reader_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  const std::string& path() const { return path_; }

  std::vector<datagram> received() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return received_;
  }

  /// Waits until a datagram containing `text` arrived; when it did.
  std::optional<std::chrono::steady_clock::time_point>
  wait_for(const std::string& text, std::chrono::milliseconds limit) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      for (const auto& d : received())
        if (d.text.find(text) != std::string::npos)
          return d.at;
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
  }

 private:
  void read_loop() {
    char buffer[4096];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0)
        continue;
      auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0)
        continue;
      std::lock_guard<std::mutex> guard{mutex_};
      received_.push_back({std::chrono::steady_clock::now(),
                           std::string(buffer, static_cast<std::size_t>(n))});
    }
  }

  std::string dir_;
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<datagram> received_;
  std::thread reader_;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(racecontrold, daemon_fixture)

BOOST_AUTO_TEST_CASE(healthz_and_readyz_over_http) {
  daemon_process d({"--database.url=" + url_without_password},
                   {{"RACECONTROL_DATABASE_PASSWORD", password}});
  auto port = d.http_port(20s);
  BOOST_REQUIRE_MESSAGE(port != 0, d.output());
  BOOST_TEST(d.output().find("http: listening on 127.0.0.1:" +
                             std::to_string(port)) != std::string::npos);
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 20s), d.output());

  auto health = http_wait_for(port, "/healthz", 200, 10s);
  BOOST_TEST(health.status == 200u, health.body);
  BOOST_TEST(health.body == R"({"status":"ok"})");

  auto ready = http_get(port, "/readyz");
  BOOST_TEST(ready.status == 200u, ready.body);
  auto doc = protocol::parse_json(ready.body);
  protocol::json_object body{doc, ""};
  BOOST_TEST(body.string("status") == "ready");
  BOOST_TEST(body.object("database").integer("pending_migrations") == 0);
  BOOST_TEST(!body.object("database").string("schema_version").empty());
  // No bot configured: the summary is there, with zeros.
  auto bots = body.object("bots");
  BOOST_TEST(bots.integer("running") == 0);
  BOOST_TEST(bots.integer("connected") == 0);
  BOOST_TEST(bots.integer("auth_failed") == 0);

  auto missing = http_get(port, "/nowhere");
  BOOST_TEST(missing.status == 404u);
  auto error = protocol::parse_json(missing.body);
  BOOST_TEST(protocol::json_object(error, "").object("error").string("code") ==
             "not_found");

  d.signal(SIGTERM);
  BOOST_REQUIRE(d.exited(5000ms));
  BOOST_TEST(d.exit_code == 0, d.output());
  // The server is gone with the process.
  BOOST_TEST(http_get(port, "/healthz").status == 0u);
}

BOOST_AUTO_TEST_CASE(readyz_is_503_while_mariadb_is_down_and_200_when_back) {
  // A server of the test's own: stopping the shared one would fail every
  // other test program.
  test::private_mariadb server;
  auto url = server.url();
  auto pw = url.password.reveal();
  url.password = {};
  daemon_process d({"--database.url=" + url.to_string(), "--migrate",
                    "--database.health_interval=200ms",
                    "--database.connect_timeout=2s"},
                   {{"RACECONTROL_DATABASE_PASSWORD", pw}});
  auto port = d.http_port(60s);
  BOOST_REQUIRE_MESSAGE(port != 0, d.output());
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 60s), d.output());
  BOOST_TEST(http_wait_for(port, "/readyz", 200, 10s).status == 200u);

  server.stop();
  auto down = http_wait_for(port, "/readyz", 503, 30s);
  BOOST_REQUIRE_MESSAGE(down.status == 503u, down.body);
  BOOST_TEST_MESSAGE("/readyz with MariaDB stopped: " << down.body);
  auto doc = protocol::parse_json(down.body);
  protocol::json_object body{doc, ""};
  BOOST_TEST(body.string("status") == "not_ready");
  BOOST_TEST(body.string("reason").find("the database check failed") !=
                 std::string::npos,
             body.string("reason"));
  // Alive all the same.
  BOOST_TEST(http_get(port, "/healthz").status == 200u);

  server.start();
  auto back = http_wait_for(port, "/readyz", 200, 60s);
  BOOST_TEST(back.status == 200u, back.body);
  BOOST_TEST(d.output().find("http: /readyz says not ready") !=
             std::string::npos);
  d.signal(SIGTERM);
  BOOST_REQUIRE(d.exited(5000ms));
}

BOOST_AUTO_TEST_CASE(a_port_in_use_stops_the_start_with_a_clear_line) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken{
      io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  auto port = std::to_string(taken.local_endpoint().port());
  daemon_process d({"--database.url=" + url_without_password,
                    "--http.listen=127.0.0.1:" + port},
                   {{"RACECONTROL_DATABASE_PASSWORD", password}});
  BOOST_REQUIRE(d.exited(20000ms));
  BOOST_TEST(d.exit_code == 2);
  BOOST_TEST(d.error_output().find("http.listen: cannot listen on 127.0.0.1:" +
                                   port) != std::string::npos,
             d.error_output());

  daemon_process off(
      {"--database.url=" + url_without_password, "--http.listen=off"},
      {{"RACECONTROL_DATABASE_PASSWORD", password}});
  BOOST_REQUIRE_MESSAGE(off.wait_for_output("ready: node", 20s), off.output());
  BOOST_TEST(off.output().find("http: off") != std::string::npos);
  off.signal(SIGTERM);
  BOOST_REQUIRE(off.exited(5000ms));
  BOOST_TEST(off.exit_code == 0);
}

BOOST_AUTO_TEST_CASE(starts_reports_ready_and_stops_cleanly_on_sigterm) {
  const std::string bot_secret = "bot-secret-7f3a9c1e5d";
  daemon_process d({"--config",
                    RACECONTROL_SOURCE_DIR "/config/racecontrol.example.ini",
                    "--database.url=" + url_without_password,
                    "--log.level=trace", "--bot.testcat.client_id=cid-visible"},
                   {{"RACECONTROL_DATABASE_PASSWORD", password},
                    {"RACECONTROL_BOT_TESTCAT_CLIENT_SECRET", bot_secret}});
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 20s), d.output());
  // The configured bot shows in /readyz's summary; it cannot connect (no
  // racetime.gg here), and the daemon is ready all the same.
  auto port = d.http_port(1s);
  BOOST_REQUIRE(port != 0);
  auto ready = http_get(port, "/readyz");
  BOOST_TEST(ready.status == 200u, ready.body);
  auto doc = protocol::parse_json(ready.body);
  auto bots = protocol::json_object{doc, ""}.object("bots");
  BOOST_TEST(bots.integer("running") == 1, ready.body);
  BOOST_TEST(bots.integer("connected") == 0, ready.body);
  BOOST_TEST(bots.integer("starting") + bots.integer("connection_error") +
                     bots.integer("auth_failed") +
                     bots.integer("disconnected") ==
                 1,
             ready.body);
  auto stop_at = std::chrono::steady_clock::now();
  d.signal(SIGTERM);
  BOOST_REQUIRE_MESSAGE(d.exited(5000ms), "no exit within 5 s of SIGTERM");
  BOOST_TEST((std::chrono::steady_clock::now() - stop_at < 5s));
  BOOST_TEST(d.exit_code == 0, d.output());
  auto out = d.output();
  BOOST_TEST(out.find("received SIGTERM; stopping") != std::string::npos, out);
  // The bot configuration was logged (the check below can fail)...
  BOOST_TEST(out.find("client_id=cid-visible") != std::string::npos, out);
  // ...but no secret ever was.
  BOOST_TEST(out.find(bot_secret) == std::string::npos, out);
  BOOST_TEST(out.find(password) == std::string::npos, out);
}

namespace {

/// Each live thread of `pid`: its name and Cpus_allowed_list.
std::vector<std::pair<std::string, std::string>> threads_of(pid_t pid) {
  std::vector<std::pair<std::string, std::string>> out;
  auto dir_path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(dir_path.c_str());
  BOOST_REQUIRE(dir != nullptr);
  while (auto* e = readdir(dir)) {
    if (e->d_name[0] == '.')
      continue;
    std::ifstream status(dir_path + "/" + e->d_name + "/status");
    std::string line, name, cpus;
    while (std::getline(status, line)) {
      if (line.rfind("Name:\t", 0) == 0)
        name = line.substr(6);
      if (line.rfind("Cpus_allowed_list:\t", 0) == 0)
        cpus = line.substr(19);
    }
    if (!cpus.empty()) // else the thread ended while we read
      out.emplace_back(name, cpus);
  }
  closedir(dir);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(daemon_cpus_binds_every_thread_and_names_its_own) {
  // The last CPU this test may use: every thread of the daemon on it.
  cpu_set_t mine;
  CPU_ZERO(&mine);
  BOOST_REQUIRE(sched_getaffinity(0, sizeof mine, &mine) == 0);
  int cpu = -1;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &mine))
      cpu = i;
  // And CPU 1023, which no machine here has: the kernel keeps the CPUs it
  // can, and the daemon says which.
  auto asked = std::to_string(cpu) + ",1023";
  daemon_process d(
      {"--database.url=" + url_without_password, "--daemon.cpus=" + asked},
      {{"RACECONTROL_DATABASE_PASSWORD", password}});
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 20s), d.output());
  BOOST_TEST(d.output().find(" cpus=" + asked + " ") != std::string::npos,
             d.output());
  BOOST_TEST(d.output().find(
                 "daemon.cpus: running on CPUs " + std::to_string(cpu) +
                 " only; the others asked for (" + asked +
                 ") are not available to this process") != std::string::npos,
             d.output());
  // The signal thread may start (and name itself) just after the ready line.
  std::set<std::string> names;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    names.clear();
    for (const auto& [name, cpus] : threads_of(d.pid())) {
      names.insert(name);
      BOOST_TEST(cpus == std::to_string(cpu), name);
    }
    if (names.count("rc.signals") ||
        std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(50ms);
  }
  for (const char* own : {"rc.log", "rc.signals"})
    BOOST_TEST(names.count(own) == 1u, own);
  // On one CPU racetime.io_threads = auto gives the network no thread of its
  // own: the actors' one scheduler thread runs it.
  BOOST_TEST(names.count("rc.io") == 0u);
  BOOST_TEST(d.output().find("threads: 1 actor scheduler thread, which also "
                             "runs the network (racetime.io_threads auto)") !=
                 std::string::npos,
             d.output());
  d.signal(SIGTERM);
  BOOST_REQUIRE(d.exited(5000ms));
  BOOST_TEST(d.exit_code == 0, d.output());

  daemon_process bad(
      {"--database.url=" + url_without_password, "--daemon.cpus=1023"},
      {{"RACECONTROL_DATABASE_PASSWORD", password}});
  BOOST_REQUIRE(bad.exited(5000ms));
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.error_output().find("racecontrold: daemon.cpus: cannot run "
                                     "on CPUs 1023 (") != std::string::npos,
             bad.error_output());
  BOOST_TEST(bad.error_output().find("); this process may use ") !=
                 std::string::npos,
             bad.error_output());
}

BOOST_AUTO_TEST_CASE(json_log_lines_carry_no_secret_either) {
  const std::string bot_secret = "json-secret-0b5e2d77aa";
  daemon_process d({"--database.url=" + url_without_password,
                    "--log.format=json", "--log.level=trace",
                    "--bot.testcat.client_id=cid-json"},
                   {{"RACECONTROL_DATABASE_PASSWORD", password},
                    {"RACECONTROL_BOT_TESTCAT_CLIENT_SECRET", bot_secret}});
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 20s), d.output());
  d.signal(SIGINT);
  BOOST_REQUIRE(d.exited(5000ms));
  BOOST_TEST(d.exit_code == 0);
  auto out = d.output();
  BOOST_TEST(out.find("\"msg\":\"ready: node") != std::string::npos, out);
  BOOST_TEST(out.find("received SIGINT") != std::string::npos);
  BOOST_TEST(out.find(bot_secret) == std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(journal_log_lines_have_priorities_and_no_timestamps) {
  // What systemd gives racecontrold: JOURNAL_STREAM naming its stderr. The
  // test cannot know the inode before the spawn, so it asks for the format
  // by name; format_for_stderr's detection is covered in logging_test.
  // Each line names the node after the priority (several nodes' journals
  // read together).
  daemon_process d({"--database.url=" + url_without_password,
                    "--log.format=journal", "--daemon.node_name=node-j"},
                   {{"RACECONTROL_DATABASE_PASSWORD", password}});
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("<6>[node-j] ready: node", 20s),
                        d.output());
  d.signal(SIGTERM);
  BOOST_REQUIRE(d.exited(5000ms));
  BOOST_TEST(d.exit_code == 0);
  auto out = d.error_output();
  std::istringstream lines{out};
  for (std::string line; std::getline(lines, line);)
    BOOST_TEST((line.size() > 3 && line[0] == '<' && line[2] == '>' &&
                line[1] >= '2' && line[1] <= '7'),
               line);
  BOOST_TEST(out.find("<6>[node-j] received SIGTERM; stopping") !=
                 std::string::npos,
             out);
}

BOOST_AUTO_TEST_CASE(wrong_password_exits_2_with_one_clear_line) {
  daemon_process d({"--database.url=" + url_without_password},
                   {{"RACECONTROL_DATABASE_PASSWORD", "definitely-wrong"}});
  BOOST_REQUIRE(d.exited(15000ms));
  BOOST_TEST(d.exit_code == 2);
  auto err = d.error_output();
  auto url = scratch.url();
  std::string expected = "racecontrold: cannot connect to MariaDB at " +
                         url.location() + " as " + url.user +
                         ": Access denied for user";
  BOOST_TEST(err.find(expected) != std::string::npos, err);
  // Exactly one line says so (the info line before it is the start banner).
  auto first = err.find("racecontrold: ");
  BOOST_TEST(err.find("racecontrold: ", first + 1) == std::string::npos, err);
  BOOST_TEST(err.find("definitely-wrong") == std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(unreachable_server_and_bad_values_exit_2) {
  daemon_process d({"--database.url=mysql://rc@127.0.0.1:1/racecontrol",
                    "--database.connect_timeout=2s"},
                   {});
  BOOST_REQUIRE(d.exited(15000ms));
  BOOST_TEST(d.exit_code == 2);
  BOOST_TEST(d.error_output().find("racecontrold: cannot connect to MariaDB at "
                                   "127.0.0.1:1 as rc:") != std::string::npos,
             d.error_output());

  daemon_process bad({"--log.level=loud"}, {});
  BOOST_REQUIRE(bad.exited(5000ms));
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.error_output() ==
             "racecontrold: --log.level: must be one of trace, debug, info, "
             "warn, error, critical, off; got 'loud'\n");

  daemon_process unknown({"--frobnicate"}, {});
  BOOST_REQUIRE(unknown.exited(5000ms));
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.error_output().find("unknown option '--frobnicate'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_to_start_with_pending_migrations) {
  test::scratch_database empty{false};
  auto url = empty.url();
  auto pw = url.password.reveal();
  url.password = {};
  daemon_process d({"--database.url=" + url.to_string()},
                   {{"RACECONTROL_DATABASE_PASSWORD", pw}});
  BOOST_REQUIRE(d.exited(15000ms));
  BOOST_TEST(d.exit_code == 2);
  auto err = d.error_output();
  BOOST_TEST(err.find("pending migration(s), first "
                      "20261122_000001_create_organizations.up.sql: run "
                      "`racecontrol-migrate up") != std::string::npos,
             err);
  BOOST_TEST(err.find("--migrate") != std::string::npos);
  // With --migrate it brings the schema up to date and starts.
  daemon_process m({"--database.url=" + url.to_string(), "--migrate"},
                   {{"RACECONTROL_DATABASE_PASSWORD", pw}});
  BOOST_REQUIRE_MESSAGE(m.wait_for_output("ready: node", 30s), m.output());
  BOOST_TEST(m.output().find("applying migration "
                             "20261122_000001_create_organizations.up.sql") !=
             std::string::npos);
  m.signal(SIGTERM);
  BOOST_REQUIRE(m.exited(5000ms));
  BOOST_TEST(m.exit_code == 0);
}

BOOST_AUTO_TEST_CASE(exits_within_5s_of_sigterm_while_mariadb_is_frozen) {
  // A server of the test's own: freezing the shared one would stall every
  // other test program.
  test::private_mariadb server;
  auto url = server.url();
  auto pw = url.password.reveal();
  url.password = {};
  daemon_process d({"--database.url=" + url.to_string(), "--migrate",
                    "--database.health_interval=200ms"},
                   {{"RACECONTROL_DATABASE_PASSWORD", pw}});
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 60s), d.output());
  server.freeze();
  // The health check is now waiting for an answer that does not come.
  std::this_thread::sleep_for(1s);
  auto stop_at = std::chrono::steady_clock::now();
  d.signal(SIGTERM);
  bool exited = d.exited(5000ms);
  auto took = std::chrono::steady_clock::now() - stop_at;
  server.thaw();
  BOOST_REQUIRE_MESSAGE(exited, "no exit within 5 s of SIGTERM with MariaDB "
                                "frozen:\n"
                                    << d.output());
  BOOST_TEST_MESSAGE(
      "exit after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms, status " << d.exit_code);
  // It says why it did not stop cleanly.
  BOOST_TEST(d.exit_code == 1, d.output());
  BOOST_TEST(d.output().find("still busy") != std::string::npos, d.output());
}

BOOST_AUTO_TEST_CASE(help_and_version) {
  daemon_process help({"--help"}, {});
  BOOST_REQUIRE(help.exited(5000ms));
  BOOST_TEST(help.exit_code == 0);
  auto text = help.output();
  BOOST_TEST(text.find("usage: racecontrold") != std::string::npos);
  BOOST_TEST(text.find("--database.url=VALUE") != std::string::npos);
  BOOST_TEST(text.find("RACECONTROL_BOT_<CATEGORY>_CLIENT_SECRET") !=
             std::string::npos);
  daemon_process version({"--version"}, {});
  BOOST_REQUIRE(version.exited(5000ms));
  BOOST_TEST(version.exit_code == 0);
  BOOST_TEST(version.output().rfind("racecontrold 0.", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(tells_systemd_ready_watchdog_and_stopping) {
  notify_listener systemd;
  // A ping every 500 ms (half of WATCHDOG_USEC), as sd_notify(3) asks.
  daemon_process d({"--database.url=" + url_without_password},
                   {{"RACECONTROL_DATABASE_PASSWORD", password},
                    {"NOTIFY_SOCKET", systemd.path()},
                    {"WATCHDOG_USEC", "1000000"}});
  auto port = d.http_port(20s);
  BOOST_REQUIRE_MESSAGE(port != 0, d.output());
  auto ready_at = systemd.wait_for("READY=1", 20000ms);
  BOOST_REQUIRE_MESSAGE(ready_at, d.output());
  // READY=1 comes once the node has answered: /readyz says 200 by then.
  // (The log line is written in a batch, up to log.batch_delay later.)
  BOOST_TEST(d.wait_for_output("ready: node", 5s), d.output());
  auto ready = http_get(port, "/readyz");
  BOOST_TEST(ready.status == 200u, ready.body);
  BOOST_TEST(systemd.received().front().text.find("READY=1\nSTATUS=serving") ==
             0u);

  // SIGHUP: RELOADING=1 (with the monotonic time), then READY=1 again.
  d.signal(SIGHUP);
  BOOST_REQUIRE(systemd.wait_for("RELOADING=1\nMONOTONIC_USEC=", 5000ms));
  BOOST_REQUIRE(systemd.wait_for("(reloaded)", 5000ms));

  std::this_thread::sleep_for(3s);
  std::vector<std::chrono::steady_clock::time_point> pings;
  for (const auto& m : systemd.received())
    if (m.text == "WATCHDOG=1")
      pings.push_back(m.at);
  // 3 s at one ping per 500 ms (and the time before): at least 5, and
  // never more than a ping per 250 ms.
  std::string offsets;
  for (auto at : pings)
    offsets += " " + std::to_string(
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             at - *ready_at)
                             .count());
  BOOST_TEST(pings.size() >= 5u, pings.size()
                                     << " pings, ms after READY=1:" << offsets);
  auto since_ready = std::chrono::steady_clock::now() - *ready_at;
  BOOST_TEST(pings.size() <= static_cast<std::size_t>(since_ready / 250ms) + 1,
             pings.size() << " pings");
  for (std::size_t i = 1; i < pings.size(); ++i)
    BOOST_TEST(
        (pings[i] - pings[i - 1] < 1000ms),
        "a gap of " << std::chrono::duration_cast<std::chrono::milliseconds>(
                           pings[i] - pings[i - 1])
                           .count()
                    << " ms between pings");
  BOOST_TEST(systemd.wait_for("STOPPING=1", 0ms).has_value() == false);

  d.signal(SIGTERM);
  BOOST_REQUIRE(d.exited(5000ms));
  BOOST_TEST(d.exit_code == 0, d.output());
  auto stopping = systemd.wait_for("STOPPING=1", 1000ms);
  BOOST_REQUIRE(stopping);
  BOOST_TEST(systemd.received().back().text.find("STOPPING=1") == 0u);
}

BOOST_AUTO_TEST_CASE(
    without_notify_socket_nothing_is_sent_and_bad_values_exit_2) {
  // No NOTIFY_SOCKET: the daemon runs as before and logs nothing of systemd.
  {
    daemon_process d({"--database.url=" + url_without_password},
                     {{"RACECONTROL_DATABASE_PASSWORD", password},
                      {"WATCHDOG_USEC", "1000000"}});
    BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 20s), d.output());
    d.signal(SIGTERM);
    BOOST_REQUIRE(d.exited(5000ms));
    BOOST_TEST(d.exit_code == 0);
    BOOST_TEST(d.output().find("systemd") == std::string::npos, d.output());
  }
  daemon_process bad({"--database.url=" + url_without_password},
                     {{"RACECONTROL_DATABASE_PASSWORD", password},
                      {"NOTIFY_SOCKET", "relative/path"}});
  BOOST_REQUIRE(bad.exited(10000ms));
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.error_output().find("NOTIFY_SOCKET=relative/path: expected "
                                     "an absolute path") != std::string::npos,
             bad.error_output());
}

BOOST_AUTO_TEST_SUITE_END()
