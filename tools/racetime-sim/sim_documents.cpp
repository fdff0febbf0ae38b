#include "tools/racetime-sim/sim_documents.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace racecontrol::sim {

namespace {

using std::chrono::duration_cast;

/// Replaces bytes that are not UTF-8 with U+FFFD (as Django decodes a
/// request), so the ASCII-escaping writer never meets invalid input.
std::string valid_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    bool ok = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and values past U+10FFFF.
      unsigned cp = c & (0xFF >> (len + 1));
      for (std::size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
      static constexpr unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= min[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(in, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

void str(json_writer& w, std::string_view text) {
  auto clean = valid_utf8(text);
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void put(json_writer& w, const char* key, std::string_view value) {
  w.Key(key);
  str(w, value);
}

void put_optional(json_writer& w, const char* key,
                  const std::optional<std::string>& value) {
  w.Key(key);
  if (value)
    str(w, *value);
  else
    w.Null();
}

void put(json_writer& w, const char* key, const char* value) {
  put(w, key, std::string_view{value});
}

void put(json_writer& w, const char* key, bool value) {
  w.Key(key);
  w.Bool(value);
}

void put_int(json_writer& w, const char* key,
             const std::optional<std::int64_t>& value) {
  w.Key(key);
  if (value)
    w.Int64(*value);
  else
    w.Null();
}

void put_null(json_writer& w, const char* key) {
  w.Key(key);
  w.Null();
}

void put_time(json_writer& w, const char* key,
              const std::optional<time_point>& t) {
  w.Key(key);
  if (t)
    str(w, django_datetime(*t));
  else
    w.Null();
}

void put_duration(json_writer& w, const char* key,
                  const std::optional<microseconds>& d) {
  w.Key(key);
  if (d)
    str(w, django_duration(*d));
  else
    w.Null();
}

void put_raw(json_writer& w, const char* key, const std::string& json) {
  w.Key(key);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void put_status(json_writer& w, const status_text& s) {
  w.Key("status");
  w.StartObject();
  put(w, "value", s.value);
  put(w, "verbose_value", s.verbose_value);
  put(w, "help_text", s.help_text);
  w.EndObject();
}

void put_goal(json_writer& w, const race_settings& s) {
  w.Key("goal");
  w.StartObject();
  put(w, "name", s.goal);
  put(w, "custom", s.custom_goal);
  w.EndObject();
}

/// RapidJSON writes \u escapes with upper-case hex digits; Python's
/// json.dumps with lower-case ones.
std::string lower_hex_escapes(std::string text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '\\')
      continue;
    if (text[i + 1] == 'u')
      for (std::size_t k = i + 2; k < i + 6 && k < text.size(); ++k)
        text[k] = static_cast<char>(
            std::tolower(static_cast<unsigned char>(text[k])));
    ++i; // skip the escaped character
  }
  return text;
}

template <class Write>
std::string text_of(Write&& write) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  write(w);
  return lower_hex_escapes({buffer.GetString(), buffer.GetSize()});
}

/// Seconds since the epoch split into a UTC calendar time and microseconds.
std::pair<std::tm, long long> split_time(time_point t) {
  auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  long long secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  long long frac = us - secs * 1000000;
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return {tm, frac};
}

std::string calendar(const std::tm& tm) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

/// Race.info: info_user and info_bot on two lines, stripped.
std::string race_info(const race_settings& s) {
  std::string text = s.info_user + "\n" + s.info_bot;
  auto first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string::npos)
    return "";
  auto last = text.find_last_not_of(" \t\r\n\f\v");
  return text.substr(first, last - first + 1);
}

void write_user_members(json_writer& w, const user& u, bool can_moderate) {
  put(w, "id", u.id);
  put(w, "full_name", u.display_name());
  put(w, "name", u.name);
  put_optional(w, "discriminator",
               u.discriminator.empty() || u.discriminator == "0000"
                   ? std::nullopt
                   : std::optional<std::string>{u.discriminator});
  auto slug = slugify(u.name);
  put(w, "url",
      "/user/" + u.id + (slug.empty() || slug == "data" ? "" : "/" + slug));
  put_null(w, "avatar");
  put_null(w, "pronouns");
  put(w, "flair", can_moderate ? "moderator" : "");
  put_optional(w, "twitch_name", u.twitch_name);
  put_optional(w, "twitch_display_name", u.twitch_name);
  put_optional(w, "twitch_channel",
               u.twitch_name
                   ? std::optional<std::string>{"https://www.twitch.tv/" +
                                                *u.twitch_name}
                   : std::nullopt);
  put(w, "can_moderate", can_moderate);
}

void write_user_or_null(json_writer& w, const char* key,
                        const std::optional<std::string>& user_id,
                        const user_table& users) {
  w.Key(key);
  auto u = user_id ? users.find(*user_id) : users.end();
  if (u == users.end())
    w.Null();
  else
    write_user_summary(w, u->second);
}

void write_entrant(json_writer& w, const entrant& e, const race& r,
                   const user_table& users, time_point now) {
  w.StartObject();
  write_user_or_null(w, "user", e.user_id, users);
  put_null(w, "team"); // the sim has no teams
  put_status(w, describe(e, r));
  put_duration(w, "finish_time", e.finish_time);
  std::optional<time_point> finished_at;
  if (e.finish_time && r.started_at)
    finished_at = *r.started_at + *e.finish_time;
  put_time(w, "finished_at", finished_at);
  put_int(w, "place", e.place);
  std::optional<std::string> place_ordinal;
  if (e.place)
    place_ordinal = ordinal(*e.place);
  put_optional(w, "place_ordinal", place_ordinal);
  put_int(w, "score", std::nullopt);
  put_int(w, "score_change", std::nullopt);
  bool comments_visible = is_done(r.state) || !r.settings.hide_comments;
  put_optional(w, "comment", comments_visible ? e.comment : std::nullopt);
  put(w, "has_comment", e.comment.has_value());
  put(w, "stream_live", e.stream_live);
  put(w, "stream_override", e.stream_override);
  w.Key("actions");
  w.StartArray();
  for (const auto& a : entrant_actions(e, r, now))
    str(w, a);
  w.EndArray();
  w.EndObject();
}

void write_race_summary(json_writer& w, const race& r) {
  w.StartObject();
  put(w, "name", r.name());
  put_status(w, describe(r.state));
  put(w, "url", "/" + r.name());
  put(w, "data_url", "/" + r.name() + "/data");
  put_goal(w, r.settings);
  put(w, "info", race_info(r.settings));
  put_int(w, "entrants_count", entrants_count(r));
  put_int(w, "entrants_count_finished", entrants_count_finished(r));
  put_int(w, "entrants_count_inactive", entrants_count_inactive(r));
  put_time(w, "opened_at", r.opened_at);
  put_time(w, "started_at", r.started_at);
  put_duration(w, "time_limit", std::chrono::hours{r.settings.time_limit});
  put(w, "opened_by_bot", r.opened_by_bot);
  if (is_done(r.state)) {
    put_time(w, "ended_at", r.ended_at);
    put_time(w, "cancelled_at", r.cancelled_at);
    put(w, "recordable", r.settings.recordable);
    put(w, "recorded", r.recorded);
  }
  w.EndObject();
}

} // namespace

// --- time formats ------------------------------------------------------

std::string django_datetime(time_point t) {
  auto [tm, us] = split_time(t);
  auto text = calendar(tm);
  if (us != 0) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%03lld", us / 1000);
    text += frac;
  }
  return text + "Z";
}

