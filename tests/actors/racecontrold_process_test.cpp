#define BOOST_TEST_MODULE racecontrold_process
#include <boost/test/unit_test.hpp>

#include "config/database_url.hpp"
#include "tests/support/private_mariadb.hpp"
#include "tests/support/scratch_database.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// racecontrold running as a child process, its output captured in files.
class daemon_process {
 public:
  daemon_process(std::vector<std::string> args,
                 std::map<std::string, std::string> env) {
    char dir[] = "/tmp/racecontrold-test-XXXXXX";
    dir_ = mkdtemp(dir);
    out_path_ = dir_ + "/stdout";
    err_path_ = dir_ + "/stderr";
    args.insert(args.begin(), RACECONTROLD_PATH);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry = *e;
      if (entry.rfind("RACECONTROL_", 0) != 0)
        env_strings.push_back(entry);
    }
    for (auto& [k, v] : env)
      env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_strings)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(),
                         envp.data());
    posix_spawn_file_actions_destroy(&actions);
    BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0]);
  }

  ~daemon_process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::remove(out_path_.c_str());
    std::remove(err_path_.c_str());
    rmdir(dir_.c_str());
  }

  std::string output() const {
    return read_file(out_path_) + read_file(err_path_);
  }

  std::string error_output() const { return read_file(err_path_); }

  /// Waits until the output contains `text` or the process ends.
  bool wait_for_output(const std::string& text, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (output().find(text) != std::string::npos)
        return true;
      if (exited(0ms))
        return output().find(text) != std::string::npos;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  /// True once the process has exited; its status is then in exit_code.
  bool exited(std::chrono::milliseconds limit) {
    if (pid_ <= 0)
      return true;
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        exit_code =
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
      }
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

  void signal(int sig) { kill(pid_, sig); }

  int exit_code = -1;

 private:
  pid_t pid_ = 0;
  std::string dir_;
  std::string out_path_;
  std::string err_path_;
};

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

} // namespace

BOOST_FIXTURE_TEST_SUITE(racecontrold, daemon_fixture)

BOOST_AUTO_TEST_CASE(starts_reports_ready_and_stops_cleanly_on_sigterm) {
  const std::string bot_secret = "bot-secret-7f3a9c1e5d";
  daemon_process d({"--config",
                    RACECONTROL_SOURCE_DIR "/config/racecontrol.example.ini",
                    "--database.url=" + url_without_password,
                    "--log.level=trace", "--bot.testcat.client_id=cid-visible"},
                   {{"RACECONTROL_DATABASE_PASSWORD", password},
                    {"RACECONTROL_BOT_TESTCAT_CLIENT_SECRET", bot_secret}});
  BOOST_REQUIRE_MESSAGE(d.wait_for_output("ready: node", 20s), d.output());
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

BOOST_AUTO_TEST_SUITE_END()
