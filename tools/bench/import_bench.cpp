// import_bench: how fast `racecontrol-migrate import-sahasrahbot` moves a
// SahasrahBot database, next to the practical upper bound on the same
// server in the same run: a plain server-side INSERT ... SELECT copy of the
// same source rows.
//
//   import_bench --database URL [--users N] [--races N] [--batch-size N]
//                [--writers N]
//
// URL names any database on the server; the benchmark creates and drops
// <name>_bench_src, <name>_bench_dst and <name>_bench_copy next to it.

#include "tools/racecontrol-migrate/import/sahasrahbot_import.hpp"
#include "tools/sahasrahbot-gen/source_generator.hpp"

#include "config/command_line.hpp"
#include "persistence/database.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/secret_box.hpp"
#include "persistence/sql.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

using namespace racecontrol;
using persistence::sql_execute;
using persistence::sql_scalar;
using clock_type = std::chrono::steady_clock;

namespace {

/// Every source table the import reads.
const char* source_tables[] = {"users",
                               "asynctournament",
                               "asynctournamentpermalinkpool",
                               "asynctournamentpermalink",
                               "asynctournamentliverace",
                               "asynctournamentrace",
                               "asynctournamentpermissions",
                               "asynctournamentwhitelist",
                               "asynctournamentauditlog",
                               "asynctournamentreviewnotes",
                               "racerverification",
                               "verifiedracer",
                               "presetnamespaces",
                               "presetnamespacecollaborators",
                               "presets"};

/// The same rows copied server-side into racecontrol's tables, with the
/// import's value rules as SQL expressions and the source ids kept: what an
/// import into this schema cannot beat. {S} is the source database.
const char* schema_copy[] = {
    "INSERT INTO users (id, discord_id, display_name, twitch_name, "
    "racetime_id, "
    "racetime_access_token, is_active, is_test_user, created_at, updated_at) "
    "SELECT id, discord_user_id, display_name, twitch_name, rtgg_id, "
    "rtgg_access_token, 1, test_user, created, updated FROM {S}.users",
    "INSERT INTO organizations (id, name, description, created_at, updated_at) "
    "SELECT ROW_NUMBER() OVER (ORDER BY guild_id), CONCAT('Guild ', guild_id), "
    "'Migrated from SahasrahBot', NOW(6), NOW(6) FROM (SELECT guild_id FROM "
    "{S}.asynctournament UNION SELECT guild_id FROM {S}.racerverification "
    "UNION "
    "SELECT guild_id FROM {S}.config) g",
    "INSERT INTO async_tournament (id, organization_id, name, "
    "discord_channel_id, "
    "report_channel_id, owner_discord_id, is_active, allowed_reattempts, "
    "runs_per_pool, customization, created_at, updated_at) SELECT id, 1, name, "
    "channel_id, report_channel_id, owner_id, active, "
    "COALESCE(allowed_reattempts, 0), runs_per_pool, customization, created, "
    "updated FROM {S}.asynctournament",
    "INSERT INTO async_tournament_permalink_pool (id, tournament_id, name, "
    "preset, created_at, updated_at) SELECT id, tournament_id, name, preset, "
    "created, updated FROM {S}.asynctournamentpermalinkpool",
    "INSERT INTO async_tournament_permalink (id, pool_id, url, notes, "
    "live_race, "
    "par_time, par_updated_at, created_at, updated_at) SELECT id, pool_id, "
    "url, "
    "notes, live_race, par_time, par_updated_at, created, updated FROM "
    "{S}.asynctournamentpermalink",
    "INSERT INTO async_tournament_live_race (id, tournament_id, pool_id, "
    "permalink_id, racetime_slug, episode_id, match_title, status, created_at, "
    "updated_at) SELECT id, tournament_id, pool_id, permalink_id, "
    "racetime_slug, "
    "episode_id, match_title, IF(status IN ('scheduled', 'pending', "
    "'in_progress', 'finished', 'cancelled'), status, 'unknown'), created, "
    "updated FROM {S}.asynctournamentliverace",
    "INSERT INTO async_tournament_race (id, tournament_id, permalink_id, "
    "user_id, "
    "live_race_id, thread_id, thread_opened_at, thread_timeout_at, started_at, "
    "finished_at, status, review_status, reviewed_by_id, reviewed_at, "
    "reviewer_notes, runner_notes, vod_url, collection_rate, igt_time, "
    "reattempted, reattempt_reason, score, score_updated_at, created_at, "
    "updated_at) SELECT id, tournament_id, permalink_id, user_id, "
    "live_race_id, "
    "thread_id, thread_open_time, thread_timeout_time, start_time, end_time, "
    "IF(status IN ('pending', 'in_progress', 'finished', 'forfeit', "
    "'disqualified'), status, 'unknown'), CASE WHEN review_status = "
    "'accepted' THEN 'approved' WHEN review_status IN ('pending', "
    "'approved', 'rejected') THEN review_status ELSE 'unknown' END, "
    "reviewed_by_id, reviewed_at, reviewer_notes, runner_notes, "
    "runner_vod_url, "
    "run_collection_rate, run_igt, COALESCE(reattempted, 0), reattempt_reason, "
    "score, score_updated_at, created, updated FROM {S}.asynctournamentrace",
    "INSERT INTO async_tournament_permission (id, tournament_id, user_id, "
    "discord_role_id, role, created_at, updated_at) SELECT id, tournament_id, "
    "user_id, discord_role_id, role, created, updated FROM "
    "{S}.asynctournamentpermissions WHERE role IN ('admin', 'mod')",
    "INSERT INTO async_tournament_whitelist (id, tournament_id, user_id, "
    "discord_user_id, created_at, updated_at) SELECT id, tournament_id, "
    "user_id, "
    "discord_user_id, created, updated FROM {S}.asynctournamentwhitelist",
    "INSERT INTO audit_log (id, organization_id, user_id, action, entity_type, "
    "entity_id, details, created_at) SELECT id, 1, user_id, CONCAT("
    "'async_tournament.', action), 'async_tournament', tournament_id, "
    "JSON_OBJECT('text', details, 'source', 'sahasrahbot', "
    "'source_updated_at', "
    "updated), created FROM {S}.asynctournamentauditlog",
    "INSERT INTO race_review_notes (id, race_id, author_id, note, created_at) "
    "SELECT id, race_id, author_id, note, created FROM "
    "{S}.asynctournamentreviewnotes",
    "INSERT INTO racer_verification (id, organization_id, guild_id, role_id, "
    "message_id, channel_id, audit_channel_id, use_alttpr_ladder, "
    "minimum_races, time_period_days, reverify_period_days, revoke_ineligible, "
    "created_at, updated_at) SELECT id, 1, guild_id, role_id, message_id, "
    "channel_id, audit_channel_id, use_alttpr_ladder, minimum_races, "
    "time_period_days, reverify_period_days, revoke_ineligible, created, "
    "updated FROM {S}.racerverification",
    "INSERT IGNORE INTO verified_racer (id, racer_verification_id, user_id, "
    "race_count, created_at, last_verified_at) SELECT id, "
    "racer_verification_id, user_id, estimated_count, created, last_verified "
    "FROM {S}.verifiedracer",
    "INSERT IGNORE INTO preset_namespace (id, name, owner_discord_id, "
    "is_public, "
    "created_at, updated_at) SELECT id, COALESCE(name, CONCAT('user-', "
    "discord_user_id)), discord_user_id, 1, NOW(6), NOW(6) FROM "
    "{S}.presetnamespaces",
    "INSERT INTO preset_namespace_permission (id, namespace_id, "
    "discord_user_id, created_at) SELECT id, namespace_id, discord_user_id, "
    "NOW(6) FROM {S}.presetnamespacecollaborators",
    "INSERT INTO randomizer_preset (id, namespace_id, randomizer, name, "
    "content, generated_count, created_at, updated_at) SELECT id, "
    "namespace_id, "
    "randomizer, preset_name, content, generated_count, modified, modified "
    "FROM {S}.presets",
};

std::shared_ptr<odb::mysql::database> open(config::database_url url,
                                           const std::string& name) {
  url.database = name;
  persistence::database_options o;
  o.url = url;
  return persistence::open_database(o);
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

void recreate(odb::mysql::connection& admin, const std::string& db) {
  sql_execute(admin, "DROP DATABASE IF EXISTS `" + db + "`");
  sql_execute(admin, "CREATE DATABASE `" + db +
                         "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
}

struct bound_run {
  double seconds = 0;
  double race_seconds = 0;
};

/// INSERT ... SELECT of every source table into copies of itself.
double copy_into_source_tables(odb::mysql::connection& admin,
                               const std::string& src,
                               const std::string& copy) {
  recreate(admin, copy);
  auto start = clock_type::now();
  sql_execute(admin, "SET foreign_key_checks = 0");
  for (const char* t : source_tables) {
    sql_execute(admin, "CREATE TABLE `" + copy + "`.`" + t + "` LIKE `" + src +
                           "`.`" + t + "`");
    sql_execute(admin, "INSERT INTO `" + copy + "`.`" + t +
                           "` SELECT * FROM `" + src + "`.`" + t + "`");
  }
  sql_execute(admin, "SET foreign_key_checks = 1");
  double secs = seconds_since(start);
  // Dropped, so the buffer pool is left to what runs next.
  sql_execute(admin, "DROP DATABASE `" + copy + "`");
  return secs;
}

/// INSERT ... SELECT of the same rows into a migrated racecontrol schema.
bound_run copy_into_racecontrol_tables(odb::mysql::connection& admin,
                                       const config::database_url& server,
                                       const std::string& src,
                                       const std::string& schema) {
  recreate(admin, schema);
  bound_run out;
  {
    auto db = open(server, schema);
    auto migrations = persistence::migration_set::embedded();
    persistence::migrator{*db, migrations}.up();
    auto conn = db->connection();
    sql_execute(*conn, "SET foreign_key_checks = 0");
    auto start = clock_type::now();
    for (std::string statement : schema_copy) {
      for (auto at = statement.find("{S}"); at != std::string::npos;
           at = statement.find("{S}"))
        statement.replace(at, 3, "`" + src + "`");
      auto one = clock_type::now();
      sql_execute(*conn, statement);
      if (statement.find("INTO async_tournament_race ") != std::string::npos)
        out.race_seconds = seconds_since(one);
    }
    out.seconds = seconds_since(start);
  }
  sql_execute(admin, "DROP DATABASE `" + schema + "`");
  return out;
}

tools::import::import_report
import_into(const config::database_url& server, const std::string& src,
            const std::string& dst, std::size_t batch, std::size_t writers) {
  auto target = open(server, dst);
  auto set = persistence::migration_set::embedded();
  persistence::migrator{*target, set}.up();
  tools::import::import_options o;
  o.source = server;
  o.source.database = src;
  o.target = server;
  o.target.database = dst;
  o.phases = tools::import::all_phases();
  o.secrets = *persistence::secret_box::from_keys(
      persistence::secret_box::generate_key());
  o.batch_size = batch;
  o.writers = writers;
  o.sample_size = 25;
  return tools::import::run_sahasrahbot_import(o);
}

void print_import(const tools::import::import_report& report,
                  std::uint64_t rows) {
  std::printf("import-sahasrahbot (all phases, validation included): %.1f s, "
              "%.0f rows/s; %llu rows imported, validation %s\n",
              report.seconds, rows / report.seconds,
              static_cast<unsigned long long>(report.rows_imported_this_run()),
              report.valid() ? "passed" : "FAILED");
  double copying = 0;
  for (const auto& t : report.tables) {
    auto moved = t.imported_this_run + t.skipped_this_run;
    copying += t.seconds;
    if (t.seconds >= 0.5)
      std::printf(
          "  %-30s %8llu rows in %5.1f s, %.0f rows/s (reader: "
          "reading %.1f s, preparing %.1f s, waiting for writers "
          "%.1f s; writers: writing %.1f s, waiting for the reader %.1f s, "
          "for their turn to commit %.1f s)\n",
          t.source_table.c_str(), static_cast<unsigned long long>(moved),
          t.seconds, moved / t.seconds, t.read_seconds, t.prepare_seconds,
          t.reader_waited_seconds, t.write_seconds, t.writers_waited_seconds,
          t.turn_waited_seconds);
  }
  double steps = 0;
  for (const auto& [name, secs] : report.steps) {
    steps += secs;
    if (secs >= 0.5)
      std::printf("  %-42s %5.1f s\n", name.c_str(), secs);
  }
  std::printf("  copying %.1f s (%.0f rows/s), validation %.1f s, the steps "
              "above %.1f s, the rest (connecting, ...) %.1f s\n",
              copying, rows / copying, report.validation_seconds, steps,
              report.seconds - copying - report.validation_seconds - steps);
}

/// Generates the source, measures the bounds and the import; 0 when the
/// import's validation passed.
int run(const config::database_url& server, const tools::source_scale& scale,
        std::size_t batch, std::size_t writers) {
  std::string src = server.database + "_bench_src";
  std::string dst = server.database + "_bench_dst";
  std::string copy = server.database + "_bench_copy";
  std::string schema = server.database + "_bench_schema";
  auto admin = open(server, server.database);
  auto admin_conn = admin->connection();
  recreate(*admin_conn, src);
  recreate(*admin_conn, dst);

  auto t0 = clock_type::now();
  tools::generate_sahasrahbot_source(*open(server, src), scale);
  std::printf("generated the source (%d users, %d async races) in %.1f s\n",
              scale.users, scale.races, seconds_since(t0));
  std::uint64_t rows = 0;
  for (const char* t : source_tables)
    rows += std::stoull(sql_scalar(*admin_conn, "SELECT COUNT(*) FROM `" + src +
                                                    "`.`" + t + "`")
                            .value_or("0"));
  std::printf("source rows in the imported tables: %llu\n",
              static_cast<unsigned long long>(rows));

  // The bound runs before and after the import, and the ratio uses their
  // mean: this machine's speed drifts over a run by more than the
  // difference being measured.
  double copy_secs = copy_into_source_tables(*admin_conn, src, copy);
  std::printf("server-side INSERT ... SELECT into copies of the source tables: "
              "%.1f s, %.0f rows/s\n",
              copy_secs, rows / copy_secs);
  auto before = copy_into_racecontrol_tables(*admin_conn, server, src, schema);
  std::printf("server-side INSERT ... SELECT into racecontrol's tables (the "
              "bound), before the import: %.1f s, %.0f rows/s "
              "(async_tournament_race %.1f s)\n",
              before.seconds, rows / before.seconds, before.race_seconds);
  auto report = import_into(server, src, dst, batch, writers);
  print_import(report, rows);
  auto after = copy_into_racecontrol_tables(*admin_conn, server, src, schema);
  std::printf("server-side INSERT ... SELECT into racecontrol's tables (the "
              "bound), after the import: %.1f s, %.0f rows/s "
              "(async_tournament_race %.1f s)\n",
              after.seconds, rows / after.seconds, after.race_seconds);
  double bound_rate = rows / ((before.seconds + after.seconds) / 2);
  double import_rate = rows / report.seconds;
  double copying = 0;
  for (const auto& t : report.tables)
    copying += t.seconds;
  std::printf("bound (mean of both runs): %.0f rows/s\n", bound_rate);
  std::printf("ratio import / bound: %.2f (copying alone, without "
              "validation: %.2f)\n",
              import_rate / bound_rate, rows / copying / bound_rate);
  std::printf("ratio import / INSERT ... SELECT into source-shaped copies: "
              "%.2f\n",
              import_rate / (rows / copy_secs));
  for (const auto& db : {src, dst})
    sql_execute(*admin_conn, "DROP DATABASE IF EXISTS `" + db + "`");
  return report.valid() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // progress shows as it happens
  tools::source_scale scale;
  scale.users = 100000;
  scale.races = 1000000;
  std::size_t batch = 5000;
  std::size_t writers = 2;
  config::database_url server;
  try {
    auto cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {"help"},
        {"database", "users", "races", "batch-size", "writers"});
    if (cli.has("help") || !cli.value("database")) {
      std::cout << "usage: import_bench --database URL [--users N] [--races N] "
                   "[--batch-size N] [--writers N]\n";
      return cli.has("help") ? 0 : 2;
    }
    std::string error;
    auto url = config::parse_database_url(*cli.value("database"), error);
    if (!url)
      throw std::runtime_error(error);
    server = *url;
    scale.users = std::stoi(cli.value("users").value_or("100000"));
    scale.races = std::stoi(cli.value("races").value_or("1000000"));
    batch = std::stoul(cli.value("batch-size").value_or("5000"));
    writers = std::stoul(cli.value("writers").value_or("2"));
  } catch (const std::exception& e) {
    std::cerr << "import_bench: " << e.what() << "\n";
    return 2;
  }
  try {
    return run(server, scale, batch, writers);
  } catch (const std::exception& e) {
    std::cerr << "import_bench: " << e.what() << "\n";
    return 1;
  }
}
