// What bots (race_bot_actions.py) and users (race_actions.py and the
// Entrant model) do to a race, with racetime.gg's chat messages and error
// texts. A bot or user appears in chat by name, without ##user## markup.

#include "tools/racetime-sim/sim_world.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

namespace racecontrol::sim {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t max_monitors = 5;
constexpr const char* sync_error = "Possible sync error. Refresh to continue.";

/// Django's CharField(strip=True).
std::string strip(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string::npos)
    return "";
  auto last = text.find_last_not_of(" \t\r\n\f\v");
  return text.substr(first, last - first + 1);
}

std::string too_long(const char* field, const std::string& value) {
  return std::string{field} +
         ": Ensure this value has at most 1000 characters (it has " +
         std::to_string(character_count(value)) + ").";
}

/// json.dumps(value)'s length: the compact text plus the space Python puts
/// after every ':' and ',' between values.
std::size_t python_dumps_length(const std::string& compact) {
  std::size_t extra = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    char c = compact[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ':' || c == ',') {
      ++extra;
    }
  }
  return compact.size() + extra;
}

std::string json_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  v.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

} // namespace

bool world::can_join(const race& r, const user& u) const {
  bool in_race =
      std::any_of(r.entrants.begin(), r.entrants.end(), [&](auto& e) {
        return e.user_id == u.id;
      });
  return !u.banned && !in_race &&
         (!r.settings.streaming_required || u.twitch_name) &&
         !user_in_active_race(u.id);
}

bool world::user_in_active_race(const std::string& user_id) const {
  return active_race(user_id).has_value();
}

std::optional<std::string>
world::active_race(const std::string& user_id) const {
  for (const auto& [slug, r] : races_) {
    if (is_done(r.state))
      continue;
    for (const auto& e : r.entrants)
      if (e.user_id == user_id && is_running(e))
        return r.name();
  }
  return std::nullopt;
}

// --- chat ------------------------------------------------------------------

std::optional<action_error> world::bot_message(race& r, const std::string& bot,
                                               const bot_chat& m) {
  bool valid_guid =
      !m.guid.empty() && std::all_of(m.guid.begin(), m.guid.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '-';
      });
  if (!valid_guid)
    return action_error{"Bad request, no GUID supplied. A unique string is "
                        "required to prevent duplicate messaging."};
  auto now_steady = std::chrono::steady_clock::now();
  auto seen = guids_.find(m.guid);
  if (seen != guids_.end() && now_steady - seen->second < guid_window_)
    return std::nullopt; // a duplicate: dropped without a word
  guids_[m.guid] = now_steady;
  // ChatBotForm, its errors in field order.
  std::vector<std::string> errors;
  bool dm = m.direct_to && !m.direct_to->empty();
  if (dm && find_user(*m.direct_to) == nullptr)
    errors.emplace_back("direct_to: Unrecognised user");
  auto text = strip(m.message.value_or(""));
  if (text.empty())
    errors.emplace_back("message: This field is required.");
  else if (character_count(text) > 1000)
    errors.push_back(too_long("message", text));
  if (!dm && m.action_count > 4)
    errors.emplace_back("actions: A message may only have up to 4 actions.");
  if (!errors.empty())
    return action_error{errors};
  auto closed_at = r.ended_at ? r.ended_at : r.cancelled_at;
  if (is_done(r.state) &&
      (r.recorded || (!r.settings.recordable && closed_at &&
                      *closed_at <= now() - std::chrono::hours{1})))
    return action_error{
        "This race chat is now closed. No new messages may be added."};
  chat_message msg;
  msg.id = random_string(16);
  msg.bot = bot;
  msg.posted_at = now();
  msg.message = text;
  if (dm) {
    msg.direct_to = m.direct_to;
  } else {
    msg.actions = m.action_count > 0 ? m.actions : "{}";
    msg.pinned = m.pinned;
  }
  r.chat.push_back(msg);
  broadcast_chat(r, r.chat.back());
  return std::nullopt;
}

