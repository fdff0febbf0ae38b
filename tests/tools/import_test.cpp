#define BOOST_TEST_MODULE sahasrahbot_import
#include <boost/test/unit_test.hpp>

#include "persistence/secret_box.hpp"
#include "tools/racecontrol-migrate/import/import_engine.hpp"
#include "tools/racecontrol-migrate/import/sahasrahbot_import.hpp"
#include "tools/racecontrol-migrate/import/text_fit.hpp"
#include "tools/racecontrol-migrate/migrate_cli.hpp"
#include "tools/sahasrahbot-gen/source_generator.hpp"

#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

using namespace racecontrol;
using namespace racecontrol::tools;
using persistence::sql_execute;
using persistence::sql_query;
using persistence::sql_scalar;

namespace {
/// The key imported tokens are sealed with.
const std::string test_key =
    racecontrol::persistence::secret_box::generate_key();
} // namespace

namespace {

// (clang-format reads a line that starts with `import::` as a C++20 import.)
using import_options = racecontrol::tools::import::import_options;

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

  import_options options(std::vector<std::string> phases) {
    import_options o;
    o.source = source.url();
    o.target = target.url();
    o.phases = std::move(phases);
    o.batch_size = 500;
    o.sample_size = 50;
    o.secrets = *persistence::secret_box::from_keys(test_key);
    return o;
  }

  import_options options() { return options(import::all_phases()); }

  std::string src(const std::string& sql) {
    auto conn = source.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  void src_execute(const std::string& sql) {
    auto conn = source.db().connection();
    sql_execute(*conn, sql);
  }

  std::string dst(const std::string& sql) {
    auto conn = target.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  void dst_execute(const std::string& sql) {
    auto conn = target.db().connection();
    sql_execute(*conn, sql);
  }

  std::vector<std::string> dst_column(const std::string& sql) {
    auto conn = target.db().connection();
    std::vector<std::string> out;
    for (const auto& r : sql_query(*conn, sql))
      out.push_back(r[0].value_or("NULL"));
    return out;
  }

  std::vector<std::string> skipped_reasons(const std::string& table) {
    return dst_column("SELECT CONCAT(source_id, ': ', reason) FROM "
                      "migration_skipped WHERE source_table = '" +
                      table + "' ORDER BY source_id");
  }

  /// "id: detail" of one rule's adjusted rows.
  std::vector<std::string> adjusted(const std::string& table,
                                    const std::string& rule) {
    auto conn = target.db().connection();
    return dst_column("SELECT CONCAT(source_id, ': ', COALESCE(detail, '')) "
                      "FROM migration_adjusted WHERE source_table = '" +
                      table +
                      "' AND rule = " + persistence::sql_quote(*conn, rule) +
                      " ORDER BY source_id");
  }

  /// The categories of a source racer verification, as imported.
  std::vector<std::string> categories_of(int verification) {
    return dst_column("SELECT c.category FROM racer_verification_category c "
                      "JOIN migration_verification_map m ON m.new_id = "
                      "c.racer_verification_id WHERE m.old_id = " +
                      std::to_string(verification) + " ORDER BY c.id");
  }
};

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
      // Sealed tokens get a fresh nonce per write: compare what they hold.
      for (const auto& v : r)
        line += (v && persistence::secret_box::is_sealed(*v)
                     ? *persistence::secret_box::from_keys(test_key)->open(*v)
                     : v.value_or("\\N")) +
                "|";
      rows.push_back(line);
    }
    std::sort(rows.begin(), rows.end());
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::filesystem::path temp_file(const std::string& name) {
  static int counter = 0;
  return std::filesystem::temp_directory_path() /
         (name + "-" + std::to_string(getpid()) + "-" +
          std::to_string(counter++));
}

int cli(std::vector<std::string> args, std::string& out, std::string& err) {
  std::ostringstream o, e;
  int status = run_migrate_cli(args, o, e, [](const char* name) {
    return std::string{name} == persistence::secret_box::key_variable
               ? test_key.c_str()
               : nullptr;
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
  // The generator's users and its one extra drift user.
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_user_map") ==
             std::to_string(users + 1));
  // test_user rows are kept, flagged.
  BOOST_TEST(dst("SELECT COUNT(*) FROM users WHERE is_test_user = 1") ==
             src("SELECT COUNT(*) FROM users WHERE test_user = 1"));
  BOOST_TEST(dst("SELECT COUNT(*) FROM users WHERE is_test_user = 1") != "0");
  // A user without a Discord id is imported without one.
  BOOST_TEST(dst("SELECT COUNT(*) FROM users WHERE discord_id IS NULL") ==
             src("SELECT COUNT(*) FROM users WHERE discord_user_id IS NULL"));
  BOOST_TEST(dst("SELECT COUNT(*) FROM users WHERE discord_id IS NULL") != "0");
  // The RaceTime link and token travel; display names need not be unique.
  // Sealed on the way in: the column never holds the token itself.
  auto stored =
      dst("SELECT racetime_access_token FROM users u JOIN "
          "migration_user_map m ON m.new_id = u.id WHERE m.old_id = 1");
  auto original = src("SELECT rtgg_access_token FROM users WHERE id = 1");
  BOOST_TEST(stored != original);
  BOOST_TEST(stored.find(original) == std::string::npos);
  BOOST_TEST(*persistence::secret_box::from_keys(test_key)->open(stored) ==
             original);
  BOOST_TEST(dst("SELECT COUNT(*) - COUNT(DISTINCT display_name) FROM users") !=
             "0");
  BOOST_TEST(
      dst("SELECT discord_user_id FROM migration_user_map WHERE old_id = 2") ==
      src("SELECT discord_user_id FROM users WHERE id = 2"));
  // The report says what it chose for users without a Discord id.
  BOOST_TEST(report.text().find("users without a Discord id: imported without "
                                "one") != std::string::npos,
             report.text());
}

BOOST_AUTO_TEST_CASE(existing_users_are_matched_by_discord_id) {
  auto discord = src("SELECT discord_user_id FROM users WHERE id = 5");
  dst_execute("INSERT INTO users (discord_id, display_name) VALUES (" +
              discord + ", 'Already here')");
  auto before = dst("SELECT COUNT(*) FROM users");
  auto report = import::run_sahasrahbot_import(options({"users"}));
  BOOST_TEST(report.valid(), report.text());
  BOOST_TEST(std::stoi(dst("SELECT COUNT(*) FROM users")) ==
             std::stoi(before) + users + 1 - 1);
  BOOST_TEST(dst("SELECT u.display_name FROM migration_user_map m JOIN users u "
                 "ON u.id = m.new_id WHERE m.old_id = 5") == "Already here");
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_adjusted WHERE source_table = "
                 "'users' AND rule LIKE 'matched an existing user%'") == "1");
}

