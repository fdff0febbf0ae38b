#pragma once

// Whether a value fits the target column it goes into, read from the
// target's information_schema once per import: so a value that does not fit
// is cut (text, in characters, listed as adjusted) or its row skipped with
// the reason (NULL into NOT NULL, a number out of range, a value outside an
// ENUM), instead of the server refusing the whole batch.

#include <odb/mysql/connection.hxx>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::tools::import {

struct column_limits {
  enum class kind { text, integer, enumeration, other };
  std::string where; ///< "table.column", for messages
  kind what = kind::other;
  bool nullable = true;
  /// text: the size in characters (VARCHAR/CHAR) or bytes (the TEXT types).
  std::uint64_t max_chars = 0;
  std::uint64_t max_bytes = 0;
  /// integer: the range of the type.
  bool is_unsigned = false;
  std::int64_t min = 0;
  std::uint64_t max = 0;
  /// enumeration: the allowed values, exactly as the plans must write them.
  std::vector<std::string> allowed;
};

/// Every column of every table of the target database.
class target_columns {
 public:
  /// Reads information_schema for the connection's database.
  static target_columns load(odb::mysql::connection& target);

  /// The limits of a column; nullptr if the table or column is unknown.
  const column_limits* find(const std::string& table,
                            const std::string& column) const;

  /// The limits of each of `columns` (looked up once per copy: fitting a
  /// value is then a pointer away).
  std::vector<const column_limits*>
  find_all(const std::string& table,
           const std::vector<std::string>& columns) const;

  /// Fits `text` (or NULL) into the column `limits` describes (nullptr: a
  /// column the import knows nothing about, left to the server): returns
  /// the skip reason when it cannot; cuts text that is too long (appending
  /// the adjustment to `adjustments`).
  static std::optional<std::string>
  fit(const column_limits* limits, bool is_null, std::string& text,
      std::vector<std::pair<std::string, std::string>>& adjustments);

  /// The same for `table`.`column`.
  std::optional<std::string>
  fit(const std::string& table, const std::string& column, bool is_null,
      std::string& text,
      std::vector<std::pair<std::string, std::string>>& adjustments) const {
    return fit(find(table, column), is_null, text, adjustments);
  }

  /// Whether `table` has a unique key besides its primary key (rows of two
  /// open transactions could then wait on each other's values).
  bool has_secondary_unique_key(const std::string& table) const;

  /// Whether `table` has an AUTO_INCREMENT column (bulk loads into it take
  /// a table lock for the statement).
  bool has_auto_increment(const std::string& table) const;

 private:
  std::map<std::pair<std::string, std::string>, column_limits> columns_;
  std::set<std::string> secondary_unique_;
  std::set<std::string> auto_increment_;
};

} // namespace racecontrol::tools::import
