#pragma once

#include "config/database_url.hpp"

#include <odb/mysql/database.hxx>

#include <memory>
#include <string>

namespace racecontrol::test {

/// The server given by TEST_DATABASE_URL; fails the test with a clear
/// message when it is not set.
config::database_url test_server_url();

/// A fresh database on the test server, created for one test program (so
/// ctest can run programs in parallel) and dropped when it goes away.
/// Migrated to the newest schema unless told otherwise.
class scratch_database {
 public:
  explicit scratch_database(bool migrated = true);
  ~scratch_database();

  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  const config::database_url& url() const { return url_; }

  odb::mysql::database& db() { return *db_; }

  std::shared_ptr<odb::mysql::database> shared() { return db_; }

  /// Runs a statement on the server outside this database (admin work).
  static void admin_execute(const std::string& statement);

 private:
  config::database_url url_;
  std::shared_ptr<odb::mysql::database> db_;
};

} // namespace racecontrol::test
