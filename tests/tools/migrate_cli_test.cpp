#define BOOST_TEST_MODULE racecontrol_migrate
#include <boost/test/unit_test.hpp>

#include "tools/racecontrol-migrate/migrate_cli.hpp"

#include "persistence/api_token_repository.hpp"
#include "persistence/match_repository.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/schema_snapshot.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::persistence;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct result {
  int status;
  std::string out;
  std::string err;
};

result migrate(std::vector<std::string> args,
               std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  int status = tools::run_migrate_cli(
      args, out, err, [env = std::move(env)](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      });
  return {status, out.str(), err.str()};
}

/// A scratch database and a copy of migrations/ the test may edit.
struct fixture {
  test::scratch_database scratch{false};
  std::string url = scratch.url().to_string();
  fs::path dir;

  fixture() {
    dir = fs::temp_directory_path() /
          ("racecontrol-migrations-" + std::to_string(getpid()) + "-" +
           std::to_string(std::rand()));
    fs::create_directories(dir);
    for (const auto& entry :
         fs::directory_iterator(RACECONTROL_SOURCE_DIR "/migrations"))
      fs::copy_file(entry.path(), dir / entry.path().filename());
  }

  ~fixture() { fs::remove_all(dir); }

  void write(const std::string& file, const std::string& content) {
    std::ofstream(dir / file) << content;
  }

  std::vector<std::string> tables() {
    auto conn = scratch.db().connection();
    std::vector<std::string> out;
    for (auto& row : sql_query(*conn, "SELECT table_name FROM "
                                      "information_schema.tables WHERE "
                                      "table_schema = DATABASE() ORDER BY 1"))
      out.push_back(*row[0]);
    return out;
  }

