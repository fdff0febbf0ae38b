#pragma once

// racecontrold (or any program) as a child process of a test, its output
// captured in files, with helpers to wait for a line or for its exit.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace racecontrol::test {

/// The RACECONTROL_SECRET_KEY every daemon_process gets unless its `env`
/// names one: generated once per test process.
const std::string& daemon_secret_key();

class daemon_process {
 public:
  /// Starts `args[0]` (RACECONTROLD_PATH when `args` does not start with
  /// a path) with the test's environment minus RACECONTROL_* variables,
  /// plus daemon_secret_key() and `env`. racecontrold gets
  /// `--http.listen=127.0.0.1:0` before `args` (a free port, see http_port()),
  /// so daemons started side by side do not compete for the default port.
  daemon_process(std::vector<std::string> args,
                 std::map<std::string, std::string> env,
                 std::string program = "");
  ~daemon_process();

  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  std::string output() const;
  std::string error_output() const;

  /// How many times `text` occurs in the output so far.
  std::size_t output_count(const std::string& text) const;

  /// Waits until the output contains `text` or the process ends.
  bool wait_for_output(const std::string& text, std::chrono::seconds limit);

  /// The port racecontrold logged in "http: listening on ADDRESS:PORT", 0
  /// when it logged none within `limit`.
  std::uint16_t http_port(std::chrono::seconds limit);

  /// True once the process has exited; its status is then in exit_code.
  bool exited(std::chrono::milliseconds limit);

  void signal(int sig);

  pid_t pid() const { return pid_; }

  int exit_code = -1;

 private:
  pid_t pid_ = 0;
  std::string dir_;
  std::string out_path_;
  std::string err_path_;
};

} // namespace racecontrol::test
