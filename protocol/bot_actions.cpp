#include "protocol/bot_actions.hpp"

#include "protocol/json.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <random>

namespace racecontrol::protocol {

namespace {

constexpr std::array<std::pair<std::string_view, user_action::kind>, 7>
    user_actions{{
        {"invite", user_action::kind::invite},
        {"accept_request", user_action::kind::accept_request},
        {"force_unready", user_action::kind::force_unready},
        {"remove_entrant", user_action::kind::remove_entrant},
        {"add_monitor", user_action::kind::add_monitor},
        {"remove_monitor", user_action::kind::remove_monitor},
        {"override_stream", user_action::kind::override_stream},
    }};

constexpr std::array<std::pair<std::string_view, simple_action::kind>, 6>
    simple_actions{{
        {"make_open", simple_action::kind::make_open},
        {"make_invitational", simple_action::kind::make_invitational},
        {"begin", simple_action::kind::begin},
        {"cancel", simple_action::kind::cancel},
        {"ping", simple_action::kind::ping},
        {"getrace", simple_action::kind::getrace},
    }};

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct name_of {
  std::string_view operator()(const message_action&) const { return "message"; }
  std::string_view operator()(const pin_action& a) const {
    return a.pin ? "pin_message" : "unpin_message";
  }
  std::string_view operator()(const setinfo_action&) const { return "setinfo"; }
  std::string_view operator()(const setmeta_action&) const { return "setmeta"; }
  std::string_view operator()(const user_action& a) const {
    for (const auto& [name, kind] : user_actions)
      if (kind == a.what)
        return name;
    return "invite";
  }
  std::string_view operator()(const simple_action& a) const {
    for (const auto& [name, kind] : simple_actions)
      if (kind == a.what)
        return name;
    return "ping";
  }
  std::string_view operator()(const gethistory_action&) const {
    return "gethistory";
  }
};

struct data_writer {
  json_writer& w;

  void operator()(const message_action& a) const {
    write_string(w, "message", a.message);
    write_string(w, "guid", lower(a.guid));
    if (a.direct_to)
      write_string(w, "direct_to", *a.direct_to);
    if (a.actions != "null")
      write_raw(w, "actions", a.actions);
    if (a.pinned)
      write_bool(w, "pinned", *a.pinned);
  }
  void operator()(const pin_action& a) const {
    write_string(w, "message", a.message_id);
  }
  void operator()(const setinfo_action& a) const {
    if ((a.info_bot && a.info_bot->empty()) ||
        (a.info_user && a.info_user->empty()))
      throw json_error(
          "setinfo: racetime.gg ignores an empty info_bot or info_user, so "
          "setinfo cannot clear it; clear info_user with an edit (any time) "
          "and info_bot with an edit before the race starts");
    if (a.info_bot)
      write_string(w, "info_bot", *a.info_bot);
    if (a.info_user)
      write_string(w, "info_user", *a.info_user);
  }
  void operator()(const setmeta_action& a) const {
    // The object's members become the data object's members.
    auto doc = parse_json(a.meta);
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      w.Key(it->name.GetString(), it->name.GetStringLength());
      it->value.Accept(w);
    }
  }
  void operator()(const user_action& a) const {
    write_string(w, "user", a.user);
  }
  void operator()(const simple_action&) const {}
  void operator()(const gethistory_action& a) const {
    if (a.last_message)
      write_string(w, "last_message", *a.last_message);
  }
};

bot_action read_action(const std::string& name, const json_object& data) {
  if (name == "message") {
    message_action m;
    m.message = data.string("message");
    m.guid = data.string("guid");
    m.direct_to = data.optional_string("direct_to");
    if (auto actions = data.optional_object("actions"))
      m.actions = to_json(actions->value());
    m.pinned = data.optional_boolean("pinned");
    return m;
  }
  if (name == "pin_message" || name == "unpin_message")
    return pin_action{data.string("message"), name == "pin_message"};
  if (name == "setinfo")
    return setinfo_action{data.optional_string("info_bot"),
                          data.optional_string("info_user")};
  if (name == "setmeta")
    return setmeta_action{to_json(data.value())};
  if (name == "gethistory")
    return gethistory_action{data.optional_string("last_message")};
  for (const auto& [n, kind] : user_actions)
    if (n == name)
      return user_action{kind, data.string("user")};
  for (const auto& [n, kind] : simple_actions)
    if (n == name)
      return simple_action{kind};
  throw json_error("action: '" + name.substr(0, 64) + "' is not an action");
}

} // namespace

std::string_view action_name(const bot_action& a) {
  return std::visit(name_of{}, a);
}

std::string serialize(const bot_action& a) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  write_string(w, "action", action_name(a));
  w.Key("data");
  w.StartObject();
  std::visit(data_writer{w}, a);
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

expected<bot_action> parse_bot_action(std::string_view json) {
  try {
    auto doc = parse_json(json, 64 * 1024);
    json_object o{doc, ""};
    auto name = o.string("action");
    return read_action(name, o.object("data"));
  } catch (const json_error& e) {
    return protocol_error{e.what()};
  }
}

std::string make_guid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> dist;
  std::uint64_t hi = dist(rng);
  std::uint64_t lo = dist(rng);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; // variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool valid_guid(std::string_view guid) {
  if (guid.empty())
    return false;
  for (char c : guid)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return false;
  return true;
}

} // namespace racecontrol::protocol