  void execute(const std::string& sql) {
    auto conn = scratch.db().connection();
    sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  schema_snapshot snapshot() {
    auto conn = scratch.db().connection();
    return inspect_schema(*conn, scratch.url().database);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(migrate_cli, fixture)

BOOST_AUTO_TEST_CASE(up_all_down_all_up_again_gives_the_same_schema) {
  auto set = migration_set::embedded();
  auto regular =
      std::count_if(set.all().begin(), set.all().end(), [](const auto& m) {
        return !m.manual;
      });
  auto up = migrate({"up", "--database", url});
  BOOST_TEST_REQUIRE(up.status == 0, up.err);
  BOOST_TEST(
      contains(up.out, "applied " + std::to_string(regular) + " migration(s)"));
  auto first = snapshot();
  BOOST_TEST(first.tables.size() >= 28u);
  auto verify = migrate({"verify", "--database", url});
  BOOST_TEST(verify.status == 0, verify.out);

  auto down = migrate({"down", "--steps", "1000", "--database", url});
  BOOST_TEST_REQUIRE(down.status == 0, down.err);
  BOOST_TEST(contains(down.out, "reverted " + std::to_string(regular)));
  // Down to zero leaves nothing but the tracking table.
  BOOST_TEST(tables() == std::vector<std::string>{"schema_migrations"});
  BOOST_TEST(scalar("SELECT COUNT(*) FROM schema_migrations") == "0");

  BOOST_TEST_REQUIRE(migrate({"up", "--database", url}).status == 0);
  auto again = snapshot();
  auto differences = diff_schemas(first, again);
  BOOST_TEST(differences.empty(),
             differences.size() << " differences, first: "
                                << (differences.empty() ? "" : differences[0]));
  BOOST_TEST(again.tables.size() == first.tables.size());
}

BOOST_AUTO_TEST_CASE(seed_000_copies_rooms_of_unfinished_matches) {
  BOOST_TEST_REQUIRE(
      migrate({"up", "--to", "20261122_000010", "--database", url}).status ==
      0);
  execute("INSERT INTO organizations (id, name) VALUES (1, 'Org')");
  execute("INSERT INTO tournaments (id, organization_id, name) VALUES (1, 1, "
          "'Cup')");
  // One match per derived status, a finished one, and one without a room.
  execute(
      "INSERT INTO matches (id, tournament_id, racetime_room_slug, "
      "checked_in_at, started_at, finished_at, created_at) VALUES "
      "(1, 1, 'alttpr/open-room-0001', NULL, NULL, NULL, '2026-01-01 "
      "10:00:00'),"
      "(2, 1, 'alttpr/pending-room-0002', '2026-01-02 10:00:00', NULL, NULL, "
      "'2026-01-01 11:00:00'),"
      "(3, 1, 'smz3/running-room-0003', '2026-01-02 10:00:00', '2026-01-02 "
      "10:05:00', NULL, '2026-01-01 12:00:00'),"
      "(4, 1, 'alttpr/finished-room-0004', '2026-01-02 10:00:00', '2026-01-02 "
      "10:05:00', '2026-01-02 11:00:00', '2026-01-01 13:00:00'),"
      "(5, 1, NULL, NULL, NULL, NULL, '2026-01-01 14:00:00')");
  auto up = migrate({"up", "--to", "20261122_000011", "--database", url});
  BOOST_TEST_REQUIRE(up.status == 0, up.err);
  auto conn = scratch.db().connection();
  auto rows = sql_query(*conn, "SELECT match_id, slug, category, room_name, "
                               "status, created_at FROM racetime_rooms ORDER "
                               "BY match_id");
  BOOST_REQUIRE_EQUAL(rows.size(), 3u); // the finished match gets no room
  BOOST_TEST(*rows[0][0] == "1");
  BOOST_TEST(*rows[0][4] == "open");
  BOOST_TEST(*rows[0][2] == "alttpr");
  BOOST_TEST(*rows[0][3] == "open-room-0001");
  BOOST_TEST(*rows[0][5] == "2026-01-01 10:00:00.000000");
  BOOST_TEST(*rows[1][0] == "2");
  BOOST_TEST(*rows[1][4] == "pending");
  BOOST_TEST(*rows[2][0] == "3");
  BOOST_TEST(*rows[2][4] == "in_progress");
  BOOST_TEST(*rows[2][1] == "smz3/running-room-0003");
  BOOST_TEST(*rows[2][2] == "smz3");
  BOOST_TEST(*rows[2][3] == "running-room-0003");
  // The seed's verification query returns 0.
  BOOST_TEST(scalar("SELECT COUNT(*) FROM matches m WHERE "
                    "m.racetime_room_slug IS NOT NULL AND m.finished_at IS "
                    "NULL AND NOT EXISTS (SELECT 1 FROM racetime_rooms r "
                    "WHERE r.match_id = m.id)") == "0");
  // Down (the copy, then the table) removes racetime_rooms and leaves the
  // deprecated column as it was.
  BOOST_TEST_REQUIRE(
      migrate({"down", "--steps", "2", "--database", url}).status == 0);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM information_schema.tables WHERE "
                    "table_schema = DATABASE() AND table_name = "
                    "'racetime_rooms'") == "0");
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(racetime_room_slug ORDER BY id) FROM "
                    "matches") ==
             "alttpr/open-room-0001,alttpr/pending-room-0002,smz3/"
             "running-room-0003,alttpr/finished-room-0004");
}

BOOST_AUTO_TEST_CASE(copy_verification_failure_blocks_recording) {
  BOOST_TEST_REQUIRE(
      migrate({"up", "--to", "20261122_000010", "--database", url}).status ==
      0);
  execute("INSERT INTO organizations (id, name) VALUES (1, 'Org')");
  execute("INSERT INTO tournaments (id, organization_id, name) VALUES (1, 1, "
          "'Cup')");
  execute("INSERT INTO matches (id, tournament_id, racetime_room_slug) VALUES "
          "(1, 1, 'alttpr/a-room-1')");
  // A verification query that cannot hold: the runner must refuse to record.
  write("20261122_000011_copy_match_room_slugs.verify.sql",
        "SELECT COUNT(*) FROM matches;");
  auto up = migrate({"up", "--to", "20261122_000011", "--migrations",
                     dir.string(), "--database", url});
  BOOST_TEST(up.status == 1);
  BOOST_TEST(contains(up.err, ".verify.sql query 1 (line 1) returned 1, "
                              "expected 0"),
             up.err);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = "
                    "'20261122_000011'") == "0");
}

