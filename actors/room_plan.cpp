#include "actors/room_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

namespace racecontrol {

namespace {

using persistence::entrant_state;
using persistence::match_player_info;
using persistence::room_context;
using protocol::entrant_snapshot;
using protocol::race_snapshot;

timestamp from_epoch_us(std::int64_t us) {
  return timestamp{std::chrono::microseconds{us}};
}

entrant_state state_of(const entrant_snapshot& e) {
  return {e.user_id, e.status, e.place, e.finish_time};
}

std::optional<entrant_state> state_of(const match_player_info& p) {
  if (!p.racetime_id || p.entrant_status.empty())
    return std::nullopt;
  return entrant_state{*p.racetime_id, p.entrant_status, p.finish_place,
                       p.finish_time};
}

const entrant_snapshot* find_entrant(const race_snapshot& race,
                                     const std::string& user_id) {
  for (const auto& e : race.entrants)
    if (e.user_id == user_id)
      return &e;
  return nullptr;
}

const match_player_info* find_player(const room_context& ctx,
                                     const std::string& racetime_id) {
  for (const auto& p : ctx.players)
    if (p.racetime_id && *p.racetime_id == racetime_id)
      return &p;
  return nullptr;
}

/// Entrants who are match players and whose state differs from what was
/// known before (the last snapshot, or the database for the first one).
std::vector<entrant_state> changed_entrants(const room_context& ctx,
                                            const race_snapshot* last,
                                            const race_snapshot& next) {
  std::vector<entrant_state> out;
  for (const auto& e : next.entrants) {
    const auto* player = find_player(ctx, e.user_id);
    if (player == nullptr)
      continue;
    std::optional<entrant_state> before;
    if (last != nullptr) {
      if (const auto* was = find_entrant(*last, e.user_id))
        before = state_of(*was);
    } else {
      before = state_of(*player);
    }
    auto now = state_of(e);
    if (!before || *before != now)
      out.push_back(std::move(now));
  }
  return out;
}

bool started(const std::string& status) {
  return status == "in_progress" || status == "finished";
}

void plan_people(const room_context& ctx, const race_snapshot& race,
                 const room_memory& memory, room_plan& plan) {
  if (accepts_entrants(race.status))
    for (const auto& p : ctx.players)
      if (p.racetime_id && find_entrant(race, *p.racetime_id) == nullptr &&
          memory.invited.count(*p.racetime_id) == 0)
        plan.invite.push_back(*p.racetime_id);
  for (const auto& e : race.entrants)
    if (e.status == "requested" && find_player(ctx, e.user_id) != nullptr &&
        memory.accepted.count(e.user_id) == 0)
      plan.accept.push_back(e.user_id);
}

} // namespace

bool accepts_entrants(const std::string& s) {
  return s == "open" || s == "invitational";
}

bool race_over(const std::string& s) {
  return s == "finished" || s == "cancelled";
}

bool outcomes_changed(const room_context& ctx, const race_snapshot& last,
                      const race_snapshot& next) {
  return !changed_entrants(ctx, &last, next).empty();
}

room_plan plan_room(const room_context& ctx, const race_snapshot* last,
                    const race_snapshot& next, const room_memory& memory,
                    std::chrono::system_clock::time_point now) {
  room_plan plan;
  plan_people(ctx, next, memory, plan);
  std::optional<timestamp> started_at;
  if (next.started_at && started(next.status))
    started_at = from_epoch_us(*next.started_at);
  if (next.status == "finished") {
    persistence::room_result r;
    r.room_id = ctx.room.id;
    r.match_id = ctx.room.match_id;
    for (const auto& e : next.entrants)
      if (find_player(ctx, e.user_id) != nullptr)
        r.entrants.push_back(state_of(e));
    r.started_at = started_at;
    r.ended_at =
        next.ended_at
            ? from_epoch_us(*next.ended_at)
            : std::chrono::time_point_cast<std::chrono::microseconds>(now);
    plan.result = std::move(r);
    plan.end = race_end::finished;
    return plan;
  }
  persistence::room_progress p;
  p.room_id = ctx.room.id;
  p.match_id = ctx.room.match_id;
  const auto& before = last != nullptr ? last->status : ctx.room.status;
  // A parked room watched again (an operator asked, or a start tries it)
  // has its status written once more, which clears parked_at: the row no
  // longer says parked (API, metrics, a cluster's placement) while it is
  // watched.
  bool unparked = last == nullptr && ctx.room.parked;
  bool status_changed = next.status != before || unparked;
  if (next.status == "cancelled")
    plan.end = race_end::cancelled; // the closure records the status
  else if (next.status == "partitioned")
    plan.end = race_end::partitioned; // so does this one
  else if (status_changed)
    p.status = next.status;
  p.entrants = changed_entrants(ctx, last, next);
  bool first_start =
      started_at && (last == nullptr ? ctx.match && !ctx.match->started_at
                                     : !started(last->status));
  if (first_start)
    p.started_at = started_at;
  if (p.status || !p.entrants.empty() || p.started_at)
    plan.progress = std::move(p);
  return plan;
}

room_plan plan_invitations(const room_context& ctx, const race_snapshot& last,
                           const room_memory& memory) {
  room_plan plan;
  plan_people(ctx, last, memory, plan);
  return plan;
}

// --- chat commands ----------------------------------------------------

namespace {

std::string utc_text(timestamp t) {
  auto secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string span_text(std::chrono::seconds s) {
  auto total = s.count() < 0 ? -s.count() : s.count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld",
                static_cast<long long>(total / 3600),
                static_cast<long long>(total / 60 % 60),
                static_cast<long long>(total % 60));
  return buf;
}

std::string player_names(const room_context& ctx) {
  std::string out;
  for (const auto& p : ctx.players)
    out += (out.empty() ? "" : " vs ") + p.display_name;
  return out;
}

std::string entrant_text(const std::string& status) {
  if (status == "not_ready")
    return "not ready";
  if (status == "in_progress")
    return "racing";
  if (status == "done")
    return "finished";
  return status;
}

std::string players_answer(const room_context& ctx, const race_snapshot* race) {
  if (ctx.players.empty())
    return "This room has no match players.";
  std::string out;
  for (const auto& p : ctx.players) {
    out += out.empty() ? "" : "; ";
    out += p.display_name + ": ";
    if (!p.racetime_id) {
      out += "not linked to racetime.gg";
      continue;
    }
    out += "linked (" + p.racetime_name.value_or(*p.racetime_id) + "), ";
    const auto* e = race ? find_entrant(*race, *p.racetime_id) : nullptr;
    out += e ? entrant_text(e->status) : "not in the room";
  }
  return out;
}

std::string time_answer(const room_context& ctx, const race_snapshot* race,
                        std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  if (race && race->started_at && started(race->status)) {
    auto start = from_epoch_us(*race->started_at);
    if (race->ended_at)
      return "The race took " +
             span_text(duration_cast<seconds>(from_epoch_us(*race->ended_at) -
                                              start)) +
             ".";
    return "The race has been running for " +
           span_text(duration_cast<seconds>(now - start)) + ".";
  }
  if (!ctx.match || !ctx.match->scheduled_at)
    return "This match has no scheduled time.";
  auto at = *ctx.match->scheduled_at;
  auto left = duration_cast<seconds>(at - now);
  if (left.count() >= 0)
    return "Scheduled for " + utc_text(at) + ", in " + span_text(left) + ".";
  return "Scheduled for " + utc_text(at) + ", " + span_text(left) +
         " ago; the race has not started.";
}

} // namespace

std::string chat_command(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  if (i >= text.size() || text[i] != '!')
    return "";
  std::string out;
  for (++i;
       i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]));
       ++i)
    out.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
  return out;
}

