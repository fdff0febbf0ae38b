#include "actors/room_checks.hpp"

#include <algorithm>
#include <ctime>
#include <utility>

namespace racecontrol {

namespace {

check_verdict blocked(std::string code, std::string message) {
  return {check_verdict::kind::blocked, {std::move(code), std::move(message)}};
}

std::string bot_name(const match_open_context& m) {
  return "bot " + (m.bot_name.empty() ? std::string{"?"} : m.bot_name) +
         " (id " + std::to_string(m.bot_id.value_or(0)) + ", category " +
         m.bot_category + ")";
}

std::optional<check_verdict> check_bot(const match_open_context& m,
                                       const bot_info* live) {
  const auto& t = m.tournament_name;
  if (!m.bot_id)
    return blocked("no_bot", "tournament '" + t +
                                 "' has no racetime.gg bot: assign one in "
                                 "its RaceTime settings");
  if (!m.bot_active)
    return blocked("no_bot", "the " + bot_name(m) + " of tournament '" + t +
                                 "' is deactivated: activate it or assign "
                                 "another bot");
  if (!m.bot_assigned)
    return blocked("no_bot", "the " + bot_name(m) + " of tournament '" + t +
                                 "' is not assigned to its organization: "
                                 "assign it (racetime_bot_organizations) or "
                                 "choose a bot that is");
  if (!live)
    return blocked("bot_not_connected",
                   "the " + bot_name(m) +
                       " is not running in racecontrold (starting, or "
                       "restarting after a failure): see the bots' status");
  // Just started: racecontrold has not heard from racetime.gg yet. Not a
  // reason to report; the bot's first state brings the match back.
  if (live->status == "starting")
    return check_verdict{
        check_verdict::kind::wait,
        {"bot_starting", "the " + bot_name(m) +
                             " is starting (no answer from racetime.gg "
                             "yet): try again in a moment"}};
  if (live->status != "connected" || !live->has_token)
    return blocked(
        "bot_not_connected",
        "the " + bot_name(m) + " is " + live->status +
            (live->message.empty() ? std::string{} : ": " + live->message) +
            (live->status == "auth_failed"
                 ? " (check its client id and secret on "
                   "racetime.gg, then reload the bots)"
                 : ""));
  return std::nullopt;
}

std::optional<check_verdict> check_links(const match_open_context& m) {
  if (!m.require_racetime_link)
    return std::nullopt;
  std::string names;
  int missing = 0;
  for (const auto& p : m.players) {
    if (p.racetime_id)
      continue;
    names += (missing++ ? ", " : "") + p.display_name;
  }
  if (missing == 0)
    return std::nullopt;
  return blocked("players_not_linked",
                 std::string{missing == 1 ? "player " : "players "} + names +
                     (missing == 1 ? " has" : " have") +
                     " not linked a racetime.gg account, which tournament '" +
                     m.tournament_name +
                     "' requires: each must link it from their profile");
}

bool creating(const match_open_context& m) {
  return m.room && m.room->claim_state == "creating";
}

const bot_info* bot_of(const match_open_context& m,
                       const std::vector<bot_info>& bots) {
  if (!m.bot_id)
    return nullptr;
  auto it = std::find_if(bots.begin(), bots.end(), [&](const bot_info& b) {
    return b.bot_id == *m.bot_id;
  });
  return it == bots.end() ? nullptr : &*it;
}

} // namespace

timestamp open_time(timestamp scheduled_at, std::int32_t open_minutes_before) {
  return scheduled_at - std::chrono::minutes{open_minutes_before};
}

window_state window(timestamp scheduled_at, std::int32_t open_minutes_before,
                    std::chrono::microseconds grace, timestamp now) {
  if (now < open_time(scheduled_at, open_minutes_before))
    return window_state::not_yet;
  if (now < scheduled_at + grace)
    return window_state::due;
  return window_state::past_grace;
}

std::string match_label(const match_open_context& m) {
  return "match " + std::to_string(m.match_id) +
         (m.match_title.empty() ? "" : " '" + m.match_title + "'");
}

std::string utc_minutes(timestamp t) {
  auto secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M UTC", &tm);
  return out;
}

check_verdict check(const match_open_context& m, const bot_info* live_bot,
                    timestamp now, std::chrono::microseconds grace,
                    open_mode mode) {
  bool automatic = mode == open_mode::automatic;
  // Asked for by hand, a match's room is the answer whatever holds now
  // (its bot dropped, the match finished): a refusal would hide the room and
  // store, audit and announce a reason for a match that has one.
  if (!automatic && m.room)
    return {check_verdict::kind::has_room, {}};
  auto match = match_label(m);
  if (m.finished_at)
    return blocked("match_finished", match + " is finished: no room is "
                                             "opened for it");
  if (automatic && !m.tournament_active)
    return blocked("tournament_inactive",
                   "tournament '" + m.tournament_name + "' is inactive");
  if (automatic && !m.tournament_auto_create)
    return blocked("tournament_auto_create_off",
                   "tournament '" + m.tournament_name +
                       "' does not open rooms by itself: enable Auto-Create "
                       "Rooms in its RaceTime settings, or open the room by "
                       "hand");
  if (auto failed = check_bot(m, live_bot))
    return *failed;
  if (automatic && !m.match_auto_create)
    return blocked("match_auto_create_off",
                   match + " has automatic rooms turned off: turn them on "
                           "for the match, or open its room by hand");
  if (automatic) {
    if (!m.scheduled_at)
      return blocked("not_scheduled",
                     match + " has no scheduled time: schedule it");
    auto grace_minutes =
        std::chrono::duration_cast<std::chrono::minutes>(grace).count();
    switch (window(*m.scheduled_at, m.room_open_minutes_before, grace, now)) {
      case window_state::not_yet:
        return {check_verdict::kind::wait, {}};
      case window_state::past_grace:
        return blocked(
            "window_passed",
            match + " was due to open at " +
                utc_minutes(
                    open_time(*m.scheduled_at, m.room_open_minutes_before)) +
                " (scheduled " + utc_minutes(*m.scheduled_at) + ", grace " +
                std::to_string(grace_minutes) +
                " min) and was not opened in time: open it by hand if it "
                "is still wanted");
      case window_state::due:
        break;
    }
  }
  if (m.room)
    return {check_verdict::kind::has_room, {}};
  if (auto failed = check_links(m))
    return *failed;
  return {check_verdict::kind::open, {}};
}

open_decision decide_open(const match_open_context& m,
                          const std::vector<bot_info>& bots, timestamp now,
                          std::chrono::microseconds grace, open_mode mode,
                          open_overrides overrides, std::string requested_by) {
  using kind = open_decision::kind;
  open_decision d;
  if (creating(m) && !m.room->requested_by.empty() && requested_by.empty()) {
    // An earlier life's manual claim: if its room must be asked for again,
    // ask with the overrides the organizer gave then.
    requested_by = m.room->requested_by;
    overrides = {m.room->requested_goal, m.room->requested_invitational};
  }
  d.settings = match_room_settings(m, overrides, "");
  d.overrides = std::move(overrides);
  d.requested_by = std::move(requested_by);
  if (creating(m)) {
    // An earlier life's claim: racetime.gg may have the room already.
    d.what = kind::existing_room;
    return d;
  }
  auto verdict = check(m, bot_of(m, bots), now, grace, mode);
  d.reason = std::move(verdict.reason);
  switch (verdict.what) {
    case check_verdict::kind::wait:
      d.what = kind::wait;
      return d;
    case check_verdict::kind::blocked:
      d.what = kind::blocked;
      return d;
    case check_verdict::kind::has_room:
      // The room's own settings, not this request's overrides: the answer
      // names the goal the room was opened with.
      d.what = kind::existing_room;
      d.settings = match_room_settings(
          m, {m.room->requested_goal, m.room->requested_invitational}, "");
      return d;
    case check_verdict::kind::open:
      break;
  }
  // racetime.gg refused exactly these settings: sending them again would
  // loop. The reason stays until someone changes them.
  d.what =
      m.refused_settings && *m.refused_settings == settings_hash(d.settings)
          ? kind::refused_before
          : kind::claim;
  return d;
}

open_decision decide_open(const match_open_context& m,
                          const opening_request& asked) {
  return decide_open(m, asked.bots, asked.now,
                     std::chrono::microseconds{asked.grace_us},
                     asked.manual ? open_mode::manual : open_mode::automatic,
                     {asked.goal, asked.invitational}, asked.requested_by);
}

} // namespace racecontrol
