#pragma once

// Everything racetime-sim knows and does to races: categories, users, the
// OAuth2 provider, races with their entrants and chat, and what bots did.
// Its operations are racetime.gg's model methods (models/race.py: invite,
// begin, cancel, the entrant actions; racebot.py: countdown and auto start)
// with their chat messages and error texts. Pure logic, no sockets: the
// HTTP and WebSocket layers call it, and it hands out events and asks for
// timers through the hooks. Single-threaded by design.

#include "tools/racetime-sim/sim_documents.hpp"
#include "tools/racetime-sim/sim_model.hpp"
#include "tools/racetime-sim/sim_oauth.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace racecontrol::sim {

using system_clock = std::chrono::system_clock;

/// Why an action was refused: racetime.gg's error texts for the client (a
/// form can have several; they go out in one `error` frame).
struct action_error {
  action_error(std::string m) : messages{std::move(m)} {}
  action_error(std::vector<std::string> m) : messages(std::move(m)) {}
  const std::string& message() const { return messages.front(); }

  std::vector<std::string> messages;
};

/// A race.update event: what a race's consumers deliver as race.data and
/// race.renders.
struct race_update {
  std::string race;    ///< Race.as_dict
  std::string renders; ///< get_renders_stateless
  std::int64_t version = 0;
};

/// What the world tells its observer (the demo players).
enum class race_event {
  invited, ///< a bot invited a user
  started, ///< the race began (in_progress)
};

/// A change an edit made (form field names), for the chat it posts.
struct race_edit {
  race_settings settings;
  std::vector<std::string> changed; ///< Django's form.changed_data
  bool has_goal_field = true;       ///< false for StartedRaceEditForm
};

class world {
 public:
  struct hooks {
    /// An event for every socket of a race: `type` and its payload object
    /// (chat.message, chat.dm, chat.pin, ...).
    std::function<void(const std::string& slug, const std::string& type,
                       const std::string& payload)>
        broadcast;
    /// A race.update event for every socket of a race.
    std::function<void(const std::string& slug, const race_update& update)>
        update;
    /// Runs `f` after `delay` of real time.
    std::function<void(std::chrono::milliseconds delay,
                       std::function<void()> f)>
        schedule;
    /// Told after the change took effect; `user_id` is empty for
    /// `started`. It may act on the world later (by `schedule`), not now.
    std::function<void(race_event e, const std::string& slug,
                       const std::string& user_id)>
        observe;
  };

  world(hooks h, double time_scale, std::uint64_t seed = 1);

  // --- setup (control API) --------------------------------------------
  void add_category(category c);
  void add_goal(const std::string& category, const std::string& goal);
  void add_user(user u);
  oauth_provider& oauth() { return oauth_; }
  const user_table& users() const { return users_; }
  /// "category/slug" of the race the user is racing in now (userinfo's
  /// active_race), or nullopt.
  std::optional<std::string> active_race(const std::string& user_id) const;
  void set_guid_window(std::chrono::seconds s) { guid_window_ = s; }
  /// racebot.py cancels a race still open this long after it opened while
  /// fewer than two entrants joined it (Race.OPEN_TIME_LIMIT_LOWENTRANTS,
  /// 30 minutes), warning 5 minutes before; real time, not scaled. 0: never.
  void set_low_entrants_limit(std::chrono::milliseconds d) {
    low_entrants_limit_ = d;
  }

  // --- races (views) --------------------------------------------------------
  const category* find_category(const std::string& slug) const;
  race* find_race(const std::string& slug);
  race* find_race(const std::string& category, const std::string& slug);
  std::vector<std::string> race_slugs() const;
  /// Creates a race from a valid startrace form; returns its name.
  std::string open_race(const std::string& category, const application& bot,
                        race_settings settings);
  /// Applies a valid edit form (OAuthEditRace.update_race).
  void edit_race(race& r, const std::string& bot_name, const race_edit& e);

  // --- documents
  // --------------------------------------------------------------
  std::string race_json(const race& r) const;
  std::string category_json(const std::string& slug,
                            bool include_unlisted) const;
  /// What a consumer loads at connect (from the database, not a broadcast).
  race_update current(const race& r) const;
  /// chat.history: the last 100 messages and every pinned one, oldest
  /// first, pinned last; only newer than `last_message` when given.
  std::string chat_history(const race& r,
                           const std::optional<std::string>& last_message);
  std::string chat_json(const race& r, const chat_message& m) const;

