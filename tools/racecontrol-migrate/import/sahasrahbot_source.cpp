// What the import reads from a SahasrahBot database: the tables and
// columns of each phase (checked before anything is written, so a source
// that is not SahasrahBot's, or is older than the schema the import knows,
// is named as such instead of failing on a query), and the tables it leaves
// alone, reported with their row counts.

#include "tools/racecontrol-migrate/import/sahasrahbot_context.hpp"

#include "persistence/sql.hpp"

#include <map>
#include <set>
#include <stdexcept>

namespace racecontrol::tools::import {

using persistence::sql_identifier;
using persistence::sql_query;
using persistence::sql_scalar;

namespace {

struct table_columns {
  const char* table;
  std::vector<const char*> columns;
};

/// Every source column each phase reads.
const std::map<std::string, std::vector<table_columns>>& reads() {
  static const std::map<std::string, std::vector<table_columns>> phases{
      {"users",
       {{"users",
         {"id", "discord_user_id", "twitch_name", "display_name", "created",
          "updated", "rtgg_id", "rtgg_access_token", "test_user"}}}},
      {"orgs",
       {{"asynctournament", {"guild_id", "created"}},
        {"racerverification", {"guild_id", "created"}},
        {"config", {"guild_id"}}}},
      {"tournaments",
       {{"asynctournament",
         {"id", "name", "guild_id", "channel_id", "report_channel_id",
          "created", "updated", "active", "owner_id", "allowed_reattempts",
          "customization", "runs_per_pool"}},
        {"asynctournamentpermalinkpool",
         {"id", "tournament_id", "name", "preset", "created", "updated"}},
        {"asynctournamentpermalink",
         {"id", "pool_id", "url", "notes", "live_race", "par_time",
          "par_updated_at", "created", "updated"}},
        {"asynctournamentliverace",
         {"id", "tournament_id", "pool_id", "permalink_id", "racetime_slug",
          "episode_id", "match_title", "status", "created", "updated"}},
        {"asynctournamentrace",
         {"id",
          "tournament_id",
          "permalink_id",
          "user_id",
          "live_race_id",
          "thread_id",
          "thread_open_time",
          "thread_timeout_time",
          "start_time",
          "end_time",
          "status",
          "review_status",
          "reviewed_by_id",
          "reviewed_at",
          "reviewer_notes",
          "runner_notes",
          "runner_vod_url",
          "run_collection_rate",
          "run_igt",
          "reattempted",
          "reattempt_reason",
          "score",
          "score_updated_at",
          "created",
          "updated"}},
        {"asynctournamentpermissions",
         {"id", "tournament_id", "user_id", "discord_role_id", "role",
          "created", "updated"}},
        {"asynctournamentwhitelist",
         {"id", "tournament_id", "user_id", "discord_user_id", "created",
          "updated"}},
        {"asynctournamentauditlog",
         {"id", "tournament_id", "user_id", "action", "details", "created",
          "updated"}},
        {"asynctournamentreviewnotes",
         {"id", "race_id", "author_id", "note", "created"}}}},
      {"verification",
       {{"racerverification",
         {"id", "guild_id", "role_id", "message_id", "channel_id",
          "audit_channel_id", "racetime_categories", "use_alttpr_ladder",
          "minimum_races", "time_period_days", "reverify_period_days",
          "revoke_ineligible", "created", "updated"}},
        {"verifiedracer",
         {"id", "racer_verification_id", "user_id", "estimated_count",
          "created", "last_verified"}}}},
      {"presets",
       {{"presetnamespaces", {"id", "name", "discord_user_id"}},
        {"presetnamespacecollaborators",
         {"id", "namespace_id", "discord_user_id"}},
        {"presets",
         {"id", "namespace_id", "randomizer", "preset_name", "content",
          "generated_count", "modified"}}}},
  };
  return phases;
}

/// Seed 002, phase 7: tables to evaluate before migrating.
const std::set<std::string>& deferred_by_seed() {
  static const std::set<std::string> tables{"audit_generated_games",
                                            "audit_messages",
                                            "daily",
                                            "patch_distribution",
                                            "spoiler_races",
                                            "triforcetexts",
                                            "voice_role"};
  return tables;
}

} // namespace

void check_source_schema(odb::mysql::connection& source,
                         const std::vector<std::string>& phases) {
  std::map<std::string, std::set<std::string>> present;
  for (const auto& r : sql_query(source, "SELECT table_name, column_name FROM "
                                         "information_schema.columns WHERE "
                                         "table_schema = DATABASE()"))
    present[*r[0]].insert(*r[1]);
  std::vector<std::string> missing;
  std::set<std::string> missing_tables, needed_tables;
  for (const auto& phase : phases) {
    auto it = reads().find(phase);
    if (it == reads().end())
      continue;
    for (const auto& t : it->second) {
      needed_tables.insert(t.table);
      auto table = present.find(t.table);
      if (table == present.end()) {
        if (missing_tables.insert(t.table).second)
          missing.push_back(std::string{"table "} + t.table +
                            " is missing (the " + phase + " phase reads it)");
        continue;
      }
      for (const char* column : t.columns)
        if (!table->second.count(column))
          missing.push_back(std::string{"table "} + t.table +
                            " has no column " + column + " (the " + phase +
                            " phase reads it)");
    }
  }
  if (missing.empty())
    return;
  if (missing_tables.size() == needed_tables.size()) {
    std::string names;
    for (const auto& t : needed_tables)
      names += (names.empty() ? "" : ", ") + t;
    throw std::runtime_error(
        "--source has none of the SahasrahBot tables these phases read (" +
        names + "): is it the SahasrahBot database?");
  }
  std::string text;
  for (const auto& m : missing)
    text += "\n  " + m;
  throw std::runtime_error(
      "--source is not the SahasrahBot schema this import knows (replayed from "
      "its 98 aerich migrations); nothing was imported:" +
      text);
}

void check_plan_reads(const std::string& phase,
                      const std::vector<copy_plan>& plans) {
  const auto& declared = reads().at(phase);
  for (const auto& plan : plans) {
    if (!plan.source_from.empty())
      continue; // a hand-written query next to its declaration
    auto table = std::find_if(declared.begin(), declared.end(),
                              [&](const table_columns& t) {
                                return plan.source_table == t.table;
                              });
    std::size_t start = 0;
    const auto& list = plan.source_columns;
    while (start < list.size()) {
      auto comma = list.find(',', start);
      auto column =
          list.substr(start, comma == std::string::npos ? std::string::npos
                                                        : comma - start);
      column.erase(0, column.find_first_not_of(' '));
      column.erase(column.find_last_not_of(' ') + 1);
      bool known = table != declared.end() &&
                   std::find(table->columns.begin(), table->columns.end(),
                             column) != table->columns.end();
      if (!known)
        throw std::logic_error("the " + phase + " phase reads " +
                               plan.source_table + "." + column +
                               ", which check_source_schema does not check");
      start = comma == std::string::npos ? list.size() : comma + 1;
    }
  }
}

std::vector<not_imported_table>
not_imported_tables(odb::mysql::connection& source) {
  std::set<std::string> read;
  for (const auto& [phase, tables] : reads())
    for (const auto& t : tables)
      read.insert(t.table);
  std::vector<not_imported_table> out;
  for (const auto& r : sql_query(source, "SELECT table_name FROM "
                                         "information_schema.tables WHERE "
                                         "table_schema = DATABASE() AND "
                                         "table_type = 'BASE TABLE' ORDER BY "
                                         "table_name")) {
    const auto& table = *r[0];
    if (read.count(table) && table != "config")
      continue;
    auto rows = std::stoull(
        sql_scalar(source, "SELECT COUNT(*) FROM " + sql_identifier(table))
            .value_or("0"));
    if (rows == 0)
      continue;
    std::string reason =
        table == "config"
            ? "guild settings: read only to find guilds (each became an "
              "organization); seed 002 defers the settings themselves to its "
              "phase 7"
        : deferred_by_seed().count(table)
            ? "deferred by seed 002 (phase 7: to evaluate before migrating)"
        : table == "aerich" ? "aerich's migration history, not data"
                            : "not part of seed 002's plan";
    out.push_back({table, rows, reason});
  }
  return out;
}

} // namespace racecontrol::tools::import