std::optional<action_error> world::pin(race& r, const std::string& id,
                                       bool pinned) {
  auto it = std::find_if(r.chat.begin(), r.chat.end(), [&](auto& m) {
    return m.id == id;
  });
  if (it == r.chat.end())
    return action_error{"Could not find a message with that ID."};
  if (it->pinned != pinned) {
    it->pinned = pinned;
    if (hooks_.broadcast)
      hooks_.broadcast(r.slug, pinned ? "chat.pin" : "chat.unpin",
                       payload({{"message", chat_json(r, *it)}}));
  }
  return std::nullopt;
}

std::optional<action_error>
world::set_info(race& r, const std::string& bot,
                const std::optional<std::string>& info_bot,
                const std::optional<std::string>& info_user) {
  // RaceSetInfoForm without an instance: a field counts only when it is
  // not empty after stripping, so "" cannot clear anything (§7).
  std::vector<std::string> errors;
  auto cleaned_bot = strip(info_bot.value_or(""));
  auto cleaned_user = strip(info_user.value_or(""));
  if (character_count(cleaned_bot) > 1000)
    errors.push_back(too_long("info_bot", cleaned_bot));
  if (character_count(cleaned_user) > 1000)
    errors.push_back(too_long("info_user", cleaned_user));
  if (!errors.empty())
    return action_error{errors};
  if (!cleaned_bot.empty())
    r.settings.info_bot = cleaned_bot;
  if (!cleaned_user.empty())
    r.settings.info_user = cleaned_user;
  ++r.version;
  add_message(r, "##bot##" + bot + "## updated the race information.");
  return std::nullopt;
}

std::optional<action_error> world::set_meta(race& r,
                                            const std::string& object) {
  rapidjson::Document current, update;
  current.Parse(r.bot_meta.c_str());
  update.Parse<rapidjson::kParseIterativeFlag>(object.c_str());
  if (!current.IsObject() || !update.IsObject())
    return action_error{"Data provided is not serializable."};
  for (auto it = update.MemberBegin(); it != update.MemberEnd(); ++it) {
    current.RemoveMember(it->name);
    rapidjson::Value key(it->name, current.GetAllocator());
    rapidjson::Value value(it->value, current.GetAllocator());
    current.AddMember(key, value, current.GetAllocator());
  }
  auto merged = json_of(current);
  // len(json.dumps({'bot_meta': ...})) > 2048
  if (python_dumps_length("{\"bot_meta\":" + merged + "}") > 2048)
    return action_error{"Data provided is too large to save."};
  r.bot_meta = merged;
  ++r.version; // saved, not broadcast: it shows in the next race.data
  return std::nullopt;
}

// --- the room
// ------------------------------------------------------------------

std::optional<action_error> world::make_open(race& r, const std::string& by) {
  if (r.state != race_state::invitational)
    return action_error{"Race is not an invitational."};
  r.state = race_state::open;
  ++r.version;
  add_message(r, by + " sets the race to be open. Anyone may now join.");
  return std::nullopt;
}

std::optional<action_error> world::make_invitational(race& r,
                                                     const std::string& by) {
  if (r.state != race_state::open)
    return action_error{"Race is not open."};
  r.state = race_state::invitational;
  ++r.version;
  add_message(r, by + " sets the race to be invite only.");
  return std::nullopt;
}

std::optional<action_error> world::begin(race& r, const std::string& by) {
  if (r.settings.partitionable)
    return action_error{"Race cannot be partitioned yet."};
  auto ready = std::count_if(r.entrants.begin(), r.entrants.end(), [](auto& e) {
    return e.state == entrant_state::joined && e.ready;
  });
  if (!is_preparing(r.state) || ready < 2 || r.settings.team_race)
    return action_error{"Race cannot be started yet."};
  start_countdown(r, by);
  return std::nullopt;
}

