#include "actors/api_views.hpp"

#include <algorithm>

namespace racecontrol {

namespace {

using protocol::json_writer;
using protocol::write_bool;
using protocol::write_int;
using protocol::write_optional_int;
using protocol::write_optional_string;
using protocol::write_raw;
using protocol::write_string;
using protocol::write_time;

template <class T>
std::optional<std::int64_t> wide(const std::optional<T>& x) {
  if (!x)
    return std::nullopt;
  return static_cast<std::int64_t>(*x);
}

std::string room_url(const std::string& racetime_url,
                     const std::optional<std::string>& slug) {
  return slug ? racetime_url + "/" + *slug : std::string{};
}

/// The room's creation time to the second, as seed 001 shows it.
std::optional<timestamp> to_seconds(const std::optional<timestamp>& t) {
  if (!t)
    return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::seconds>(*t);
}

std::int64_t linked(const std::vector<match_player_info>& players) {
  return std::count_if(players.begin(), players.end(), [](const auto& p) {
    return p.racetime_id.has_value();
  });
}

} // namespace

void write_tournament(json_writer& w, const tournament_view& t) {
  w.StartObject();
  write_int(w, "id", t.id);
  write_int(w, "organization_id", t.organization_id);
  write_string(w, "name", t.name);
  write_optional_string(w, "description", t.description);
  write_bool(w, "is_active", t.is_active);
  write_optional_int(w, "racetime_bot_id", wide(t.bot_id));
  write_bool(w, "racetime_auto_create_rooms", t.auto_create_rooms);
  write_int(w, "room_open_minutes_before", t.room_open_minutes_before);
  write_bool(w, "require_racetime_link", t.require_racetime_link);
  write_optional_string(w, "racetime_default_goal", t.default_goal);
  write_optional_string(w, "discord_notification_channel_id",
                        t.discord_channel_id);
  w.EndObject();
}

void write_player(json_writer& w, const match_player_info& p) {
  w.StartObject();
  write_int(w, "user_id", p.user_id);
  write_string(w, "display_name", p.display_name);
  write_optional_string(w, "racetime_id", p.racetime_id);
  write_optional_string(w, "racetime_name", p.racetime_name);
  write_bool(w, "racetime_linked", p.racetime_id.has_value());
  w.Key("entrant_status");
  if (p.entrant_status.empty())
    w.Null();
  else
    w.String(p.entrant_status.c_str());
  write_optional_int(w, "finish_place", wide(p.finish_place));
  protocol::write_duration(w, "finish_time", p.finish_time);
  w.EndObject();
}

void write_room(json_writer& w, const room_view& r,
                const std::string& racetime_url) {
  w.StartObject();
  write_int(w, "id", r.id);
  write_optional_string(w, "slug", r.slug);
  write_optional_string(
      w, "url",
      r.slug ? std::optional<std::string>{room_url(racetime_url, r.slug)}
             : std::nullopt);
  write_string(w, "category", r.category);
  write_string(w, "status",
               r.claim_state == "creating" ? "creating"
               : r.status.empty()          ? "unknown"
                                           : r.status);
  write_optional_string(w, "status_message",
                        r.status_message.empty()
                            ? std::nullopt
                            : std::optional<std::string>{r.status_message});
  write_bool(w, "parked", r.parked);
  write_optional_int(w, "match_id", wide(r.match_id));
  write_optional_int(w, "bot_id", wide(r.bot_id));
  write_time(w, "created_at", r.created_at);
  write_optional_string(w, "requested_by",
                        r.requested_by.empty()
                            ? std::nullopt
                            : std::optional<std::string>{r.requested_by});
  w.Key("results");
  w.StartArray();
  for (const auto& p : r.results)
    write_player(w, p);
  w.EndArray();
  w.EndObject();
}

void write_match(json_writer& w, const match_view& m,
                 const std::string& racetime_url) {
  w.StartObject();
  write_int(w, "id", m.id);
  write_int(w, "tournament_id", m.tournament_id);
  write_string(w, "title", m.title);
  write_time(w, "scheduled_at", m.scheduled_at);
  write_time(w, "started_at", m.started_at);
  write_time(w, "finished_at", m.finished_at);
  write_optional_string(w, "racetime_goal", m.goal);
  write_bool(w, "racetime_invitational", m.invitational);
  write_bool(w, "racetime_auto_create", m.auto_create);
  w.Key("players");
  w.StartArray();
  for (const auto& p : m.players)
    write_player(w, p);
  w.EndArray();
  w.Key("room");
  if (m.room)
    write_room(w, *m.room, racetime_url);
  else
    w.Null();
  w.Key("room_reason");
  if (m.reason_code) {
    w.StartObject();
    write_string(w, "code", *m.reason_code);
    write_string(w, "message", m.reason_message.value_or(""));
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
}

void write_bot(json_writer& w, const bot_info& b) {
  w.StartObject();
  write_int(w, "id", b.bot_id);
  write_string(w, "category", b.category);
  write_string(w, "name", b.name);
  write_string(w, "status", b.status);
  write_optional_string(
      w, "status_message",
      b.message.empty() ? std::nullopt : std::optional<std::string>{b.message});
  write_bool(w, "has_token", b.has_token);
  w.Key("goals");
  w.StartArray();
  for (const auto& g : b.goals)
    w.String(g.c_str(), static_cast<rapidjson::SizeType>(g.size()));
  w.EndArray();
  w.EndObject();
}

void write_bot(json_writer& w, const bot_view& b, const bot_info* live) {
  w.StartObject();
  write_int(w, "id", b.id);
  write_string(w, "category", b.category);
  write_string(w, "name", b.name);
  write_string(w, "client_id", b.client_id);
  write_bool(w, "is_active", b.is_active);
  write_bool(w, "running", live != nullptr);
  // The bot actor's state is the live one; the row's is what it last
  // stored (or what it was when it stopped).
  const auto& status = live ? live->status : b.status;
  const auto& message = live ? live->message : b.status_message;
  write_string(w, "status", status);
  write_optional_string(w, "status_message",
                        message.empty() ? std::nullopt
                                        : std::optional<std::string>{message});
  write_time(w, "last_connected_at", b.last_connected_at);
  write_bool(w, "has_token", live && live->has_token);
  w.Key("goals");
  w.StartArray();
  if (live)
    for (const auto& g : live->goals)
      w.String(g.c_str(), static_cast<rapidjson::SizeType>(g.size()));
  w.EndArray();
  w.EndObject();
}

void write_task(json_writer& w, const task_record& t) {
  w.StartObject();
  write_int(w, "id", t.id);
  write_string(w, "name", t.name);
  write_string(w, "task_type", t.task_type);
  write_string(w, "schedule_type", t.schedule_type);
  write_optional_int(w, "interval_seconds", wide(t.interval_seconds));
  write_optional_string(w, "cron_expression", t.cron_expression);
  write_time(w, "run_at", t.run_at);
  write_raw(w, "config", t.config_json.empty() ? "{}" : t.config_json);
  write_bool(w, "is_active", t.is_active);
  write_time(w, "next_run_at", t.next_run_at);
  write_time(w, "last_run_at", t.last_run_at);
  auto text = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>{s};
  };
  write_optional_string(w, "last_run_status", text(t.last_run_status));
  write_optional_string(w, "last_run_error", text(t.last_run_error));
  write_bool(w, "running", t.run_started_at.has_value());
  w.EndObject();
}

void write_audit_entry(json_writer& w, const audit_entry& e) {
  w.StartObject();
  write_int(w, "id", e.id);
  write_optional_int(w, "organization_id", wide(e.organization_id));
  write_optional_int(w, "user_id", wide(e.user_id));
  write_string(w, "action", e.action);
  write_optional_string(w, "entity_type",
                        e.entity_type.empty()
                            ? std::nullopt
                            : std::optional<std::string>{e.entity_type});
  write_optional_int(w, "entity_id", wide(e.entity_id));
  write_raw(w, "details", e.details_json.empty() ? "{}" : e.details_json);
  write_time(w, "created_at", e.created_at);
  w.EndObject();
}

std::string room_status_json(const match_view& m,
                             const std::string& racetime_url) {
  // A claim still creating has no room yet, as far as a client can use.
  bool has_room = m.room && m.room->claim_state == "created" && m.room->slug;
  return protocol::json_text([&](json_writer& w) {
    w.StartObject();
    write_bool(w, "has_room", has_room);
    if (has_room) {
      write_string(w, "room_slug", *m.room->slug);
      write_string(w, "room_url", room_url(racetime_url, m.room->slug));
      write_time(w, "created_at", to_seconds(m.room->created_at));
      write_int(w, "invited_count", linked(m.players));
    } else {
      for (const char* key :
           {"room_slug", "room_url", "created_at", "invited_count"}) {
        w.Key(key);
        w.Null();
      }
    }
    w.EndObject();
  });
}

std::string room_answer_json(const room_answer& a) {
  return protocol::json_text([&](json_writer& w) {
    w.StartObject();
    write_string(w, "room_slug", a.slug);
    write_string(w, "room_url", a.url);
    write_int(w, "invited_players", a.invited_players);
    write_string(w, "goal", a.goal);
    w.EndObject();
  });
}

} // namespace racecontrol
