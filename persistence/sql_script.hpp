#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::persistence {

/// One statement of an SQL script and the line it starts on.
struct sql_statement {
  std::string text;
  std::size_t line = 1;
};

/// Splits a script at the semicolons that end statements, ignoring those in
/// string literals, quoted identifiers and comments. Comment-only pieces are
/// dropped. (No DELIMITER support: migrations hold no stored procedures.)
std::vector<sql_statement> split_sql_script(std::string_view script);

} // namespace racecontrol::persistence
