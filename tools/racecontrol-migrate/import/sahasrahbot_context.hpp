#pragma once

// Shared state of one SahasrahBot import: old → new ids of everything
// imported so far (loaded from the map tables when a phase resumes) and
// the lookups the rules need. Internal to the import.

#include "tools/racecontrol-migrate/import/import_engine.hpp"
#include "tools/racecontrol-migrate/import/sahasrahbot_import.hpp"
#include "tools/racecontrol-migrate/import/text_fit.hpp"

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
  context(engine& e, const import_options& options,
          odb::mysql::database& target_pool)
      : e(e), options(options), target_pool(&target_pool), keys(target_pool) {}

  engine& e;
  const import_options& options;
  /// Connections for validation queries that run beside the import's own.
  odb::mysql::database* target_pool = nullptr;
  /// Equality under the target's collation, for names its unique keys
  /// compare (used on the reading thread only).
  collation_keys keys;

  id_map users;
  std::unordered_map<std::uint64_t, std::int64_t> user_by_discord;
  /// Collation keys of the racetime ids already linked to a user.
  std::unordered_set<std::string> racetime_ids;
  std::unordered_map<std::int64_t, std::int64_t> org_by_guild;
  /// Collation keys of the organization names taken.
  std::unordered_set<std::string> org_names;
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
  /// Collation keys of the namespace names taken.
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
/// Organization members from the rows a phase imported (tournaments:
/// races, whitelists, permissions, and each organization's owner;
/// verification: verified racers), so a skipped row makes nobody a member.
void derive_members(context& c, const std::string& phase);
std::vector<copy_plan> tournament_plans(context& c);
std::vector<copy_plan> verification_plans(context& c);
std::vector<copy_plan> preset_plans(context& c);

/// Refuses (std::runtime_error naming each missing table and column) a
/// source that lacks anything the given phases read.
void check_source_schema(odb::mysql::connection& source,
                         const std::vector<std::string>& phases);
/// Throws std::logic_error if a phase's plans read a column that
/// check_source_schema does not check (a programming error).
void check_plan_reads(const std::string& phase,
                      const std::vector<copy_plan>& plans);
/// The source tables with rows that the import does not import, and why.
std::vector<not_imported_table>
not_imported_tables(odb::mysql::connection& source);

/// Foreign keys to check for orphans after a phase: table, column,
/// referenced table.
struct reference {
  const char* table;
  const char* column;
  const char* referenced;
};
std::vector<reference> phase_references(const std::string& phase);

} // namespace racecontrol::tools::import
