#include "protocol/race_data.hpp"

#include <array>
#include <utility>

namespace racecontrol::protocol {

namespace {

constexpr std::array<std::pair<std::string_view, race_status>, 7> race_names{{
    {"open", race_status::open},
    {"invitational", race_status::invitational},
    {"pending", race_status::pending},
    {"in_progress", race_status::in_progress},
    {"finished", race_status::finished},
    {"cancelled", race_status::cancelled},
    {"partitioned", race_status::partitioned},
}};

constexpr std::array<std::pair<std::string_view, entrant_status>, 10>
    entrant_names{{
        {"requested", entrant_status::requested},
        {"invited", entrant_status::invited},
        {"declined", entrant_status::declined},
        {"partitioned", entrant_status::partitioned},
        {"dnf", entrant_status::dnf},
        {"dq", entrant_status::dq},
        {"done", entrant_status::done},
        {"in_progress", entrant_status::in_progress},
        {"ready", entrant_status::ready},
        {"not_ready", entrant_status::not_ready},
    }};

status_text read_status(const json_object& o) {
  return {o.string("value"), o.string("verbose_value"), o.string("help_text")};
}

void write_status(json_writer& w, const char* key, const status_text& s) {
  w.Key(key);
  w.StartObject();
  write_string(w, "value", s.value);
  write_string(w, "verbose_value", s.verbose_value);
  write_string(w, "help_text", s.help_text);
  w.EndObject();
}

race_goal read_goal(const json_object& o) {
  return {o.string("name"), o.boolean("custom")};
}

void write_goal(json_writer& w, const race_goal& g) {
  w.Key("goal");
  w.StartObject();
  write_string(w, "name", g.name);
  write_bool(w, "custom", g.custom);
  w.EndObject();
}

std::vector<user_summary> read_users(const json_object& o, const char* key) {
  std::vector<user_summary> out;
  const auto& arr = o.array(key);
  out.reserve(arr.Size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i)
    out.push_back(read_user_summary(
        json_object{arr[i], o.path_of(key) + "[" + std::to_string(i) + "]"}));
  return out;
}

void write_users(json_writer& w, const char* key,
                 const std::vector<user_summary>& users) {
  w.Key(key);
  w.StartArray();
  for (const auto& u : users)
    write_user_summary(w, u);
  w.EndArray();
}

entrant read_entrant(const json_object& o) {
  entrant e;
  // An entrant whose account was deleted since has "user": null (racetime
  // keeps the entry: Entrant.user is SET_NULL); its summary stays empty.
  if (auto user = o.optional_object("user"))
    e.user = read_user_summary(*user);
  else if (!o.has("user"))
    o.object("user"); // missing altogether: refused, named
  e.team = o.raw("team");
  e.status_info = read_status(o.object("status"));
  e.status = parse_entrant_status(e.status_info.value);
  e.finish_time = o.optional_duration("finish_time");
  e.finished_at = o.optional_time("finished_at");
  e.place = o.optional_integer("place");
  e.place_ordinal = o.optional_string("place_ordinal");
  e.score = o.optional_integer("score");
  e.score_change = o.optional_integer("score_change");
  e.comment = o.optional_string("comment");
  e.has_comment = o.boolean("has_comment");
  e.stream_live = o.boolean("stream_live");
  e.stream_override = o.boolean("stream_override");
  e.actions = o.string_array("actions");
  return e;
}

void write_entrant(json_writer& w, const entrant& e) {
  w.StartObject();
  w.Key("user");
  if (e.user.id.empty())
    w.Null(); // a deleted account
  else
    write_user_summary(w, e.user);
  write_raw(w, "team", e.team);
  write_status(w, "status", e.status_info);
  write_duration(w, "finish_time", e.finish_time);
  write_time(w, "finished_at", e.finished_at);
  write_optional_int(w, "place", e.place);
  write_optional_string(w, "place_ordinal", e.place_ordinal);
  write_optional_int(w, "score", e.score);
  write_optional_int(w, "score_change", e.score_change);
  write_optional_string(w, "comment", e.comment);
  write_bool(w, "has_comment", e.has_comment);
  write_bool(w, "stream_live", e.stream_live);
  write_bool(w, "stream_override", e.stream_override);
  w.Key("actions");
  w.StartArray();
  for (const auto& a : e.actions)
    w.String(a.data(), static_cast<rapidjson::SizeType>(a.size()));
  w.EndArray();
  w.EndObject();
}

category_summary read_category_summary(const json_object& o) {
  return {o.string("name"), o.string("short_name"), o.string("slug"),
          o.string("url"),  o.string("data_url"),   o.optional_string("image")};
}

template <class T, class Reader>
expected<T> parse_document(std::string_view json, Reader read,
                           std::size_t limit = default_json_limit) {
  try {
    auto doc = parse_json(json, limit);
    return read(json_object{doc, ""});
  } catch (const json_error& e) {
    return protocol_error{e.what()};
  }
}

} // namespace

std::string_view to_string(race_status s) {
  for (const auto& [name, value] : race_names)
    if (value == s)
      return name;
  return "unknown";
}

std::string_view to_string(entrant_status s) {
  for (const auto& [name, value] : entrant_names)
    if (value == s)
      return name;
  return "unknown";
}

race_status parse_race_status(std::string_view s) {
  for (const auto& [name, value] : race_names)
    if (name == s)
      return value;
  return race_status::unknown;
}

entrant_status parse_entrant_status(std::string_view s) {
  for (const auto& [name, value] : entrant_names)
    if (name == s)
      return value;
  return entrant_status::unknown;
}

user_summary read_user_summary(const json_object& o) {
  user_summary u;
  u.id = o.string("id");
  u.full_name = o.string("full_name");
  u.name = o.string("name");
  u.discriminator = o.optional_string("discriminator");
  u.url = o.string("url");
  u.avatar = o.optional_string("avatar");
  u.pronouns = o.optional_string("pronouns");
  u.flair = o.optional_string("flair").value_or("");
  u.twitch_name = o.optional_string("twitch_name");
  u.twitch_display_name = o.optional_string("twitch_display_name");
  u.twitch_channel = o.optional_string("twitch_channel");
  u.can_moderate = o.optional_boolean("can_moderate").value_or(false);
  return u;
}

void write_user_summary(json_writer& w, const user_summary& u) {
  w.StartObject();
  write_string(w, "id", u.id);
  write_string(w, "full_name", u.full_name);
  write_string(w, "name", u.name);
  write_optional_string(w, "discriminator", u.discriminator);
  write_string(w, "url", u.url);
  write_optional_string(w, "avatar", u.avatar);
  write_optional_string(w, "pronouns", u.pronouns);
  write_string(w, "flair", u.flair);
  write_optional_string(w, "twitch_name", u.twitch_name);
  write_optional_string(w, "twitch_display_name", u.twitch_display_name);
  write_optional_string(w, "twitch_channel", u.twitch_channel);
  write_bool(w, "can_moderate", u.can_moderate);
  w.EndObject();
}

void write_optional_user(json_writer& w, const char* key,
                         const std::optional<user_summary>& u) {
  w.Key(key);
  if (u)
    write_user_summary(w, *u);
  else
    w.Null();
}

race_data read_race_data(const json_object& o) {
  race_data r;
  r.version = o.integer("version");
  r.name = o.string("name");
  r.slug = o.string("slug");
  r.status_info = read_status(o.object("status"));
  r.status = parse_race_status(r.status_info.value);
  r.url = o.string("url");
  r.data_url = o.string("data_url");
  r.websocket_url = o.string("websocket_url");
  r.websocket_bot_url = o.string("websocket_bot_url");
  r.websocket_oauth_url = o.string("websocket_oauth_url");
  r.category = read_category_summary(o.object("category"));
  r.goal = read_goal(o.object("goal"));
  r.info = o.optional_string("info").value_or("");
  r.info_bot = o.optional_string("info_bot").value_or("");
  r.info_user = o.optional_string("info_user").value_or("");
  r.team_race = o.boolean("team_race");
  r.entrants_count = o.integer("entrants_count");
  r.entrants_count_finished = o.integer("entrants_count_finished");
  r.entrants_count_inactive = o.integer("entrants_count_inactive");
  const auto& arr = o.array("entrants");
  r.entrants.reserve(arr.Size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i)
    r.entrants.push_back(read_entrant(json_object{
        arr[i], o.path_of("entrants") + "[" + std::to_string(i) + "]"}));
  r.opened_at = o.optional_time("opened_at");
  r.start_delay = o.duration("start_delay");
  r.started_at = o.optional_time("started_at");
  r.ended_at = o.optional_time("ended_at");
  r.cancelled_at = o.optional_time("cancelled_at");
  r.ranked = o.boolean("ranked");
  r.unlisted = o.boolean("unlisted");
  r.time_limit = o.duration("time_limit");
  r.time_limit_auto_complete = o.boolean("time_limit_auto_complete");
  r.require_even_teams = o.boolean("require_even_teams");
  r.streaming_required = o.boolean("streaming_required");
  r.auto_start = o.boolean("auto_start");
  if (auto by = o.optional_object("opened_by"))
    r.opened_by = read_user_summary(*by);
  r.opened_by_bot = o.optional_string("opened_by_bot");
  r.monitors = read_users(o, "monitors");
  r.recordable = o.boolean("recordable");
  r.recorded = o.boolean("recorded");
  if (auto by = o.optional_object("recorded_by"))
    r.recorded_by = read_user_summary(*by);
  r.disqualify_unready = o.boolean("disqualify_unready");
  r.allow_comments = o.boolean("allow_comments");
  r.hide_comments = o.boolean("hide_comments");
  r.hide_entrants = o.boolean("hide_entrants");
  r.chat_restricted = o.boolean("chat_restricted");
  r.allow_prerace_chat = o.boolean("allow_prerace_chat");
  r.allow_midrace_chat = o.boolean("allow_midrace_chat");
  r.allow_non_entrant_chat = o.boolean("allow_non_entrant_chat");
  r.chat_message_delay = o.duration("chat_message_delay");
  if (auto meta = o.optional_object("bot_meta"))
    r.bot_meta = to_json(meta->value());
  return r;
}

void write_race_data(json_writer& w, const race_data& r) {
  w.StartObject();
  write_int(w, "version", r.version);
  write_string(w, "name", r.name);
  write_string(w, "slug", r.slug);
  write_status(w, "status", r.status_info);
  write_string(w, "url", r.url);
  write_string(w, "data_url", r.data_url);
  write_string(w, "websocket_url", r.websocket_url);
  write_string(w, "websocket_bot_url", r.websocket_bot_url);
  write_string(w, "websocket_oauth_url", r.websocket_oauth_url);
  w.Key("category");
  w.StartObject();
  write_string(w, "name", r.category.name);
  write_string(w, "short_name", r.category.short_name);
  write_string(w, "slug", r.category.slug);
  write_string(w, "url", r.category.url);
  write_string(w, "data_url", r.category.data_url);
  write_optional_string(w, "image", r.category.image);
  w.EndObject();
  write_goal(w, r.goal);
  write_string(w, "info", r.info);
  write_string(w, "info_bot", r.info_bot);
  write_string(w, "info_user", r.info_user);
  write_bool(w, "team_race", r.team_race);
  write_int(w, "entrants_count", r.entrants_count);
  write_int(w, "entrants_count_finished", r.entrants_count_finished);
  write_int(w, "entrants_count_inactive", r.entrants_count_inactive);
  w.Key("entrants");
  w.StartArray();
  for (const auto& e : r.entrants)
    write_entrant(w, e);
  w.EndArray();
  write_time(w, "opened_at", r.opened_at);
  write_duration(w, "start_delay", r.start_delay);
  write_time(w, "started_at", r.started_at);
  write_time(w, "ended_at", r.ended_at);
  write_time(w, "cancelled_at", r.cancelled_at);
  write_bool(w, "ranked", r.ranked);
  write_bool(w, "unlisted", r.unlisted);
  write_duration(w, "time_limit", r.time_limit);
  write_bool(w, "time_limit_auto_complete", r.time_limit_auto_complete);
  write_bool(w, "require_even_teams", r.require_even_teams);
  write_bool(w, "streaming_required", r.streaming_required);
  write_bool(w, "auto_start", r.auto_start);
  write_optional_user(w, "opened_by", r.opened_by);
  write_optional_string(w, "opened_by_bot", r.opened_by_bot);
  write_users(w, "monitors", r.monitors);
  write_bool(w, "recordable", r.recordable);
  write_bool(w, "recorded", r.recorded);
  write_optional_user(w, "recorded_by", r.recorded_by);
  write_bool(w, "disqualify_unready", r.disqualify_unready);
  write_bool(w, "allow_comments", r.allow_comments);
  write_bool(w, "hide_comments", r.hide_comments);
  write_bool(w, "hide_entrants", r.hide_entrants);
  write_bool(w, "chat_restricted", r.chat_restricted);
  write_bool(w, "allow_prerace_chat", r.allow_prerace_chat);
  write_bool(w, "allow_midrace_chat", r.allow_midrace_chat);
  write_bool(w, "allow_non_entrant_chat", r.allow_non_entrant_chat);
  write_duration(w, "chat_message_delay", r.chat_message_delay);
  write_raw(w, "bot_meta", r.bot_meta);
  w.EndObject();
}

race_summary read_race_summary(const json_object& o) {
  race_summary r;
  r.name = o.string("name");
  r.status_info = read_status(o.object("status"));
  r.status = parse_race_status(r.status_info.value);
  r.url = o.string("url");
  r.data_url = o.string("data_url");
  r.goal = read_goal(o.object("goal"));
  r.info = o.optional_string("info").value_or("");
  r.entrants_count = o.integer("entrants_count");
  r.entrants_count_finished = o.integer("entrants_count_finished");
  r.entrants_count_inactive = o.integer("entrants_count_inactive");
  r.opened_at = o.optional_time("opened_at");
  r.started_at = o.optional_time("started_at");
  r.time_limit = o.duration("time_limit");
  r.opened_by_bot = o.optional_string("opened_by_bot");
  r.ended_at = o.optional_time("ended_at");
  r.cancelled_at = o.optional_time("cancelled_at");
  r.recordable = o.optional_boolean("recordable");
  r.recorded = o.optional_boolean("recorded");
  return r;
}

void write_race_summary(json_writer& w, const race_summary& r) {
  w.StartObject();
  write_string(w, "name", r.name);
  write_status(w, "status", r.status_info);
  write_string(w, "url", r.url);
  write_string(w, "data_url", r.data_url);
  write_goal(w, r.goal);
  write_string(w, "info", r.info);
  write_int(w, "entrants_count", r.entrants_count);
  write_int(w, "entrants_count_finished", r.entrants_count_finished);
  write_int(w, "entrants_count_inactive", r.entrants_count_inactive);
  write_time(w, "opened_at", r.opened_at);
  write_time(w, "started_at", r.started_at);
  write_duration(w, "time_limit", r.time_limit);
  write_optional_string(w, "opened_by_bot", r.opened_by_bot);
  if (r.ended_at || r.cancelled_at || r.recordable) {
    write_time(w, "ended_at", r.ended_at);
    write_time(w, "cancelled_at", r.cancelled_at);
    write_bool(w, "recordable", r.recordable.value_or(false));
    write_bool(w, "recorded", r.recorded.value_or(false));
  }
  w.EndObject();
}

expected<race_data> parse_race_data(std::string_view json) {
  return parse_document<race_data>(json, read_race_data);
}

expected<category_data> parse_category_data(std::string_view json) {
  return parse_document<category_data>(
      json,
      [](const json_object& o) {
        category_data c;
        c.name = o.string("name");
        c.short_name = o.string("short_name");
        c.slug = o.string("slug");
        c.url = o.string("url");
        c.data_url = o.string("data_url");
        c.image = o.optional_string("image");
        c.info = o.optional_string("info");
        c.streaming_required = o.boolean("streaming_required");
        c.owners = read_users(o, "owners");
        c.moderators = read_users(o, "moderators");
        c.goals = o.string_array("goals");
        const auto& races = o.array("current_races");
        for (rapidjson::SizeType i = 0; i < races.Size(); ++i)
          c.current_races.push_back(read_race_summary(json_object{
              races[i], "current_races[" + std::to_string(i) + "]"}));
        if (auto emotes = o.optional_object("emotes"))
          c.emotes = to_json(emotes->value());
        return c;
      },
      category_data_limit);
}

std::string serialize(const race_data& r) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  write_race_data(w, r);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string serialize(const category_data& c) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  write_string(w, "name", c.name);
  write_string(w, "short_name", c.short_name);
  write_string(w, "slug", c.slug);
  write_string(w, "url", c.url);
  write_string(w, "data_url", c.data_url);
  write_optional_string(w, "image", c.image);
  write_optional_string(w, "info", c.info);
  write_bool(w, "streaming_required", c.streaming_required);
  write_users(w, "owners", c.owners);
  write_users(w, "moderators", c.moderators);
  w.Key("goals");
  w.StartArray();
  for (const auto& g : c.goals)
    w.String(g.data(), static_cast<rapidjson::SizeType>(g.size()));
  w.EndArray();
  w.Key("current_races");
  w.StartArray();
  for (const auto& r : c.current_races)
    write_race_summary(w, r);
  w.EndArray();
  write_raw(w, "emotes", c.emotes);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

} // namespace racecontrol::protocol
