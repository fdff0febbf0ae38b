#include "protocol/json.hpp"

#include <rapidjson/error/en.h>

namespace racecontrol::protocol {

rapidjson::Document parse_json(std::string_view text, std::size_t limit) {
  if (text.size() > limit)
    throw json_error("document of " + std::to_string(text.size()) +
                     " bytes exceeds the limit of " + std::to_string(limit) +
                     " bytes");
  rapidjson::Document doc;
  // Not kParseFullPrecisionFlag: RapidJSON 1.1.0's full-precision path has
  // undefined behaviour (clz of zero, negative shifts) that the fuzzer hit.
  // Numbers beyond a double's 15-16 digits may lose their last digits.
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError())
    throw json_error(std::string{"malformed JSON at offset "} +
                     std::to_string(doc.GetErrorOffset()) + ": " +
                     rapidjson::GetParseError_En(doc.GetParseError()));
  return doc;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t point = 0;
    if ((c >> 5) == 0x6)
      length = 2, point = c & 0x1F;
    else if ((c >> 4) == 0xE)
      length = 3, point = c & 0x0F;
    else if ((c >> 3) == 0x1E)
      length = 4, point = c & 0x07;
    else
      return false; // a continuation byte first, or 0xF8 and above
    if (i + length > text.size())
      return false;
    for (std::size_t k = 1; k < length; ++k) {
      auto d = static_cast<unsigned char>(text[i + k]);
      if ((d >> 6) != 0x2)
        return false;
      point = (point << 6) | (d & 0x3F);
    }
    static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < smallest[length] || point > 0x10FFFF ||
        (point >= 0xD800 && point <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

const char* json_type_name(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "something else";
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  v.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

json_object::json_object(const rapidjson::Value& value, std::string path)
    : value_(&value), path_(std::move(path)) {
  if (!value.IsObject())
    throw json_error((path_.empty() ? std::string{"document"} : path_) +
                     ": expected an object, got " + json_type_name(value));
}

std::string json_object::path_of(const char* key) const {
  return path_.empty() ? std::string{key} : path_ + "." + key;
}

const rapidjson::Value* json_object::find(const char* key) const {
  auto it = value_->FindMember(key);
  return it == value_->MemberEnd() ? nullptr : &it->value;
}

bool json_object::has(const char* key) const {
  return find(key) != nullptr;
}

const rapidjson::Value& json_object::member(const char* key) const {
  if (auto* v = find(key))
    return *v;
  throw json_error(path_of(key) + ": missing");
}

void json_object::wrong_type(const char* key, const char* wanted) const {
  throw json_error(path_of(key) + ": expected " + wanted + ", got " +
                   json_type_name(member(key)));
}

std::string json_object::string(const char* key) const {
  const auto& v = member(key);
  if (!v.IsString())
    wrong_type(key, "a string");
  return {v.GetString(), v.GetStringLength()};
}

std::optional<std::string> json_object::optional_string(const char* key) const {
  auto* v = find(key);
  if (v == nullptr || v->IsNull())
    return std::nullopt;
  return string(key);
}

std::int64_t json_object::integer(const char* key) const {
  const auto& v = member(key);
  if (!v.IsInt64())
    wrong_type(key, "a whole number");
  return v.GetInt64();
}

std::optional<std::int64_t>
json_object::optional_integer(const char* key) const {
  auto* v = find(key);
  if (v == nullptr || v->IsNull())
    return std::nullopt;
  return integer(key);
}

double json_object::number(const char* key) const {
  const auto& v = member(key);
  if (!v.IsNumber())
    wrong_type(key, "a number");
  return v.GetDouble();
}

std::optional<double> json_object::optional_number(const char* key) const {
  auto* v = find(key);
  if (v == nullptr || v->IsNull())
    return std::nullopt;
  return number(key);
}

bool json_object::boolean(const char* key) const {
  const auto& v = member(key);
  if (!v.IsBool())
    wrong_type(key, "a boolean");
  return v.GetBool();
}

std::optional<bool> json_object::optional_boolean(const char* key) const {
  auto* v = find(key);
  if (v == nullptr || v->IsNull())
    return std::nullopt;
  return boolean(key);
}

json_object json_object::object(const char* key) const {
  const auto& v = member(key);
  if (!v.IsObject())
    wrong_type(key, "an object");
  return json_object{v, path_of(key)};
}

std::optional<json_object> json_object::optional_object(const char* key) const {
  auto* v = find(key);
  if (v == nullptr || v->IsNull())
    return std::nullopt;
  return object(key);
}

const rapidjson::Value& json_object::array(const char* key) const {
  const auto& v = member(key);
  if (!v.IsArray())
    wrong_type(key, "an array");
  return v;
}

std::vector<std::string> json_object::string_array(const char* key) const {
  std::vector<std::string> out;
  const auto& arr = array(key);
  out.reserve(arr.Size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
    if (!arr[i].IsString())
      throw json_error(path_of(key) + "[" + std::to_string(i) +
                       "]: expected a string, got " + json_type_name(arr[i]));
    out.emplace_back(arr[i].GetString(), arr[i].GetStringLength());
  }
  return out;
}

time_point json_object::time(const char* key) const {
  auto text = string(key);
  auto t = parse_iso8601_time(text);
  if (!t)
    throw json_error(path_of(key) + ": '" + text.substr(0, 64) +
                     "' is not an ISO-8601 date-time");
  return *t;
}

std::optional<time_point> json_object::optional_time(const char* key) const {
  auto* v = find(key);
  if (v == nullptr || v->IsNull())
    return std::nullopt;
  return time(key);
}

std::chrono::microseconds json_object::duration(const char* key) const {
  auto text = string(key);
  auto d = parse_iso8601_duration(text);
  if (!d)
    throw json_error(path_of(key) + ": '" + text.substr(0, 64) +
                     "' is not an ISO-8601 duration");
  return *d;
}

std::optional<std::chrono::microseconds>
json_object::optional_duration(const char* key) const {
  auto* v = find(key);
  if (v == nullptr || v->IsNull())
    return std::nullopt;
  return duration(key);
}

std::string json_object::raw(const char* key) const {
  auto* v = find(key);
  return v == nullptr ? "null" : to_json(*v);
}

void write_string(json_writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_optional_string(json_writer& w, const char* key,
                           const std::optional<std::string>& value) {
  if (value) {
    write_string(w, key, *value);
  } else {
    w.Key(key);
    w.Null();
  }
}

void write_int(json_writer& w, const char* key, std::int64_t value) {
  w.Key(key);
  w.Int64(value);
}

void write_optional_int(json_writer& w, const char* key,
                        const std::optional<std::int64_t>& value) {
  w.Key(key);
  if (value)
    w.Int64(*value);
  else
    w.Null();
}

void write_bool(json_writer& w, const char* key, bool value) {
  w.Key(key);
  w.Bool(value);
}

void write_time(json_writer& w, const char* key,
                const std::optional<time_point>& value) {
  if (value) {
    write_string(w, key, format_iso8601_time(*value));
  } else {
    w.Key(key);
    w.Null();
  }
}

void write_duration(json_writer& w, const char* key,
                    const std::optional<std::chrono::microseconds>& value) {
  if (value) {
    write_string(w, key, format_iso8601_duration(*value));
  } else {
    w.Key(key);
    w.Null();
  }
}

void write_raw(json_writer& w, const char* key, std::string_view json) {
  w.Key(key);
  if (json.empty())
    w.Null(); // never write an invalid document
  else
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

} // namespace racecontrol::protocol