BOOST_AUTO_TEST_CASE(editing_an_applied_migration_is_refused) {
  BOOST_TEST_REQUIRE(migrate({"up", "--to", "20261122_000003", "--migrations",
                              dir.string(), "--database", url})
                         .status == 0);
  write("20261122_000002_create_users.up.sql",
        "CREATE TABLE IF NOT EXISTS users (id INT PRIMARY KEY);");
  auto up = migrate({"up", "--migrations", dir.string(), "--database", url});
  BOOST_TEST(up.status == 1);
  BOOST_TEST(contains(up.err, "migration 20261122_000002_create_users.up.sql "
                              "was edited after it was applied"),
             up.err);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM schema_migrations") == "3");
  auto status =
      migrate({"status", "--migrations", dir.string(), "--database", url});
  BOOST_TEST(status.status == 0);
  BOOST_TEST(contains(status.out, "1 EDITED"), status.out);
  BOOST_TEST(contains(status.out, "create_users"), status.out);
  auto verify =
      migrate({"verify", "--migrations", dir.string(), "--database", url});
  BOOST_TEST(verify.status == 1);
  BOOST_TEST(contains(verify.out, "create_users.up.sql was edited"));
}

BOOST_AUTO_TEST_CASE(two_runners_do_not_interleave) {
  write("20261122_000090_slow.up.sql",
        "CREATE TABLE IF NOT EXISTS slow_a (id INT);\nSELECT SLEEP(3);\n"
        "CREATE TABLE IF NOT EXISTS slow_b (id INT);");
  write("20261122_000090_slow.down.sql", "DROP TABLE IF EXISTS slow_a;\n"
                                         "DROP TABLE IF EXISTS slow_b;");
  auto first = std::async(std::launch::async, [&] {
    return migrate({"up", "--migrations", dir.string(), "--database", url});
  });
  // Wait until the first runner holds the lock.
  std::string lock = "racecontrol_migrate:" + scratch.url().database;
  for (int i = 0;
       i < 100 && scalar("SELECT IS_USED_LOCK('" + lock + "')") == "NULL"; ++i)
    std::this_thread::sleep_for(50ms);
  auto impatient = migrate({"up", "--lock-timeout", "1s", "--migrations",
                            dir.string(), "--database", url});
  BOOST_TEST(impatient.status == 1);
  BOOST_TEST(contains(impatient.err, "another racecontrol-migrate is changing "
                                     "database " +
                                         scratch.url().database),
             impatient.err);
  BOOST_TEST(contains(impatient.err, "holds the migration lock"));
  // A patient runner waits for the first and then finds nothing to do.
  auto patient = migrate({"up", "--lock-timeout", "60s", "--migrations",
                          dir.string(), "--database", url});
  auto done = first.get();
  BOOST_TEST(done.status == 0, done.err);
  BOOST_TEST(contains(done.out, "applying 20261122_000090_slow"));
  BOOST_TEST(patient.status == 0, patient.err);
  BOOST_TEST(contains(patient.out, "nothing to apply"), patient.out);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = "
                    "'20261122_000090'") == "1");
}

BOOST_AUTO_TEST_CASE(
    fresh_needs_both_confirmations_and_never_runs_on_production) {
  BOOST_TEST_REQUIRE(migrate({"up", "--database", url}).status == 0);
  execute("INSERT INTO organizations (name) VALUES ('keep me')");
  auto bare = migrate({"fresh", "--database", url});
  BOOST_TEST(bare.status == 2);
  BOOST_TEST(contains(bare.err, "give --yes-destroy-all-data and "
                                "--confirm-database " +
                                    scratch.url().database),
             bare.err);
  auto one = migrate({"fresh", "--yes-destroy-all-data", "--database", url});
  BOOST_TEST(one.status == 2);
  auto wrong = migrate({"fresh", "--yes-destroy-all-data", "--confirm-database",
                        "other_db", "--database", url});
  BOOST_TEST(wrong.status == 2);
  BOOST_TEST(contains(wrong.err, "does not name the target database"));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM organizations") == "1");

  write("production.ini", "[database]\nurl = " + url + "\nproduction = true\n");
  auto production = migrate(
      {"fresh", "--config", (dir / "production.ini").string(),
       "--yes-destroy-all-data", "--confirm-database", scratch.url().database});
  BOOST_TEST(production.status == 2);
  BOOST_TEST(contains(production.err, "as production"), production.err);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM organizations") == "1");
  // The database remembers: fresh without the configuration (an operator
  // with DATABASE_URL exported on the production host) is refused too.
  auto remembered =
      migrate({"fresh", "--yes-destroy-all-data", "--confirm-database",
               scratch.url().database, "--database", url});
  BOOST_TEST(remembered.status == 2);
  BOOST_TEST(contains(remembered.err, "is marked production"), remembered.err);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM organizations") == "1");
  execute("ALTER DATABASE " + scratch.url().database + " COMMENT = ''");

  auto fresh = migrate({"fresh", "--yes-destroy-all-data", "--confirm-database",
                        scratch.url().database, "--database", url});
  BOOST_TEST(fresh.status == 0, fresh.err);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM organizations") == "0");
  BOOST_TEST(migrate({"verify", "--database", url}).status == 0);
}