BOOST_AUTO_TEST_CASE(orgs_phase_with_guild_names_and_owner_rule) {
  auto names = temp_file("guilds");
  std::ofstream(names) << "# guild id, name\n300000000000000001,ALTTPR League\n"
                          "300000000000000002\tSMZ3 Cup\n";
  auto o = options({"users", "orgs", "tournaments"});
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
  // Everyone who raced in the guild (in a race that was imported) is a
  // member.
  BOOST_TEST(dst("SELECT COUNT(*) FROM organization_members om JOIN "
                 "discord_guilds g ON g.organization_id = "
                 "om.organization_id WHERE g.guild_id = 300000000000000001") >=
             src("SELECT COUNT(DISTINCT r.user_id) FROM "
                 "asynctournamentrace r JOIN asynctournament t ON "
                 "t.id = r.tournament_id JOIN users u ON u.id = "
                 "r.user_id WHERE t.guild_id = 300000000000000001"));
  BOOST_TEST(
      dst("SELECT COUNT(*) FROM organization_members WHERE role = 'admin'") !=
      "0");
}

BOOST_AUTO_TEST_CASE(members_come_only_from_imported_rows) {
  auto report =
      import::run_sahasrahbot_import(options({"users", "orgs", "tournaments"}));
  BOOST_TEST(report.valid(), report.text());
  // The drift user's only row is race 60, skipped for its permalink: the
  // user is imported but a member of nothing.
  BOOST_REQUIRE(src("SELECT COUNT(*) FROM asynctournamentrace WHERE user_id "
                    "= " +
                    std::to_string(users + 1)) == "1");
  BOOST_TEST(skipped_reasons("asynctournamentrace").at(1) ==
             "60: permalink 999999999 does not exist or was not imported");
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_user_map WHERE old_id = " +
                 std::to_string(users + 1)) == "1");
  BOOST_TEST(dst("SELECT COUNT(*) FROM organization_members om JOIN "
                 "migration_user_map m ON m.new_id = om.user_id WHERE "
                 "m.old_id = " +
                 std::to_string(users + 1)) == "0");
  // Every membership is backed by an imported race, whitelist entry or
  // permission of that organization.
  BOOST_TEST(dst("SELECT COUNT(*) FROM organization_members om WHERE NOT "
                 "EXISTS (SELECT 1 FROM async_tournament_race r JOIN "
                 "async_tournament t ON t.id = r.tournament_id WHERE "
                 "r.user_id = om.user_id AND t.organization_id = "
                 "om.organization_id) AND NOT EXISTS (SELECT 1 FROM "
                 "async_tournament_whitelist w JOIN async_tournament t ON t.id "
                 "= w.tournament_id WHERE w.user_id = om.user_id AND "
                 "t.organization_id = om.organization_id) AND NOT EXISTS "
                 "(SELECT 1 FROM async_tournament_permission p JOIN "
                 "async_tournament t ON t.id = p.tournament_id WHERE "
                 "p.user_id = om.user_id AND t.organization_id = "
                 "om.organization_id) AND om.role <> 'owner'") == "0");
}

