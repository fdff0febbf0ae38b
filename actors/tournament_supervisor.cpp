#include "actors/tournament_supervisor.hpp"

#include "actors/error.hpp"
#include "actors/room_checks.hpp"

#include <caf/actor_cast.hpp>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

using sup_pointer =
    tournament_supervisor_actor::stateful_pointer<tournament_supervisor_state>;

room_opener_actor spawn_opener(sup_pointer self, std::int32_t match_id,
                               opener_mode mode) {
  auto& st = self->state;
  auto opener = self->spawn(room_opener, match_id, mode,
                            caf::actor_cast<automation_store_actor>(st.db),
                            caf::actor_cast<room_bots_actor>(st.bots),
                            caf::actor_cast<room_watcher_actor>(st.rooms),
                            caf::actor_cast<opener_parent_actor>(self),
                            st.options.openers);
  self->monitor(opener);
  st.openers[match_id] = opener;
  (*st.opener_matches)[opener.address()] = match_id;
  return opener;
}

/// Opens the match's room unless an opener already works on it; true when
/// one was started now.
bool open_match(sup_pointer self, std::int32_t match_id) {
  if (self->state.stopping || self->state.openers.count(match_id) > 0)
    return false;
  spawn_opener(self, match_id, opener_mode::automatic);
  return true;
}

void ensure_tournament(sup_pointer self, std::int32_t id) {
  auto& st = self->state;
  if (st.stopping || st.tournaments.count(id) > 0)
    return;
  auto t = self->spawn(tournament, id,
                       caf::actor_cast<automation_store_actor>(st.db),
                       caf::actor_cast<tournament_supervisor_actor>(self),
                       st.options.tournaments);
  self->monitor(t);
  st.tournaments[id] = t;
  (*st.tournament_ids)[t.address()] = id;
  spdlog::info("tournaments: timing the rooms of tournament {}", id);
}

/// Whether the pass should ask an opener about this match: due (or past
/// its grace and not yet reported) and without a room.
bool worth_opening(const tournament_plan& t, const upcoming_match& m,
                   const tournament_options& options) {
  if (m.has_room || !m.scheduled_at)
    return false;
  auto w = window(*m.scheduled_at, t.room_open_minutes_before, options.grace,
                  std::chrono::system_clock::now());
  if (w == window_state::not_yet)
    return false;
  // Already told why: no opener needed until something changes (a
  // tournament actor re-checks its own blocked matches).
  if (!t.auto_create)
    return m.reason_code !=
           std::optional<std::string>{"tournament_auto_create_off"};
  if (!m.auto_create &&
      m.reason_code == std::optional<std::string>{"match_auto_create_off"})
    return false;
  return !(w == window_state::past_grace &&
           m.reason_code == std::optional<std::string>{"window_passed"});
}

open_pass_summary run_pass(sup_pointer self,
                           const std::vector<tournament_plan>& plans) {
  auto& st = self->state;
  open_pass_summary s;
  for (const auto& t : plans) {
    ++s.tournaments;
    if (t.auto_create) {
      ensure_tournament(self, t.tournament_id);
      self->send(st.tournaments[t.tournament_id], atom::reload::value);
    }
    for (const auto& m : t.matches) {
      if (!worth_opening(t, m, st.options.tournaments))
        continue;
      ++s.due;
      if (open_match(self, m.match_id))
        ++s.started;
      else
        ++s.in_flight;
    }
  }
  return s;
}

/// The tournaments that open rooms themselves, without their matches (an
/// empty window): all a tournament actor needs to start, in a light read.
plan_query automatic_tournaments() {
  plan_query q;
  q.from = std::chrono::system_clock::now();
  q.to = q.from - std::chrono::microseconds{1};
  return q;
}

/// Starts the actor of each tournament that opens rooms itself.
void start_automatic(sup_pointer self,
                     const std::vector<tournament_plan>& plans) {
  for (const auto& t : plans)
    if (t.auto_create)
      ensure_tournament(self, t.tournament_id);
}