BOOST_AUTO_TEST_CASE(verify_names_an_altered_column_and_a_dropped_index) {
  BOOST_TEST_REQUIRE(migrate({"up", "--database", url}).status == 0);
  execute("ALTER TABLE matches MODIFY title VARCHAR(100) NULL");
  auto column = migrate({"verify", "--database", url});
  BOOST_TEST(column.status == 1);
  BOOST_TEST(contains(column.out, "matches.title: type is 'varchar(100)', "
                                  "expected 'varchar(255)'"),
             column.out);
  execute("ALTER TABLE matches MODIFY title VARCHAR(255) NULL");
  BOOST_TEST(migrate({"verify", "--database", url}).status == 0);

  execute("DROP INDEX idx_racetime_rooms_status ON racetime_rooms");
  auto index = migrate({"verify", "--database", url});
  BOOST_TEST(index.status == 1);
  BOOST_TEST(contains(index.out, "racetime_rooms: index "
                                 "idx_racetime_rooms_status (status) is "
                                 "missing"),
             index.out);
  // Seed 003's lesson: a migration marked applied whose change is absent.
  execute("DROP TABLE api_tokens");
  auto missing = migrate({"verify", "--database", url});
  BOOST_TEST(contains(missing.out, "api_tokens: table is missing"),
             missing.out);
  // The shadow database is gone again.
  // Only this test's shadows count: other tests on the server verify too.
  BOOST_TEST(scalar("SELECT COUNT(*) FROM information_schema.schemata WHERE "
                    "schema_name LIKE CONCAT(DATABASE(), '\\_verify\\_%')") ==
             "0");
}

BOOST_AUTO_TEST_CASE(failed_migration_names_statement_and_reruns_after_fix) {
  write("29991231_000090_broken.up.sql",
        "-- adds a column\nCREATE TABLE IF NOT EXISTS extra (id INT);\n"
        "ALTER TABLE extra ADD COLUMN IF NOT EXISTS x NOT_A_TYPE;\n");
  write("29991231_000090_broken.down.sql", "DROP TABLE IF EXISTS extra;");
  auto failed =
      migrate({"up", "--migrations", dir.string(), "--database", url});
  BOOST_TEST(failed.status == 1);
  BOOST_TEST(contains(failed.err, "migration 29991231_000090_broken.up.sql "
                                  "failed at statement 2 (line 3)"),
             failed.err);
  BOOST_TEST(contains(failed.err, "statement: ALTER TABLE extra ADD COLUMN IF "
                                  "NOT EXISTS x NOT_A_TYPE"));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = "
                    "'29991231_000090'") == "0");
  write("29991231_000090_broken.up.sql",
        "-- adds a column\nCREATE TABLE IF NOT EXISTS extra (id INT);\n"
        "ALTER TABLE extra ADD COLUMN IF NOT EXISTS x INT;\n");
  auto fixed = migrate({"up", "--migrations", dir.string(), "--database", url});
  BOOST_TEST(fixed.status == 0, fixed.err);
  BOOST_TEST(contains(fixed.out, "applied 1 migration(s)"), fixed.out);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM information_schema.columns WHERE "
                    "table_schema = DATABASE() AND table_name = 'extra' AND "
                    "column_name = 'x'") == "1");
}

