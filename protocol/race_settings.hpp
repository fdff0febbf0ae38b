#pragma once

// The settings of a race room as `POST /o/{category}/startrace` and
// `POST /o/{category}/{race}/edit` take them (racetime-protocol.md §2).
// racetime.gg fills every omitted field with the model default (and edit
// resets omitted fields), so every setting is always sent, as true/false.

#include "protocol/form.hpp"
#include "protocol/race_data.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racecontrol::protocol {

struct race_settings {
  /// A goal of the category (sent as `goal`) or free text (`custom_goal`).
  std::string goal;
  bool team_race = false;
  bool invitational = false;
  bool ranked = true;
  bool unlisted = false;
  /// racetime.gg has no `info` field: the room text goes in info_user (shown
  /// as the race information) and/or info_bot.
  std::string info_user;
  std::string info_bot;
  bool require_even_teams = false;
  int start_delay = 15; ///< seconds, 10..60
  int time_limit = 24;  ///< hours, 1..72
  bool time_limit_auto_complete = false;
  bool streaming_required = true;
  bool auto_start = true;
  bool allow_comments = true;
  bool hide_comments = false;
  bool allow_prerace_chat = true;
  bool allow_midrace_chat = true;
  bool allow_non_entrant_chat = true;
  int chat_message_delay = 0; ///< seconds, 0..90
  /// Only for categories that offer them; sent only when set.
  std::optional<bool> partitionable;
  std::optional<bool> hide_entrants;
};

inline bool operator==(const race_settings& a, const race_settings& b) {
  return a.goal == b.goal && a.team_race == b.team_race &&
         a.invitational == b.invitational && a.ranked == b.ranked &&
         a.unlisted == b.unlisted && a.info_user == b.info_user &&
         a.info_bot == b.info_bot &&
         a.require_even_teams == b.require_even_teams &&
         a.start_delay == b.start_delay && a.time_limit == b.time_limit &&
         a.time_limit_auto_complete == b.time_limit_auto_complete &&
         a.streaming_required == b.streaming_required &&
         a.auto_start == b.auto_start && a.allow_comments == b.allow_comments &&
         a.hide_comments == b.hide_comments &&
         a.allow_prerace_chat == b.allow_prerace_chat &&
         a.allow_midrace_chat == b.allow_midrace_chat &&
         a.allow_non_entrant_chat == b.allow_non_entrant_chat &&
         a.chat_message_delay == b.chat_message_delay &&
         a.partitionable == b.partitionable &&
         a.hide_entrants == b.hide_entrants;
}

/// What is out of range or would not be stored as asked, one message per
/// problem ("start_delay: must be 10 to 60 seconds, got 5"), checked before
/// anything is sent. Besides the ranges this refuses what racetime.gg
/// refuses (team_race with hide_entrants or partitionable: 422) and what it
/// would silently change (require_even_teams on a solo race is stored as
/// false; hide_entrants turns the three chat settings off). Empty when valid.
std::vector<std::string> validate(const race_settings& s);

/// The form fields whose wanted value differs from the room's, in form
/// order ("goal", "info_user", "start_delay", ...). Compares what an edit
/// sends and race data reports: not team_race, invitational, partitionable
/// or hide_entrants, which edit does not take.
std::vector<std::string> settings_differences(const race_settings& wanted,
                                              const race_data& current);

/// Of `fields` (as settings_differences names them), those an edit of the
/// room `current` cannot change: every field once the race is over; once it
/// has left open/invitational, all but the ones racetime.gg's
/// StartedRaceEditForm takes (unlisted, info_user, allow_comments,
/// hide_comments, allow_midrace_chat, allow_non_entrant_chat,
/// chat_message_delay); the chat settings while entrants are hidden; and
/// require_even_teams on a solo race. racetime.gg drops such changes and
/// still answers 200.
std::vector<std::string>
fields_edit_cannot_change(const std::vector<std::string>& fields,
                          const race_data& current);

/// The startrace form. `goal` is sent as `goal` when it is one of
/// `category_goals` (exact match), otherwise as `custom_goal`.
form_fields startrace_form(const race_settings& s,
                           const std::vector<std::string>& category_goals);

/// The edit form: the full settings (edit resets what is left out), minus
/// the fields edit does not take (team_race, invitational, partitionable,
/// hide_entrants).
form_fields edit_form(const race_settings& s,
                      const std::vector<std::string>& category_goals);

} // namespace racecontrol::protocol
