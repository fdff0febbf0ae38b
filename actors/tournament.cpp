#include "actors/tournament.hpp"

#include "actors/error.hpp"
#include "actors/room_checks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

using tournament_pointer = tournament_actor::stateful_pointer<tournament_state>;

timestamp now() {
  return std::chrono::system_clock::now();
}

/// Whether the match is timed here at all. Told once why it gets no room,
/// it need not be asked again until that changes: a match turned back to
/// automatic rooms is asked at once, and one moved to a time whose window
/// has not passed is timed again (its reason still names the old time).
bool timed(const upcoming_match& m, const tournament_plan& plan,
           const tournament_options& options, timestamp t) {
  auto told = [&](const char* code) {
    return m.reason_code && *m.reason_code == code;
  };
  if (m.has_room || !m.scheduled_at)
    return false;
  if (!m.auto_create && told("match_auto_create_off"))
    return false;
  return !told("window_passed") ||
         window(*m.scheduled_at, plan.room_open_minutes_before, options.grace,
                t) != window_state::past_grace;
}

timestamp open_time_of(const tournament_plan& plan, const upcoming_match& m) {
  return open_time(*m.scheduled_at, plan.room_open_minutes_before);
}

/// `at` rounded up to the next multiple of `step` since the epoch.
timestamp round_up(timestamp at, std::chrono::milliseconds step) {
  if (step.count() <= 0)
    return at;
  auto since = at.time_since_epoch();
  auto steps = (since + step - timestamp::duration{1}) / step;
  return timestamp{std::chrono::duration_cast<timestamp::duration>(step) *
                   steps};
}

/// Asks the supervisor to open every timed match whose open time has come
/// and came after `after` (timestamp::min(): all of them), then arms
/// one timer at the next open time. One timer per tournament, not one per
/// match: a reload every recheck_interval would otherwise arm a timer for
/// each of its matches again (a thousand matches, a thousand timers every
/// 30 s, each firing later for nothing).
void sweep(tournament_pointer self, timestamp after) {
  auto& st = self->state;
  const auto& plan = *st.plan;
  auto t = now();
  // Already asked for: those due by `after` (none when the wall clock
  // stepped back past it, so every due match is asked for again).
  auto asked_until = after <= t ? after : timestamp::min();
  std::optional<timestamp> next;
  for (const auto& m : plan.matches) {
    if (!timed(m, plan, st.options, t))
      continue;
    auto at = open_time_of(plan, m);
    if (at > t) {
      next = next ? std::min(*next, at) : at;
    } else if (at > asked_until) {
      self->send(st.parent, atom::due::value, st.tournament_id, m.match_id);
    }
  }
  st.swept_until = t;
  auto number = ++st.timer; // an older timer still armed is now stale
  if (!next)
    return;
  auto wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(
                           round_up(*next, st.options.open_step) - t) +
                           std::chrono::milliseconds{1},
                       st.options.max_timer);
  self->delayed_send(self, wait, atom::due::value, number);
}

void reload(tournament_pointer self) {
  auto& st = self->state;
  if (st.loading)
    return;
  st.loading = true;
  self->request(st.db, db_request_timeout, atom::get::value,
                plan_window(st.options, st.tournament_id, std::nullopt))
      .then(
          [self](std::vector<tournament_plan>& plans) {
            auto& st = self->state;
            st.loading = false;
            if (plans.empty() || !plans.front().auto_create) {
              spdlog::info("tournament {}: no longer opens rooms by itself "
                           "(gone, inactive or auto-create off)",
                           st.tournament_id);
              self->quit();
              return;
            }
            st.plan = std::move(plans.front());
            // Every due match again: one a check blocked may pass now.
            sweep(self, timestamp::min());
          },
          [self](caf::error& err) {
            self->state.loading = false;
            spdlog::warn("tournament {}: cannot load its matches ({}); "
                         "trying again in {} ms",
                         self->state.tournament_id, describe(err),
                         self->state.options.recheck_interval.count());
          });
}

} // namespace

plan_query plan_window(const tournament_options& options,
                       std::optional<std::int32_t> tournament_id,
                       std::optional<std::int32_t> organization_id) {
  plan_query q;
  q.tournament_id = tournament_id;
  q.organization_id = organization_id;
  auto t = now();
  q.from = t - std::chrono::duration_cast<timestamp::duration>(
                   options.grace + options.report_window);
  q.to = t + options.lookahead;
  return q;
}

tournament_actor::behavior_type
tournament(tournament_actor::stateful_pointer<tournament_state> self,
           std::int32_t tournament_id, automation_store_actor db,
           tournament_supervisor_actor parent, tournament_options options) {
  auto& st = self->state;
  st.tournament_id = tournament_id;
  st.db = std::move(db);
  st.parent = std::move(parent);
  st.options = options;
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  reload(self);
  self->delayed_send(self, st.options.recheck_interval, atom::tick::value);
  return {
      [self](atom::reload) {
        reload(self);
      },
      [self](atom::tick) {
        reload(self);
        self->delayed_send(self, self->state.options.recheck_interval,
                           atom::tick::value);
      },
      [self](atom::due, std::uint64_t number) {
        auto& st = self->state;
        if (number != st.timer || !st.plan)
          return; // an older timer
        sweep(self, st.swept_until);
      },
      [self](atom::opened, const match_outcome& o) {
        if (!self->state.plan)
          return;
        for (auto& m : self->state.plan->matches)
          if (m.match_id == o.match_id) {
            m.has_room = o.has_room;
            if (!o.reason_code.empty())
              m.reason_code = o.reason_code;
          }
      },
  };
}

} // namespace racecontrol