BOOST_AUTO_TEST_CASE(manual_column_drop_is_applied_only_when_asked) {
  BOOST_TEST_REQUIRE(migrate({"up", "--database", url}).status == 0);
  auto has_slug = [&] {
    return scalar("SELECT COUNT(*) FROM information_schema.columns WHERE "
                  "table_schema = DATABASE() AND table_name = 'matches' AND "
                  "column_name = 'racetime_room_slug'");
  };
  BOOST_TEST(has_slug() == "1");
  auto status = migrate({"status", "--database", url});
  BOOST_TEST(contains(status.out, "drop_match_room_slug"));
  BOOST_TEST(contains(status.out, "manual"));
  auto drop = migrate(
      {"up", "--to", "20261122_000029", "--include-manual", "--database", url});
  BOOST_TEST_REQUIRE(drop.status == 0, drop.err);
  BOOST_TEST(has_slug() == "0");
  BOOST_TEST(migrate({"verify", "--database", url}).status == 0);
  // The daemon's mapping never used the column: matches still load.
  execute("INSERT INTO organizations (id, name) VALUES (1, 'Org')");
  execute("INSERT INTO tournaments (id, organization_id, name) VALUES (1, 1, "
          "'Cup')");
  execute(
      "INSERT INTO matches (tournament_id, title) VALUES (1, 'After drop')");
  match_repository matches{scratch.db()};
  BOOST_TEST(matches.of_tournament(1).at(0).title.get() == "After drop");
  BOOST_TEST_REQUIRE(migrate({"down", "--database", url}).status == 0);
  BOOST_TEST(has_slug() == "1");
}

BOOST_AUTO_TEST_CASE(new_scaffolds_the_next_version) {
  auto made = migrate({"new", "add_match_notes", "--migrations", dir.string()});
  BOOST_TEST_REQUIRE(made.status == 0, made.err);
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  auto set = migration_set::from_directory(dir);
  const auto& newest = set.all().back();
  BOOST_TEST(newest.name == "add_match_notes");
  BOOST_TEST(newest.version.substr(0, 8) == date);
  int highest = 0;
  auto shipped = migration_set::embedded();
  for (const auto& m : shipped.all())
    highest = std::max(highest, std::stoi(m.version.substr(9)));
  BOOST_TEST(std::stoi(newest.version.substr(9)) == highest + 1);
  BOOST_TEST(contains(made.out, newest.up_file()));
  BOOST_TEST(
      migrate({"new", "Bad-Name", "--migrations", dir.string()}).status == 2);
  BOOST_TEST(migrate({"new", "--migrations", dir.string()}).status == 2);
}