std::optional<action_error> world::cancel(race& r, const std::string& by) {
  if (is_done(r.state))
    return action_error{std::string{"Cannot cancel a race that is in "} +
                        to_string(r.state) + " state."};
  mark_cancelled(r);
  ++r.version;
  add_message(r, "This race has been cancelled by " + by + ".");
  return std::nullopt;
}

void world::mark_cancelled(race& r) {
  r.state = race_state::cancelled;
  r.settings.unlisted = false;
  r.settings.recordable = false;
  r.cancelled_at = now();
  ++r.countdown;
  if (r.started_at) {
    r.ended_at = r.cancelled_at;
    for (auto& e : r.entrants)
      if (is_running(e))
        e.dnf = true;
  }
}

std::optional<action_error> world::entrant_action(race& r,
                                                  const std::string& by,
                                                  const std::string& action,
                                                  const std::string& user_id) {
  const user* u = find_user(user_id);
  if (u == nullptr)
    return action_error{"No user found matching the given ID."};
  entrant* e = find_entrant(r, user_id);
  if (action == "invite")
    return invite(r, by, *u);
  if (e == nullptr)
    return action_error{"Specified user is not a race entrant."};
  if (action == "add_monitor" || action == "remove_monitor")
    return monitor(r, by, *e, action == "add_monitor");
  auto name = display(*e);
  bool joined = e->state == entrant_state::joined;
  if (action == "accept_request") {
    if (e->state != entrant_state::requested)
      return action_error{"This user has not requested to join this race. "
                          "Refresh to continue."};
    e->state = entrant_state::joined;
    ++r.version;
    add_message(r, by + " accepts a request to join from " + name + ".");
  } else if (action == "force_unready") {
    if (!joined || !is_preparing(r.state) || !e->ready)
      return action_error{"You cannot force this entrant to unready at this "
                          "time. Refresh to continue."};
    e->ready = false;
    ++r.version;
    add_message(r, by + " unreadies " + name + ".");
  } else if (action == "remove_entrant") {
    if (e->state == entrant_state::declined || !is_preparing(r.state))
      return action_error{"You cannot remove this entrant at this time. "
                          "Refresh to continue."};
    r.entrants.erase(r.entrants.begin() + (e - r.entrants.data()));
    ++r.version;
    add_message(r, by + " removes " + name + " from the race.");
    check_readiness(r);
  } else if (action == "override_stream") {
    if (!joined || !is_preparing(r.state) || !r.settings.streaming_required ||
        r.settings.partitionable || e->stream_live || e->stream_override)
      return action_error{"You cannot set a stream override for this entrant "
                          "at this time. Refresh to continue."};
    e->stream_override = true;
    ++r.version;
    add_message(r, by + " sets a stream override for " + name + ".");
  } else {
    return action_error{"Action is missing or not recognised. Check your "
                        "input and try again."};
  }
  return std::nullopt;
}

std::optional<action_error> world::invite(race& r, const std::string& by,
                                          const user& u) {
  if (find_entrant(r, u.id) != nullptr)
    return action_error{u.display_name() + " is already an entrant."};
  if (!can_join(r, u))
    return action_error{u.display_name() +
                        " is not allowed to join this race."};
  if (!is_preparing(r.state))
    return action_error{"User is not eligible to join this race."};
  entrant invited;
  invited.user_id = u.id;
  invited.state = entrant_state::invited;
  r.entrants.push_back(invited);
  ++r.version;
  add_message(r, by + " invites " + u.display_name() + " to join the race.");
  if (hooks_.observe)
    hooks_.observe(race_event::invited, r.slug, u.id);
  return std::nullopt;
}

