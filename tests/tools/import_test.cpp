#define BOOST_TEST_MODULE sahasrahbot_import
#include <boost/test/unit_test.hpp>

#include "tools/racecontrol-migrate/import/import_engine.hpp"
#include "tools/racecontrol-migrate/import/sahasrahbot_import.hpp"
#include "tools/racecontrol-migrate/migrate_cli.hpp"
#include "tools/sahasrahbot-gen/source_generator.hpp"

#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace racecontrol;
using namespace racecontrol::tools;
using persistence::sql_execute;
using persistence::sql_query;
using persistence::sql_scalar;

namespace {

constexpr int users = 1000;
constexpr int races = 3000;

/// A generated SahasrahBot database and a migrated racecontrol one.
struct fixture {
  test::scratch_database source{false};
  test::scratch_database target;

  fixture() {
    source_scale scale;
    scale.users = users;
    scale.races = races;
    generate_sahasrahbot_source(source.db(), scale);
  }

  import::import_options
  options(std::vector<std::string> phases = import::all_phases()){
      import::import_options o;
  o.source = source.url();
  o.target = target.url();
  o.phases = std::move(phases);
  o.batch_size = 500;
  o.sample_size = 50;
  return o;
}

std::string
src(const std::string& sql) {
  auto conn = source.db().connection();
  return sql_scalar(*conn, sql).value_or("NULL");
}

std::string dst(const std::string& sql) {
  auto conn = target.db().connection();
  return sql_scalar(*conn, sql).value_or("NULL");
}

void dst_execute(const std::string& sql) {
  auto conn = target.db().connection();
  sql_execute(*conn, sql);
}

std::vector<std::string> skipped_reasons(const std::string& table) {
  auto conn = target.db().connection();
  std::vector<std::string> out;
  for (const auto& r : sql_query(*conn, "SELECT CONCAT(source_id, ': ', "
                                        "reason) FROM migration_skipped "
                                        "WHERE source_table = '" +
                                            table + "' ORDER BY source_id"))
    out.push_back(*r[0]);
  return out;
}
}; // namespace

/// Every table the import writes, as sorted text rows (ids included;
/// bookkeeping times excluded), to compare two targets row for row.
std::map<std::string, std::vector<std::string>>
dump(test::scratch_database& db) {
  auto conn = db.db().connection();
  std::map<std::string, std::vector<std::string>> out;
  auto tables = sql_query(*conn, "SELECT table_name FROM "
                                 "information_schema.tables WHERE "
                                 "table_schema = DATABASE() AND table_name <> "
                                 "'schema_migrations'");
  for (const auto& t : tables) {
    std::string columns;
    for (const auto& c :
         sql_query(*conn, "SELECT column_name FROM "
                          "information_schema.columns WHERE "
                          "table_schema = DATABASE() AND "
                          "table_name = '" +
                              *t[0] + "' ORDER BY ordinal_position")) {
      bool bookkeeping_time =
          c[0] == std::string{"migrated_at"} ||
          (*t[0] == "migration_progress" && c[0] == std::string{"updated_at"});
      if (!bookkeeping_time)
        columns +=
            (columns.empty() ? "" : ", ") + std::string{"`"} + *c[0] + "`";
    }
    auto& rows = out[*t[0]];
    for (const auto& r :
         sql_query(*conn, "SELECT " + columns + " FROM `" + *t[0] + "`")) {
      std::string line;
      for (const auto& v : r)
        line += v.value_or("\\N") + "|";
      rows.push_back(line);
    }
    std::sort(rows.begin(), rows.end());
  }
  return out;
}

int cli(std::vector<std::string> args, std::string& out, std::string& err) {
  std::ostringstream o, e;
  int status = run_migrate_cli(args, o, e, [](const char*) -> const char* {
    return nullptr;
  });
  out = o.str();
  err = e.str();
  return status;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(import_phases, fixture)

BOOST_AUTO_TEST_CASE(users_phase) {
  auto report = import::run_sahasrahbot_import(options({"users"}));
  BOOST_TEST(report.valid(), report.text());
  BOOST_TEST(dst("SELECT COUNT(*) FROM users") ==
             src("SELECT COUNT(*) FROM users"));
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_user_map") ==
             std::to_string(users));
  // test_user rows are kept, flagged.
  BOOST_TEST(dst("SELECT COUNT(*) FROM users WHERE is_test_user = 1") ==
             src("SELECT COUNT(*) FROM users WHERE test_user = 1"));
  BOOST_TEST(dst("SELECT COUNT(*) FROM users WHERE is_test_user = 1") != "0");
  // A user without a Discord id is imported without one.
  BOOST_TEST(dst("SELECT COUNT(*) FROM users WHERE discord_id IS NULL") ==
             src("SELECT COUNT(*) FROM users WHERE discord_user_id IS NULL"));
  // The RaceTime link and token travel; display names need not be unique.
  BOOST_TEST(
      dst("SELECT racetime_access_token FROM users u JOIN "
          "migration_user_map m ON m.new_id = u.id WHERE m.old_id = 1") ==
      src("SELECT rtgg_access_token FROM users WHERE id = 1"));
  BOOST_TEST(dst("SELECT COUNT(*) - COUNT(DISTINCT display_name) FROM users") !=
             "0");
  BOOST_TEST(
      dst("SELECT discord_user_id FROM migration_user_map WHERE old_id = 2") ==
      src("SELECT discord_user_id FROM users WHERE id = 2"));
}

BOOST_AUTO_TEST_CASE(existing_users_are_matched_by_discord_id) {
  auto discord = src("SELECT discord_user_id FROM users WHERE id = 5");
  dst_execute("INSERT INTO users (discord_id, display_name) VALUES (" +
              discord + ", 'Already here')");
  auto before = dst("SELECT COUNT(*) FROM users");
  auto report = import::run_sahasrahbot_import(options({"users"}));
  BOOST_TEST(report.valid(), report.text());
  BOOST_TEST(std::stoi(dst("SELECT COUNT(*) FROM users")) ==
             std::stoi(before) + users - 1);
  BOOST_TEST(dst("SELECT u.display_name FROM migration_user_map m JOIN users u "
                 "ON u.id = m.new_id WHERE m.old_id = 5") == "Already here");
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_adjusted WHERE source_table = "
                 "'users' AND rule LIKE 'matched an existing user%'") == "1");
}