std::string answer_command(const std::string& command, const room_context& ctx,
                           const race_snapshot* race,
                           std::chrono::system_clock::time_point now) {
  if (command == "help")
    return "racecontrol runs this room. Commands: !match (the match), !time "
           "(to the start, or since), !players (who is linked and here).";
  if (command == "match") {
    if (!ctx.match)
      return "This room belongs to no tournament match.";
    const auto& m = *ctx.match;
    std::string out = m.tournament_name;
    if (!m.title.empty())
      out += " - " + m.title;
    out += ": " + player_names(ctx);
    out += m.scheduled_at ? " - scheduled " + utc_text(*m.scheduled_at)
                          : std::string{" - not scheduled"};
    return out + ".";
  }
  if (command == "time")
    return time_answer(ctx, race, now);
  if (command == "players")
    return players_answer(ctx, race);
  return "";
}

bool answer_limiter::allow(const std::string& command, time_point now) {
  if (tokens_ < 0) {
    tokens_ = burst_;
    refilled_ = now;
  }
  auto elapsed = std::chrono::duration<double>(now - refilled_) /
                 std::chrono::duration<double>(interval_);
  tokens_ = std::min<double>(burst_, tokens_ + elapsed);
  refilled_ = now;
  for (auto& [name, at] : last_by_command_)
    if (name == command && now - at < interval_)
      return false;
  if (tokens_ < 1)
    return false;
  tokens_ -= 1;
  auto it = std::find_if(last_by_command_.begin(), last_by_command_.end(),
                         [&](const auto& x) {
                           return x.first == command;
                         });
  if (it == last_by_command_.end())
    last_by_command_.emplace_back(command, now);
  else
    it->second = now;
  return true;
}

} // namespace racecontrol