BOOST_AUTO_TEST_CASE(help_is_complete_and_errors_are_clear) {
  auto help = migrate({"--help"});
  BOOST_TEST(help.status == 0);
  for (const char* word :
       {"up", "down", "status", "verify", "fresh", "new", "--database",
        "--config", "--migrations", "--lock-timeout", "DATABASE_URL",
        "RACECONTROL_DATABASE_PASSWORD", "exit status", "token create",
        "token list", "token revoke"})
    BOOST_TEST(contains(help.out, word), word);
  for (const char* command :
       {"up", "down", "status", "verify", "fresh", "new", "token"}) {
    auto sub = migrate({command, "--help"});
    BOOST_TEST(sub.status == 0, command);
    BOOST_TEST(
        contains(sub.out, std::string{"usage: racecontrol-migrate "} + command),
        command);
    BOOST_TEST(migrate({"help", command}).out == sub.out);
  }
  BOOST_TEST(contains(migrate({"up", "--help"}).out, "--include-manual"));
  auto none = migrate({});
  BOOST_TEST(none.status == 2);
  BOOST_TEST(contains(none.err, "no command given"));
  auto bogus = migrate({"sideways", "--database", url});
  BOOST_TEST(bogus.status == 2);
  BOOST_TEST(contains(bogus.err, "unknown command 'sideways'"));
  auto no_db = migrate({"status"});
  BOOST_TEST(no_db.status == 2);
  BOOST_TEST(contains(no_db.err, "no database given"));
  auto env_db = migrate({"status"}, {{"DATABASE_URL", url}});
  BOOST_TEST(env_db.status == 0, env_db.err);
  auto bad_pw = scratch.url();
  bad_pw.password = config::secret{"wrong-password"};
  auto denied = migrate({"status", "--database", bad_pw.to_string()});
  BOOST_TEST(denied.status == 2);
  BOOST_TEST(contains(denied.err, "cannot connect to MariaDB at"));
  BOOST_TEST(!contains(denied.err, "wrong-password"));
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// A migrated scratch database with two organizations and a user.
struct token_cli_fixture : fixture {
  token_cli_fixture() {
    auto up = migrate({"up", "--database", url});
    BOOST_TEST_REQUIRE(up.status == 0, up.err);
    execute("INSERT INTO organizations (id, name) VALUES (1, 'League'), "
            "(2, 'Other')");
    execute("INSERT INTO users (id, discord_id, display_name) VALUES (7, 77, "
            "'Ops')");
  }

  result token(std::vector<std::string> args) {
    args.insert(args.begin(), "token");
    args.insert(args.end(), {"--database", url});
    return migrate(args);
  }

  /// Every token printed in `text`.
  static std::vector<std::string> tokens_in(const std::string& text) {
    static const std::regex pattern{"rc_[A-Za-z0-9_-]{43}"};
    std::vector<std::string> out;
    for (std::sregex_iterator it{text.begin(), text.end(), pattern}, end;
         it != end; ++it)
      out.push_back(it->str());
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(token_cli, token_cli_fixture)

BOOST_AUTO_TEST_CASE(create_prints_a_working_token_once_list_and_revoke) {
  auto made =
      token({"create", "--org", "1", "--name", "results bot", "--scopes",
             "matches:read, rooms:write", "--created-by", "7"});
  BOOST_TEST_REQUIRE(made.status == 0, made.err);
  auto printed = tokens_in(made.out);
  BOOST_TEST_REQUIRE(printed.size() == 1u, made.out);
  const auto& plaintext = printed.front();
  BOOST_TEST(contains(made.out, "will not be shown again"), made.out);
  BOOST_TEST(contains(made.out, "rooms:write"), made.out);
  BOOST_TEST(made.err.empty(), made.err);

  api_token_repository repo{scratch.db()};
  auto checked = repo.authenticate(plaintext);
  BOOST_TEST_REQUIRE(std::holds_alternative<api_token_identity>(checked));
  const auto& who = std::get<api_token_identity>(checked);
  BOOST_TEST(who.organization_id == 1);
  BOOST_TEST(who.name == "results bot");
  BOOST_TEST(
      (who.scopes == std::vector<std::string>{"rooms:write", "matches:read"}));
  auto id = std::to_string(who.id);
  BOOST_TEST(scalar("SELECT created_by_id FROM api_tokens WHERE id = " + id) ==
             "7");

  auto listed = token({"list"});
  BOOST_TEST_REQUIRE(listed.status == 0, listed.err);
  auto hash = scalar("SELECT token_sha256 FROM api_tokens WHERE id = " + id);
  BOOST_TEST(!contains(listed.out, hash));
  BOOST_TEST(tokens_in(listed.out).empty(), listed.out);
  std::istringstream lines{listed.out};
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  for (const char* column :
       {"id", "org", "name", "scopes", "created (UTC)", "last used", "revoked"})
    BOOST_TEST(contains(header, column), column);
  BOOST_TEST(contains(row, "1 League"), row);
  BOOST_TEST(contains(row, "results bot"), row);
  BOOST_TEST(contains(row, "rooms:write,matches:read"), row);
  // Aligned: each heading starts where its column starts.
  BOOST_TEST(header.find("name") == row.find("results bot"), listed.out);
  // Used once above, not revoked.
  BOOST_TEST(row.substr(header.find("last used"), 1) != "-", listed.out);
  BOOST_TEST(row.substr(header.find("revoked")) == "-", listed.out);

  auto other = token({"list", "--org", "2"});
  BOOST_TEST(other.status == 0);
  BOOST_TEST(contains(other.out, "no API tokens for organization 2"),
             other.out);

  auto revoked = token({"revoke", id});
  BOOST_TEST_REQUIRE(revoked.status == 0, revoked.err);
  BOOST_TEST(contains(revoked.out, "revoked token " + id), revoked.out);
  auto refused = repo.authenticate(plaintext);
  BOOST_TEST_REQUIRE(std::holds_alternative<api_token_refusal>(refused));
  BOOST_TEST(to_string(std::get<api_token_refusal>(refused)) ==
             std::string{"revoked"});
  auto again = token({"revoke", id});
  BOOST_TEST(again.status == 0, again.err);
  BOOST_TEST(contains(again.out, "was already revoked"), again.out);
  auto after = token({"list", "--org", "1"});
  // The revoked column now holds a time.
  auto revoked_row = after.out.substr(after.out.find('\n') + 1);
  BOOST_TEST(revoked_row.substr(header.find("revoked"), 2) == "20", after.out);
  // The token was printed by create only.
  for (const auto* r : {&listed, &other, &revoked, &again, &after}) {
    BOOST_TEST(!contains(r->out, plaintext));
    BOOST_TEST(!contains(r->err, plaintext));
  }
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_refused_clearly_and_write_nothing) {
  auto count = [&] {
    return scalar("SELECT COUNT(*) FROM api_tokens");
  };
  auto scope = token(
      {"create", "--org", "1", "--name", "n", "--scopes", "rooms:read,root"});
  BOOST_TEST(scope.status == 2);
  BOOST_TEST(contains(scope.err, "unknown scope 'root'"), scope.err);
  auto org =
      token({"create", "--org", "9", "--name", "n", "--scopes", "rooms:read"});
  BOOST_TEST(org.status == 2);
  BOOST_TEST(contains(org.err, "organization 9 does not exist"), org.err);
  auto user = token({"create", "--org", "1", "--name", "n", "--scopes",
                     "rooms:read", "--created-by", "99"});
  BOOST_TEST(user.status == 2);
  BOOST_TEST(contains(user.err, "user 99"), user.err);
  auto missing = token({"create", "--org", "1", "--scopes", "rooms:read"});
  BOOST_TEST(missing.status == 2);
  BOOST_TEST(contains(missing.err, "--name NAME"), missing.err);
  auto not_a_number =
      token({"create", "--org", "one", "--name", "n", "--scopes", "admin"});
  BOOST_TEST(not_a_number.status == 2);
  BOOST_TEST(contains(not_a_number.err, "--org must be a positive number"),
             not_a_number.err);
  BOOST_TEST(count() == "0");
  for (const auto* r : {&scope, &org, &user, &missing, &not_a_number})
    BOOST_TEST(tokens_in(r->out + r->err).empty());

  auto unknown_id = token({"revoke", "41"});
  BOOST_TEST(unknown_id.status == 2);
  BOOST_TEST(contains(unknown_id.err, "no API token has id 41"),
             unknown_id.err);
  BOOST_TEST(token({"revoke"}).status == 2);
  auto sub = token({"rotate"});
  BOOST_TEST(sub.status == 2);
  BOOST_TEST(contains(sub.err, "unknown token subcommand 'rotate'"), sub.err);
  BOOST_TEST(contains(token({}).err, "create, list or revoke"));
}

BOOST_AUTO_TEST_CASE(names_with_quotes_and_sql_are_kept_verbatim) {
  const std::string name = "O'Brien \"x\"); DROP TABLE api_tokens; --";
  auto made = token(
      {"create", "--org", "2", "--name", name, "--scopes", "admin,admin"});
  BOOST_TEST_REQUIRE(made.status == 0, made.err);
  BOOST_TEST(scalar("SELECT name FROM api_tokens") == name);
  BOOST_TEST(scalar("SELECT scopes FROM api_tokens") == "[\"admin\"]");
  auto listed = token({"list"});
  BOOST_TEST(contains(listed.out, name), listed.out);
  BOOST_TEST(contains(listed.out, "2 Other"), listed.out);
}

BOOST_AUTO_TEST_SUITE_END()
