#pragma once

// Reading and writing racetime.gg's JSON with RapidJSON. Readers check every
// type before they read a value and name the field in every error; parsing
// is iterative (deep nesting cannot exhaust the stack) and refuses input
// larger than a limit, so malformed input never crashes and never allocates
// without bound.

#include "protocol/iso8601.hpp"
#include "protocol/json_error.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::protocol {

/// Parses `text`; throws json_error for malformed or oversized input.
rapidjson::Document parse_json(std::string_view text,
                               std::size_t limit = default_json_limit);

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or
/// code points past U+10FFFF). parse_json does not check: a request body
/// is checked before its strings reach MariaDB's utf8mb4 columns.
bool valid_utf8(std::string_view text);

/// Reads the members of one JSON object, naming `path.key` in errors. A
/// missing optional member and an explicit null both read as nullopt; a
/// member of the wrong type is always an error.
class json_object {
 public:
  /// Throws json_error unless `value` is an object.
  json_object(const rapidjson::Value& value, std::string path);

  bool has(const char* key) const;
  std::string path_of(const char* key) const;
  const std::string& path() const noexcept { return path_; }

  std::string string(const char* key) const;
  std::optional<std::string> optional_string(const char* key) const;
  std::int64_t integer(const char* key) const;
  std::optional<std::int64_t> optional_integer(const char* key) const;
  double number(const char* key) const;
  std::optional<double> optional_number(const char* key) const;
  bool boolean(const char* key) const;
  std::optional<bool> optional_boolean(const char* key) const;
  json_object object(const char* key) const;
  std::optional<json_object> optional_object(const char* key) const;
  /// The array's elements; throws unless the member is an array.
  const rapidjson::Value& array(const char* key) const;
  std::vector<std::string> string_array(const char* key) const;
  time_point time(const char* key) const;
  std::optional<time_point> optional_time(const char* key) const;
  std::chrono::microseconds duration(const char* key) const;
  std::optional<std::chrono::microseconds>
  optional_duration(const char* key) const;
  /// The member re-serialized as JSON text ("null" when missing).
  std::string raw(const char* key) const;

  const rapidjson::Value& value() const noexcept { return *value_; }

 private:
  const rapidjson::Value& member(const char* key) const;
  const rapidjson::Value* find(const char* key) const;
  [[noreturn]] void wrong_type(const char* key, const char* wanted) const;

  const rapidjson::Value* value_;
  std::string path_;
};

/// "a string", "a number", ... for messages.
const char* json_type_name(const rapidjson::Value& v);

/// The JSON text of a value.
std::string to_json(const rapidjson::Value& v);

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// The JSON text that `write` puts into a fresh writer.
template <class Write>
std::string json_text(Write&& write) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  write(w);
  return {buffer.GetString(), buffer.GetSize()};
}

/// Small helpers so serializers read like the documents they write.
void write_string(json_writer& w, const char* key, std::string_view value);
void write_optional_string(json_writer& w, const char* key,
                           const std::optional<std::string>& value);
void write_int(json_writer& w, const char* key, std::int64_t value);
void write_optional_int(json_writer& w, const char* key,
                        const std::optional<std::int64_t>& value);
void write_bool(json_writer& w, const char* key, bool value);
void write_time(json_writer& w, const char* key,
                const std::optional<time_point>& value);
void write_duration(json_writer& w, const char* key,
                    const std::optional<std::chrono::microseconds>& value);
/// Writes already-serialized JSON text as the member's value.
void write_raw(json_writer& w, const char* key, std::string_view json);

} // namespace racecontrol::protocol