BOOST_AUTO_TEST_CASE(members_ignore_races_the_import_did_not_write) {
  // Stopped in the middle of the races...
  auto broken = options({"users", "orgs", "tournaments"});
  broken.writers = 1;
  broken.before_commit = [](std::size_t batch) {
    if (batch == 10)
      throw import::import_interrupted{};
  };
  BOOST_CHECK_THROW(import::run_sahasrahbot_import(broken),
                    import::import_interrupted);
  BOOST_REQUIRE(dst("SELECT COUNT(*) FROM migration_race_map") != "0");
  // ... racecontrol itself records a race of someone who never was in
  // SahasrahBot, in an imported tournament; its id is one the import wants.
  dst_execute("INSERT INTO users (discord_id, display_name) VALUES "
              "(999000000000000001, 'racecontrol only')");
  dst_execute("INSERT INTO async_tournament_race (tournament_id, "
              "permalink_id, user_id) SELECT (SELECT MIN(id) FROM "
              "async_tournament), (SELECT MIN(p.id) FROM "
              "async_tournament_permalink p JOIN "
              "async_tournament_permalink_pool pl ON pl.id = p.pool_id WHERE "
              "pl.tournament_id = (SELECT MIN(id) FROM async_tournament)), id "
              "FROM users WHERE discord_id = 999000000000000001");
  auto report =
      import::run_sahasrahbot_import(options({"users", "orgs", "tournaments"}));
  BOOST_TEST(report.valid(), report.text());
  // The source race whose id was taken is skipped with the server's reason.
  auto refused = dst_column("SELECT reason FROM migration_skipped WHERE "
                            "source_table = 'asynctournamentrace' AND reason "
                            "LIKE 'the target refused the row:%'");
  BOOST_REQUIRE_EQUAL(refused.size(), 1u);
  BOOST_TEST(refused[0].find("Duplicate entry") != std::string::npos,
             refused[0]);
  // Only imported races make members.
  BOOST_TEST(dst("SELECT COUNT(*) FROM organization_members om JOIN users u "
                 "ON u.id = om.user_id WHERE u.discord_id = "
                 "999000000000000001") == "0");
  BOOST_TEST(dst("SELECT COUNT(*) FROM organization_members") != "0");
}

BOOST_AUTO_TEST_CASE(an_organization_is_created_at_its_earliest_tournament) {
  auto report = import::run_sahasrahbot_import(options({"users", "orgs"}));
  BOOST_TEST(report.valid(), report.text());
  // Guild 1's racer verification is older than its first tournament.
  BOOST_REQUIRE(src("SELECT MIN(created) FROM racerverification WHERE "
                    "guild_id = 300000000000000001") <
                src("SELECT MIN(created) FROM asynctournament WHERE guild_id "
                    "= 300000000000000001"));
  auto created_of = [&](const std::string& guild) {
    return dst("SELECT o.created_at FROM organizations o JOIN "
               "migration_guild_org_map m ON m.organization_id = o.id WHERE "
               "m.guild_id = " +
               guild);
  };
  BOOST_TEST(created_of("300000000000000001") ==
             src("SELECT MIN(created) FROM asynctournament WHERE guild_id = "
                 "300000000000000001"));
  // A guild without tournaments: its earliest verification, listed.
  BOOST_TEST(created_of("300000000000000005") ==
             src("SELECT MIN(created) FROM racerverification WHERE guild_id = "
                 "300000000000000005"));
  BOOST_TEST(adjusted("guilds", "guild without async tournaments: created at "
                                "its earliest racer verification") ==
             std::vector<std::string>{"5: 300000000000000005"});
  BOOST_TEST(created_of("300000000000000006") == "2000-01-01 00:00:00.000000");
}

