#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::config {

/// A configuration mistake, with a message that names where it is
/// ("racecontrol.ini:12: ...") and what would be accepted.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One `key = value` line of an INI file.
struct ini_entry {
  std::string section; ///< "database", "bot.alttpr"; empty before any section
  std::string key;
  std::string value;
  std::size_t line = 0;
};

/// An INI file: `[section]` headers, `key = value` lines, `;` or `#`
/// comments on their own line, values optionally in double quotes (then `;`
/// and `#` are literal and `\"`, `\\` are escapes).
struct ini_document {
  std::string source; ///< file name, for messages
  std::vector<ini_entry> entries;

  /// Throws config_error naming the line of the first malformed one.
  static ini_document parse(std::string_view text, std::string source);

  /// Reads and parses a file; throws config_error when it cannot be read.
  static ini_document load(const std::string& path);
};

} // namespace racecontrol::config
