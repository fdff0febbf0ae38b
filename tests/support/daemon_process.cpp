#include "tests/support/daemon_process.hpp"

#include "persistence/secret_box.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace racecontrol::test {

const std::string& daemon_secret_key() {
  static const std::string key = persistence::secret_box::generate_key();
  return key;
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

daemon_process::daemon_process(std::vector<std::string> args,
                               std::map<std::string, std::string> env,
                               std::string program) {
  char dir[] = "/tmp/racecontrold-test-XXXXXX";
  dir_ = mkdtemp(dir);
  out_path_ = dir_ + "/stdout";
  err_path_ = dir_ + "/stderr";
  if (program.empty()) {
    // Tests run side by side (ctest -j): no racecontrold may take the
    // default port 8080. A test that wants a port of its own says so later
    // on the command line, which wins.
    args.insert(args.begin(), "--http.listen=127.0.0.1:0");
    program = RACECONTROLD_PATH;
  }
  args.insert(args.begin(), program);
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
  // Every daemon needs a secret key; one per test process unless the test
  // gives its own (an empty value: none, for tests of the missing key).
  env.emplace(persistence::secret_box::key_variable, daemon_secret_key());
  for (auto& [k, v] : env)
    if (!v.empty() || k != persistence::secret_box::key_variable)
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
  int rc =
      posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0]);
}

daemon_process::~daemon_process() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::remove(out_path_.c_str());
  std::remove(err_path_.c_str());
  rmdir(dir_.c_str());
}

std::string daemon_process::output() const {
  return read_file(out_path_) + read_file(err_path_);
}

std::string daemon_process::error_output() const {
  return read_file(err_path_);
}

std::size_t daemon_process::output_count(const std::string& text) const {
  auto out = output();
  std::size_t n = 0;
  for (auto at = out.find(text); at != std::string::npos;
       at = out.find(text, at + text.size()))
    ++n;
  return n;
}

bool daemon_process::wait_for_output(const std::string& text,
                                     std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(text) != std::string::npos)
      return true;
    if (exited(std::chrono::milliseconds{0}))
      return output().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return false;
}

std::uint16_t daemon_process::http_port(std::chrono::seconds limit) {
  static const std::string marker = "http: listening on ";
  if (!wait_for_output(marker, limit))
    return 0;
  auto out = output();
  auto at = out.find(marker) + marker.size();
  auto end = out.find_first_of(" \n\r\"", at);
  auto address = out.substr(at, end == std::string::npos ? end : end - at);
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return 0;
  return static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
}

bool daemon_process::exited(std::chrono::milliseconds limit) {
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
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void daemon_process::signal(int sig) {
  if (pid_ > 0)
    kill(pid_, sig);
}

} // namespace racecontrol::test
