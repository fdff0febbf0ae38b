#include <boost/test/unit_test.hpp>

#include "persistence/database.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <algorithm>
#include <cstdlib>

using namespace racecontrol;
using namespace racecontrol::persistence;

namespace {

std::vector<std::string> tables_of(odb::mysql::database& db) {
  auto conn = db.connection();
  std::vector<std::string> out;
  for (auto& row : sql_query(*conn, "SELECT table_name FROM "
                                    "information_schema.tables WHERE "
                                    "table_schema = DATABASE() ORDER BY 1"))
    out.push_back(*row[0]);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(migrations)

BOOST_AUTO_TEST_CASE(embedded_set_is_ordered_and_reversible) {
  auto set = migration_set::embedded();
  BOOST_REQUIRE(set.all().size() >= 7u);
  for (size_t i = 1; i < set.all().size(); ++i)
    BOOST_TEST(set.all()[i - 1].version < set.all()[i].version);
  for (const auto& m : set.all()) {
    BOOST_TEST(!m.down_sql.empty(), m.up_file());
    BOOST_TEST(m.checksum.size() == 64u);
  }
  BOOST_TEST(set.all()[0].up_file() ==
             "20261122_000001_create_organizations.up.sql");
}

BOOST_AUTO_TEST_CASE(up_applies_everything_once_and_records_it) {
  test::scratch_database scratch{false};
  auto set = migration_set::embedded();
  auto regular = static_cast<size_t>(std::count_if(
      set.all().begin(), set.all().end(), [](const migration& mig) {
        return !mig.manual;
      }));
  BOOST_TEST(regular + 1 == set.all().size()); // the column drop is manual
  migrator m{scratch.db(), set};
  BOOST_TEST(m.pending().size() == regular);
  BOOST_TEST(m.pending(true).size() == set.all().size());
  std::vector<std::string> seen;
  auto applied = m.up(std::nullopt, false, [&](const migration& mig) {
    seen.push_back(mig.version);
  });
  BOOST_TEST(applied.size() == regular);
  BOOST_TEST(seen.size() == regular);
  BOOST_TEST(m.pending().empty());
  BOOST_TEST(m.pending(true).size() == 1u);
  auto rows = m.applied();
  BOOST_REQUIRE_EQUAL(rows.size(), regular);
  BOOST_TEST(rows[0].version == "20261122_000001");
  BOOST_TEST(rows[0].name == "create_organizations");
  BOOST_TEST(rows[0].checksum == set.all()[0].checksum);
  BOOST_TEST(rows[0].execution_ms >= 0);
  auto tables = tables_of(scratch.db());
  for (const char* t :
       {"organizations", "users", "racetime_bots", "tournaments", "matches",
        "match_players", "racetime_rooms", "schema_migrations"})
    BOOST_TEST((std::find(tables.begin(), tables.end(), t) != tables.end()), t);
  // Running again does nothing.
  BOOST_TEST(m.up().empty());
}

BOOST_AUTO_TEST_CASE(failed_migration_is_not_recorded_and_can_be_rerun) {
  test::scratch_database scratch{false};
  auto broken = migration_set::from_files(
      {{"20260101_000001_first.up.sql",
        "CREATE TABLE IF NOT EXISTS t1 (id INT PRIMARY KEY);"},
       {"20260101_000001_first.down.sql", "DROP TABLE IF EXISTS t1;"},
       {"20260101_000002_second.up.sql",
        "CREATE TABLE IF NOT EXISTS t2 (id INT PRIMARY KEY);\n"
        "ALTER TABLE t2 ADD COLUMN oops NOT_A_TYPE;"},
       {"20260101_000002_second.down.sql", "DROP TABLE IF EXISTS t2;"}});
  migrator m{scratch.db(), broken};
  try {
    m.up();
    BOOST_FAIL("the broken migration was applied");
  } catch (const migration_failure& e) {
    BOOST_TEST(e.file == "20260101_000002_second.up.sql");
    BOOST_TEST(e.statement_index == 2u);
    BOOST_TEST(e.statement.find("NOT_A_TYPE") != std::string::npos);
    std::string what = e.what();
    BOOST_TEST(what.find("migration 20260101_000002_second.up.sql failed at "
                         "statement 2 (line 2)") != std::string::npos,
               what);
  }
  auto rows = m.applied();
  BOOST_REQUIRE_EQUAL(rows.size(), 1u); // only the first one
  BOOST_TEST(rows[0].version == "20260101_000001");

  auto fixed = migration_set::from_files(
      {{"20260101_000001_first.up.sql",
        "CREATE TABLE IF NOT EXISTS t1 (id INT PRIMARY KEY);"},
       {"20260101_000001_first.down.sql", "DROP TABLE IF EXISTS t1;"},
       {"20260101_000002_second.up.sql",
        "CREATE TABLE IF NOT EXISTS t2 (id INT PRIMARY KEY);\n"
        "ALTER TABLE t2 ADD COLUMN IF NOT EXISTS oops INT;"},
       {"20260101_000002_second.down.sql", "DROP TABLE IF EXISTS t2;"}});
  migrator again{scratch.db(), fixed};
  BOOST_TEST(again.up().size() == 1u);
  BOOST_TEST(again.applied().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_value_that_does_not_fit_fails_the_migration) {
  // Migrations run strict whatever the server's mode: the second row here
  // would be cut to 'abc' with a warning under the server's default
  // (STRICT_TRANS_TABLES does not stop a statement on a MyISAM table once a
  // row is written), and the migration recorded as done.
  test::scratch_database scratch{false};
  auto set = migration_set::from_files(
      {{"20260101_000001_short.up.sql",
        "CREATE TABLE short_values (v VARCHAR(3)) ENGINE = MyISAM;\n"
        "INSERT INTO short_values VALUES ('ok'), ('abcdef');"},
       {"20260101_000001_short.down.sql", "DROP TABLE short_values;"}});
  migrator m{scratch.db(), set};
  BOOST_CHECK_THROW(m.up(), migration_failure);
  BOOST_TEST(m.applied().empty());
}

BOOST_AUTO_TEST_CASE(the_strict_mode_stays_with_the_migrations) {
  // racecontrold --migrate migrates on the pool it then writes through:
  // the connections go back with the server's own mode.
  test::scratch_database scratch{false};
  auto set = migration_set::from_files(
      {{"20260101_000001_t.up.sql", "CREATE TABLE t (v INT);"},
       {"20260101_000001_t.down.sql", "DROP TABLE t;"}});
  std::string server_mode;
  {
    auto conn = scratch.db().connection();
    server_mode = sql_scalar(*conn, "SELECT @@SESSION.sql_mode").value_or("");
  }
  BOOST_REQUIRE(server_mode.find("STRICT_ALL_TABLES") == std::string::npos);
  migrator m{scratch.db(), set};
  BOOST_TEST(m.up().size() == 1u);
  // Every connection the pool holds now (taken all at once).
  std::vector<odb::mysql::connection_ptr> held;
  for (int i = 0; i < 4; ++i)
    held.push_back(scratch.db().connection());
  for (auto& c : held)
    BOOST_TEST(sql_scalar(*c, "SELECT @@SESSION.sql_mode").value_or("") ==
               server_mode);
}

BOOST_AUTO_TEST_CASE(malformed_sets_are_rejected_with_the_file_name) {
  auto error = [](std::vector<std::pair<std::string, std::string>> files) {
    try {
      migration_set::from_files(files);
    } catch (const std::runtime_error& e) {
      return std::string{e.what()};
    }
    return std::string{};
  };
  BOOST_TEST(error({{"create_x.up.sql", "x"}})
                 .find("'create_x.up.sql' is not named") != std::string::npos);
  BOOST_TEST(
      error({{"20260101_000001_x.up.sql", "x"}}).find("has no .down.sql") !=
      std::string::npos);
  BOOST_TEST(error({{"20260101_000001_x.up.sql", "x"},
                    {"20260101_000001_x.down.sql", "y"},
                    {"20260101_000001_y.up.sql", "z"}})
                 .find("share version") != std::string::npos);
  auto manual = migration_set::from_files(
      {{"20260101_000001_drop.up.sql",
        "-- migrate: manual\n-- migrate: retires-verify 20250101_000001 "
        "20250101_000002\nSELECT 1; -- migrate: not a directive\n"},
       {"20260101_000001_drop.down.sql", "SELECT 1;"},
       {"20260101_000002_plain.up.sql", "SELECT 1;\n-- migrate: manual"},
       {"20260101_000002_plain.down.sql", "SELECT 1;"}});
  BOOST_TEST(manual.all()[0].manual);
  BOOST_TEST(manual.all()[0].retires_verify ==
             (std::vector<std::string>{"20250101_000001", "20250101_000002"}));
  BOOST_TEST(!manual.all()[1].manual); // directives only in the leading block
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(connections)

// scripts/test also exports the server's socket URL; the socket form of
// TEST_DATABASE_URL must work for developers who point tests at a local server.
BOOST_AUTO_TEST_CASE(connects_over_the_unix_socket,
                     *boost::unit_test::precondition([](auto) {
                       return std::getenv("TEST_DATABASE_SOCKET_URL") !=
                              nullptr;
                     })) {
  std::string error;
  auto url = config::parse_database_url(std::getenv("TEST_DATABASE_SOCKET_URL"),
                                        error);
  BOOST_REQUIRE_MESSAGE(url, error);
  BOOST_REQUIRE(!url->socket.empty());
  database_options options;
  options.url = *url;
  auto db = open_database(options);
  auto conn = db->connection();
  BOOST_TEST(sql_scalar(*conn, "SELECT @@session.time_zone").value() ==
             "+00:00");
  BOOST_TEST(sql_scalar(*conn, "SELECT @@character_set_client").value() ==
             "utf8mb4");
}

// The import streams batches with LOAD DATA LOCAL; LOCAL turns duplicate
// keys and truncation into warnings, which must surface as errors.
BOOST_AUTO_TEST_CASE(load_data_stores_every_row_or_fails) {
  test::scratch_database scratch{false};
  database_options options;
  options.url = scratch.url();
  options.local_infile = true;
  auto db = open_database(options);
  auto conn = db->connection();
  sql_execute(*conn, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(8))");
  std::string tsv;
  tsv_append(tsv, "1\tkept");
  BOOST_TEST(tsv == "1\\tkept"); // a tab inside a value is escaped
  tsv = "1\ta\\tb\n2\t\\N\n";
  BOOST_TEST(sql_load_data(*conn, "t", {"id", "v"}, tsv, 2) == 2u);
  BOOST_TEST(sql_scalar(*conn, "SELECT v FROM t WHERE id = 1").value() ==
             "a\tb");
  BOOST_TEST(!sql_scalar(*conn, "SELECT v FROM t WHERE id = 2"));
  auto fails_with = [&](const std::string& rows, std::uint64_t n,
                        const std::string& message) {
    try {
      sql_load_data(*conn, "t", {"id", "v"}, rows, n);
      BOOST_FAIL("LOAD DATA of '" + rows + "' did not fail");
    } catch (const database_error& e) {
      BOOST_TEST(std::string{e.what()}.find(message) != std::string::npos,
                 e.what());
    }
  };
  fails_with("3\tx\n1\tdup\n", 2,
             "LOAD DATA into t stored 1 of 2 rows; Duplicate entry '1'");
  fails_with("4\tmuch too long\n", 1, "Data truncated for column 'v'");
  // The connection stays usable. Outside a transaction the rows stored
  // before the failure stay (3 and a truncated 4); the import loads inside
  // the batch's transaction, which the failure rolls back.
  BOOST_TEST(sql_scalar(*conn, "SELECT COUNT(*) FROM t").value() == "4");
}

BOOST_AUTO_TEST_CASE(bad_database_name_says_what_to_do) {
  auto url = test::test_server_url();
  url.database = "no_such_database_here";
  database_options options;
  options.url = url;
  try {
    open_database(options);
    BOOST_FAIL("connected to a database that does not exist");
  } catch (const database_error& e) {
    BOOST_TEST((e.what_kind() == database_error::kind::connection));
    std::string what = e.what();
    BOOST_TEST(what.find("cannot connect to MariaDB at " + url.location()) ==
                   0u,
               what);
    BOOST_TEST(what.find("Unknown database 'no_such_database_here'") !=
                   std::string::npos,
               what);
    BOOST_TEST(what.find("create it, or fix the database name") !=
               std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
