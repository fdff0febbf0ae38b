#include "protocol/server_messages.hpp"

namespace racecontrol::protocol {

namespace {

std::optional<user_summary> optional_user(const json_object& o,
                                          const char* key) {
  if (auto u = o.optional_object(key))
    return read_user_summary(*u);
  return std::nullopt;
}

dm_user read_dm_user(const json_object& o) {
  return {o.string("id"), o.string("full_name"), o.string("name"),
          o.optional_string("discriminator")};
}

void write_dm_user(json_writer& w, const char* key,
                   const std::optional<dm_user>& u) {
  w.Key(key);
  if (!u) {
    w.Null();
    return;
  }
  w.StartObject();
  write_string(w, "id", u->id);
  write_string(w, "full_name", u->full_name);
  write_string(w, "name", u->name);
  write_optional_string(w, "discriminator", u->discriminator);
  w.EndObject();
}

server_message_body read_body(const std::string& type, const json_object& o) {
  if (type == "race.data")
    return race_data_message{read_race_data(o.object("race")),
                             o.optional_integer("version")};
  if (type == "race.renders")
    return race_renders_message{o.raw("renders"),
                                o.optional_integer("version")};
  if (type == "chat.message")
    return chat_message_message{read_chat_message(o.object("message"))};
  if (type == "chat.history") {
    chat_history_message h;
    const auto& arr = o.array("messages");
    h.messages.reserve(arr.Size());
    for (rapidjson::SizeType i = 0; i < arr.Size(); ++i)
      h.messages.push_back(read_chat_message(
          json_object{arr[i], "messages[" + std::to_string(i) + "]"}));
    return h;
  }
  if (type == "chat.dm") {
    chat_dm_message dm;
    dm.message_id = o.string("message");
    if (auto from = o.optional_object("from_user"))
      dm.from_user = read_dm_user(*from);
    dm.from_bot = o.optional_string("from_bot");
    dm.to = read_dm_user(o.object("to"));
    return dm;
  }
  if (type == "chat.pin" || type == "chat.unpin")
    return chat_pin_message{read_chat_message(o.object("message")),
                            type == "chat.pin"};
  if (type == "chat.delete") {
    auto d = o.object("delete");
    return chat_delete_message{d.string("id"), optional_user(d, "user"),
                               d.optional_string("bot"),
                               d.optional_boolean("is_bot").value_or(false),
                               optional_user(d, "deleted_by")};
  }
  if (type == "chat.purge") {
    auto p = o.object("purge");
    return chat_purge_message{optional_user(p, "user"),
                              optional_user(p, "purged_by")};
  }
  if (type == "race.split") {
    auto s = o.object("split");
    return race_split_message{s.string("split_name"), s.raw("split_time"),
                              s.boolean("is_undo"), s.boolean("is_finish"),
                              s.string("user_id")};
  }
  if (type == "error")
    return error_message{o.string_array("errors")};
  if (type == "pong")
    return pong_message{};
  if (type == "authenticated")
    return authenticated_message{read_user_summary(o.object("user"))};
  return unknown_message{type};
}

struct body_writer {
  json_writer& w;