std::optional<action_error> world::monitor(race& r, const std::string& by,
                                           const entrant& e, bool add) {
  // Race.add_monitor counts before adding: `count() > MAX_MONITORS`.
  if (add && r.monitors.size() > max_monitors)
    return action_error{"Races cannot have more than 5 monitors."};
  // Anything else that does not apply is ignored without an error.
  if (is_done(r.state) || can_monitor(r, e.user_id) == add)
    return std::nullopt;
  if (add)
    r.monitors.push_back(e.user_id);
  else
    r.monitors.erase(
        std::remove(r.monitors.begin(), r.monitors.end(), e.user_id),
        r.monitors.end());
  ++r.version;
  add_message(r, by + (add ? " promoted " : " demoted ") + display(e) +
                     (add ? " to race monitor." : " from race monitor."));
  return std::nullopt;
}

// --- what users do -----------------------------------------------------------

std::optional<action_error> world::user_does(race& r, const std::string& uid,
                                             const std::string& what) {
  const user* u = find_user(uid);
  if (u == nullptr)
    return action_error{"No user found matching the given ID."};
  if (what == "join" || what == "request_invite")
    return join(r, *u, what == "request_invite" && !can_monitor(r, uid));
  entrant* e = find_entrant(r, uid);
  if (e == nullptr)
    return action_error{sync_error};
  if (what == "ready" || what == "unready")
    return set_ready(r, *e, what == "ready");
  if (what == "leave" || what == "accept_invite" || what == "decline_invite" ||
      what == "cancel_invite")
    return answer(r, *e, what);
  if (what == "done" || what == "forfeit")
    return end_run(r, *e, what == "forfeit");
  if (what == "undone" || what == "unforfeit")
    return undo_result(r, *e, what == "undone");
  if (what == "stream_live" || what == "stream_offline") {
    // racebot's Twitch poll: no chat, only a new race.data.
    e->stream_live = what == "stream_live";
    users_.at(e->user_id).live = e->stream_live;
    touch(r);
    return std::nullopt;
  }
  return action_error{sync_error};
}

std::optional<action_error> world::join(race& r, const user& u, bool request) {
  bool may_enter =
      r.state == race_state::open ||
      (r.state == race_state::invitational && can_monitor(r, u.id));
  if (!can_join(r, u) ||
      (request ? r.state != race_state::invitational : !may_enter))
    return action_error{"You are not eligible to join this race."};
  entrant e;
  e.user_id = u.id;
  e.state = request ? entrant_state::requested : entrant_state::joined;
  e.stream_live = u.live && u.twitch_name.has_value();
  r.entrants.push_back(e);
  ++r.version;
  add_message(r, u.display_name() + (request ? " requests to join the race."
                                             : " joins the race."));
  return std::nullopt;
}

std::optional<action_error> world::set_ready(race& r, entrant& e, bool ready) {
  bool joined = e.state == entrant_state::joined && is_preparing(r.state);
  bool streaming_ok =
      !r.settings.streaming_required || e.stream_live || e.stream_override;
  if (ready &&
      (!joined || r.settings.partitionable || e.ready || !streaming_ok))
    return action_error{"You cannot ready up at this time. Refresh to "
                        "continue."};
  if (ready && r.settings.team_race) // the sim has no teams to join
    return action_error{"You must join a team before readying up."};
  if (!ready && (!joined || !e.ready))
    return action_error{"You cannot unready at this time. Refresh to "
                        "continue."};
  e.ready = ready;
  ++r.version;
  auto unready =
      std::count_if(r.entrants.begin(), r.entrants.end(), [](auto& x) {
        return x.state == entrant_state::joined && !x.ready;
      });
  add_message(r, display(e) + (ready ? " is ready! (" : " is not ready. (") +
                     std::to_string(unready) + " remaining)");
  if (ready)
    check_readiness(r);
  return std::nullopt;
}

