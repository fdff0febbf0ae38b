#include "tests/support/scratch_database.hpp"

#include "persistence/database.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/sql.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace racecontrol::test {

config::database_url test_server_url() {
  const char* text = std::getenv("TEST_DATABASE_URL");
  if (text == nullptr || *text == '\0')
    BOOST_FAIL("TEST_DATABASE_URL is not set: run the tests with "
               "scripts/test, or point it at a MariaDB server whose user "
               "may create databases");
  std::string error;
  auto url = config::parse_database_url(text, error);
  if (!url)
    BOOST_FAIL("TEST_DATABASE_URL is malformed: " + error);
  return *url;
}

void scratch_database::admin_execute(const std::string& statement) {
  persistence::database_options options;
  options.url = test_server_url();
  options.max_connections = 1;
  auto admin = persistence::open_database(options);
  auto conn = admin->connection();
  persistence::sql_execute(*conn, statement);
}

scratch_database::scratch_database(bool migrated) {
  static std::atomic<int> counter{0};
  url_ = test_server_url();
  url_.database +=
      "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  admin_execute("DROP DATABASE IF EXISTS " +
                persistence::sql_identifier(url_.database));
  admin_execute("CREATE DATABASE " +
                persistence::sql_identifier(url_.database) +
                " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
  persistence::database_options options;
  options.url = url_;
  options.max_connections = 4;
  db_ = persistence::open_database(options);
  if (migrated) {
    auto set = persistence::migration_set::embedded();
    persistence::migrator m{*db_, set};
    m.up();
  }
}

scratch_database::~scratch_database() {
  db_.reset();
  try {
    admin_execute("DROP DATABASE IF EXISTS " +
                  persistence::sql_identifier(url_.database));
  } catch (...) {
    // Leaving a scratch database behind must not fail the test run.
  }
}

} // namespace racecontrol::test
