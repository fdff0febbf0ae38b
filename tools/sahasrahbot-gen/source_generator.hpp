#pragma once

// Fills a database with SahasrahBot's real schema (replayed from its 98
// migrations, see sahasrahbot_schema.sql) and realistic data at a chosen
// scale, including the ways live data differs from what the models promise:
// NULLs in "NOT NULL" columns, non-unique display names, 'accepted' review
// statuses, unknown status values, comma-separated category lists with
// blanks, repeats in two letter cases, CR/LF and tabs and multi-byte text,
// duplicate verified racers, role grants whose user is gone, names equal
// only under racecontrol's collation ('straße'/'strasse'), a user seen only
// in a skipped row, config rows without a unique key, test users, and
// orphans left by disabled foreign key checks.
// Values come from deterministic formulas, so a scale always gives the same
// data. Rows are made server-side from MariaDB's sequence tables (fast).

#include <odb/mysql/database.hxx>

#include <functional>
#include <string>

namespace racecontrol::tools {

struct source_scale {
  int users = 1000;
  int races = 10000;
  /// Include the drift cases (off: only well-formed rows).
  bool drift = true;
};

/// Creates the schema (dropping SahasrahBot's tables first) and the rows.
/// `progress` receives one line per step.
void generate_sahasrahbot_source(
    odb::mysql::database& db, const source_scale& scale,
    const std::function<void(const std::string&)>& progress = {});

/// SahasrahBot's schema as SQL statements.
const std::string& sahasrahbot_schema_sql();

} // namespace racecontrol::tools