BOOST_AUTO_TEST_CASE(tournaments_phase_with_every_drift_case) {
  auto report =
      import::run_sahasrahbot_import(options({"users", "orgs", "tournaments"}));
  BOOST_TEST(report.valid(), report.text());
  // Orphans (rows left by disabled foreign key checks) are skipped with
  // their reasons.
  BOOST_TEST(
      skipped_reasons("asynctournamentrace") ==
      (std::vector<std::string>{
          "50: user 999999999 does not exist or was not imported",
          "60: permalink 999999999 does not exist or was not imported"}));
  BOOST_TEST(skipped_reasons("asynctournamentliverace").empty());
  BOOST_TEST(skipped_reasons("asynctournamentreviewnotes").at(0) ==
             "3: race " + std::to_string(races + 5) +
                 " does not exist or was not imported");
  // Counts: every source row imported or skipped.
  BOOST_TEST(std::stoi(dst("SELECT COUNT(*) FROM async_tournament_race")) ==
             races - 2);
  // NULL allowed_reattempts -> 0; 'accepted' -> 'approved'; NULL
  // reattempted -> 0.
  BOOST_TEST(dst("SELECT COUNT(*) FROM async_tournament WHERE "
                 "allowed_reattempts IS NULL") == "0");
  BOOST_TEST(dst("SELECT COUNT(*) FROM async_tournament_race WHERE "
                 "review_status = 'approved'") ==
             src("SELECT COUNT(*) FROM asynctournamentrace WHERE review_status "
                 "IN ('approved', 'accepted') AND id NOT IN (50, 60)"));
  BOOST_TEST(
      dst("SELECT COUNT(*) FROM migration_adjusted WHERE rule = "
          "'reattempted NULL imported as 0'") ==
      src("SELECT COUNT(*) FROM asynctournamentrace WHERE reattempted IS "
          "NULL AND id NOT IN (50, 60)"));
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

BOOST_AUTO_TEST_CASE(unknown_statuses_keep_their_rows) {
  auto report =
      import::run_sahasrahbot_import(options({"users", "orgs", "tournaments"}));
  BOOST_TEST(report.valid(), report.text());
  BOOST_REQUIRE(src("SELECT status FROM asynctournamentrace WHERE id = 17") ==
                "abandoned");
  BOOST_TEST(dst("SELECT r.status FROM async_tournament_race r JOIN "
                 "migration_race_map m ON m.new_id = r.id WHERE m.old_id = "
                 "17") == "unknown");
  BOOST_TEST(adjusted("asynctournamentrace",
                      "unknown race status imported as 'unknown'") ==
             std::vector<std::string>{"17: was 'abandoned'"});
  BOOST_TEST(dst("SELECT r.review_status FROM async_tournament_race r JOIN "
                 "migration_race_map m ON m.new_id = r.id WHERE m.old_id = "
                 "23") == "unknown");
  BOOST_TEST(adjusted("asynctournamentrace",
                      "unknown review status imported as 'unknown'") ==
             std::vector<std::string>{"23: was 'escalated'"});
  BOOST_TEST(dst("SELECT r.status FROM async_tournament_live_race r JOIN "
                 "migration_live_race_map m ON m.new_id = r.id WHERE "
                 "m.old_id = 2") == "unknown");
  BOOST_TEST(adjusted("asynctournamentliverace",
                      "unknown live race status imported as 'unknown'") ==
             std::vector<std::string>{"2: was 'postponed'"});
  // The report says so, with the original value.
  auto text = report.text();
  BOOST_TEST(text.find("asynctournamentrace: unknown race status imported as "
                       "'unknown' (1 rows)\n      e.g. id 17: was "
                       "'abandoned'") != std::string::npos,
             text);
}

BOOST_AUTO_TEST_CASE(a_role_grant_whose_user_is_gone_is_kept) {
  auto report =
      import::run_sahasrahbot_import(options({"users", "orgs", "tournaments"}));
  BOOST_TEST(report.valid(), report.text());
  BOOST_REQUIRE(src("SELECT CONCAT_WS('|', user_id, discord_role_id, role) "
                    "FROM asynctournamentpermissions WHERE id = 4") ==
                "999999999|600000000000000004|admin");
  BOOST_TEST(dst("SELECT CONCAT_WS('|', COALESCE(p.user_id, 'NULL'), "
                 "p.discord_role_id, p.role) FROM async_tournament_permission "
                 "p JOIN migration_permission_map m ON m.new_id = p.id WHERE "
                 "m.old_id = 4") == "NULL|600000000000000004|admin");
  BOOST_TEST(adjusted("asynctournamentpermissions",
                      "user not imported: role grant kept without the user") ==
             std::vector<std::string>{"4: 999999999"});
  // Without a role it grants nothing to anyone: skipped, with the reason.
  BOOST_TEST(skipped_reasons("asynctournamentpermissions") ==
             std::vector<std::string>{
                 "5: user 999999999 does not exist or was not imported, and "
                 "the row names no Discord role"});
}

BOOST_AUTO_TEST_CASE(categories_in_two_letter_cases_and_odd_whitespace) {
  auto report = import::run_sahasrahbot_import(options());
  BOOST_TEST(report.valid(), report.text());
  // Every phase ran to the end.
  BOOST_TEST(dst("SELECT COUNT(*) FROM randomizer_preset") ==
             src("SELECT COUNT(*) FROM presets"));
  // "alttpr, smz3,alttpr, ,z1r," -> alttpr, smz3, z1r; NULL -> none.
  BOOST_TEST(categories_of(1) ==
             (std::vector<std::string>{"alttpr", "smz3", "z1r"}));
  BOOST_TEST(categories_of(2).empty());
  // The reported case: one category in two letter cases, tabs, blanks.
  BOOST_REQUIRE(src("SELECT racetime_categories FROM racerverification WHERE "
                    "id = 3") == "ALTTPR,alttpr,\tsmz3\t,,");
  BOOST_TEST(categories_of(3) == (std::vector<std::string>{"alttpr", "smz3"}));
  BOOST_TEST(adjusted("racerverification", "racetime category lower-cased") ==
             (std::vector<std::string>{"3: 'ALTTPR'", "4: 'SMZ3'"}));
  // CR/LF trimmed; sizes in characters: 30 x é kept whole, 60 x ü cut to
  // 50 characters (not bytes); 'Éééé…' equals 'éééé…' under the collation.
  std::string e30, u50, e_upper;
  for (int i = 0; i < 30; ++i)
    e30 += "é";
  for (int i = 0; i < 50; ++i)
    u50 += "ü";
  e_upper = "É" + e30.substr(2);
  BOOST_TEST(categories_of(4) ==
             (std::vector<std::string>{"z1r", e30, u50, "smz3"}));
  BOOST_TEST(
      adjusted("racerverification", "racetime category cut to 50 characters") ==
      std::vector<std::string>{"4: '" + u50 + "'"});
  BOOST_TEST(adjusted("racerverification",
                      "racetime category repeated (equal under the target's "
                      "collation): dropped") ==
             (std::vector<std::string>{"1: 'alttpr'", "3: 'alttpr'",
                                       "4: 'smz3', '" + e_upper + "'"}));
}

BOOST_AUTO_TEST_CASE(verification_and_presets_phases) {
  auto report = import::run_sahasrahbot_import(options());
  BOOST_TEST(report.valid(), report.text());
  auto racers = skipped_reasons("verifiedracer");
  BOOST_REQUIRE(racers.size() >= 2u);
  BOOST_TEST(racers[0].find("7: verification") == 0u, racers[0]);
  BOOST_TEST(racers[1].find("duplicate: the same user is already verified") !=
             std::string::npos);
  // Verified racers are members of the verification's organization.
  BOOST_TEST(dst("SELECT COUNT(*) FROM verified_racer v JOIN "
                 "racer_verification rv ON rv.id = v.racer_verification_id "
                 "LEFT JOIN organization_members om ON om.organization_id = "
                 "rv.organization_id AND om.user_id = v.user_id WHERE om.id "
                 "IS NULL") == "0");
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
  // 'straße' and 'strasse' differ in SahasrahBot's collation but are the
  // same name in racecontrol's: the second gets its id appended.
  BOOST_TEST(dst_column("SELECT n.name FROM preset_namespace n JOIN "
                        "migration_namespace_map m ON m.new_id = n.id WHERE "
                        "m.old_id IN (3, 4) ORDER BY m.old_id") ==
             (std::vector<std::string>{"straße", "strasse-4"}));
  // Collaborators who match no user keep their Discord id, without a
  // user; the report and the help say so.
  BOOST_TEST(dst("SELECT COUNT(*) FROM preset_namespace_permission WHERE "
                 "user_id IS NULL") ==
             src("SELECT COUNT(*) FROM presetnamespacecollaborators c LEFT "
                 "JOIN users u ON u.discord_user_id = c.discord_user_id "
                 "WHERE u.id IS NULL"));
  BOOST_TEST(dst("SELECT COUNT(*) FROM preset_namespace_permission WHERE "
                 "user_id IS NULL") != "0");
  BOOST_TEST(report.text().find("collaborators whose Discord id matches no "
                                "user: imported with user_id NULL") !=
             std::string::npos);
  // The report lists every skipped row with table, id and reason.
  BOOST_TEST(report.skipped.size() ==
             std::stoul(dst("SELECT COUNT(*) FROM migration_skipped")));
  BOOST_TEST(report.json().find("\"reason\":\"user 999999999 does not exist "
                                "or was not imported\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_rows_are_reported_as_not_imported) {
  auto report = import::run_sahasrahbot_import(options());
  BOOST_TEST(report.valid(), report.text());
  auto config_rows = std::stoull(src("SELECT COUNT(*) FROM config"));
  BOOST_REQUIRE(config_rows > 0u);
  bool listed = false;
  for (const auto& n : report.not_imported)
    if (n.source_table == "config") {
      listed = true;
      BOOST_TEST(n.rows == config_rows);
      BOOST_TEST(n.reason.find("read only to find guilds") !=
                 std::string::npos);
    }
  BOOST_TEST(listed, report.text());
  BOOST_TEST(report.text().find("not imported, deliberately:\n  config (" +
                                std::to_string(config_rows) + " rows)") !=
                 std::string::npos,
             report.text());
  BOOST_TEST(report.json().find("\"not_imported\":[{\"source_table\":"
                                "\"config\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_other_source_table_with_rows_is_reported) {
  // Rows in tables seed 002 defers, in one it does not mention, and
  // aerich's history; empty tables are not worth a line.
  src_execute("INSERT INTO spoiler_races (srl_id) VALUES ('a'), ('b')");
  src_execute("INSERT INTO srlnick (discord_user_id, display_name) VALUES "
              "(1, 'x')");
  src_execute("CREATE TABLE aerich (id INT PRIMARY KEY, version "
              "VARCHAR(255))");
  src_execute("INSERT INTO aerich VALUES (1, '98_x.py')");
  BOOST_REQUIRE(src("SELECT COUNT(*) FROM tournaments") == "0");
  auto report = import::run_sahasrahbot_import(options({"users"}));
  BOOST_TEST(report.valid(), report.text());
  std::vector<std::string> listed;
  for (const auto& n : report.not_imported)
    listed.push_back(n.source_table + " " + std::to_string(n.rows) + ": " +
                     n.reason);
  BOOST_TEST(listed ==
                 (std::vector<std::string>{
                     "aerich 1: aerich's migration history, not data",
                     "config " + src("SELECT COUNT(*) FROM config") +
                         ": guild settings: read only to find guilds (each "
                         "became an organization); seed 002 defers the "
                         "settings themselves to its phase 7",
                     "spoiler_races 2: deferred by seed 002 (phase 7: to "
                     "evaluate before migrating)",
                     "srlnick 1: not part of seed 002's plan"}),
             report.text());
}

BOOST_AUTO_TEST_CASE(names_equal_under_the_target_collation_are_told_apart) {
  // Two guilds named alike: racecontrol's unique key compares without case
  // or accents, and a name longer than the column is cut in characters.
  std::string long_name;
  for (int i = 0; i < 300; ++i)
    long_name += "ø";
  auto names = temp_file("guilds");
  std::ofstream(names) << "300000000000000001,Straße Cup\n"
                          "300000000000000002,STRASSE cup\n"
                          "300000000000000003,"
                       << long_name << "\n";
  auto o = options({"users", "orgs"});
  o.guild_names = import::read_guild_names(names.string());
  std::filesystem::remove(names);
  auto report = import::run_sahasrahbot_import(o);
  BOOST_TEST(report.valid(), report.text());
  BOOST_TEST(dst_column("SELECT o.name FROM organizations o JOIN "
                        "migration_guild_org_map m ON m.organization_id = "
                        "o.id ORDER BY m.guild_id LIMIT 3") ==
             (std::vector<std::string>{"Straße Cup",
                                       "STRASSE cup (300000000000000002)",
                                       long_name.substr(0, 255 * 2)}));
  BOOST_TEST(dst("SELECT CHAR_LENGTH(guild_name) FROM discord_guilds WHERE "
                 "guild_id = 300000000000000003") == "255");
}

BOOST_AUTO_TEST_CASE(values_that_do_not_fit_are_cut_or_skip_their_row) {
  // A racecontrol whose columns are narrower than the source's values.
  dst_execute("ALTER TABLE users MODIFY display_name VARCHAR(5) NULL, MODIFY "
              "twitch_name VARCHAR(200) NOT NULL");
  auto report = import::run_sahasrahbot_import(options({"users"}));
  BOOST_TEST(report.valid(), report.text());
  // Cut in characters, never inside one.
  BOOST_TEST(dst("SELECT u.display_name FROM users u JOIN migration_user_map "
                 "m ON m.new_id = u.id WHERE m.old_id = " +
                 std::to_string(users + 1)) == "Ünïcö");
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_adjusted WHERE rule = "
                 "'users.display_name cut to 5 characters'") ==
             src("SELECT COUNT(*) FROM users WHERE CHAR_LENGTH(display_name) "
                 "> 5 AND twitch_name IS NOT NULL"));
  // NULL where racecontrol needs a value: the row is skipped, not the batch.
  auto without = src("SELECT COUNT(*) FROM users WHERE twitch_name IS NULL");
  BOOST_TEST(without != "0");
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_skipped WHERE reason = "
                 "'users.twitch_name needs a value and the source has none'") ==
             without);
  BOOST_TEST(std::stoi(dst("SELECT COUNT(*) FROM users")) ==
             users + 1 - std::stoi(without));
}

BOOST_AUTO_TEST_CASE(a_row_the_target_refuses_is_skipped_and_the_rest_go_on) {
  // racecontrol already has a tournament in source tournament 2's channel.
  dst_execute("INSERT INTO organizations (id, name) VALUES (1, 'Here first')");
  dst_execute("INSERT INTO async_tournament (id, organization_id, name, "
              "discord_channel_id) VALUES (1, 1, 'Here first', " +
              src("SELECT channel_id FROM asynctournament WHERE id = 2") + ")");
  auto dry = options({"users", "orgs", "tournaments"});
  dry.dry_run = true;
  auto dry_report = import::run_sahasrahbot_import(dry);
  BOOST_TEST(dry_report.valid(), dry_report.text());
  auto report =
      import::run_sahasrahbot_import(options({"users", "orgs", "tournaments"}));
  BOOST_TEST(report.valid(), report.text());
  auto refused = skipped_reasons("asynctournament");
  BOOST_REQUIRE_EQUAL(refused.size(), 1u);
  BOOST_TEST(
      refused[0].find("2: the target refused the row: Duplicate entry") == 0u,
      refused[0]);
  BOOST_TEST(refused[0].find("[in:") == std::string::npos);
  // Its dependent rows follow it; every other tournament is imported.
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_tournament_map") ==
             std::to_string(std::stoi(src("SELECT COUNT(*) FROM "
                                          "asynctournament")) -
                            1));
  BOOST_TEST(dst("SELECT COUNT(*) FROM migration_skipped WHERE source_table "
                 "= 'asynctournamentrace' AND reason = 'tournament 2 was not "
                 "imported'") ==
             src("SELECT COUNT(*) FROM asynctournamentrace WHERE "
                 "tournament_id = 2"));
  // The dry run saw the same.
  for (std::size_t i = 0; i < report.tables.size(); ++i)
    BOOST_TEST(dry_report.tables.at(i).skipped == report.tables[i].skipped,
               report.tables[i].source_table);
}

