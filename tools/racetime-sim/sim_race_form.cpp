#include "tools/racetime-sim/sim_race_form.hpp"

#include "tools/racetime-sim/sim_documents.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace racecontrol::sim {

namespace {

std::string strip(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string::npos)
    return "";
  auto last = text.find_last_not_of(" \t\r\n\f\v");
  return text.substr(first, last - first + 1);
}

/// Reads fields the way Django's form fields clean them; an omitted field
/// takes the model default (OAuthRaceMixin).
class field_reader {
 public:
  field_reader(const form_fields& f, form_errors& errors)
      : fields_(f), errors_(errors) {}

  bool flag(const char* key, bool model_default) const {
    const std::string* v = form_value(fields_, key);
    if (v == nullptr)
      return model_default;
    std::string lower;
    for (char c : *v)
      lower.push_back(
          static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return !(lower == "false" || lower.empty());
  }

  /// A CharField (stripped) with a max_length, counted in characters.
  std::string text(const char* key, std::size_t max,
                   const std::string& model_default = "") const {
    const std::string* v = form_value(fields_, key);
    if (v == nullptr)
      return model_default;
    auto value = strip(*v);
    if (character_count(value) > max)
      errors_.add(key, "Ensure this value has at most " + std::to_string(max) +
                           " characters (it has " +
                           std::to_string(character_count(value)) + ").");
    return value;
  }

  /// A SecondsDurationField/HoursDurationField: whole units, range errors
  /// written as durations the way Django prints a timedelta.
  std::int64_t duration(const char* key, std::int64_t model_default,
                        std::int64_t min, std::int64_t max,
                        const char* min_text, const char* max_text) const {
    const std::string* v = form_value(fields_, key);
    if (v == nullptr)
      return model_default;
    auto text = strip(*v);
    if (text.empty()) {
      errors_.add(key, "This field is required.");
      return model_default;
    }
    // IntegerField: int() after dropping a ".0" fraction.
    auto dot = text.find('.');
    if (dot != std::string::npos &&
        text.find_first_not_of('0', dot + 1) == std::string::npos)
      text.erase(dot);
    if (!text.empty() && text[0] == '+')
      text.erase(0, 1);
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || p != text.data() + text.size()) {
      errors_.add(key, "Enter a whole number.");
      return model_default;
    }
    if (n < min)
      errors_.add(key, std::string{"Ensure this value is greater than or "
                                   "equal to "} +
                           min_text + ".");
    else if (n > max)
      errors_.add(key, std::string{"Ensure this value is less than or equal "
                                   "to "} +
                           max_text + ".");
    return n;
  }

 private:
  const form_fields& fields_;
  form_errors& errors_;
};

std::int64_t start_delay(const field_reader& in, std::int64_t fallback) {
  return in.duration("start_delay", fallback, 10, 60, "0:00:10", "0:01:00");
}

std::int64_t time_limit(const field_reader& in, std::int64_t fallback) {
  return in.duration("time_limit", fallback, 1, 72, "1:00:00",
                     "3 days, 0:00:00");
}

std::int64_t chat_delay(const field_reader& in, std::int64_t fallback) {
  return in.duration("chat_message_delay", fallback, 0, 90, "0:00:00",
                     "0:01:30");
}

/// RaceForm.clean's goal rules (goal is OAuthRaceForm's text: the name of
/// an active goal of the category, anything else counts as none).
void clean_goal(race_settings& s, const std::string& goal,
                const std::string& custom, const category& c,
                form_errors& errors) {
  bool known = !goal.empty() &&
               std::find(c.goals.begin(), c.goals.end(), goal) != c.goals.end();
  if (!known && custom.empty())
    errors.add("__all__", "You need to set a goal for this race.");
  else if (known && !custom.empty())
    errors.add("__all__", "The race must only have one goal.");
  s.goal = known ? goal : custom;
  s.custom_goal = !known;
  s.recordable = !s.custom_goal && s.ranked;
}

/// Tracks changed_data while an edit assigns fields.
struct edit_writer {
  race_settings& s;
  std::vector<std::string>& changed;

  template <class T>
  void set(const char* key, T& field, T value) {
    if (!(field == value))
      changed.emplace_back(key);
    field = std::move(value);
  }
};

} // namespace

void form_errors::add(const std::string& field, std::string message) {
  for (auto& [name, messages] : errors_)
    if (name == field) {
      messages.push_back(std::move(message));
      return;
    }
  errors_.push_back({field, {std::move(message)}});
}

std::string form_errors::json() const {
  std::string fields = "{";
  for (const auto& [name, messages] : errors_) {
    std::string list = "[";
    for (const auto& m : messages)
      list += (list.size() > 1 ? "," : "") + json_string(m);
    fields +=
        (fields.size() > 1 ? "," : "") + json_string(name) + ":" + list + "]";
  }
  return payload({{"errors", fields + "}"}});
}