void load_tournaments(sup_pointer self) {
  auto& st = self->state;
  self->request(st.db, db_request_timeout, atom::get::value,
                automatic_tournaments())
      .then(
          [self](std::vector<tournament_plan>& plans) {
            self->state.load_backoff.reset();
            start_automatic(self, plans);
          },
          [self](caf::error& err) {
            auto delay = self->state.load_backoff.next_delay();
            spdlog::warn("tournaments: cannot load the tournaments ({}); "
                         "trying again in {} ms",
                         describe(err), delay.count());
            self->delayed_send(self, delay, atom::reload::value);
          });
}

/// Every recheck interval: a tournament whose automatic rooms were turned
/// on outside racecontrold (the web app writes the row; no message comes)
/// gets its actor now, not at the next open pass, SIGHUP or restart. A
/// failed read is not retried: the next tick is the retry.
void discover_tournaments(sup_pointer self) {
  auto& st = self->state;
  if (st.stopping)
    return;
  self->delayed_send(self, st.options.tournaments.recheck_interval,
                     atom::tick::value);
  if (st.discovering)
    return;
  st.discovering = true;
  self->request(st.db, db_request_timeout, atom::get::value,
                automatic_tournaments())
      .then(
          [self](std::vector<tournament_plan>& plans) {
            self->state.discovering = false;
            start_automatic(self, plans);
          },
          [self](caf::error& err) {
            self->state.discovering = false;
            spdlog::debug("tournaments: cannot look for tournaments newly "
                          "opening rooms themselves ({})",
                          describe(err));
          });
}

/// At start: every claim an earlier life left `creating` gets an opener,
/// which finds its room or sends startrace again under the same claim.
void recover_claims(sup_pointer self) {
  auto& st = self->state;
  self->request(st.db, db_request_timeout, atom::get::value,
                atom::claims::value)
      .then(
          [self](std::vector<room_claim_row>& claims) {
            if (!claims.empty())
              spdlog::info("tournaments: recovering {} room claim(s) left "
                           "unfinished",
                           claims.size());
            for (const auto& c : claims)
              open_match(self, c.match_id);
            load_tournaments(self);
          },
          [self](caf::error& err) {
            auto delay = self->state.load_backoff.next_delay();
            spdlog::warn("tournaments: cannot read unfinished room claims "
                         "({}); trying again in {} ms",
                         describe(err), delay.count());
            self->delayed_send(self, delay, atom::load::value);
          });
}

void on_down(sup_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (auto o = st.opener_matches->find(msg.source);
      o != st.opener_matches->end()) {
    if (msg.reason && msg.reason != caf::exit_reason::user_shutdown)
      spdlog::error("tournaments: the room opener of match {} failed: {}",
                    o->second, describe(msg.reason));
    auto it = st.openers.find(o->second);
    if (it != st.openers.end() && it->second.address() == msg.source)
      st.openers.erase(it);
    st.opener_matches->erase(o);
    return;
  }
  if (auto t = st.tournament_ids->find(msg.source);
      t != st.tournament_ids->end()) {
    if (msg.reason && msg.reason != caf::exit_reason::user_shutdown)
      spdlog::error("tournaments: tournament {} failed: {}; loading it "
                    "again at the next pass",
                    t->second, describe(msg.reason));
    st.tournaments.erase(t->second);
    st.tournament_ids->erase(t);
  }
  if (st.stopping && st.opener_matches->empty() && st.tournament_ids->empty())
    self->quit();
}

/// Stops the tournaments and openers first: they are monitored, not
/// linked, and their timers would keep them alive past the daemon's stop.
void begin_stop(sup_pointer self, const caf::exit_msg& msg) {
  auto& st = self->state;
  if (st.stopping) {
    self->quit(msg.reason);
    return;
  }
  st.stopping = true;
  for (auto& [id, t] : st.tournaments)
    self->send_exit(t, caf::exit_reason::user_shutdown);
  for (auto& [id, o] : st.openers)
    self->send_exit(o, caf::exit_reason::user_shutdown);
  if (st.opener_matches->empty() && st.tournament_ids->empty())
    self->quit();
}

} // namespace

