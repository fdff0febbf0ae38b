#pragma once

// What an import did, for a person (text) and for tools (--report FILE,
// JSON): per table the source rows, imported rows and skipped rows (totals
// over every run, so a resumed import reports the same as a clean one), the
// skipped rows with their reasons, the rules that changed values, and the
// validation checks.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::tools::import {

struct table_report {
  std::string phase;
  std::string source_table;
  std::string target_table;
  std::uint64_t source_rows = 0;
  std::uint64_t imported = 0; ///< rows with a mapping (all runs)
  std::uint64_t skipped = 0;  ///< rows refused (all runs)
  std::uint64_t imported_this_run = 0;
  std::uint64_t skipped_this_run = 0;
  double seconds = 0;      ///< time spent copying in this run
  double read_seconds = 0; ///< of which reading the source
  /// The reading thread's time transforming and rendering, and waiting for
  /// a writer to take a batch.
  double prepare_seconds = 0;
  double reader_waited_seconds = 0;
  /// Time writers waited for the reading thread, and for the batches
  /// before theirs to commit, summed over writers.
  double writers_waited_seconds = 0;
  double turn_waited_seconds = 0;
  /// Time the writers spent writing and committing (not waiting), summed
  /// over writers (several write at once, so it can exceed `seconds`).
  double write_seconds = 0;
};

struct skipped_row {
  std::string source_table;
  std::int64_t source_id = 0;
  std::string reason;
};

struct adjustment_count {
  std::string source_table;
  std::string rule;
  std::uint64_t rows = 0;
  /// Up to three "id N: detail" of the rows (all are in migration_adjusted).
  std::vector<std::string> examples;
};

/// A source table the import leaves alone, and why.
struct not_imported_table {
  std::string source_table;
  std::uint64_t rows = 0;
  std::string reason;
};

struct validation_result {
  std::string phase;
  std::string check;
  bool ok = true;
  std::string detail;
};

struct import_report {
  bool dry_run = false;
  std::vector<std::string> phases;
  std::vector<table_report> tables;
  std::vector<skipped_row> skipped;
  std::vector<adjustment_count> adjustments;
  std::vector<validation_result> validations;
  std::vector<not_imported_table> not_imported;
  /// Where seed 002 leaves a choice, the one this import made.
  std::vector<std::string> choices;
  /// What stopped the import before it finished (empty if it finished).
  std::string error;
  double seconds = 0;
  double validation_seconds = 0; ///< of `seconds`
  /// Other named steps and their time (of `seconds`).
  std::vector<std::pair<std::string, double>> steps;
  /// How bulk rows were written: "LOAD DATA LOCAL", or "multi-row INSERT
  /// (<why LOAD DATA LOCAL was refused>)".
  std::string bulk_write = "LOAD DATA LOCAL";

  table_report& table(const std::string& source_table);
  /// Finished, and every validation check passed.
  bool valid() const;
  std::uint64_t rows_imported_this_run() const;

  /// The report for a person.
  std::string text() const;
  /// The same as a JSON document.
  std::string json() const;
};

} // namespace racecontrol::tools::import
