#pragma once

// racetime.gg's race forms as the bot endpoints use them (forms.py,
// views/race.py; racetime-protocol.md §2 and §7): OAuthRaceCreationForm for
// startrace; OAuthRaceEditForm for an edit before the race starts and
// StartedRaceEditForm after, which takes only seven fields and drops the
// rest without a word. OAuthRaceMixin fills every omitted field with the
// model default, so an edit resets what it leaves out. Booleans are
// Django's CheckboxInput ("0", "off", "no" are true).

#include "tools/racetime-sim/sim_form.hpp"
#include "tools/racetime-sim/sim_model.hpp"

#include <string>
#include <utility>
#include <vector>

namespace racecontrol::sim {

/// A form's errors, fields in form order, "__all__" last.
class form_errors {
 public:
  void add(const std::string& field, std::string message);
  bool empty() const { return errors_.empty(); }
  const std::vector<std::pair<std::string, std::vector<std::string>>>&
  fields() const {
    return errors_;
  }
  /// {"errors": {"field": ["message", ...], ...}}
  std::string json() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> errors_;
};

struct race_form {
  race_settings settings; ///< the instance with the form's values applied
  /// Django's form.changed_data: fields whose value differs from the
  /// instance's (edits only; "goal" always, the bot form compares text to
  /// a goal object).
  std::vector<std::string> changed;
  bool has_goal_field = true;
  form_errors errors;
};

/// POST /o/{category}/startrace.
race_form creation_form(const form_fields& f, const category& c);

/// POST /o/{category}/{race}/edit on `r`.
race_form edit_form(const form_fields& f, const category& c, const race& r);

} // namespace racecontrol::sim