BOOST_AUTO_TEST_CASE(a_source_that_is_not_sahasrahbot_is_named_as_such) {
  src_execute("ALTER TABLE asynctournamentrace DROP COLUMN review_status");
  src_execute("DROP TABLE presets");
  std::string message;
  try {
    import::run_sahasrahbot_import(options());
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  BOOST_TEST(message.find("table asynctournamentrace has no column "
                          "review_status (the tournaments phase reads it)") !=
                 std::string::npos,
             message);
  BOOST_TEST(message.find("table presets is missing (the presets phase reads "
                          "it)") != std::string::npos,
             message);
  BOOST_TEST(message.find("SELECT") == std::string::npos, message);
  BOOST_TEST(dst("SELECT COUNT(*) FROM users") == "0"); // nothing was written
  // The phases that need nothing missing still run.
  BOOST_TEST(
      import::run_sahasrahbot_import(options({"users", "orgs"})).valid());
  // Through the command line: exit 2, the reason, and the report file.
  auto report_file = temp_file("import-report");
  std::string out, err;
  BOOST_TEST(cli({"import-sahasrahbot", "--source", source.url().to_string(),
                  "--target", target.url().to_string(), "--report",
                  report_file.string()},
                 out, err) == 2);
  BOOST_TEST(err.find("table presets is missing") != std::string::npos, err);
  auto json = read_file(report_file);
  std::filesystem::remove(report_file);
  BOOST_TEST(json.find("\"valid\":false") != std::string::npos, json);
  BOOST_TEST(json.find("table presets is missing") != std::string::npos, json);
  // A database of something else entirely.
  test::scratch_database other{false};
  auto o = options({"users"});
  o.source = other.url();
  message.clear();
  try {
    import::run_sahasrahbot_import(o);
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  BOOST_TEST(message ==
             "--source has none of the SahasrahBot tables these phases read "
             "(users): is it the SahasrahBot database?");
}

BOOST_AUTO_TEST_CASE(a_failed_validation_exits_1_and_still_writes_the_report) {
  BOOST_TEST(import::run_sahasrahbot_import(options()).valid());
  // Something deletes an imported row; the next run's validation finds it.
  dst_execute("DELETE FROM async_tournament_race ORDER BY id LIMIT 1");
  auto report_file = temp_file("import-report");
  std::string out, err;
  BOOST_TEST(cli({"import-sahasrahbot", "--source", source.url().to_string(),
                  "--target", target.url().to_string(), "--report",
                  report_file.string()},
                 out, err) == 1,
             out << err);
  BOOST_TEST(out.find("validation FAILED") != std::string::npos, out);
  auto json = read_file(report_file);
  std::filesystem::remove(report_file);
  BOOST_TEST(json.find("\"valid\":false") != std::string::npos, json);
  BOOST_TEST(json.find("\"detail\":\"1 mapped rows are missing from "
                       "async_tournament_race\"") != std::string::npos,
             json);
}

BOOST_AUTO_TEST_CASE(a_phase_that_stops_still_writes_the_report) {
  // A target whose bookkeeping lost a table: the tournaments phase stops at
  // the review notes.
  dst_execute("DROP TABLE migration_review_note_map");
  auto report_file = temp_file("import-report");
  std::string out, err;
  BOOST_TEST(cli({"import-sahasrahbot", "--source", source.url().to_string(),
                  "--target", target.url().to_string(), "--report",
                  report_file.string()},
                 out, err) == 1,
             out << err);
  BOOST_TEST(err.find("migration_review_note_map' doesn't exist (importing "
                      "asynctournamentreviewnotes into race_review_notes)") !=
                 std::string::npos,
             err);
  BOOST_TEST(err.find("[in:") == std::string::npos, err);
  BOOST_TEST(out.find("STOPPED before it finished") != std::string::npos, out);
  auto json = read_file(report_file);
  std::filesystem::remove(report_file);
  BOOST_TEST(json.find("\"valid\":false") != std::string::npos, json);
  BOOST_TEST(json.find("\"error\":\"Table ") != std::string::npos, json);
  // What was done before it stopped is in the report.
  BOOST_TEST(json.find("\"source_table\":\"asynctournamentrace\"") !=
                 std::string::npos,
             json);
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
  // The clean run, into a second target, with one writer.
  test::scratch_database clean;
  auto o = options();
  o.target = clean.url();
  o.writers = 1;
  BOOST_TEST(import::run_sahasrahbot_import(o).valid());
  // Interrupted (after writing, before committing) in the users, the
  // tournaments (races, written by parallel writers) and the presets
  // phase, then finished.
  int interruptions = 0;
  for (std::size_t stop_at : {3u, 9u, 7u, 5u}) {
    auto broken = options();
    broken.writers = 3;
    broken.batch_size = 250;
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
  BOOST_TEST(interruptions == 4);
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
  o.writers = 1;
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
  auto report_file = temp_file("import-report");
  int status =
      cli({"import-sahasrahbot", "--source", source.url().to_string(),
           "--target", target.url().to_string(), "--phase", "users,orgs",
           "--batch-size", "100", "--report", report_file.string()},
          out, err);
  BOOST_TEST(status == 0, err);
  BOOST_TEST(out.find("users        users") != std::string::npos, out);
  BOOST_TEST(err.find("users: ") != std::string::npos); // progress lines
  auto json = read_file(report_file);
  std::filesystem::remove(report_file);
  BOOST_TEST(json.find("\"valid\":true") != std::string::npos);
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
  // Where seed 002 leaves a choice, the help says which one is made.
  BOOST_TEST(out.find("Choices seed 002 leaves open") != std::string::npos,
             out);
  BOOST_TEST(out.find("users without a Discord id: imported without one") !=
             std::string::npos);
  BOOST_TEST(out.find("preset namespace collaborators whose Discord id") !=
             std::string::npos);
  BOOST_TEST(out.find("1 a validation check failed") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// --- text as the target sees it --------------------------------------------

BOOST_AUTO_TEST_SUITE(target_text)

BOOST_AUTO_TEST_CASE(sizes_are_counted_in_characters) {
  using namespace import;
  BOOST_TEST(utf8_length("éé") == 2u);
  BOOST_TEST(utf8_prefix("éééé", 3) == "ééé");
  BOOST_TEST(utf8_prefix("aé", 1) == "a");
  BOOST_TEST(utf8_prefix_bytes("aé", 2) == "a"); // never half of é
  BOOST_TEST(utf8_prefix("😀x", 1) == "😀");
  BOOST_TEST(trim_whitespace("\r\n\t alttpr \r\n") == "alttpr");
  BOOST_TEST(trim_whitespace("\xC2\xA0smz3\xE3\x80\x80") == "smz3");
  BOOST_TEST(trim_whitespace(" \r\n ") == "");
  BOOST_TEST(trim_whitespace("a b") == "a b");
  BOOST_TEST(ascii_lower("ALTTPR-Ü") == "alttpr-Ü");
}

BOOST_AUTO_TEST_CASE(collation_keys_agree_with_the_server) {
  test::scratch_database db;
  import::collation_keys keys{db.db()};
  auto conn = db.db().connection();
  // Every pair of ASCII characters the server calls equal, and no other.
  auto equal = sql_query(
      *conn, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
             "WHERE n < 127) SELECT a.n, b.n FROM c a JOIN c b ON "
             "CONCAT('x', CHAR(a.n USING utf8mb4), 'x') COLLATE "
             "utf8mb4_unicode_ci = CONCAT('x', CHAR(b.n USING utf8mb4), "
             "'x') COLLATE utf8mb4_unicode_ci");
  std::set<std::pair<int, int>> server;
  for (const auto& r : equal)
    server.insert({std::stoi(*r[0]), std::stoi(*r[1])});
  std::set<std::pair<int, int>> ours;
  for (int a = 1; a < 128; ++a)
    for (int b = 1; b < 128; ++b)
      if (keys.key("x" + std::string(1, char(a)) + "x") ==
          keys.key("x" + std::string(1, char(b)) + "x"))
        ours.insert({a, b});
  BOOST_TEST((ours == server));
  // Mixed and non-ASCII text, trailing spaces.
  std::vector<std::pair<std::string, std::string>> pairs{{"ALTTPR", "alttpr"},
                                                         {"a", "a  "},
                                                         {"a", " a"},
                                                         {"straße", "strasse"},
                                                         {"Éé", "ee"},
                                                         {"é", "e"},
                                                         {"ns2", "NS2"},
                                                         {"smz3", "smz 3"},
                                                         {"😀", "😁"},
                                                         {"ü", "u"},
                                                         {"alttpr\t", "alttpr"},
                                                         {"Ø", "o"}};
  for (const auto& [a, b] : pairs) {
    auto same = sql_scalar(*conn, "SELECT " + persistence::sql_quote(*conn, a) +
                                      " COLLATE utf8mb4_unicode_ci = " +
                                      persistence::sql_quote(*conn, b) +
                                      " COLLATE utf8mb4_unicode_ci");
    BOOST_TEST((keys.key(a) == keys.key(b)) == (same == std::string{"1"}),
               a << " / " << b);
  }
}

BOOST_AUTO_TEST_SUITE_END()
