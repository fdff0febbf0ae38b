#pragma once

// racetime.gg's race and category documents (`/{category}/{race}/data`,
// `/{category}/data`, `/o/{category}/data`, and `race` in race.data
// messages), field for field as racetime-protocol.md §3 lists them.

#include "protocol/expected.hpp"
#include "protocol/iso8601.hpp"
#include "protocol/json.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::protocol {

/// `User.api_dict_summary`: a racetime.gg user as other documents embed it.
struct user_summary {
  std::string id; ///< 16-character hash id
  std::string full_name;
  std::string name;
  std::optional<std::string> discriminator; ///< null for "0000"
  std::string url;
  std::optional<std::string> avatar;
  std::optional<std::string> pronouns;
  std::string flair;
  std::optional<std::string> twitch_name;
  std::optional<std::string> twitch_display_name;
  std::optional<std::string> twitch_channel;
  bool can_moderate = false;
};

enum class race_status {
  open,
  invitational,
  pending, ///< countdown running
  in_progress,
  finished,
  cancelled,
  partitioned,
  unknown, ///< a value this build does not know (kept in status_value)
};

enum class entrant_status {
  requested,
  invited,
  declined,
  partitioned,
  dnf,
  dq,
  done,
  in_progress,
  ready,
  not_ready,
  unknown,
};

std::string_view to_string(race_status s);
std::string_view to_string(entrant_status s);
race_status parse_race_status(std::string_view s);
entrant_status parse_entrant_status(std::string_view s);

/// `{"value": ..., "verbose_value": ..., "help_text": ...}`.
struct status_text {
  std::string value;
  std::string verbose_value;
  std::string help_text;
};

struct entrant {
  user_summary user;
  std::string team = "null"; ///< raw JSON ("null" for solo races)
  status_text status_info;
  entrant_status status = entrant_status::unknown;
  std::optional<std::chrono::microseconds> finish_time;
  std::optional<time_point> finished_at;
  std::optional<std::int64_t> place;
  std::optional<std::string> place_ordinal;
  std::optional<std::int64_t> score;
  std::optional<std::int64_t> score_change;
  std::optional<std::string> comment;
  bool has_comment = false;
  bool stream_live = false;
  bool stream_override = false;
  std::vector<std::string> actions;
};

struct category_summary {
  std::string name;
  std::string short_name;
  std::string slug;
  std::string url;
  std::string data_url;
  std::optional<std::string> image;
};

struct race_goal {
  std::string name;
  bool custom = false;
};

/// `Race.as_dict`: everything racetime.gg says about one race.
struct race_data {
  std::int64_t version = 0;
  std::string name; ///< "category/slug"
  std::string slug;
  status_text status_info;
  race_status status = race_status::unknown;
  std::string url;
  std::string data_url;
  std::string websocket_url;
  std::string websocket_bot_url;
  std::string websocket_oauth_url;
  category_summary category;
  race_goal goal;
  std::string info;
  std::string info_bot;
  std::string info_user;
  bool team_race = false;
  std::int64_t entrants_count = 0;
  std::int64_t entrants_count_finished = 0;
  std::int64_t entrants_count_inactive = 0;
  std::vector<entrant> entrants;
  std::optional<time_point> opened_at;
  std::chrono::microseconds start_delay{0};
  std::optional<time_point> started_at;
  std::optional<time_point> ended_at;
  std::optional<time_point> cancelled_at;
  bool ranked = true;
  bool unlisted = false;
  std::chrono::microseconds time_limit{0};
  bool time_limit_auto_complete = false;
  bool require_even_teams = false;
  bool streaming_required = false;
  bool auto_start = true;
  std::optional<user_summary> opened_by;
  std::optional<std::string> opened_by_bot;
  std::vector<user_summary> monitors;
  bool recordable = true;
  bool recorded = false;
  std::optional<user_summary> recorded_by;
  bool disqualify_unready = false;
  bool allow_comments = true;
  bool hide_comments = false;
  bool hide_entrants = false;
  bool chat_restricted = false;
  bool allow_prerace_chat = true;
  bool allow_midrace_chat = true;
  bool allow_non_entrant_chat = true;
  std::chrono::microseconds chat_message_delay{0};
  std::string bot_meta = "{}"; ///< raw JSON object
};

/// `Race.api_dict_summary`: a race in a category's `current_races`.
struct race_summary {
  std::string name;
  status_text status_info;
  race_status status = race_status::unknown;
  std::string url;
  std::string data_url;
  race_goal goal;
  std::string info;
  std::int64_t entrants_count = 0;
  std::int64_t entrants_count_finished = 0;
  std::int64_t entrants_count_inactive = 0;
  std::optional<time_point> opened_at;
  std::optional<time_point> started_at;
  std::chrono::microseconds time_limit{0};
  std::optional<std::string> opened_by_bot;
  // Present once the race is done.
  std::optional<time_point> ended_at;
  std::optional<time_point> cancelled_at;
  std::optional<bool> recordable;
  std::optional<bool> recorded;
};

/// `Category.dump_json_data`.
struct category_data {
  std::string name;
  std::string short_name;
  std::string slug;
  std::string url;
  std::string data_url;
  std::optional<std::string> image;
  std::optional<std::string> info;
  bool streaming_required = false;
  std::vector<user_summary> owners;
  std::vector<user_summary> moderators;
  std::vector<std::string> goals; ///< names of active goals
  std::vector<race_summary> current_races;
  std::string emotes = "{}"; ///< raw JSON object
};

// Readers for documents already parsed (used inside messages).
user_summary read_user_summary(const json_object& o);
race_data read_race_data(const json_object& o);
race_summary read_race_summary(const json_object& o);

/// A category's data lists every race of it that has not ended: about 490
/// bytes a race, so a node watching 10,000 rooms of one category reads a
/// 4.9 MB document (more than the usual limit for a document).
inline constexpr std::size_t category_data_limit = 64 * 1024 * 1024;

// Parsers for whole documents: errors name the field.
expected<race_data> parse_race_data(std::string_view json);
expected<category_data> parse_category_data(std::string_view json);

// Serializers (racetime-sim speaks with these).
void write_user_summary(json_writer& w, const user_summary& u);
/// `key`: the user, or null when there is none.
void write_optional_user(json_writer& w, const char* key,
                         const std::optional<user_summary>& u);
void write_race_data(json_writer& w, const race_data& r);
void write_race_summary(json_writer& w, const race_summary& r);
std::string serialize(const race_data& r);
std::string serialize(const category_data& c);

} // namespace racecontrol::protocol
