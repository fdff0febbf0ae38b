#include "tools/racecontrol-migrate/import/column_fit.hpp"

#include "tools/racecontrol-migrate/import/text_fit.hpp"

#include "persistence/sql.hpp"

#include <charconv>

namespace racecontrol::tools::import {

namespace {

/// The values of "enum('a','it''s')".
std::vector<std::string> enum_values(const std::string& column_type) {
  std::vector<std::string> out;
  std::string current;
  bool inside = false;
  for (std::size_t i = column_type.find('('); i < column_type.size(); ++i) {
    char c = column_type[i];
    if (!inside) {
      if (c == '\'') {
        inside = true;
        current.clear();
      }
    } else if (c == '\'' && i + 1 < column_type.size() &&
               column_type[i + 1] == '\'') {
      current += '\'';
      ++i;
    } else if (c == '\'') {
      inside = false;
      out.push_back(current);
    } else {
      current += c;
    }
  }
  return out;
}

void set_integer_range(column_limits& l, const std::string& type) {
  int bits = type == "tinyint"     ? 8
             : type == "smallint"  ? 16
             : type == "mediumint" ? 24
             : type == "int"       ? 32
                                   : 64;
  l.what = column_limits::kind::integer;
  if (l.is_unsigned) {
    l.min = 0;
    l.max = bits == 64 ? UINT64_MAX : (std::uint64_t{1} << bits) - 1;
  } else {
    l.min = bits == 64 ? INT64_MIN : -(std::int64_t{1} << (bits - 1));
    l.max = bits == 64 ? static_cast<std::uint64_t>(INT64_MAX)
                       : (std::uint64_t{1} << (bits - 1)) - 1;
  }
}

/// Whether decimal `text` lies in the column's range.
bool in_range(const column_limits& l, const std::string& text) {
  const char* end = text.data() + text.size();
  if (!text.empty() && text[0] == '-') {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), end, n);
    return ec == std::errc{} && p == end && n >= l.min;
  }
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), end, n);
  return ec == std::errc{} && p == end && n <= l.max;
}

} // namespace

target_columns target_columns::load(odb::mysql::connection& target) {
  target_columns out;
  for (const auto& r : persistence::sql_query(
           target,
           "SELECT table_name, column_name, is_nullable, data_type, "
           "character_maximum_length, character_octet_length, column_type, "
           "extra FROM information_schema.columns WHERE table_schema = "
           "DATABASE()")) {
    if (r[7] && r[7]->find("auto_increment") != std::string::npos)
      out.auto_increment_.insert(*r[0]);
    column_limits l;
    l.where = *r[0] + "." + *r[1];
    l.nullable = r[2].value_or("YES") == "YES";
    auto type = r[3].value_or("");
    auto column_type = r[6].value_or("");
    l.is_unsigned = column_type.find("unsigned") != std::string::npos;
    if (type == "varchar" || type == "char") {
      l.what = column_limits::kind::text;
      l.max_chars = std::stoull(r[4].value_or("0"));
    } else if (type.size() >= 4 &&
               type.compare(type.size() - 4, 4, "text") == 0) {
      l.what = column_limits::kind::text;
      l.max_bytes = std::stoull(r[5].value_or("0"));
    } else if (type == "enum") {
      l.what = column_limits::kind::enumeration;
      l.allowed = enum_values(column_type);
    } else if (type == "tinyint" || type == "smallint" || type == "mediumint" ||
               type == "int" || type == "bigint") {
      set_integer_range(l, type);
    }
    out.columns_[{*r[0], *r[1]}] = std::move(l);
  }
  for (const auto& r : persistence::sql_query(
           target, "SELECT DISTINCT table_name FROM information_schema."
                   "statistics WHERE table_schema = DATABASE() AND "
                   "non_unique = 0 AND index_name <> 'PRIMARY'"))
    out.secondary_unique_.insert(*r[0]);
  return out;
}

bool target_columns::has_secondary_unique_key(const std::string& table) const {
  return secondary_unique_.count(table) != 0;
}

bool target_columns::has_auto_increment(const std::string& table) const {
  return auto_increment_.count(table) != 0;
}

const column_limits* target_columns::find(const std::string& table,
                                          const std::string& column) const {
  auto it = columns_.find({table, column});
  return it == columns_.end() ? nullptr : &it->second;
}

std::vector<const column_limits*>
target_columns::find_all(const std::string& table,
                         const std::vector<std::string>& columns) const {
  std::vector<const column_limits*> out;
  out.reserve(columns.size());
  for (const auto& c : columns)
    out.push_back(find(table, c));
  return out;
}

std::optional<std::string> target_columns::fit(
    const column_limits* l, bool is_null, std::string& text,
    std::vector<std::pair<std::string, std::string>>& adjustments) {
  if (l == nullptr)
    return std::nullopt; // the server will say, if it minds
  const auto& where = l->where;
  if (is_null) {
    if (l->nullable)
      return std::nullopt;
    return where + " needs a value and the source has none";
  }
  switch (l->what) {
    case column_limits::kind::text: {
      if (l->max_chars > 0 && text.size() > l->max_chars) {
        auto chars = utf8_length(text);
        if (chars > l->max_chars) {
          text = std::string{utf8_prefix(text, l->max_chars)};
          adjustments.emplace_back(
              where + " cut to " + std::to_string(l->max_chars) + " characters",
              "was " + std::to_string(chars) + " characters");
        }
      } else if (l->max_bytes > 0 && text.size() > l->max_bytes) {
        auto bytes = text.size();
        text = std::string{utf8_prefix_bytes(text, l->max_bytes)};
        adjustments.emplace_back(where + " cut to " +
                                     std::to_string(l->max_bytes) + " bytes",
                                 "was " + std::to_string(bytes) + " bytes");
      }
      return std::nullopt;
    }
    case column_limits::kind::integer:
      if (in_range(*l, text))
        return std::nullopt;
      return where + " cannot hold '" + std::string{utf8_prefix(text, 40)} +
             "'";
    case column_limits::kind::enumeration:
      for (const auto& a : l->allowed)
        if (a == text)
          return std::nullopt;
      return where + " has no value '" + std::string{utf8_prefix(text, 40)} +
             "'";
    case column_limits::kind::other:
      return std::nullopt;
  }
  return std::nullopt;
}

} // namespace racecontrol::tools::import