std::optional<action_error> world::answer(race& r, entrant& e,
                                          const std::string& what) {
  auto name = display(e);
  if (what == "leave") {
    if (e.state != entrant_state::joined)
      return action_error{"You cannot leave this race because you are not an "
                          "entrant anyway. Refresh to continue."};
    if (!is_preparing(r.state))
      return action_error{"You cannot leave this race because the race has "
                          "already started. Refresh to continue."};
  } else if (what == "cancel_invite") {
    if (e.state != entrant_state::requested)
      return action_error{"You do not have a join request to cancel. Refresh "
                          "to continue."};
  } else if (e.state != entrant_state::invited) {
    return action_error{"You have not been invited to join this race. "
                        "Refresh to continue."};
  }
  if (what == "accept_invite") {
    e.state = entrant_state::joined;
    const user* u = find_user(e.user_id);
    e.stream_live = u && u->live && u->twitch_name.has_value();
  } else {
    r.entrants.erase(r.entrants.begin() + (&e - r.entrants.data()));
  }
  ++r.version;
  add_message(r, name + (what == "leave"           ? " quits the race."
                         : what == "accept_invite" ? " accepts an invitation "
                                                     "to join."
                         : what == "cancel_invite" ? " withdraws a request to "
                                                     "join."
                                                   : " declines an invitation "
                                                     "to join."));
  if (what == "leave")
    check_readiness(r);
  return std::nullopt;
}

std::optional<action_error> world::end_run(race& r, entrant& e, bool forfeit) {
  bool racing = e.state == entrant_state::joined &&
                r.state == race_state::in_progress && e.ready && !e.dnf &&
                !e.dq && !e.finish_time;
  if (!racing)
    return action_error{forfeit ? "You cannot forfeit at this time. Refresh "
                                  "to continue."
                                : "You cannot finish at this time. Refresh to "
                                  "continue."};
  auto elapsed = now() - *r.started_at;
  if (elapsed < scaled(std::chrono::milliseconds{5s})) // on the sim's clock
    return action_error{forfeit
                            ? "You cannot forfeit this early. If you are using "
                              "an auto-splitter, you should configure it to "
                              "not auto-reset the timer when starting a run."
                            : "You cannot finish this early. Did you hit .done "
                              "by accident?"};
  if (forfeit) {
    e.dnf = true;
    ++r.version;
    add_message(r, display(e) + " has ##bad##forfeited## from the race.");
  } else {
    e.finish_time = std::chrono::duration_cast<microseconds>(elapsed);
    recalculate_places(r);
    ++r.version;
    add_message(r, display(e) + " has ##good##finished## in " +
                       ordinal(*e.place) + " place with a time of " +
                       timer_text(*e.finish_time, false) + "!");
  }
  finish_if_none_remaining(r);
  return std::nullopt;
}

std::optional<action_error> world::undo_result(race& r, entrant& e,
                                               bool finish) {
  auto name = display(e);
  auto at = r.ended_at ? r.ended_at : r.cancelled_at;
  bool unfinalized = is_done(r.state) && !r.recorded && at &&
                     *at >= now() - std::chrono::minutes{10};
  bool ok = e.state == entrant_state::joined &&
            (r.state == race_state::in_progress || unfinalized) && e.ready &&
            !e.dq &&
            (finish ? !e.dnf && e.finish_time : e.dnf && !e.finish_time);
  if (!ok)
    return action_error{finish ? "You cannot undo your finish at this time. "
                                 "Refresh to continue."
                               : "You cannot undo your forfeit at this time. "
                                 "Refresh to continue."};
  if (finish) {
    e.finish_time.reset();
    e.place.reset();
  } else {
    e.dnf = false;
  }
  e.comment.reset();
  ++r.version;
  add_message(r, name + (finish ? " is no longer done."
                                : " has un-forfeited from the race."));
  if (unfinalized) {
    r.state = race_state::in_progress;
    r.ended_at.reset();
    r.cancelled_at.reset();
    r.settings.recordable = !r.settings.custom_goal;
    ++r.version;
    add_message(r, "Race timer restarted.", true);
  }
  if (finish)
    recalculate_places(r);
  return std::nullopt;
}

