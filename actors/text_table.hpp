#pragma once

// Aligned text tables for the admin console (and any terminal output):
// left-aligned columns two spaces apart under a header and a rule, widths
// counted in characters so UTF-8 names keep their columns.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace racecontrol {

/// Text as one table cell: a newline or tab would break the table, so they
/// show as \n and \t, other control characters as '?'; empty shows as "-".
std::string table_cell(std::string_view text);

/// Text cut to `max` characters (UTF-8 aware), "..." marking the cut.
std::string clip(std::string_view text, std::size_t max);

class text_table {
 public:
  explicit text_table(std::vector<std::string> header);

  /// One row; cells are passed through table_cell. Short rows are padded
  /// with "-", long ones keep their extra cells in an unnamed column.
  void add(std::vector<std::string> row);

  std::size_t rows() const { return rows_.size(); }

  /// The header, a rule of dashes, then every row; each line ends with
  /// '\n' and has no trailing blanks.
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// "key  value" lines with the keys aligned (a record, not a list).
std::string
key_values(const std::vector<std::pair<std::string, std::string>>& pairs);

} // namespace racecontrol
