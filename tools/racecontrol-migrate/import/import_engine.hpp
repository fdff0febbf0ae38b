#pragma once

// The machinery of a table-by-table import: read a source table in key
// order (keyset batches inside one consistent snapshot), turn each row into
// target values or a skip reason, fit the values to the target's columns,
// and write each batch with its mapping, skip and progress rows in one
// target transaction (all of them in one transaction that is rolled back,
// for a dry run). Several writers load batches at the same time, each on a
// connection of its own, but commit strictly in batch order, so the
// progress mark (the last source id of the last committed batch) always
// has every earlier row behind it. Row ids are deterministic (id_base + old
// id), so a resumed import equals a clean one.

#include "tools/racecontrol-migrate/import/column_fit.hpp"
#include "tools/racecontrol-migrate/import/import_report.hpp"

#include <odb/mysql/connection.hxx>
#include <odb/mysql/database.hxx>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace racecontrol::tools::import {

/// A value for a target column: text as MariaDB prints it, or NULL; `quoted`
/// values become string literals, others go in as they are (numbers).
/// (40 bytes: a row of 25 stays below 1 KiB, where glibc's malloc would
/// consolidate its free small chunks on every row.)
struct value {
  std::string text; ///< empty when NULL
  bool is_null = true;
  bool quoted = true;

  static value null() { return {}; }
  static value number(std::int64_t n) {
    return {std::to_string(n), false, false};
  }
  static value raw_number(const std::optional<std::string>& text) {
    return text ? value{*text, false, false} : value{{}, true, false};
  }
  static value string(const std::optional<std::string>& text) {
    return text ? value{*text, false, true} : value{};
  }
  /// The same, taking the text over (no copy).
  static value string(std::optional<std::string>&& text) {
    return text ? value{std::move(*text), false, true} : value{};
  }
  std::optional<std::string> optional() const {
    return is_null ? std::nullopt : std::optional<std::string>{text};
  }
};

/// A row's values, moved in (a braced list would copy each one).
template <class... V>
std::vector<value> values_of(V&&... v) {
  std::vector<value> out;
  out.reserve(sizeof...(v));
  (out.push_back(std::forward<V>(v)), ...);
  return out;
}

/// A row for another table, written in the same batch (e.g. the category
/// rows of a racer verification). Its id, if any, is among `values`.
struct extra_row {
  std::string table;
  std::vector<std::string> columns;
  std::vector<value> values;
};

/// What to do with one source row.
struct row_result {
  enum class kind { import, skip, map_existing };
  kind what = kind::import;
  std::vector<value> values;    ///< in copy_plan::target_columns order
  std::vector<value> map_extra; ///< in copy_plan::map_extra_columns order
  std::string skip_reason;
  std::int64_t existing_id = 0; ///< for map_existing
  std::vector<std::pair<std::string, std::string>>
      adjustments; ///< rule, detail
  std::vector<extra_row> extras;
  /// Values (by index) the import chose from the rows before this one (a
  /// name made unique): validation cannot recompute them from the row.
  std::vector<std::size_t> not_comparable;

  static row_result skip(std::string reason) {
    row_result r;
    r.what = kind::skip;
    r.skip_reason = std::move(reason);
    return r;
  }
};

using source_row = std::vector<std::optional<std::string>>;

/// How one source table becomes one target table.
struct copy_plan {
  std::string source_table;
  /// What to read FROM when it is not the table itself (a derived table
  /// that has an `id`); empty reads `source_table`.
  std::string source_from;
  /// SELECT list; the first column must be the source's `id`.
  std::string source_columns;
  std::string target_table;
  std::vector<std::string> target_columns; ///< without `id`
  std::string map_table;
  std::vector<std::string> map_extra_columns;
  /// The map's key columns; the old key defaults to the row's id.
  std::string map_old_column = "old_id";
  std::string map_new_column = "new_id";
  std::function<std::string(const source_row&)> map_old_value;
  /// The tables of the extra rows the transform may add.
  std::vector<std::string> extra_tables;
  /// The target values of a row, or why it is skipped. With `checking`
  /// set it is called again by validation to compare fields, and must not
  /// refuse a row for having been imported already. It may take over (move
  /// out) a column's text that nothing reads after it: afterwards the
  /// engine reads only the id, and on_mapped, on_refused and map_old_value
  /// the columns they name (the race plan takes its text columns instead of
  /// copying them).
  std::function<row_result(source_row&, bool checking)> transform;
  /// Called (on the reading thread, in id order) for every row imported or
  /// mapped, with its new id.
  std::function<void(std::int64_t old_id, std::int64_t new_id,
                     const source_row&)>
      on_mapped;
  /// Called after the copy for each row on_mapped saw that the target then
  /// refused (and that was skipped instead): forget its new id.
  std::function<void(std::int64_t old_id, const source_row&)> on_refused;
};

