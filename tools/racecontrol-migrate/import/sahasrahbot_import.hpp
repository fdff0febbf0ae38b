#pragma once

// `racecontrol-migrate import-sahasrahbot`: seed 002's plan, phase by phase
// (users, orgs, tournaments, verification, presets), from a SahasrahBot
// database into racecontrol's. The rules that fill or map values are in
// import_rules_text() (printed by --help and written in the README).

#include "tools/racecontrol-migrate/import/import_report.hpp"

#include "config/database_url.hpp"
#include "persistence/secret_box.hpp"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace racecontrol::tools::import {

/// Phases in the order they must run.
const std::vector<std::string>& all_phases();

struct import_options {
  config::database_url source;
  config::database_url target;
  std::vector<std::string> phases; ///< a subset of all_phases(), in order
  bool dry_run = false;
  /// Seals the RaceTime tokens users bring along (rtgg_access_token); the
  /// users phase refuses to run without a key.
  persistence::secret_box secrets;
  std::size_t batch_size = 5000;
  /// Guild id → organization name (--guild-names).
  std::map<std::uint64_t, std::string> guild_names;
  /// Bulk rows go in with LOAD DATA LOCAL INFILE streamed from memory;
  /// false (or a server with local_infile off) makes them multi-row
  /// INSERTs, which give the same rows more slowly.
  bool allow_local_infile = true;
  /// Rows per table compared field by field after each phase.
  std::size_t sample_size = 25;
  /// Connections writing batches at the same time (one in a dry run).
  std::size_t writers = 2;
  /// Test hook: runs after each batch's writes, before its commit.
  std::function<void(std::size_t batch)> before_commit;
  /// Test hook: runs after a phase's rows are copied, before it is
  /// validated.
  std::function<void(const std::string& phase)> before_validation;
  /// Where progress goes, and whether it is a terminal (bars) or not
  /// (periodic lines).
  std::ostream* progress = nullptr;
  bool progress_is_terminal = false;
};

/// Runs the import, filling `report` as it goes. Throws std::runtime_error
/// for what stops it before or between phases (a missing earlier phase, a
/// source that is not SahasrahBot's), persistence::database_error for a
/// database that fails; either way `report` keeps what was done, with the
/// reason in report.error. Row problems end up in the report instead.
void run_sahasrahbot_import(const import_options& options,
                            import_report& report);

/// The same, returning the report (throws as above).
import_report run_sahasrahbot_import(const import_options& options);

/// Reads a --guild-names file: one `guild_id,name` (or tab-separated) per
/// line, `#` comments. Throws std::runtime_error naming the bad line.
std::map<std::uint64_t, std::string> read_guild_names(const std::string& path);

/// Every rule that fills, maps or refuses a value, for --help and the
/// README.
const char* import_rules_text();

/// Where seed 002 leaves a choice, the one this import makes (in --help
/// and in every report).
const std::vector<std::string>& import_choices();

} // namespace racecontrol::tools::import
