#pragma once

// The JSON racetime-sim writes, from its own model: race and category data
// (Race.as_dict, Category.dump_json_data), chat messages (Message.as_dict),
// WebSocket frames, OAuth2 answers, and the formats of Django's JSON
// encoder. Written here from the server's code and racetime-protocol.md,
// never with the client's serializers (protocol/race_data,
// server_messages, oauth_messages): a field the client names wrongly must
// fail against the simulator. tests/protocol/sim_documents_test.cpp holds
// these functions to the real documents quoted in racetime-protocol.md.
//
// Only RapidJSON's writer is shared with the client. Everything outside
// ASCII is escaped as \uxxxx, as Python's json.dumps does.

#include "tools/racetime-sim/sim_model.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::sim {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer,
                                      rapidjson::UTF8<>, rapidjson::ASCII<>>;

// --- time formats ------------------------------------------------------

/// DjangoJSONEncoder's datetime: "2026-11-22T01:40:54.396Z" (milliseconds,
/// truncated, only when there is a fraction).
std::string django_datetime(time_point t);

/// Python's datetime.isoformat() in UTC, used for chat `posted_at` and the
/// frame `date`: "2026-11-22T01:44:16.149828+00:00" (no fraction when it is
/// zero).
std::string python_isoformat(time_point t);

/// Django's duration_iso_string: "P0DT00H00M06.298342S", "P1DT00H00M00S".
std::string django_duration(microseconds d);

// --- documents -----------------------------------------------------------

/// User.api_dict_summary.
void write_user_summary(json_writer& w, const user& u,
                        bool can_moderate = false);
std::string user_summary_json(const user& u);

/// Race.as_dict, as /{category}/{race}/data and race.data carry it.
/// `now` decides what entrants may do (comments within an hour, ...).
std::string race_json(const race& r, const category& c, const user_table& users,
                      time_point now);

/// Race.get_renders_stateless: HTML fragments of the race page.
std::string renders_json(const race& r, const user_table& users);

/// Category.dump_json_data with `current_races` (Race.api_dict_summary).
std::string category_json(const category& c,
                          const std::vector<const race*>& current_races);

/// Message.as_dict.
std::string chat_message_json(const chat_message& m, const race& r,
                              const user_table& users);

/// The payload of a chat.dm event: only the message id and who.
std::string chat_dm_payload(const chat_message& m, const user_table& users);

/// `{"type": type, "date": isoformat(date), ...payload's members}`: how
/// racetime.gg's consumer delivers every event. `payload` is a JSON object.
std::string frame(std::string_view type, time_point date,
                  std::string_view payload = "{}");

/// A payload object from members already written as JSON values:
/// {"race": <json>, "version": 3}.
std::string
payload(const std::vector<std::pair<std::string, std::string>>& members);

/// A JSON string literal.
std::string json_string(std::string_view text);

// --- OAuth2 (django-oauth-toolkit) and errors ------------------------------

/// POST /o/token, 200.
std::string token_json(const std::string& access_token, std::int64_t expires_in,
                       const std::string& scope,
                       const std::optional<std::string>& refresh_token);

/// {"error": ..., "error_description": ...} (the description only with
/// some errors).
std::string oauth_error_json(const std::string& error,
                             const std::optional<std::string>& description);

/// GET /o/userinfo: the user summary plus active_race.
std::string userinfo_json(const user& u,
                          const std::optional<std::string>& active_race);

/// A 422: {"errors": {"field": ["message", ...], "__all__": [...]}}.
using field_errors = std::map<std::string, std::vector<std::string>>;
std::string field_errors_json(const field_errors& errors);

/// Every member of a flat JSON object of strings (for logs).
std::string
string_map_json(const std::vector<std::pair<std::string, std::string>>& fields);

} // namespace racecontrol::sim