race_form creation_form(const form_fields& f, const category& c) {
  race_form out;
  race_settings& s = out.settings; // model defaults
  field_reader in{f, out.errors};
  // Meta.fields order, so errors come out in racetime.gg's order.
  auto goal = in.text("goal", std::numeric_limits<std::size_t>::max());
  auto custom = in.text("custom_goal", 255);
  s.team_race = in.flag("team_race", false);
  s.invitational = in.flag("invitational", false);
  s.ranked = in.flag("ranked", true);
  s.unlisted = in.flag("unlisted", c.unlisted_by_default);
  if (c.allow_partitionable)
    s.partitionable = in.flag("partitionable", false);
  if (c.allow_hide_entrants)
    s.hide_entrants = in.flag("hide_entrants", false);
  s.info_user = in.text("info_user", 1000);
  s.require_even_teams = in.flag("require_even_teams", false);
  s.start_delay = start_delay(in, s.start_delay);
  s.time_limit = time_limit(in, s.time_limit);
  s.time_limit_auto_complete = in.flag("time_limit_auto_complete", false);
  s.streaming_required = in.flag("streaming_required", true);
  s.auto_start = in.flag("auto_start", true);
  s.allow_comments = in.flag("allow_comments", true);
  s.hide_comments = in.flag("hide_comments", false);
  s.allow_prerace_chat = in.flag("allow_prerace_chat", true);
  s.allow_midrace_chat = in.flag("allow_midrace_chat", true);
  s.allow_non_entrant_chat = in.flag("allow_non_entrant_chat", true);
  s.chat_message_delay = chat_delay(in, s.chat_message_delay);
  s.info_bot = in.text("info_bot", 1000);
  // RaceForm.clean
  clean_goal(s, goal, custom, c, out.errors);
  if (s.team_race && c.allow_hide_entrants && s.hide_entrants)
    out.errors.add("__all__",
                   "Team races are not compatible with hidden entrants.");
  if (s.team_race && c.allow_partitionable && s.partitionable)
    out.errors.add("__all__",
                   "Team races are not compatible with 1v1 ladder races.");
  if (s.hide_entrants) {
    s.allow_prerace_chat = false;
    s.allow_midrace_chat = false;
    s.allow_non_entrant_chat = false;
  }
  if (!s.team_race)
    s.require_even_teams = false; // stored false on a solo race (§7)
  return out;
}

race_form edit_form(const form_fields& f, const category& c, const race& r) {
  race_form out;
  out.settings = r.settings;
  race_settings& s = out.settings;
  const race_settings defaults; // a fresh Race(): what omitted fields become
  field_reader in{f, out.errors};
  edit_writer set{s, out.changed};
  bool chat_fields = !s.hide_entrants; // the form drops them otherwise
  if (!is_preparing(r.state)) {
    // StartedRaceEditForm: everything else is dropped, with a 200.
    out.has_goal_field = false;
    set.set("unlisted", s.unlisted, in.flag("unlisted", c.unlisted_by_default));
    set.set("info_user", s.info_user, in.text("info_user", 1000));
    set.set("allow_comments", s.allow_comments,
            in.flag("allow_comments", defaults.allow_comments));
    set.set("hide_comments", s.hide_comments,
            in.flag("hide_comments", defaults.hide_comments));
    if (chat_fields) {
      set.set("allow_midrace_chat", s.allow_midrace_chat,
              in.flag("allow_midrace_chat", defaults.allow_midrace_chat));
      set.set(
          "allow_non_entrant_chat", s.allow_non_entrant_chat,
          in.flag("allow_non_entrant_chat", defaults.allow_non_entrant_chat));
    }
    set.set("chat_message_delay", s.chat_message_delay,
            chat_delay(in, defaults.chat_message_delay));
    return out;
  }
  auto goal = in.text("goal", std::numeric_limits<std::size_t>::max());
  auto custom = in.text("custom_goal", 255);
  set.set("ranked", s.ranked, in.flag("ranked", defaults.ranked));
  set.set("unlisted", s.unlisted, in.flag("unlisted", c.unlisted_by_default));
  set.set("info_user", s.info_user, in.text("info_user", 1000));
  if (s.team_race) // the form has no require_even_teams for a solo race
    set.set("require_even_teams", s.require_even_teams,
            in.flag("require_even_teams", defaults.require_even_teams));
  set.set("start_delay", s.start_delay, start_delay(in, defaults.start_delay));
  set.set("time_limit", s.time_limit, time_limit(in, defaults.time_limit));
  set.set(
      "time_limit_auto_complete", s.time_limit_auto_complete,
      in.flag("time_limit_auto_complete", defaults.time_limit_auto_complete));
  set.set("streaming_required", s.streaming_required,
          in.flag("streaming_required", defaults.streaming_required));
  set.set("auto_start", s.auto_start,
          in.flag("auto_start", defaults.auto_start));
  set.set("allow_comments", s.allow_comments,
          in.flag("allow_comments", defaults.allow_comments));
  set.set("hide_comments", s.hide_comments,
          in.flag("hide_comments", defaults.hide_comments));
  if (chat_fields) {
    set.set("allow_prerace_chat", s.allow_prerace_chat,
            in.flag("allow_prerace_chat", defaults.allow_prerace_chat));
    set.set("allow_midrace_chat", s.allow_midrace_chat,
            in.flag("allow_midrace_chat", defaults.allow_midrace_chat));
    set.set("allow_non_entrant_chat", s.allow_non_entrant_chat,
            in.flag("allow_non_entrant_chat", defaults.allow_non_entrant_chat));
  }
  set.set("chat_message_delay", s.chat_message_delay,
          chat_delay(in, defaults.chat_message_delay));
  set.set("info_bot", s.info_bot, in.text("info_bot", 1000));
  auto was_custom = s.custom_goal ? s.goal : std::string{};
  clean_goal(s, goal, custom, c, out.errors);
  out.changed.insert(out.changed.begin(), "goal");
  if ((s.custom_goal ? s.goal : std::string{}) != was_custom)
    out.changed.insert(out.changed.begin() + 1, "custom_goal");
  return out;
}

} // namespace racecontrol::sim
