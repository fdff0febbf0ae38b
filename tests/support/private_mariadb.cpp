#include "tests/support/private_mariadb.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace racecontrol::test {

namespace {

/// Runs a bash script with scripts/lib/mariadb.sh sourced; returns its
/// standard output, failing the test when it fails.
std::string run_script(const std::string& body) {
  std::string script = "set -e; source '" RACECONTROL_SOURCE_DIR
                       "/scripts/lib/mariadb.sh'; " +
                       body;
  std::string command = "bash -c \"$RACECONTROL_PRIVATE_DB_SCRIPT\" 2>&1";
  setenv("RACECONTROL_PRIVATE_DB_SCRIPT", script.c_str(), 1);
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(pipe != nullptr, "cannot run bash");
  std::string out;
  char buf[512];
  while (auto n = fread(buf, 1, sizeof buf, pipe))
    out.append(buf, n);
  int status = pclose(pipe);
  unsetenv("RACECONTROL_PRIVATE_DB_SCRIPT");
  BOOST_REQUIRE_MESSAGE(status == 0, "private MariaDB: " << out);
  return out;
}

/// Whether a process that is not our child still runs (a zombie that its
/// parent has not reaped yet does not).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         line[close + 2] != 'Z';
}

/// Whether every thread of `pid` is stopped (state T). kill(SIGSTOP)
/// returns before the threads stop: each stops when it next runs, and on a
/// busy machine a connection thread woken by a query can serve it first.
bool all_threads_stopped(pid_t pid) {
  auto tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (!std::getline(stat, line))
      continue; // the thread ended meanwhile
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size() ||
        line[close + 2] != 'T')
      return false;
    any = true;
  }
  return !ec && any;
}

std::string random_password() {
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyz23456789";
  std::string out;
  std::srand(static_cast<unsigned>(getpid() ^ time(nullptr)));
  for (int i = 0; i < 20; ++i)
    out.push_back(alphabet[std::rand() % (sizeof alphabet - 1)]);
  return out;
}

} // namespace

private_mariadb::private_mariadb(std::string database)
    : database_(std::move(database)), password_(random_password()) {
  char tmpl[] = "/tmp/racecontrol-private-db-XXXXXX";
  BOOST_REQUIRE(mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  launch();
  run_script("MARIADB_SOCKET='" + dir_ +
             "/mysqld.sock'; mariadb_sql \"CREATE USER 'test'@'127.0.0.1' "
             "IDENTIFIED BY '" +
             password_ +
             "'; GRANT ALL PRIVILEGES ON *.* TO 'test'@'127.0.0.1'; CREATE "
             "DATABASE " +
             database_ +
             " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\"");
}

private_mariadb::~private_mariadb() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
  }
  std::string cmd = "rm -rf '" + dir_ + "'";
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "could not remove %s\n", dir_.c_str());
}

void private_mariadb::launch() {
  std::string want =
      port_ > 0 ? "MARIADB_WANT_PORT=" + std::to_string(port_) + "; " : "";
  auto out = run_script(want + "mariadb_start '" + dir_ +
                        "'; echo \"port=$MARIADB_PORT pid=$MARIADB_PID\"");
  auto at = out.rfind("port=");
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, out);
  int pid = 0;
  BOOST_REQUIRE(std::sscanf(out.c_str() + at, "port=%d pid=%d", &port_, &pid) ==
                2);
  pid_ = pid;
}

config::database_url private_mariadb::url() const {
  config::database_url u;
  u.user = "test";
  u.password = config::secret{password_};
  u.host = "127.0.0.1";
  u.port = static_cast<std::uint16_t>(port_);
  u.database = database_;
  return u;
}

void private_mariadb::freeze() {
  kill(pid_, SIGSTOP);
  for (int i = 0; i < 1000 && !all_threads_stopped(pid_); ++i)
    usleep(10000);
  BOOST_REQUIRE_MESSAGE(all_threads_stopped(pid_),
                        "MariaDB's threads did not stop within 10 s");
}

void private_mariadb::thaw() {
  kill(pid_, SIGCONT);
}

void private_mariadb::stop() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGCONT);
  kill(pid_, SIGTERM);
  // Not our child (bash started it), so poll rather than wait.
  for (int i = 0; i < 300 && alive(pid_); ++i)
    usleep(100000);
  if (alive(pid_))
    kill(pid_, SIGKILL);
  pid_ = 0;
}

void private_mariadb::start() {
  if (pid_ <= 0)
    launch();
}

} // namespace racecontrol::test
