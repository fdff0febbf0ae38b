#pragma once

// What racetime-sim stores: its own model of racetime.gg's database,
// shaped after the server's Django models (models/race.py, chat.py,
// user.py, category.py) and not after the client's protocol/ structs, so a
// mistake in the client's model shows up against the simulator instead of
// being shared by both. Plain data: the world changes it, sim_documents
// writes it as racetime.gg's JSON.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol::sim {

using time_point = std::chrono::system_clock::time_point;
using std::chrono::microseconds;

struct category {
  std::string slug;
  std::string name;
  std::string short_name;
  std::vector<std::string> goals; ///< names of active goals
  bool allow_partitionable = false;
  bool allow_hide_entrants = false;
  bool unlisted_by_default = false;
  bool streaming_required = true; ///< the category's rule, in its data
};

struct user {
  std::string id; ///< 16-character hash id
  std::string name;
  std::string discriminator;              ///< "0000" is not shown
  std::optional<std::string> twitch_name; ///< the Twitch login
  bool banned = false;
  /// Whether the user's stream is live (racetime.gg's racebot asks Twitch);
  /// only counts with a Twitch account.
  bool live = true;

  /// "Name#1234", or "Name" for discriminator 0000 (User.__str__): how
  /// racetime.gg writes a user in chat.
  std::string display_name() const;
};

using user_table = std::map<std::string, user>;

/// RaceStates.
enum class race_state {
  open,
  invitational,
  pending, ///< countdown running
  in_progress,
  finished,
  cancelled,
  partitioned,
};

/// EntrantStates: what the status shown for an entrant is derived from,
/// together with the flags below (Entrant.summary).
enum class entrant_state { requested, invited, declined, joined, partitioned };

struct entrant {
  std::string user_id;
  entrant_state state = entrant_state::joined;
  bool ready = false;
  bool dnf = false;
  bool dq = false;
  std::optional<microseconds> finish_time;
  std::optional<std::int64_t> place;
  std::optional<std::string> comment;
  bool stream_live = false;
  bool stream_override = false;
};

/// Everything startrace/edit set, with racetime.gg's model defaults. Kept
/// apart from protocol::race_settings on purpose: this is the server's side
/// (its fields and defaults).
struct race_settings {
  std::string goal;
  bool custom_goal = false;
  bool team_race = false;
  bool invitational = false;
  bool ranked = true;
  bool unlisted = false;
  bool partitionable = false;
  bool hide_entrants = false;
  std::string info_user;
  std::string info_bot;
  bool recordable = true;
  bool require_even_teams = false;
  std::int64_t start_delay = 15; ///< seconds
  std::int64_t time_limit = 24;  ///< hours
  bool time_limit_auto_complete = false;
  bool streaming_required = true;
  bool auto_start = true;
  bool allow_comments = true;
  bool hide_comments = false;
  bool allow_prerace_chat = true;
  bool allow_midrace_chat = true;
  bool allow_non_entrant_chat = true;
  std::int64_t chat_message_delay = 0; ///< seconds
};

/// A chat message (models/chat.py): from a user, a bot, or the system
/// (neither).
struct chat_message {
  std::string id;
  std::optional<std::string> user_id;
  std::optional<std::string> bot;       ///< the bot's name
  std::optional<std::string> direct_to; ///< user id: a DM
  time_point posted_at;
  std::string message;
  bool highlight = false;
  bool pinned = false;
  std::string actions = "{}"; ///< JSON object of buttons
};

struct race {
  std::string category;
  std::string slug;
  race_state state = race_state::open;
  std::int64_t version = 1;
  race_settings settings;
  time_point opened_at;
  std::optional<time_point> started_at;
  std::optional<time_point> ended_at;
  std::optional<time_point> cancelled_at;
  std::string opened_by_bot;
  /// The bot's OAuth2 client id: not in racetime.gg's race data, kept for
  /// the control API's listing (tests count rooms by who opened them).
  std::string opened_by_client_id;
  std::vector<entrant> entrants;     ///< in the order they were created
  std::vector<std::string> monitors; ///< user ids
  std::string bot_meta = "{}";       ///< JSON object
  std::vector<chat_message> chat;
  bool recorded = false;
  std::uint64_t countdown = 0; ///< bumped to cancel a stale countdown

  /// Fault mode (control API): the next `held_updates` race.data
  /// broadcasts reach the sockets `hold_for` late, so later ones overtake
  /// them, as racetime.gg's two broadcasting processes do (§7).
  int held_updates = 0;
  std::chrono::milliseconds hold_for{0};

  std::string name() const { return category + "/" + slug; }
};

/// One thing a bot did, as the control API reports it.
struct bot_record {
  time_point at;
  std::string kind; ///< "startrace", "edit", "action", "token", ...
  std::string client_id;
  std::string race;   ///< "category/slug" when it concerns one
  std::string detail; ///< JSON: the fields or action as received
  /// The bot's IP address, for bot actions (which node of a cluster acted).
  std::string peer;
};

// --- what racetime.gg derives from the model (properties on its models) --

/// A choice's value, verbose value and help text.
struct status_text {
  const char* value;
  const char* verbose_value;
  const char* help_text;
};

/// RaceStates' texts.
status_text describe(race_state s);
/// "open", "in_progress", ...
const char* to_string(race_state s);
/// Entrant.summary: the status shown for an entrant in its race.
status_text describe(const entrant& e, const race& r);

/// Open or invitational (Race.is_preparing).
bool is_preparing(race_state s);
/// Finished, cancelled or partitioned (Race.is_done).
bool is_done(race_state s);

/// Joined, not out and not finished: still racing or about to.
bool is_running(const entrant& e);

/// Race.entrants_count / _finished / _inactive.
std::int64_t entrants_count(const race& r);
std::int64_t entrants_count_finished(const race& r);
std::int64_t entrants_count_inactive(const race& r);

/// Race.ordered_entrants: finished by place, then ready, not ready,
/// invited, requested, dnf, dq, declined; each group by name.
std::vector<const entrant*> ordered_entrants(const race& r,
                                             const user_table& users);

/// Entrant.available_actions ("ready", "leave", "done", "add_comment"...).
std::vector<std::string> entrant_actions(const entrant& e, const race& r,
                                         time_point now);

/// Race.can_monitor for a user (the sim has no category moderators).
bool can_monitor(const race& r, const std::string& user_id);

/// Message.message_plain: `##tag##text##` markup replaced by its text.
std::string plain_text(const std::string& text);

/// Django's slugify of a user name, for profile URLs.
std::string slugify(const std::string& text);

/// "1st", "2nd", "11th" (Django's ordinal filter).
std::string ordinal(std::int64_t n);

/// utils.timer_str: "0:00:06.9" with deciseconds, "0:00:06" without.
std::string timer_text(microseconds d, bool deciseconds);

/// Python's len() of a UTF-8 string: code points, as Django's max_length
/// counts them.
std::size_t character_count(const std::string& utf8);

} // namespace racecontrol::sim