std::string python_isoformat(time_point t) {
  auto [tm, us] = split_time(t);
  auto text = calendar(tm);
  if (us != 0) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%06lld", us);
    text += frac;
  }
  return text + "+00:00";
}

std::string django_duration(microseconds d) {
  std::string sign;
  if (d.count() < 0) {
    sign = "-";
    d = -d;
  }
  long long us = d.count();
  long long days = us / (86400LL * 1000000);
  long long rest = us % (86400LL * 1000000);
  long long seconds = rest / 1000000;
  long long micro = rest % 1000000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%sP%lldDT%02lldH%02lldM%02lld", sign.c_str(),
                days, seconds / 3600, seconds / 60 % 60, seconds % 60);
  std::string out = buf;
  if (micro != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", micro);
    out += buf;
  }
  return out + "S";
}

// --- documents -------------------------------------------------------------

void write_user_summary(json_writer& w, const user& u, bool can_moderate) {
  w.StartObject();
  write_user_members(w, u, can_moderate);
  w.EndObject();
}

std::string user_summary_json(const user& u) {
  return text_of([&](json_writer& w) {
    write_user_summary(w, u);
  });
}

std::string race_json(const race& r, const category& c, const user_table& users,
                      time_point now) {
  const race_settings& s = r.settings;
  return text_of([&](json_writer& w) {
    w.StartObject();
    put_int(w, "version", r.version);
    put(w, "name", r.name());
    put(w, "slug", r.slug);
    put_status(w, describe(r.state));
    put(w, "url", "/" + r.name());
    put(w, "data_url", "/" + r.name() + "/data");
    put(w, "websocket_url", "/ws/race/" + r.slug);
    put(w, "websocket_bot_url", "/ws/o/bot/" + r.slug);
    put(w, "websocket_oauth_url", "/ws/o/race/" + r.slug);
    w.Key("category");
    w.StartObject();
    put(w, "name", c.name);
    put(w, "short_name", c.short_name);
    put(w, "slug", c.slug);
    put(w, "url", "/" + c.slug);
    put(w, "data_url", "/" + c.slug + "/data");
    put_null(w, "image");
    w.EndObject();
    put_goal(w, s);
    put(w, "info", race_info(s));
    put(w, "info_bot", s.info_bot);
    put(w, "info_user", s.info_user);
    put(w, "team_race", s.team_race);
    put_int(w, "entrants_count", entrants_count(r));
    put_int(w, "entrants_count_finished", entrants_count_finished(r));
    put_int(w, "entrants_count_inactive", entrants_count_inactive(r));
    w.Key("entrants");
    w.StartArray();
    for (const entrant* e : ordered_entrants(r, users))
      write_entrant(w, *e, r, users, now);
    w.EndArray();
    put_time(w, "opened_at", r.opened_at);
    put_duration(w, "start_delay", std::chrono::seconds{s.start_delay});
    put_time(w, "started_at", r.started_at);
    put_time(w, "ended_at", r.ended_at);
    put_time(w, "cancelled_at", r.cancelled_at);
    put(w, "ranked", s.ranked);
    put(w, "unlisted", s.unlisted);
    put_duration(w, "time_limit", std::chrono::hours{s.time_limit});
    put(w, "time_limit_auto_complete", s.time_limit_auto_complete);
    put(w, "require_even_teams", s.require_even_teams);
    put(w, "streaming_required", s.streaming_required);
    put(w, "auto_start", s.auto_start);
    put_null(w, "opened_by"); // bots open the sim's races
    put(w, "opened_by_bot", r.opened_by_bot);
    w.Key("monitors");
    w.StartArray();
    for (const auto& id : r.monitors) {
      auto u = users.find(id);
      if (u != users.end())
        write_user_summary(w, u->second);
    }
    w.EndArray();
    put(w, "recordable", s.recordable);
    put(w, "recorded", r.recorded);
    put_null(w, "recorded_by");
    put(w, "disqualify_unready", false);
    put(w, "allow_comments", s.allow_comments);
    put(w, "hide_comments", s.hide_comments);
    put(w, "hide_entrants", s.hide_entrants);
    bool chat_restricted =
        (s.hide_entrants && !is_done(r.state)) ||
        (!s.allow_prerace_chat && is_preparing(r.state)) ||
        (!s.allow_midrace_chat && (r.state == race_state::pending ||
                                   r.state == race_state::in_progress));
    put(w, "chat_restricted", chat_restricted);
    put(w, "allow_prerace_chat", s.allow_prerace_chat);
    put(w, "allow_midrace_chat", s.allow_midrace_chat);
    put(w, "allow_non_entrant_chat", s.allow_non_entrant_chat);
    put_duration(w, "chat_message_delay",
                 std::chrono::seconds{s.chat_message_delay});
    put_raw(w, "bot_meta", r.bot_meta);
    w.EndObject();
  });
}

