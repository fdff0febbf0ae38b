#pragma once

// A MariaDB server of the test's own, for tests that must do to the server
// what they cannot do to the shared one: freeze it (SIGSTOP), stop it and
// start it again. Started with scripts/lib/mariadb.sh, like the server of
// scripts/test, in a temporary directory that goes away with it.

#include "config/database_url.hpp"

#include <sys/types.h>

#include <string>

namespace racecontrol::test {

class private_mariadb {
 public:
  /// Initializes and starts the server (a few seconds) and creates a user
  /// with every privilege and the database `database`.
  explicit private_mariadb(std::string database = "racecontrol");
  ~private_mariadb();

  private_mariadb(const private_mariadb&) = delete;
  private_mariadb& operator=(const private_mariadb&) = delete;

  /// The database over TCP on loopback, with user and password.
  config::database_url url() const;

  /// SIGSTOP, returning once every thread of the server stopped: it keeps
  /// its sockets but answers nothing.
  void freeze();
  /// SIGCONT after freeze().
  void thaw();
  /// A clean shutdown; the data stays.
  void stop();
  /// Starts the stopped server again on the same port with its data.
  void start();

  bool running() const { return pid_ > 0; }

 private:
  void launch();

  std::string dir_;
  std::string database_;
  std::string password_;
  int port_ = 0;
  pid_t pid_ = 0;
};

} // namespace racecontrol::test