  const char* operator()(const race_data_message& m) const {
    w.Key("race");
    write_race_data(w, m.race);
    write_optional_int(w, "version", m.version);
    return "race.data";
  }
  const char* operator()(const race_renders_message& m) const {
    write_raw(w, "renders", m.renders);
    write_optional_int(w, "version", m.version);
    return "race.renders";
  }
  const char* operator()(const chat_message_message& m) const {
    w.Key("message");
    write_chat_message(w, m.message);
    return "chat.message";
  }
  const char* operator()(const chat_history_message& m) const {
    w.Key("messages");
    w.StartArray();
    for (const auto& msg : m.messages)
      write_chat_message(w, msg);
    w.EndArray();
    return "chat.history";
  }
  const char* operator()(const chat_dm_message& m) const {
    write_string(w, "message", m.message_id);
    write_dm_user(w, "from_user", m.from_user);
    write_optional_string(w, "from_bot", m.from_bot);
    write_dm_user(w, "to", m.to);
    return "chat.dm";
  }
  const char* operator()(const chat_pin_message& m) const {
    w.Key("message");
    write_chat_message(w, m.message);
    return m.pinned ? "chat.pin" : "chat.unpin";
  }
  const char* operator()(const chat_delete_message& m) const {
    w.Key("delete");
    w.StartObject();
    write_string(w, "id", m.id);
    write_optional_user(w, "user", m.user);
    write_optional_string(w, "bot", m.bot);
    write_bool(w, "is_bot", m.is_bot);
    write_optional_user(w, "deleted_by", m.deleted_by);
    w.EndObject();
    return "chat.delete";
  }
  const char* operator()(const chat_purge_message& m) const {
    w.Key("purge");
    w.StartObject();
    write_optional_user(w, "user", m.user);
    write_optional_user(w, "purged_by", m.purged_by);
    w.EndObject();
    return "chat.purge";
  }
  const char* operator()(const race_split_message& m) const {
    w.Key("split");
    w.StartObject();
    write_string(w, "split_name", m.split_name);
    write_raw(w, "split_time", m.split_time);
    write_bool(w, "is_undo", m.is_undo);
    write_bool(w, "is_finish", m.is_finish);
    write_string(w, "user_id", m.user_id);
    w.EndObject();
    return "race.split";
  }
  const char* operator()(const error_message& m) const {
    w.Key("errors");
    w.StartArray();
    for (const auto& e : m.errors)
      w.String(e.data(), static_cast<rapidjson::SizeType>(e.size()));
    w.EndArray();
    return "error";
  }
  const char* operator()(const pong_message&) const { return "pong"; }
  const char* operator()(const authenticated_message& m) const {
    w.Key("user");
    write_user_summary(w, m.user);
    return "authenticated";
  }
  const char* operator()(const unknown_message& m) const {
    return m.type.c_str();
  }
};

/// Python's isoformat(): "2026-11-22T01:44:16.149828+00:00".
std::string python_isoformat(time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                t.time_since_epoch())
                .count();
  auto text = format_iso8601_time(time_point{
      std::chrono::seconds{us >= 0 ? us / 1000000 : (us - 999999) / 1000000}});
  text.pop_back(); // 'Z'
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld",
                static_cast<long long>(((us % 1000000) + 1000000) % 1000000));
  return text + frac + "+00:00";
}

} // namespace

chat_message read_chat_message(const json_object& o) {
  chat_message m;
  m.id = o.string("id");
  m.user = optional_user(o, "user");
  m.bot = o.optional_string("bot");
  m.direct_to = optional_user(o, "direct_to");
  m.posted_at = o.time("posted_at");
  m.message = o.string("message");
  m.message_plain = o.string("message_plain");
  m.highlight = o.boolean("highlight");
  m.is_dm = o.boolean("is_dm");
  m.is_bot = o.boolean("is_bot");
  m.is_monitor = o.optional_boolean("is_monitor");
  m.is_system = o.boolean("is_system");
  m.is_pinned = o.boolean("is_pinned");
  m.delay = std::chrono::seconds{o.integer("delay")};
  // {} when there are none; a null from an older server reads the same.
  auto actions = o.optional_object("actions");
  m.actions = actions ? to_json(actions->value()) : "{}";
  return m;
}

void write_chat_message(json_writer& w, const chat_message& m) {
  w.StartObject();
  write_string(w, "id", m.id);
  write_optional_user(w, "user", m.user);
  write_optional_string(w, "bot", m.bot);
  write_optional_user(w, "direct_to", m.direct_to);
  write_string(w, "posted_at", python_isoformat(m.posted_at));
  write_string(w, "message", m.message);
  write_string(w, "message_plain", m.message_plain);
  write_bool(w, "highlight", m.highlight);
  write_bool(w, "is_dm", m.is_dm);
  write_bool(w, "is_bot", m.is_bot);
  w.Key("is_monitor");
  if (m.is_monitor)
    w.Bool(*m.is_monitor);
  else
    w.Null();
  write_bool(w, "is_system", m.is_system);
  write_bool(w, "is_pinned", m.is_pinned);
  write_int(w, "delay", m.delay.count());
  write_raw(w, "actions", m.actions);
  w.EndObject();
}

expected<server_message> parse_server_message(std::string_view json,
                                              std::size_t limit) {
  try {
    auto doc = parse_json(json, limit);
    json_object o{doc, ""};
    server_message msg;
    msg.type = o.string("type");
    msg.date = o.optional_time("date");
    msg.body = read_body(msg.type, o);
    return msg;
  } catch (const json_error& e) {
    return protocol_error{e.what()};
  }
}

std::string serialize(const server_message_body& body, time_point date) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  // The type is only known once the body is written; write it last (JSON
  // objects are unordered and racetime.gg clients look it up by key).
  const char* type = std::visit(body_writer{w}, body);
  write_string(w, "date", python_isoformat(date));
  write_string(w, "type", type);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

} // namespace racecontrol::protocol