std::string renders_json(const race& r, const user_table& users) {
  // Stand-ins for racetime.gg's templates: the same four fragments.
  std::string entrants = "<ol class=\"entrants\">";
  for (const entrant* e : ordered_entrants(r, users)) {
    auto u = users.find(e->user_id);
    entrants +=
        "<li>" +
        (u == users.end() ? std::string{"?"} : u->second.display_name()) + " " +
        describe(*e, r).verbose_value + "</li>";
  }
  entrants += "</ol>";
  return text_of([&](json_writer& w) {
    w.StartObject();
    put(w, "entrants", entrants);
    put(w, "intro", "<div class=\"race-intro\">" + r.settings.goal + "</div>");
    put(w, "status",
        std::string{"<div class=\"race-status\">"} +
            describe(r.state).verbose_value + "</div>");
    put(w, "streams", "");
    w.EndObject();
  });
}

std::string category_json(const category& c,
                          const std::vector<const race*>& current_races) {
  return text_of([&](json_writer& w) {
    w.StartObject();
    put(w, "name", c.name);
    put(w, "short_name", c.short_name);
    put(w, "slug", c.slug);
    put(w, "url", "/" + c.slug);
    put(w, "data_url", "/" + c.slug + "/data");
    put_null(w, "image");
    put_null(w, "info");
    put(w, "streaming_required", c.streaming_required);
    w.Key("owners");
    w.StartArray();
    w.EndArray();
    w.Key("moderators");
    w.StartArray();
    w.EndArray();
    w.Key("goals");
    w.StartArray();
    for (const auto& g : c.goals)
      str(w, g);
    w.EndArray();
    w.Key("current_races");
    w.StartArray();
    for (const race* r : current_races)
      write_race_summary(w, *r);
    w.EndArray();
    put_raw(w, "emotes", "{}");
    w.EndObject();
  });
}