// --- users' chat -------------------------------------------------------------

std::optional<action_error> world::user_says(race& r, const std::string& uid,
                                             const std::string& text) {
  if (find_user(uid) == nullptr)
    return action_error{"No user found matching the given ID."};
  auto message = strip(text);
  if (message.empty())
    return action_error{"message: This field is required."};
  if (character_count(message) > 1000)
    return action_error{too_long("message", message)};
  if (message[0] == '.') {
    auto word = message.substr(1, message.find(' ') - 1);
    std::transform(word.begin(), word.end(), word.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (auto command = command_for(word, r))
      return run_command(r, uid, word, *command);
  }
  if (auto refused = chat_refusal(r, uid))
    return refused;
  chat_message m;
  m.id = random_string(16);
  m.user_id = uid;
  m.posted_at = now();
  m.message = message;
  r.chat.push_back(m);
  broadcast_chat(r, r.chat.back());
  return std::nullopt;
}

std::optional<std::string> world::command_for(const std::string& word,
                                              const race& r) const {
  // race_actions.commands (entrant commands only).
  static const std::map<std::string, std::string> commands = {
      {"join", "join"},
      {"enter", "join"},
      {"leave", "leave"},
      {"unenter", "leave"},
      {"ready", "ready"},
      {"unready", "unready"},
      {"done", "done"},
      {"undone", "undone"},
      {"forfeit", "forfeit"},
      {"unforfeit", "unforfeit"},
      {"requestinvite", "request_invite"},
      {"cancelinvite", "cancel_invite"},
      {"acceptinvite", "accept_invite"},
      {"declineinvite", "decline_invite"}};
  if (word == "quit" || word == "brexit")
    return std::string{is_preparing(r.state) ? "leave" : "forfeit"};
  auto it = commands.find(word);
  if (it == commands.end())
    return std::nullopt;
  return it->second;
}

std::optional<action_error> world::run_command(race& r, const std::string& uid,
                                               const std::string& word,
                                               const std::string& command) {
  auto refused = user_does(r, uid, command);
  // Message.action rewords the "sync error" of a command.
  if (!refused || refused->message() != sync_error)
    return refused;
  if (word == "ready" && r.settings.streaming_required)
    return action_error{"You cannot ." + word +
                        " at this time (is your stream live yet?)."};
  return action_error{"You cannot ." + word +
                      " at this time (try reloading if you get stuck)."};
}

std::optional<action_error> world::chat_refusal(race& r,
                                                const std::string& uid) {
  // Message.assert_can_chat for a user who is not a moderator.
  bool monitor = can_monitor(r, uid);
  bool racing_time =
      r.state == race_state::pending || r.state == race_state::in_progress;
  if (!monitor && !r.settings.allow_prerace_chat && is_preparing(r.state))
    return action_error{"You do not have permission to chat prior to the "
                        "race."};
  if (!monitor && racing_time &&
      (!r.settings.allow_midrace_chat ||
       (!r.settings.allow_non_entrant_chat && !find_entrant(r, uid))))
    return action_error{"You do not have permission to chat during the "
                        "race."};
  auto closed_at = r.ended_at ? r.ended_at : r.cancelled_at;
  if (is_done(r.state) &&
      (r.recorded || (!r.settings.recordable && closed_at &&
                      *closed_at <= now() - std::chrono::hours{1})))
    return action_error{
        "This race chat is now closed. No new messages may be added."};
  auto recent = std::count_if(r.chat.begin(), r.chat.end(), [&](auto& m) {
    return m.user_id == uid && m.posted_at >= now() - 5s;
  });
  if (recent > 10)
    return action_error{"You are chatting too much. Please wait a few "
                        "seconds."};
  return std::nullopt;
}

} // namespace racecontrol::sim