  // --- bot actions (race_bot_actions.py)
  // --------------------------------------
  /// `message`: the data object's fields as racetime.gg's ChatBotForm reads
  /// them. A duplicate guid is dropped silently (nullopt, nothing posted).
  struct bot_chat {
    std::string guid;
    std::optional<std::string> message;
    std::optional<std::string> direct_to;
    std::string actions = "{}"; ///< a JSON object
    std::size_t action_count = 0;
    bool pinned = false;
  };
  std::optional<action_error> bot_message(race& r, const std::string& bot,
                                          const bot_chat& m);
  std::optional<action_error> pin(race& r, const std::string& message_id,
                                  bool pinned);
  std::optional<action_error>
  set_info(race& r, const std::string& bot,
           const std::optional<std::string>& info_bot,
           const std::optional<std::string>& info_user);
  /// Merges a JSON object into bot_meta (version bumped, no broadcast).
  std::optional<action_error> set_meta(race& r, const std::string& object);
  std::optional<action_error> make_open(race& r, const std::string& by);
  std::optional<action_error> make_invitational(race& r, const std::string& by);
  std::optional<action_error> begin(race& r, const std::string& by);
  std::optional<action_error> cancel(race& r, const std::string& by);
  /// invite, accept_request, force_unready, remove_entrant, add_monitor,
  /// remove_monitor, override_stream on `user_id`.
  std::optional<action_error> entrant_action(race& r, const std::string& by,
                                             const std::string& action,
                                             const std::string& user_id);

  // --- what users do (control API) -------------------------------------------
  /// join, ready, unready, done, undone, forfeit, unforfeit, leave,
  /// accept_invite, decline_invite, request_invite, cancel_invite, and the
  /// racebot's stream_live / stream_offline.
  std::optional<action_error> user_does(race& r, const std::string& user_id,
                                        const std::string& what);
  /// A chat message from a user; `.ready`-style commands are run instead.
  std::optional<action_error> user_says(race& r, const std::string& user_id,
                                        const std::string& text);

  // --- faults
  // -----------------------------------------------------------------
  /// The next `count` race.data broadcasts of `r` reach sockets `delay`
  /// late, so the ones after them overtake (§7).
  void hold_race_updates(race& r, std::chrono::milliseconds delay, int count);

  // --- records --------------------------------------------------------------
  void record(bot_record r);
  const std::deque<bot_record>& records() const { return records_; }

  std::chrono::milliseconds scaled(std::chrono::milliseconds d) const;
  time_point now() const;

 private:
  entrant* find_entrant(race& r, const std::string& user_id);
  const user* find_user(const std::string& id) const;
  std::string display(const entrant& e) const;
  bool can_join(const race& r, const user& u) const;
  bool user_in_active_race(const std::string& user_id) const;
  void add_message(race& r, const std::string& text, bool highlight = false,
                   bool broadcast = true);
  void broadcast_chat(race& r, const chat_message& m);
  void broadcast_data(race& r);
  void touch(race& r); ///< version++ and race.data
  void check_readiness(race& r);
  /// Race.cancel(): the state change, whoever cancels.
  void mark_cancelled(race& r);
  /// racebot.py's check of an open race with fewer than two entrants
  /// joined, `warned` once the warning went out.
  void check_low_entrants(const std::string& slug, bool warned);
  void start_countdown(race& r, const std::optional<std::string>& by);
  void start(race& r);
  void finish_if_none_remaining(race& r);
  void finish(race& r);
  void recalculate_places(race& r);
  std::optional<action_error> invite(race& r, const std::string& by,
                                     const user& u);
  std::optional<action_error> monitor(race& r, const std::string& by,
                                      const entrant& e, bool add);
  std::optional<action_error> join(race& r, const user& u, bool request);
  std::optional<action_error> set_ready(race& r, entrant& e, bool ready);
  /// leave, accept_invite, decline_invite, cancel_invite.
  std::optional<action_error> answer(race& r, entrant& e,
                                     const std::string& what);
  std::optional<action_error> end_run(race& r, entrant& e, bool forfeit);
  std::optional<action_error> undo_result(race& r, entrant& e, bool finish);
  std::optional<std::string> command_for(const std::string& word,
                                         const race& r) const;
  std::optional<action_error> run_command(race& r, const std::string& uid,
                                          const std::string& word,
                                          const std::string& command);
  std::optional<action_error> chat_refusal(race& r, const std::string& uid);
  std::string random_string(std::size_t n);
  std::string new_slug();

  hooks hooks_;
  double time_scale_;
  std::mt19937_64 rng_;
  oauth_provider oauth_;
  std::map<std::string, category> categories_;
  user_table users_;
  std::map<std::string, race> races_; ///< by slug
  std::map<std::string, std::chrono::steady_clock::time_point> guids_;
  std::deque<bot_record> records_;
  std::chrono::seconds guid_window_{300};
  std::chrono::milliseconds low_entrants_limit_{std::chrono::minutes{30}};
};

/// Django's CheckboxInput: only "false" (any case) and "" are false; a
/// missing field takes the model default.
bool django_bool(const std::string* value, bool model_default);

} // namespace racecontrol::sim