std::string chat_message_json(const chat_message& m, const race& r,
                              const user_table& users) {
  return text_of([&](json_writer& w) {
    bool is_bot = m.bot.has_value();
    bool is_system = !m.user_id && !is_bot;
    // `self.user and race.can_monitor(user)`: null without a user.
    std::optional<bool> is_monitor;
    if (m.user_id)
      is_monitor = can_monitor(r, *m.user_id);
    w.StartObject();
    put(w, "id", m.id);
    write_user_or_null(w, "user", m.user_id, users);
    put_optional(w, "bot", m.bot);
    write_user_or_null(w, "direct_to", m.direct_to, users);
    put(w, "posted_at", python_isoformat(m.posted_at));
    put(w, "message", m.message);
    put(w, "message_plain", plain_text(m.message));
    put(w, "highlight", m.highlight);
    put(w, "is_dm", m.direct_to.has_value());
    put(w, "is_bot", is_bot);
    w.Key("is_monitor");
    if (is_monitor)
      w.Bool(*is_monitor);
    else
      w.Null();
    put(w, "is_system", is_system);
    put(w, "is_pinned", m.pinned);
    bool immediate = is_bot || is_system || is_monitor.value_or(false);
    put_int(w, "delay", immediate ? 0 : r.settings.chat_message_delay);
    put_raw(w, "actions", m.actions);
    w.EndObject();
  });
}

std::string chat_dm_payload(const chat_message& m, const user_table& users) {
  auto minimal = [&](const std::optional<std::string>& user_id) {
    return text_of([&](json_writer& w) {
      auto u = user_id ? users.find(*user_id) : users.end();
      if (u == users.end()) {
        w.Null();
        return;
      }
      // User.api_dict_minimal
      w.StartObject();
      put(w, "id", u->second.id);
      put(w, "full_name", u->second.display_name());
      put(w, "name", u->second.name);
      put_optional(w, "discriminator",
                   u->second.discriminator == "0000" ||
                           u->second.discriminator.empty()
                       ? std::nullopt
                       : std::optional<std::string>{u->second.discriminator});
      w.EndObject();
    });
  };
  return payload({{"message", json_string(m.id)},
                  {"from_user", minimal(m.user_id)},
                  {"from_bot", m.bot ? json_string(*m.bot) : "null"},
                  {"to", minimal(m.direct_to)}});
}

std::string frame(std::string_view type, time_point date,
                  std::string_view payload) {
  std::string out = "{\"type\":" + json_string(type) +
                    ",\"date\":" + json_string(python_isoformat(date));
  if (payload.size() > 2)
    out += "," + std::string{payload.substr(1)};
  else
    out += "}";
  return out;
}

std::string
payload(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out = "{";
  for (const auto& [key, value] : members) {
    if (out.size() > 1)
      out += ",";
    out += json_string(key) + ":" + value;
  }
  return out + "}";
}

std::string json_string(std::string_view text) {
  return text_of([&](json_writer& w) {
    str(w, text);
  });
}

// --- OAuth2 and errors ---------------------------------------------------

std::string token_json(const std::string& access_token, std::int64_t expires_in,
                       const std::string& scope,
                       const std::optional<std::string>& refresh_token) {
  return text_of([&](json_writer& w) {
    w.StartObject();
    put(w, "access_token", access_token);
    put_int(w, "expires_in", expires_in);
    put(w, "token_type", "Bearer");
    put(w, "scope", scope);
    if (refresh_token)
      put(w, "refresh_token", *refresh_token);
    w.EndObject();
  });
}

std::string oauth_error_json(const std::string& error,
                             const std::optional<std::string>& description) {
  return text_of([&](json_writer& w) {
    w.StartObject();
    put(w, "error", error);
    if (description)
      put(w, "error_description", *description);
    w.EndObject();
  });
}

std::string userinfo_json(const user& u,
                          const std::optional<std::string>& active_race) {
  return text_of([&](json_writer& w) {
    w.StartObject();
    write_user_members(w, u, false);
    put_optional(w, "active_race", active_race);
    w.EndObject();
  });
}

std::string field_errors_json(const field_errors& errors) {
  return text_of([&](json_writer& w) {
    w.StartObject();
    w.Key("errors");
    w.StartObject();
    for (const auto& [field, messages] : errors) {
      w.Key(field.c_str());
      w.StartArray();
      for (const auto& m : messages)
        str(w, m);
      w.EndArray();
    }
    w.EndObject();
    w.EndObject();
  });
}

std::string string_map_json(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  return text_of([&](json_writer& w) {
    w.StartObject();
    for (const auto& [k, v] : fields) {
      auto key = valid_utf8(k);
      w.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
      str(w, v);
    }
    w.EndObject();
  });
}

} // namespace racecontrol::sim