tournament_supervisor_actor::behavior_type tournament_supervisor(
    tournament_supervisor_actor::stateful_pointer<tournament_supervisor_state>
        self,
    persistence_actor db, bot_supervisor_actor bots,
    room_supervisor_actor rooms, tournament_supervisor_options options) {
  auto& st = self->state;
  st.db = std::move(db);
  st.bots = std::move(bots);
  st.rooms = std::move(rooms);
  st.options = std::move(options);
  st.load_backoff = protocol::backoff{st.options.openers.retry};
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  self->set_down_handler([self](caf::down_msg& msg) {
    on_down(self, msg);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    begin_stop(self, msg);
  });
  stop_children_at_exit(self, st.opener_matches);
  stop_children_at_exit(self, st.tournament_ids);
  self->send(st.bots, atom::subscribe::value,
             caf::actor_cast<bot_state_subscriber_actor>(self));
  self->send(self, atom::load::value);
  self->delayed_send(self, st.options.tournaments.recheck_interval,
                     atom::tick::value);
  return {
      [self](atom::load) {
        recover_claims(self);
      },
      [self](atom::tick) {
        discover_tournaments(self);
      },
      [self](atom::reload) {
        load_tournaments(self);
        for (auto& [id, t] : self->state.tournaments)
          self->send(t, atom::reload::value);
      },
      [self](atom::open,
             const open_pass& pass) -> caf::result<open_pass_summary> {
        if (self->state.draining) {
          spdlog::info("tournaments: draining; the open pass opens nothing");
          return open_pass_summary{};
        }
        auto rp = self->make_response_promise<open_pass_summary>();
        self->request(self->state.db, db_request_timeout, atom::get::value,
                      plan_window(self->state.options.tournaments, std::nullopt,
                                  pass.organization_id))
            .then(
                [self, rp](std::vector<tournament_plan>& plans) mutable {
                  rp.deliver(run_pass(self, plans));
                },
                [rp](caf::error& err) mutable {
                  rp.deliver(std::move(err));
                });
        return rp;
      },
      [self](atom::open, manual_open& request) -> caf::result<room_answer> {
        auto& st = self->state;
        if (st.stopping)
          return make_refusal("stopping", "racecontrold is stopping; ask "
                                          "again once it is back");
        if (st.draining)
          return make_refusal("draining",
                              "this node is draining (console `drain`) and "
                              "opens no rooms; `drain off` resumes");
        auto it = st.openers.find(request.match_id);
        auto opener =
            it != st.openers.end()
                ? it->second
                : spawn_opener(self, request.match_id, opener_mode::manual);
        return self->delegate(opener, atom::open::value, std::move(request));
      },
      [self](atom::changed, const automation_change& change) {
        if (change.what == automation_change::kind::tournament) {
          auto it = self->state.tournaments.find(change.id);
          if (it != self->state.tournaments.end())
            self->send(it->second, atom::reload::value);
          else
            load_tournaments(self);
          return;
        }
        for (auto& [id, t] : self->state.tournaments)
          self->send(t, atom::reload::value);
      },
      [self](atom::due, std::int32_t, std::int32_t match_id) {
        if (self->state.draining) {
          spdlog::info("tournaments: draining; match {} gets no room here",
                       match_id);
          return;
        }
        open_match(self, match_id);
      },
      [self](atom::drain, bool on) {
        if (self->state.draining != on)
          spdlog::warn("tournaments: {}",
                       on ? "draining: no new rooms are opened on this node "
                            "(rooms already open stay watched)"
                          : "drain ended: rooms are opened again");
        self->state.draining = on;
        return atom::ok::value;
      },
      [self](atom::opened, const match_outcome& o) {
        auto& st = self->state;
        auto t = st.tournaments.find(o.tournament_id);
        if (t != st.tournaments.end())
          self->send(t->second, atom::opened::value, o);
      },
      [self](atom::state, const bot_info& bot) {
        // A bot that connects unblocks its tournaments' matches now, not
        // at their next recheck.
        auto& last = self->state.bot_status[bot.bot_id];
        bool connected_now = bot.status == "connected" && last != "connected";
        last = bot.status;
        if (connected_now)
          for (auto& [id, t] : self->state.tournaments)
            self->send(t, atom::reload::value);
      },
  };
}

} // namespace racecontrol
