#pragma once

// Text as MariaDB sees it: column sizes count characters, not bytes, and
// unique keys compare under the column's collation (utf8mb4_unicode_ci for
// every racecontrol table: case- and accent-insensitive, trailing spaces
// ignored). The import uses these helpers so that a value it writes fits
// its column and two values it keeps apart are not equal to the server.

#include <odb/mysql/connection.hxx>
#include <odb/mysql/database.hxx>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace racecontrol::tools::import {

/// Characters (code points) in UTF-8 text.
std::size_t utf8_length(std::string_view text);

/// The first `max_chars` characters of `text`, never splitting one.
std::string_view utf8_prefix(std::string_view text, std::size_t max_chars);

/// The longest prefix of `text` of at most `max_bytes` bytes that does not
/// split a character.
std::string_view utf8_prefix_bytes(std::string_view text,
                                   std::size_t max_bytes);

/// `text` without leading and trailing whitespace: ASCII space, tab, CR,
/// LF, vertical tab, form feed, and the Unicode spaces U+0085, U+00A0,
/// U+1680, U+2000..U+200B, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
std::string_view trim_whitespace(std::string_view text);

/// `text` with ASCII letters lower-cased (other bytes unchanged).
std::string ascii_lower(std::string_view text);

/// Equality keys under utf8mb4_unicode_ci: two strings the server treats as
/// equal in a unique key get the same key (the collation's weights without
/// the trailing spaces it pads with). ASCII text is keyed here from the
/// weights of the 128 ASCII characters, asked once; other text by the
/// server's WEIGHT_STRING, once per distinct value, on a connection of its
/// own.
class collation_keys {
 public:
  /// `server` answers the non-ASCII cases (any database on the target
  /// server; nothing is written).
  explicit collation_keys(odb::mysql::database& server) : server_(server) {}

  std::string key(std::string_view text);

 private:
  void connect();
  void strip_padding(std::string& weights) const;

  odb::mysql::database& server_;
  odb::mysql::connection_ptr conn_;
  std::string ascii_weights_[128];
  std::unordered_map<std::string, std::string> cache_;
};

} // namespace racecontrol::tools::import
