#include "tools/racecontrol-migrate/import/text_fit.hpp"

#include "persistence/sql.hpp"

namespace racecontrol::tools::import {

namespace {

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

/// The code point starting at `at` and its length in bytes (a malformed
/// byte counts as one character of its own).
std::pair<char32_t, std::size_t> decode(std::string_view s, std::size_t at) {
  auto b = static_cast<unsigned char>(s[at]);
  std::size_t n = b < 0x80    ? 1
                  : b >= 0xF0 ? 4
                  : b >= 0xE0 ? 3
                  : b >= 0xC0 ? 2
                              : 0;
  if (n == 0 || at + n > s.size())
    return {0xFFFD, 1};
  char32_t cp = n == 1 ? b : b & (0x7F >> n);
  for (std::size_t i = 1; i < n; ++i) {
    if (!continuation(s[at + i]))
      return {0xFFFD, 1};
    cp = (cp << 6) | (static_cast<unsigned char>(s[at + i]) & 0x3F);
  }
  return {cp, n};
}

bool is_space(char32_t c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200B;
  }
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80)
      return false;
  return true;
}

} // namespace

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size(); at += decode(text, at).second)
    ++n;
  return n;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_chars) {
  std::size_t at = 0;
  for (std::size_t n = 0; n < max_chars && at < text.size(); ++n)
    at += decode(text, at).second;
  return text.substr(0, at);
}

std::string_view utf8_prefix_bytes(std::string_view text,
                                   std::size_t max_bytes) {
  std::size_t at = 0;
  while (at < text.size()) {
    auto next = at + decode(text, at).second;
    if (next > max_bytes)
      break;
    at = next;
  }
  return text.substr(0, at);
}

std::string_view trim_whitespace(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto [cp, n] = decode(text, begin);
    if (!is_space(cp))
      break;
    begin += n;
  }
  std::size_t end = text.size();
  while (end > begin) {
    auto start = end - 1;
    while (start > begin && continuation(text[start]))
      --start;
    auto [cp, n] = decode(text, start);
    if (start + n != end || !is_space(cp))
      break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::string ascii_lower(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void collation_keys::connect() {
  if (conn_)
    return;
  conn_ = server_.connection();
  // The weight of each ASCII character, so ASCII text (nearly every key)
  // is keyed without asking the server.
  auto rows = persistence::sql_query(
      *conn_, "WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c "
              "WHERE n < 127) SELECT n, HEX(WEIGHT_STRING(CONVERT(CHAR(n USING "
              "latin1) USING utf8mb4) COLLATE utf8mb4_unicode_ci)) FROM c");
  for (const auto& r : rows)
    ascii_weights_[std::stoi(*r[0])] = r[1].value_or("");
}

std::string collation_keys::key(std::string_view text) {
  connect();
  std::string out;
  if (is_ascii(text)) {
    out.reserve(text.size() * 4);
    for (char c : text)
      out += ascii_weights_[static_cast<unsigned char>(c)];
  } else {
    std::string value{text};
    auto cached = cache_.find(value);
    if (cached != cache_.end())
      return cached->second;
    out = persistence::sql_scalar(
              *conn_, "SELECT HEX(WEIGHT_STRING(CONVERT(" +
                          persistence::sql_quote(*conn_, value) +
                          " USING utf8mb4) COLLATE utf8mb4_unicode_ci))")
              .value_or("");
    strip_padding(out);
    cache_.emplace(std::move(value), out);
    return out;
  }
  strip_padding(out);
  return out;
}

void collation_keys::strip_padding(std::string& weights) const {
  // The collation pads with spaces: trailing ones do not count.
  const auto& space = ascii_weights_[' '];
  while (!space.empty() && weights.size() >= space.size() &&
         weights.size() % 4 == 0 &&
         weights.compare(weights.size() - space.size(), space.size(), space) ==
             0)
    weights.resize(weights.size() - space.size());
}

} // namespace racecontrol::tools::import