BOOST_AUTO_TEST_CASE(orgs_phase_with_guild_names_and_owner_rule) {
  auto names = std::filesystem::temp_directory_path() /
               ("guilds-" + std::to_string(getpid()) + ".txt");
  std::ofstream(names) << "# guild id, name\n300000000000000001,ALTTPR League\n"
                          "300000000000000002\tSMZ3 Cup\n";
  auto o = options({"users", "orgs"});
  o.guild_names = import::read_guild_names(names.string());
  std::filesystem::remove(names);
  auto report = import::run_sahasrahbot_import(o);
  BOOST_TEST(report.valid(), report.text());
  // One organization per distinct guild in asynctournament,
  // racerverification and config (guild 6 is only in config).
  BOOST_TEST(dst("SELECT COUNT(*) FROM organizations") == "6");
  BOOST_TEST(dst("SELECT COUNT(*) FROM discord_guilds") == "6");
  BOOST_TEST(
      dst("SELECT o.name FROM migration_guild_org_map m JOIN organizations o "
          "ON o.id = m.organization_id WHERE m.guild_id = "
          "300000000000000001") == "ALTTPR League");
  BOOST_TEST(
      dst("SELECT name FROM organizations o JOIN discord_guilds g ON "
          "g.organization_id = o.id WHERE g.guild_id = 300000000000000003") ==
      "Guild 300000000000000003");
  // Owner: the owner of the guild's earliest async tournament.
  auto owner_discord =
      src("SELECT owner_id FROM asynctournament WHERE guild_id = "
          "300000000000000001 ORDER BY created, id LIMIT 1");
  BOOST_TEST(
      dst("SELECT u.discord_id FROM organization_members om JOIN users u ON "
          "u.id = om.user_id JOIN discord_guilds g ON g.organization_id = "
          "om.organization_id WHERE g.guild_id = 300000000000000001 AND "
          "om.role = 'owner'") == owner_discord);
  // Everyone who raced in the guild is a member.
  BOOST_TEST(std::stoi(dst("SELECT COUNT(*) FROM organization_members om JOIN "
                           "discord_guilds g ON g.organization_id = "
                           "om.organization_id WHERE g.guild_id = "
                           "300000000000000001")) >=
             std::stoi(src("SELECT COUNT(DISTINCT r.user_id) FROM "
                           "asynctournamentrace r JOIN asynctournament t ON "
                           "t.id = r.tournament_id JOIN users u ON u.id = "
                           "r.user_id WHERE t.guild_id = 300000000000000001")));
  BOOST_TEST(
      dst("SELECT COUNT(*) FROM organization_members WHERE role = 'admin'") !=
      "0");
}

