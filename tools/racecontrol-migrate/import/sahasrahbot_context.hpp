#pragma once

// Shared state of one SahasrahBot import: old → new ids of everything
// imported so far (loaded from the map tables when a phase resumes) and
// the lookups the rules need. Internal to the import.

#include "tools/racecontrol-migrate/import/import_engine.hpp"
#include "tools/racecontrol-migrate/import/sahasrahbot_import.hpp"

#include <odb/mysql/database.hxx>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace racecontrol::tools::import {

struct context {
  context(engine& e, const import_options& options) : e(e), options(options) {}

  engine& e;
  const import_options& options;
  /// Connections for validation queries that run beside the import's own.
  odb::mysql::database* target_pool = nullptr;

  id_map users;
  std::unordered_map<std::uint64_t, std::int64_t> user_by_discord;
  std::unordered_set<std::string> racetime_ids;
  std::unordered_map<std::int64_t, std::int64_t> org_by_guild;
  std::unordered_set<std::string> org_names;
  /// Per guild id: SahasrahBot user id and rank (0 member, 1 mod, 2 admin)
  /// of everyone who took part in the guild's data, read in one pass.
  std::optional<
      std::unordered_map<std::string, std::vector<std::pair<std::string, int>>>>
      guild_people;
  id_map tournaments;
  std::unordered_map<std::int64_t, std::int64_t> org_of_tournament;
  id_map pools;
  id_map permalinks;
  id_map live_races;
  id_map races;
  id_map verifications;
  std::set<std::pair<std::int64_t, std::int64_t>> verified_pairs;
  id_map namespaces;
  std::unordered_map<std::int64_t, std::string> namespace_created;
  std::unordered_set<std::string> namespace_names;
};

// Reading source values.
std::optional<std::int64_t> as_int(const std::optional<std::string>& v);
/// A Discord snowflake: absent, or a positive number (nullopt result and
/// `ok == false` for a negative or malformed one).
std::optional<std::uint64_t> as_snowflake(const std::optional<std::string>& v,
                                          bool& ok);
/// The new id for an old id, if it was imported.
std::optional<std::int64_t> lookup(const id_map& map,
                                   const std::optional<std::string>& old_id);
value new_id_value(std::optional<std::int64_t> id);

// The plans of each phase (in order) and what each loads first.
void load_user_lookups(context& c);
copy_plan users_plan(context& c);
copy_plan guilds_plan(context& c);
/// The derived source table of the orgs phase: one row per guild.
const char* guilds_source_sql();
std::vector<copy_plan> tournament_plans(context& c);
std::vector<copy_plan> verification_plans(context& c);
std::vector<copy_plan> preset_plans(context& c);

/// Foreign keys to check for orphans after a phase: table, column,
/// referenced table.
struct reference {
  const char* table;
  const char* column;
  const char* referenced;
};
std::vector<reference> phase_references(const std::string& phase);

} // namespace racecontrol::tools::import