/// The plan's FROM clause: its table, or its derived table as `src`.
std::string source_from_clause(const copy_plan& plan);

/// Old id → new id, loaded from a map table and kept current.
using id_map = std::unordered_map<std::int64_t, std::int64_t>;

struct engine_options {
  std::size_t batch_size = 5000;
  bool dry_run = false;
  /// Bulk rows go in with LOAD DATA LOCAL INFILE from memory (falls back to
  /// multi-row INSERT when the server refuses it).
  bool load_data = true;
  /// Connections writing batches at the same time (a dry run has one).
  std::size_t writers = 2;
  /// Test hook: runs after a batch is written and before it commits.
  std::function<void(std::size_t batch)> before_commit;
  /// Progress: table, rows handled so far, rows in total.
  std::function<void(const std::string&, std::uint64_t, std::uint64_t)>
      progress;
};

struct prepared_batch;
struct table_rows;

class engine {
 public:
  /// `source` must already be inside its consistent-snapshot transaction.
  /// Writers take their connections from `target_pool` (the database of
  /// `target`); a dry run writes on `target` only.
  engine(odb::mysql::connection& source, odb::mysql::connection& target,
         odb::mysql::database& target_pool, engine_options options,
         import_report& report);

  /// Copies one table (resuming where an earlier run stopped).
  void copy(const copy_plan& plan);

  /// Fits a row's values (and its extra rows) to the target's columns:
  /// text that is too long is cut (listed as an adjustment); a value no
  /// column can hold makes the row a skip with the reason.
  void fit(const copy_plan& plan, row_result& r) const;
  /// The same with the plan's target column limits at hand.
  void fit(const std::vector<const column_limits*>& limits,
           row_result& r) const;

  /// Loads a map table (old → new).
  id_map load_map(const std::string& map_table);

  /// The id offset of a source table's rows (recorded on first use).
  std::int64_t id_base(const std::string& source_table,
                       const std::string& target_table);

  /// An id offset for rows derived from a source table into another table
  /// (e.g. category rows), recorded under `name` so it stays the same
  /// across resumed runs.
  std::int64_t derived_id_base(const std::string& name,
                               const std::string& target_table);

  /// Runs `f` in a target transaction of its own (or inside the dry run's).
  void in_target_transaction(const std::function<void()>& f);

  odb::mysql::connection& source() { return source_; }
  odb::mysql::connection& target() { return target_; }
  const engine_options& options() const { return options_; }
  const target_columns& columns() const { return columns_; }

 private:
  struct progress_row {
    std::int64_t last_id = 0;
    std::int64_t id_base = 0;
  };
  progress_row load_progress(const std::string& source_table,
                             const std::string& target_table);
  /// Reader thread: each row's target values (or skip reason), and the
  /// rows of every table the batch writes, rendered for LOAD DATA unless
  /// several `writers` load a table with an AUTO_INCREMENT column.
  void prepare_batch(const copy_plan& plan,
                     const std::vector<const column_limits*>& limits,
                     std::size_t writers, prepared_batch& b,
                     std::int64_t id_base);
  /// Writer threads: one batch and its bookkeeping in one transaction on
  /// `conn`; the source ids of rows the target refused go to `refused`.
  void write_batch(odb::mysql::connection& conn, const copy_plan& plan,
                   prepared_batch& b, std::vector<std::size_t>& refused);
  /// The batch row by row, each in a savepoint, after the server refused
  /// the batch as a whole: rows it refuses again become skips.
  void write_row_by_row(odb::mysql::connection& conn, const copy_plan& plan,
                        prepared_batch& b, std::vector<std::size_t>& refused);
  /// Writes one table's rows of a batch the fastest way the server allows.
  void write_rows(odb::mysql::connection& conn, table_rows& t);

  odb::mysql::connection& source_;
  odb::mysql::connection& target_;
  odb::mysql::database& target_pool_;
  engine_options options_;
  import_report& report_;
  target_columns columns_;
  std::mutex report_mutex_;
  std::size_t batches_ = 0;
  /// Read by the reader thread, cleared by a writer when the server
  /// refuses LOAD DATA LOCAL.
  std::atomic<bool> load_data_;
};

/// Thrown by a before_commit hook in tests to stop an import mid-phase.
struct import_interrupted {};

} // namespace racecontrol::tools::import
