#pragma once

// Everything racetime-sim knows: categories, OAuth applications and bots,
// users, tokens, races with their chat, and what bots did. Pure logic, no
// sockets: the HTTP and WebSocket layers call it, and it reports broadcasts
// and asks for timers through the hooks below. Single-threaded by design.

#include "protocol/bot_actions.hpp"
#include "protocol/race_data.hpp"
#include "protocol/server_messages.hpp"

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

using protocol::time_point;
using system_clock = std::chrono::system_clock;

struct category {
  std::string slug;
  std::string name;
  std::string short_name;
  std::vector<std::string> goals;
  bool allow_partitionable = false;
  bool allow_hide_entrants = false;
  bool unlisted_by_default = false;
};

/// A DOT application: a bot (client_credentials, bound to a category) or an
/// OAuth client for user account linking (authorization_code).
struct application {
  std::string client_id;
  std::string client_secret;
  std::string name;
  enum class grant { client_credentials, authorization_code } kind;
  std::string category; ///< bots only
  bool active = true;
  std::vector<std::string> redirect_uris; ///< authorization_code only
};

struct user {
  std::string id; ///< 16-character hash id
  std::string name;
  std::string discriminator; ///< "0000" shows as null
  std::optional<std::string> twitch_name;
  bool banned = false;

  protocol::user_summary summary() const;
};

struct token {
  std::string client_id;
  std::optional<std::string> user_id; ///< set for user tokens
  std::set<std::string> scopes;
  system_clock::time_point expires_at;
  std::optional<std::string> refresh_token;
};

struct entrant {
  entrant() = default;
  entrant(std::string user, protocol::entrant_status s)
      : user_id(std::move(user)), status(s) {}

  std::string user_id;
  protocol::entrant_status status = protocol::entrant_status::not_ready;
  std::optional<time_point> finished_at;
  std::optional<std::chrono::microseconds> finish_time;
  std::optional<std::int64_t> place;
  bool stream_live = true;
  bool stream_override = false;
};

/// Everything startrace/edit set, with racetime.gg's model defaults. Kept
/// apart from protocol::race_settings on purpose: the simulator models the
/// server's side (its fields and defaults), so a mistake in the client's
/// model shows up in the end-to-end tests instead of being shared.
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

struct race {
  std::string category;
  std::string slug;
  protocol::race_status status = protocol::race_status::open;
  std::int64_t version = 1;
  race_settings settings;
  time_point opened_at;
  std::optional<time_point> started_at;
  std::optional<time_point> ended_at;
  std::optional<time_point> cancelled_at;
  std::string opened_by_bot;
  std::vector<entrant> entrants;
  std::vector<std::string> monitors;
  std::string bot_meta = "{}";
  std::vector<protocol::chat_message> chat;
  std::uint64_t countdown = 0; ///< increments to cancel a stale countdown

  std::string name() const { return category + "/" + slug; }
};

/// One thing a bot did, as the control API reports it.
struct bot_record {
  time_point at;
  std::string kind; ///< "startrace", "edit", "action", "token", ...
  std::string client_id;
  std::string race;   ///< "category/slug" when it concerns one
  std::string detail; ///< JSON: the fields or action as received
};

/// Why an action was refused: racetime.gg's error text for the client.
struct action_error {
  std::string message;
};

class world {
 public:
  struct hooks {
    /// A frame for every socket of a race.
    std::function<void(const std::string& slug, const std::string& frame)>
        broadcast;
    /// Runs `f` after `delay` (already scaled) of real time.
    std::function<void(std::chrono::milliseconds delay,
                       std::function<void()> f)>
        schedule;
  };

  world(hooks h, double time_scale, std::uint64_t seed = 1);

  // --- setup (control API) --------------------------------------------
  void add_category(category c);
  void add_goal(const std::string& category, const std::string& goal);
  void add_application(application a);
  void add_user(user u);
  void set_authorize_user(std::string user_id);
  void set_token_lifetime(std::chrono::seconds s);
  void set_guid_window(std::chrono::seconds s);

  // --- OAuth2 -----------------------------------------------------------
  /// The access token, or the OAuth error text ("invalid_client", ...).
  struct grant_result {
    std::optional<std::string> access_token;
    std::optional<std::string> refresh_token;
    std::int64_t expires_in = 0;
    std::string scope;
    std::string error;
    unsigned status = 200;
  };
  grant_result grant(const std::map<std::string, std::string>& form);
  /// A code for the configured test user, or an error text.
  std::optional<std::string> authorize(const std::string& client_id,
                                       const std::string& redirect_uri,
                                       std::string& error);
  const token* find_token(const std::string& value) const;
  /// The active bot application of `category` behind a token, or nullptr.
  const application* bot_for(const std::string& token_value,
                             const std::string& category) const;
  void expire_tokens(const std::optional<std::string>& client_id);

  // --- races ------------------------------------------------------------
  const category* find_category(const std::string& slug) const;
  race* find_race(const std::string& slug);
  race* find_race(const std::string& category, const std::string& slug);
  /// Creates a race from startrace fields (already parsed); the name.
  std::string open_race(const application& bot, race_settings settings);
  void touch(race& r); ///< version++, broadcast race.data
  protocol::race_data race_data(const race& r) const;
  protocol::category_data category_data(const std::string& slug,
                                        bool include_unlisted) const;
  std::vector<std::string> race_slugs() const;

  /// A bot action on a race socket; errors go back to that socket only.
  std::optional<action_error> bot_action(race& r, const application& bot,
                                         const protocol::bot_action& action,
                                         std::vector<std::string>& replies);

  // --- entrants (control API: what users do) ------------------------
  std::optional<action_error> user_does(race& r, const std::string& user_id,
                                        const std::string& what);

  // --- records -----------------------------------------------------------
  void record(bot_record r);
  const std::deque<bot_record>& records() const { return records_; }
  const std::map<std::string, user>& users() const { return users_; }

  std::chrono::milliseconds scaled(std::chrono::milliseconds d) const;
  time_point now() const;

 private:
  entrant* find_entrant(race& r, const std::string& user_id);
  void system_message(race& r, const std::string& text);
  void bot_message(race& r, const application& bot,
                   const protocol::message_action& m);
  void check_auto_start(race& r);
  void start_countdown(race& r);
  void check_finished(race& r);
  std::optional<action_error> user_action(race& r,
                                          const protocol::user_action& a);
  std::optional<action_error> simple_action(race& r, const application& bot,
                                            const protocol::simple_action& a,
                                            std::vector<std::string>& replies);
  std::string random_string(std::size_t n);
  std::string new_slug();
  bool user_in_active_race(const std::string& user_id) const;

  hooks hooks_;
  double time_scale_;
  std::mt19937_64 rng_;
  std::map<std::string, category> categories_;
  std::map<std::string, application> apps_;
  std::map<std::string, user> users_;
  std::map<std::string, token> tokens_;
  std::map<std::string, std::string> refresh_tokens_; ///< refresh → access
  std::map<std::string, std::pair<std::string, std::string>> codes_;
  std::map<std::string, race> races_; ///< by slug
  std::map<std::string, std::chrono::steady_clock::time_point> guids_;
  std::deque<bot_record> records_;
  std::string authorize_user_;
  std::chrono::seconds token_lifetime_{36000};
  std::chrono::seconds guid_window_{300};
  std::uint64_t message_counter_ = 0;
};

/// Django's CheckboxInput: only "false" (any case) and "" are false; a
/// missing field takes the model default.
bool django_bool(const std::string* value, bool model_default);

} // namespace racecontrol::sim
