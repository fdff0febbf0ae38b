#include "protocol/race_settings.hpp"

#include <algorithm>

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
