#include "tools/racetime-sim/sim_consumer.hpp"

#include <rapidjson/error/en.h>

#include <set>

namespace racecontrol::sim {

namespace {

constexpr const char* bad_data_error =
    "Unable to process that message (encountered invalid or possibly "
    "corrupted data). Sorry about that.";
constexpr const char* unknown_action_error =
    "Action is missing or not recognised. Check your input and try again.";
constexpr const char* permission_denied =
    "Permission denied. Check your authorization token.";

/// race_bot_actions.actions: what a bot may do.
const std::set<std::string> bot_actions = {
    "message",           "pin_message",     "unpin_message",  "make_open",
    "make_invitational", "begin",           "cancel",         "invite",
    "accept_request",    "force_unready",   "remove_entrant", "add_monitor",
    "remove_monitor",    "override_stream", "setinfo",        "setmeta"};

/// Actions that do not read `data` (the others raise without it: 1011).
const std::set<std::string> dataless = {"make_open", "make_invitational",
                                        "begin", "cancel"};

std::string json_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  v.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

/// A form field's value from a JSON value, as Django's CharField cleans
/// what it is given (str() of numbers); nullopt for missing and null.
std::optional<std::string> text_of(const rapidjson::Value& data,
                                   const char* key) {
  auto it = data.FindMember(key);
  if (it == data.MemberEnd() || it->value.IsNull())
    return std::nullopt;
  const auto& v = it->value;
  if (v.IsString())
    return std::string{v.GetString(), v.GetStringLength()};
  if (v.IsBool())
    return std::string{v.GetBool() ? "True" : "False"};
  return json_of(v);
}

/// CheckboxInput: bool() of the value, "true"/"false" strings mapped.
bool flag_of(const rapidjson::Value& data, const char* key) {
  auto it = data.FindMember(key);
  if (it == data.MemberEnd())
    return false;
  const auto& v = it->value;
  if (v.IsBool())
    return v.GetBool();
  if (v.IsString()) {
    std::string s{v.GetString(), v.GetStringLength()};
    return !(s == "false" || s == "False" || s.empty());
  }
  if (v.IsNumber())
    return v.GetDouble() != 0;
  if (v.IsObject())
    return v.MemberCount() > 0;
  if (v.IsArray())
    return !v.Empty();
  return false;
}

} // namespace

bot_consumer::bot_consumer(world& w, std::string slug, std::string token,
                           std::string peer)
    : w_(w), slug_(std::move(slug)), token_(std::move(token)),
      peer_(std::move(peer)) {}

std::vector<std::string> bot_consumer::connect() {
  race* r = w_.find_race(slug_);
  if (r == nullptr)
    return {};
  last_ = w_.current(*r);
  return race_frames();
}

std::vector<std::string> bot_consumer::race_frames() const {
  auto version = std::to_string(last_.version);
  return {frame("race.data", w_.now(),
                payload({{"race", last_.race}, {"version", version}})),
          frame("race.renders", w_.now(),
                payload({{"renders", last_.renders}, {"version", version}}))};
}

std::vector<std::string> bot_consumer::update(const race_update& u) {
  last_ = u;
  return race_frames();
}

std::string bot_consumer::event(const std::string& type,
                                const std::string& payload) const {
  return frame(type, w_.now(), payload);
}

std::string
bot_consumer::error(const std::vector<std::string>& messages) const {
  std::string list = "[";
  for (const auto& m : messages)
    list += (list.size() > 1 ? "," : "") + json_string(m);
  return frame("error", w_.now(), payload({{"errors", list + "]"}}));
}

bot_consumer::reply bot_consumer::receive(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError())
    return {{error({bad_data_error})}};
  // message_data.get(...) on anything but an object raises: 1011.
  if (!doc.IsObject())
    return {{}, true};
  auto action = doc.FindMember("action");
  std::string name;
  if (action != doc.MemberEnd()) {
    if (action->value.IsArray() || action->value.IsObject())
      return {{}, true}; // an unhashable dict key
    if (action->value.IsString())
      name.assign(action->value.GetString(), action->value.GetStringLength());
  }
  auto data_member = doc.FindMember("data");
  const rapidjson::Value* data =
      data_member == doc.MemberEnd() || data_member->value.IsNull()
          ? nullptr
          : &data_member->value;
  if (name == "ping")
    return {{frame("pong", w_.now())}};
  if (name == "getrace")
    return {race_frames()};
  if (name == "gethistory") {
    race* r = w_.find_race(slug_);
    std::optional<std::string> last;
    if (data && data->IsObject())
      last = text_of(*data, "last_message");
    return {{frame("chat.history", w_.now(),
                   r ? w_.chat_history(*r, last) : "{\"messages\":[]}")}};
  }
  return bot_action(name, data, text);
}

bot_consumer::reply bot_consumer::bot_action(const std::string& name,
                                             const rapidjson::Value* data,
                                             std::string_view text) {
  race* r = w_.find_race(slug_);
  if (r == nullptr || bot_actions.count(name) == 0)
    return {{error({unknown_action_error})}};
  // Every action looks the token up again; scopes are not checked.
  const application* bot = w_.oauth().bot_for(token_, r->category);
  if (bot == nullptr)
    return {{error({permission_denied})}};
  if (dataless.count(name) == 0 && (data == nullptr || !data->IsObject()))
    return {{}, true}; // the action reads `data` and raises
  w_.record({w_.now(), "action", bot->client_id, r->name(), std::string{text},
             peer_});
  if (auto refused = dispatch(*r, *bot, name, data))
    return {{error(refused->messages)}};
  return {};
}

std::optional<action_error>
bot_consumer::dispatch(race& r, const application& bot, const std::string& name,
                       const rapidjson::Value* data) {
  const std::string& by = bot.name;
  if (name == "make_open")
    return w_.make_open(r, by);
  if (name == "make_invitational")
    return w_.make_invitational(r, by);
  if (name == "begin")
    return w_.begin(r, by);
  if (name == "cancel")
    return w_.cancel(r, by);
  const rapidjson::Value& d = *data;
  if (name == "message") {
    world::bot_chat m;
    auto guid = d.FindMember("guid");
    if (guid != d.MemberEnd() && guid->value.IsString())
      m.guid.assign(guid->value.GetString(), guid->value.GetStringLength());
    m.message = text_of(d, "message");
    m.direct_to = text_of(d, "direct_to");
    auto actions = d.FindMember("actions");
    if (actions != d.MemberEnd() &&
        (actions->value.IsObject() || actions->value.IsArray())) {
      m.actions = json_of(actions->value);
      m.action_count = actions->value.IsObject() ? actions->value.MemberCount()
                                                 : actions->value.Size();
    }
    m.pinned = flag_of(d, "pinned");
    return w_.bot_message(r, by, m);
  }
  if (name == "pin_message" || name == "unpin_message")
    return w_.pin(r, text_of(d, "message").value_or(""), name == "pin_message");
  if (name == "setinfo") {
    if (d.HasMember("info")) // the old form of the action
      return w_.set_info(r, by, std::nullopt, text_of(d, "info"));
    return w_.set_info(r, by, text_of(d, "info_bot"), text_of(d, "info_user"));
  }
  if (name == "setmeta")
    return w_.set_meta(r, json_of(d));
  return w_.entrant_action(r, by, name, text_of(d, "user").value_or(""));
}

} // namespace racecontrol::sim
