#include "protocol/oauth_messages.hpp"

namespace racecontrol::protocol {

namespace {

template <class T, class Reader>
expected<T> parse_object(std::string_view json, Reader read) {
  try {
    auto doc = parse_json(json, 64 * 1024);
    return read(json_object{doc, ""});
  } catch (const json_error& e) {
    return protocol_error{e.what()};
  }
}

template <class Write>
std::string write_object(Write write) {
  return json_text([&](json_writer& w) {
    w.StartObject();
    write(w);
    w.EndObject();
  });
}

} // namespace

expected<token_response> parse_token_response(std::string_view json) {
  return parse_object<token_response>(json, [](const json_object& o) {
    token_response t;
    t.access_token = o.string("access_token");
    t.expires_in = o.integer("expires_in");
    t.token_type = o.string("token_type");
    t.scope = o.optional_string("scope").value_or("");
    t.refresh_token = o.optional_string("refresh_token");
    if (t.access_token.empty())
      throw json_error("access_token: empty");
    if (t.expires_in <= 0)
      throw json_error("expires_in: must be positive, got " +
                       std::to_string(t.expires_in));
    return t;
  });
}

expected<oauth_error_body> parse_oauth_error(std::string_view json) {
  return parse_object<oauth_error_body>(json, [](const json_object& o) {
    return oauth_error_body{o.string("error"),
                            o.optional_string("error_description")};
  });
}

expected<user_info> parse_user_info(std::string_view json) {
  return parse_object<user_info>(json, [](const json_object& o) {
    return user_info{read_user_summary(o), o.optional_string("active_race")};
  });
}

std::string serialize(const token_response& t) {
  return write_object([&](json_writer& w) {
    write_string(w, "access_token", t.access_token);
    write_int(w, "expires_in", t.expires_in);
    write_string(w, "token_type", t.token_type);
    write_string(w, "scope", t.scope);
    if (t.refresh_token)
      write_string(w, "refresh_token", *t.refresh_token);
  });
}

std::string serialize(const oauth_error_body& e) {
  return write_object([&](json_writer& w) {
    write_string(w, "error", e.error);
    if (e.error_description)
      write_string(w, "error_description", *e.error_description);
  });
}

std::string serialize(const user_info& u) {
  // The user summary's members, then active_race, in one object.
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  write_user_summary(w, u.user);
  std::string summary{buffer.GetString(), buffer.GetSize()};
  summary.pop_back(); // the closing brace
  rapidjson::StringBuffer tail;
  json_writer t(tail);
  t.StartObject();
  write_optional_string(t, "active_race", u.active_race);
  t.EndObject();
  std::string rest{tail.GetString() + 1, tail.GetSize() - 1};
  return summary + "," + rest;
}

} // namespace racecontrol::protocol
