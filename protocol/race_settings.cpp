#include "protocol/race_settings.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace racecontrol::protocol {

namespace {

const char* flag(bool b) {
  return b ? "true" : "false";
}

void check_range(std::vector<std::string>& out, const char* field, int value,
                 int min, int max, const char* unit) {
  if (value < min || value > max)
    out.push_back(std::string{field} + ": must be " + std::to_string(min) +
                  " to " + std::to_string(max) + " " + unit + ", got " +
                  std::to_string(value));
}

void add_goal(form_fields& f, const race_settings& s,
              const std::vector<std::string>& goals) {
  bool known = std::find(goals.begin(), goals.end(), s.goal) != goals.end();
  f.emplace_back(known ? "goal" : "custom_goal", s.goal);
}

void add_common(form_fields& f, const race_settings& s) {
  f.emplace_back("ranked", flag(s.ranked));
  f.emplace_back("unlisted", flag(s.unlisted));
  f.emplace_back("info_user", s.info_user);
  f.emplace_back("info_bot", s.info_bot);
  f.emplace_back("require_even_teams", flag(s.require_even_teams));
  f.emplace_back("start_delay", std::to_string(s.start_delay));
  f.emplace_back("time_limit", std::to_string(s.time_limit));
  f.emplace_back("time_limit_auto_complete", flag(s.time_limit_auto_complete));
  f.emplace_back("streaming_required", flag(s.streaming_required));
  f.emplace_back("auto_start", flag(s.auto_start));
  f.emplace_back("allow_comments", flag(s.allow_comments));
  f.emplace_back("hide_comments", flag(s.hide_comments));
  f.emplace_back("allow_prerace_chat", flag(s.allow_prerace_chat));
  f.emplace_back("allow_midrace_chat", flag(s.allow_midrace_chat));
  f.emplace_back("allow_non_entrant_chat", flag(s.allow_non_entrant_chat));
  f.emplace_back("chat_message_delay", std::to_string(s.chat_message_delay));
}

/// StartedRaceEditForm's fields: all an edit changes once a race started.
constexpr std::array<std::string_view, 7> started_edit_fields{
    "unlisted",          "info_user",          "allow_comments",
    "hide_comments",     "allow_midrace_chat", "allow_non_entrant_chat",
    "chat_message_delay"};

bool contains(std::string_view field,
              std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), field) != list.end();
}

} // namespace

std::vector<std::string> validate(const race_settings& s) {
  std::vector<std::string> out;
  if (s.goal.empty())
    out.push_back("goal: must not be empty");
  else if (s.goal.size() > 255)
    out.push_back("goal: at most 255 characters, got " +
                  std::to_string(s.goal.size()));
  check_range(out, "start_delay", s.start_delay, 10, 60, "seconds");
  check_range(out, "time_limit", s.time_limit, 1, 72, "hours");
  check_range(out, "chat_message_delay", s.chat_message_delay, 0, 90,
              "seconds");
  if (s.info_user.size() > 1000)
    out.push_back("info_user: at most 1000 characters, got " +
                  std::to_string(s.info_user.size()));
  if (s.info_bot.size() > 1000)
    out.push_back("info_bot: at most 1000 characters, got " +
                  std::to_string(s.info_bot.size()));
  bool hidden = s.hide_entrants.value_or(false);
  if (s.team_race && hidden)
    out.push_back("hide_entrants: racetime.gg refuses hidden entrants in a "
                  "team race (\"Team races are not compatible with hidden "
                  "entrants.\")");
  if (s.team_race && s.partitionable.value_or(false))
    out.push_back("partitionable: racetime.gg refuses a 1v1 ladder team race "
                  "(\"Team races are not compatible with 1v1 ladder "
                  "races.\")");
  if (s.require_even_teams && !s.team_race)
    out.push_back("require_even_teams: only for team races (racetime.gg "
                  "stores false on a solo race)");
  if (hidden && (s.allow_prerace_chat || s.allow_midrace_chat ||
                 s.allow_non_entrant_chat))
    out.push_back("hide_entrants: set allow_prerace_chat, allow_midrace_chat "
                  "and allow_non_entrant_chat to false (racetime.gg turns "
                  "chat off in a race with hidden entrants)");
  return out;
}

std::vector<std::string> settings_differences(const race_settings& wanted,
                                              const race_data& current) {
  using std::chrono::hours;
  using std::chrono::seconds;
  std::vector<std::string> out;
  auto differs = [&](const char* field, bool different) {
    if (different)
      out.emplace_back(field);
  };
  differs("goal", wanted.goal != current.goal.name);
  differs("ranked", wanted.ranked != current.ranked);
  differs("unlisted", wanted.unlisted != current.unlisted);
  differs("info_user", wanted.info_user != current.info_user);
  differs("info_bot", wanted.info_bot != current.info_bot);
  differs("require_even_teams",
          wanted.require_even_teams != current.require_even_teams);
  differs("start_delay", seconds{wanted.start_delay} != current.start_delay);
  differs("time_limit", hours{wanted.time_limit} != current.time_limit);
  differs("time_limit_auto_complete",
          wanted.time_limit_auto_complete != current.time_limit_auto_complete);
  differs("streaming_required",
          wanted.streaming_required != current.streaming_required);
  differs("auto_start", wanted.auto_start != current.auto_start);
  differs("allow_comments", wanted.allow_comments != current.allow_comments);
  differs("hide_comments", wanted.hide_comments != current.hide_comments);
  differs("allow_prerace_chat",
          wanted.allow_prerace_chat != current.allow_prerace_chat);
  differs("allow_midrace_chat",
          wanted.allow_midrace_chat != current.allow_midrace_chat);
  differs("allow_non_entrant_chat",
          wanted.allow_non_entrant_chat != current.allow_non_entrant_chat);
  differs("chat_message_delay",
          seconds{wanted.chat_message_delay} != current.chat_message_delay);
  return out;
}

std::vector<std::string>
fields_edit_cannot_change(const std::vector<std::string>& fields,
                          const race_data& current) {
  bool preparing = current.status == race_status::open ||
                   current.status == race_status::invitational;
  bool over = current.status == race_status::finished ||
              current.status == race_status::cancelled ||
              current.status == race_status::partitioned;
  std::vector<std::string> out;
  for (const auto& field : fields) {
    bool started_form =
        std::find(started_edit_fields.begin(), started_edit_fields.end(),
                  field) != started_edit_fields.end();
    bool dropped = over || (!preparing && !started_form) ||
                   (current.hide_entrants &&
                    contains(field, {"allow_prerace_chat", "allow_midrace_chat",
                                     "allow_non_entrant_chat"})) ||
                   (!current.team_race && field == "require_even_teams");
    if (dropped)
      out.push_back(field);
  }
  return out;
}

form_fields startrace_form(const race_settings& s,
                           const std::vector<std::string>& category_goals) {
  form_fields f;
  add_goal(f, s, category_goals);
  f.emplace_back("team_race", flag(s.team_race));
  f.emplace_back("invitational", flag(s.invitational));
  add_common(f, s);
  if (s.partitionable)
    f.emplace_back("partitionable", flag(*s.partitionable));
  if (s.hide_entrants)
    f.emplace_back("hide_entrants", flag(*s.hide_entrants));
  return f;
}

form_fields edit_form(const race_settings& s,
                      const std::vector<std::string>& category_goals) {
  form_fields f;
  add_goal(f, s, category_goals);
  add_common(f, s);
  return f;
}

} // namespace racecontrol::protocol