BOOST_AUTO_TEST_CASE(tournaments_phase_with_every_drift_case) {
  auto report =
      import::run_sahasrahbot_import(options({"users", "orgs", "tournaments"}));
  BOOST_TEST(report.valid(), report.text());
  // Unknown status values and orphans (rows left by disabled foreign key
  // checks) are skipped with their reasons.
  BOOST_TEST(
      skipped_reasons("asynctournamentrace") ==
      (std::vector<std::string>{
          "17: unknown race status 'abandoned'",
          "50: user 999999999 does not exist or was not imported",
          "60: permalink 999999999 does not exist or was not imported"}));
  BOOST_TEST(
      skipped_reasons("asynctournamentliverace") ==
      std::vector<std::string>{"2: unknown live race status 'postponed'"});
  BOOST_TEST(skipped_reasons("asynctournamentreviewnotes").at(0) ==
             "3: race " + std::to_string(races + 5) +
                 " does not exist or was not imported");
  // Counts: every source row imported or skipped.
  BOOST_TEST(std::stoi(dst("SELECT COUNT(*) FROM async_tournament_race")) ==
             races - 3);
  // NULL allowed_reattempts -> 0; 'accepted' -> 'approved'; NULL
  // reattempted -> 0.
  BOOST_TEST(dst("SELECT COUNT(*) FROM async_tournament WHERE "
                 "allowed_reattempts IS NULL") == "0");
  BOOST_TEST(dst("SELECT COUNT(*) FROM async_tournament_race WHERE "
                 "review_status = 'approved'") ==
             src("SELECT COUNT(*) FROM asynctournamentrace WHERE review_status "
                 "IN ('approved', 'accepted') AND id NOT IN (17, 50, 60)"));
  BOOST_TEST(
      dst("SELECT COUNT(*) FROM migration_adjusted WHERE rule = "
          "'reattempted NULL imported as 0'") ==
      src("SELECT COUNT(*) FROM asynctournamentrace WHERE reattempted IS "
          "NULL AND id NOT IN (17, 50, 60)"));
  // Permalinks without url keep their races.
  BOOST_TEST(dst("SELECT COUNT(*) FROM async_tournament_permalink WHERE url IS "
                 "NULL") == src("SELECT COUNT(*) FROM asynctournamentpermalink "
                                "WHERE url IS NULL"));
  // Every column of the race mapping: one race end to end.
  BOOST_TEST(
      dst("SELECT CONCAT_WS('|', r.thread_id, r.thread_opened_at, "
          "r.started_at, r.finished_at, r.status, r.vod_url, "
          "r.collection_rate, r.igt_time, r.score, r.runner_notes) FROM "
          "async_tournament_race r JOIN migration_race_map m ON m.new_id "
          "= r.id WHERE m.old_id = 8") ==
      src("SELECT CONCAT_WS('|', thread_id, thread_open_time, "
          "start_time, end_time, status, runner_vod_url, "
          "run_collection_rate, run_igt, score, runner_notes) FROM "
          "asynctournamentrace WHERE id = 8"));
  // Audit logs carry their details and origin as JSON.
  BOOST_TEST(
      dst("SELECT JSON_VALUE(details, '$.source') FROM audit_log LIMIT 1") ==
      "sahasrahbot");
  // FK integrity with the server's own checks back on.
  BOOST_TEST(
      dst("SELECT COUNT(*) FROM async_tournament_race r LEFT JOIN users u "
          "ON u.id = r.user_id WHERE u.id IS NULL") == "0");
}

BOOST_AUTO_TEST_CASE(verification_and_presets_phases) {
  auto report = import::run_sahasrahbot_import(options());
  BOOST_TEST(report.valid(), report.text());
  // "alttpr, smz3,alttpr, ,z1r," -> alttpr, smz3, z1r; NULL -> none.
  auto conn = target.db().connection();
  std::vector<std::string> first;
  for (const auto& r : sql_query(*conn, "SELECT c.category FROM "
                                        "racer_verification_category c JOIN "
                                        "migration_verification_map m ON "
                                        "m.new_id = c.racer_verification_id "
                                        "WHERE m.old_id = 1 ORDER BY c.id"))
    first.push_back(*r[0]);
  BOOST_TEST(first == (std::vector<std::string>{"alttpr", "smz3", "z1r"}));
  BOOST_TEST(dst("SELECT COUNT(*) FROM racer_verification_category c JOIN "
                 "migration_verification_map m ON m.new_id = "
                 "c.racer_verification_id WHERE m.old_id = 2") == "0");
  auto racers = skipped_reasons("verifiedracer");
  BOOST_REQUIRE(racers.size() >= 2u);
  BOOST_TEST(racers[0].find("7: verification") == 0u, racers[0]);
  BOOST_TEST(racers[1].find("duplicate: the same user is already verified") !=
             std::string::npos);
  // Presets: a namespace without a name gets one; contents are kept.
  BOOST_TEST(
      dst("SELECT COUNT(*) FROM preset_namespace WHERE name LIKE 'user-%'") ==
      src("SELECT COUNT(*) FROM presetnamespaces WHERE name IS NULL"));
  BOOST_TEST(
      dst("SELECT content FROM randomizer_preset p JOIN "
          "migration_preset_map m ON m.new_id = p.id WHERE m.old_id = 4") ==
      src("SELECT content FROM presets WHERE id = 4"));
  BOOST_TEST(dst("SELECT COUNT(*) FROM preset_namespace_permission") ==
             src("SELECT COUNT(*) FROM presetnamespacecollaborators"));
  // The report lists every skipped row with table, id and reason.
  BOOST_TEST(report.skipped.size() ==
             std::stoul(dst("SELECT COUNT(*) FROM migration_skipped")));
  BOOST_TEST(
      report.json().find("\"reason\":\"unknown race status 'abandoned'\"") !=
      std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_second_run_adds_nothing) {
  auto first = import::run_sahasrahbot_import(options());
  BOOST_TEST(first.valid());
  auto before = dump(target);
  auto second = import::run_sahasrahbot_import(options());
  BOOST_TEST(second.valid(), second.text());
  BOOST_TEST(second.rows_imported_this_run() == 0u);
  BOOST_TEST((dump(target) == before));
  // The totals read the same.
  BOOST_TEST(second.skipped.size() == first.skipped.size());
  for (std::size_t i = 0; i < first.tables.size(); ++i)
    BOOST_TEST(second.tables[i].imported == first.tables[i].imported);
}

BOOST_AUTO_TEST_CASE(an_interrupted_import_resumes_to_the_same_rows) {
  // The clean run, into a second target.
  test::scratch_database clean;
  auto o = options();
  o.target = clean.url();
  BOOST_TEST(import::run_sahasrahbot_import(o).valid());
  // Interrupted twice mid-phase (after writing, before committing), then
  // finished.
  int interruptions = 0;
  for (std::size_t stop_at : {3u, 9u}) {
    auto broken = options();
    broken.before_commit = [stop_at](std::size_t batch) {
      if (batch == stop_at)
        throw import::import_interrupted{};
    };
    try {
      import::run_sahasrahbot_import(broken);
    } catch (const import::import_interrupted&) {
      ++interruptions;
    }
  }
  BOOST_TEST(interruptions == 2);
  auto resumed = import::run_sahasrahbot_import(options());
  BOOST_TEST(resumed.valid(), resumed.text());
  auto a = dump(clean);
  auto b = dump(target);
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (const auto& [table, rows] : a) {
    BOOST_TEST(rows.size() == b[table].size(), table);
    BOOST_TEST((rows == b[table]), table << " differs row for row");
  }
}

BOOST_AUTO_TEST_CASE(multi_row_inserts_give_the_same_rows_as_load_data) {
  test::scratch_database bulk;
  auto o = options();
  o.target = bulk.url();
  auto loaded = import::run_sahasrahbot_import(o);
  BOOST_TEST(loaded.valid());
  BOOST_TEST(loaded.bulk_write == "LOAD DATA LOCAL");
  // The client refuses LOAD DATA LOCAL: the engine notices and falls back.
  auto plain = options();
  plain.allow_local_infile = false;
  plain.batch_size = 97; // many statements, odd batch edges
  auto report = import::run_sahasrahbot_import(plain);
  BOOST_TEST(report.valid(), report.text());
  BOOST_TEST(report.bulk_write.find(
                 "multi-row INSERT (LOAD DATA LOCAL was refused") == 0u,
             report.bulk_write);
  auto a = dump(bulk);
  auto b = dump(target);
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (const auto& [table, rows] : a) {
    BOOST_TEST(rows.size() == b[table].size(), table);
    BOOST_TEST((rows == b[table]), table << " differs row for row");
  }
}

BOOST_AUTO_TEST_CASE(dry_run_changes_nothing_and_reports_the_same) {
  auto before = dump(target);
  auto dry_options = options();
  dry_options.dry_run = true;
  auto dry = import::run_sahasrahbot_import(dry_options);
  BOOST_TEST(dry.valid(), dry.text());
  BOOST_TEST((dump(target) == before));
  BOOST_TEST(dry.text().find("DRY RUN") != std::string::npos);
  auto real = import::run_sahasrahbot_import(options());
  BOOST_REQUIRE_EQUAL(dry.tables.size(), real.tables.size());
  for (std::size_t i = 0; i < dry.tables.size(); ++i) {
    BOOST_TEST(dry.tables[i].source_rows == real.tables[i].source_rows);
    BOOST_TEST(dry.tables[i].imported == real.tables[i].imported);
    BOOST_TEST(dry.tables[i].skipped == real.tables[i].skipped);
  }
  BOOST_TEST(dry.skipped.size() == real.skipped.size());
  BOOST_TEST(dry.validations.size() == real.validations.size());
}

BOOST_AUTO_TEST_CASE(validation_catches_a_row_deleted_from_the_target) {
  auto o = options({"users", "orgs", "tournaments"});
  o.before_validation = [this](const std::string& phase) {
    if (phase == "tournaments")
      dst_execute("DELETE FROM async_tournament_race ORDER BY id LIMIT 1");
  };
  auto report = import::run_sahasrahbot_import(o);
  BOOST_TEST(!report.valid());
  bool named = false;
  for (const auto& v : report.validations)
    if (!v.ok &&
        v.detail == "1 mapped rows are missing from async_tournament_race")
      named = true;
  BOOST_TEST(named, report.text());
  BOOST_TEST(report.text().find("validation FAILED") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(validation_catches_an_orphaned_reference) {
  auto o = options({"users", "orgs", "tournaments"});
  o.before_validation = [this](const std::string& phase) {
    if (phase != "tournaments")
      return;
    auto conn = target.db().connection();
    sql_execute(*conn, "SET foreign_key_checks = 0");
    sql_execute(*conn, "UPDATE async_tournament_race SET user_id = 999999999 "
                       "ORDER BY id LIMIT 2");
  };
  auto report = import::run_sahasrahbot_import(o);
  BOOST_TEST(!report.valid());
  std::vector<std::string> failed;
  for (const auto& v : report.validations)
    if (!v.ok && v.check.find("orphans") != std::string::npos)
      failed.push_back(v.check + ": " + v.detail);
  // (The random field comparison may also catch them, if it samples them.)
  BOOST_TEST(
      failed ==
          std::vector<std::string>{"async_tournament_race.user_id -> users: no "
                                   "orphans: 2 rows point nowhere"},
      report.text());
}

BOOST_AUTO_TEST_CASE(the_source_is_only_read) {
  auto user = "ro_" + std::to_string(getpid());
  test::scratch_database::admin_execute("CREATE USER IF NOT EXISTS '" + user +
                                        "'@'%' IDENTIFIED BY 'readonly-pw'");
  test::scratch_database::admin_execute("GRANT SELECT ON `" +
                                        source.url().database + "`.* TO '" +
                                        user + "'@'%'");
  auto o = options({"users", "orgs"});
  o.source.user = user;
  o.source.password = config::secret{"readonly-pw"};
  auto report = import::run_sahasrahbot_import(o);
  test::scratch_database::admin_execute("DROP USER '" + user + "'@'%'");
  BOOST_TEST(report.valid(), report.text());
  BOOST_TEST(dst("SELECT COUNT(*) FROM organizations") == "6");
}

BOOST_AUTO_TEST_CASE(the_command_line) {
  std::string out, err;
  auto report_file = std::filesystem::temp_directory_path() /
                     ("import-report-" + std::to_string(getpid()) + ".json");
  int status =
      cli({"import-sahasrahbot", "--source", source.url().to_string(),
           "--target", target.url().to_string(), "--phase", "users,orgs",
           "--batch-size", "100", "--report", report_file.string()},
          out, err);
  BOOST_TEST(status == 0, err);
  BOOST_TEST(out.find("users        users") != std::string::npos, out);
  BOOST_TEST(err.find("users: ") != std::string::npos); // progress lines
  std::ifstream json(report_file);
  std::stringstream text;
  text << json.rdbuf();
  std::filesystem::remove(report_file);
  BOOST_TEST(text.str().find("\"valid\":true") != std::string::npos);
  BOOST_TEST(cli({"import-sahasrahbot", "--source", source.url().to_string(),
                  "--target", target.url().to_string(), "--phase",
                  "tournaments,bogus"},
                 out, err) == 2);
  BOOST_TEST(err.find("unknown phase 'bogus'") != std::string::npos);
  BOOST_TEST(cli({"import-sahasrahbot", "--target", target.url().to_string()},
                 out, err) == 2);
  BOOST_TEST(err.find("needs --source") != std::string::npos);
  // A later phase without its earlier one says what to run.
  test::scratch_database fresh;
  BOOST_TEST(
      cli({"import-sahasrahbot", "--source", source.url().to_string(),
           "--target", fresh.url().to_string(), "--phase", "tournaments"},
          out, err) == 2);
  BOOST_TEST(
      err.find("phase tournaments needs the users phase to have finished") !=
          std::string::npos,
      err);
  BOOST_TEST(cli({"help", "import-sahasrahbot"}, out, err) == 0);
  BOOST_TEST(out.find("Rules (every value the import fills") !=
             std::string::npos);
  BOOST_TEST(out.find("with is_test_user = 1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
