// Placing rooms on workers, for one room:
//
//   watch/poll ──► place: the worker with the fewest rooms
//                    │ no worker: waits (placed when one joins)
//                    ▼
//                  assign in MariaDB (owner_node, owner_epoch + 1)
//                    ▼
//                  `watch` to that worker's room supervisor ──► placed
//
// A worker whose lease ran out (the cluster registry says `leave`), or that
// joins again, has its rooms placed anew: the new epoch fences whatever its
// old watchers still try to write.

#include "actors/room_placer.hpp"

#include "actors/error.hpp"

#include <caf/actor_cast.hpp>

#include <spdlog/spdlog.h>

#include <memory>

namespace racecontrol {

namespace {

using placer_pointer = room_placer_pointer;

/// How long a worker that did not take a room gets no new ones.
constexpr std::chrono::seconds avoid_after_failure{5};

/// The worker to place a room on: the fewest rooms, not draining, and no
/// watch refused in the last few seconds (a failed watch takes the room off
/// the worker's count, so a dead worker would stay the least loaded and get
/// every room); "" when there is none.
std::string least_loaded(placer_pointer self) {
  const placed_worker* best = nullptr;
  std::string name;
  auto now = self->clock().now();
  for (const auto& [n, w] : self->state.workers) {
    if (w.draining || now < w.avoid_until)
      continue;
    if (!best || w.room_ids.size() < best->room_ids.size()) {
      best = &w;
      name = n;
    }
  }
  return name;
}

void place(placer_pointer self, const room_record& room);

/// A placement did not happen: the room waits and is tried again soon.
void placement_failed(placer_pointer self, const std::string& node,
                      const room_record& room, const caf::error& err) {
  auto& st = self->state;
  st.placing.erase(room.id);
  if (auto w = st.workers.find(node); w != st.workers.end())
    w->second.room_ids.erase(room.id);
  if (is(err, ec::not_found)) {
    spdlog::warn("placement: room {} is gone from the database; not placed",
                 room.slug);
    return;
  }
  spdlog::warn("placement: cannot place room {} (id {}) on {} ({}); trying "
               "again",
               room.slug, room.id, node, describe(err));
  st.waiting[room.id] = room;
  self->delayed_send(self, std::chrono::seconds{1}, atom::place::value);
}

/// Step 2: the worker watches the room under its new epoch.
void watch_on(placer_pointer self, const std::string& node,
              const room_supervisor_actor& rooms, room_record rec) {
  auto w = self->state.workers.find(node);
  if (w == self->state.workers.end() || w->second.rooms != rooms)
    return placement_failed(self, node, rec,
                            make_error(ec::refused, "the worker left"));
  self->request(rooms, self->state.options.request_timeout, atom::watch::value,
                rec)
      .then(
          [self, node, rooms, rec](atom::ok) {
            auto& st = self->state;
            // The worker's lease ran out while it took the room (it then
            // stops every room it holds): placed there, nobody would watch
            // it, and nothing would place it again.
            auto w = st.workers.find(node);
            if (w == st.workers.end() || w->second.rooms != rooms ||
                w->second.room_ids.count(rec.id) == 0)
              return placement_failed(
                  self, node, rec,
                  make_error(ec::refused, "the worker left while it took "
                                          "the room"));
            st.placing.erase(rec.id);
            st.placed[rec.id] = rec;
            st.placed_at[rec.id] = ++st.placements;
            spdlog::info("placement: room {} (id {}) watched on {} (epoch {})",
                         rec.slug, rec.id, node, rec.owner_epoch);
          },
          [self, node, rooms, rec](const caf::error& err) {
            auto& st = self->state;
            if (auto w = st.workers.find(node);
                w != st.workers.end() && w->second.rooms == rooms)
              w->second.avoid_until = self->clock().now() + avoid_after_failure;
            placement_failed(self, node, rec, err);
          });
}

/// Places `room` on the least loaded worker, unless it is placed already.
void place(placer_pointer self, const room_record& room) {
  auto& st = self->state;
  if (st.placed.count(room.id) || st.placing.count(room.id))
    return;
  if (!room.owner_node.empty() && !st.workers.count(room.owner_node) &&
      self->clock().now() < st.adopt_until) {
    // Its worker may still hold it and join this (restarted) coordinator.
    st.waiting[room.id] = room;
    return;
  }
  auto node = least_loaded(self);
  if (node.empty()) {
    st.waiting[room.id] = room;
    if (!st.warned_no_worker)
      spdlog::warn("placement: no worker takes rooms now (none connected, "
                   "or each is draining or just failed a placement); room {} "
                   "and any other wait",
                   room.slug);
    st.warned_no_worker = true;
    return;
  }
  st.waiting.erase(room.id);
  st.placing.insert(room.id);
  auto& w = st.workers[node];
  w.room_ids.insert(room.id);
  ++w.placed_total;
  auto rooms = w.rooms;
  self->request(st.db, db_request_timeout, atom::put::value,
                room_assignment{room.id, node})
      .then(
          [self, node, rooms](room_record& rec) {
            watch_on(self, node, rooms, std::move(rec));
          },
          [self, node, room](const caf::error& err) {
            placement_failed(self, node, room, err);
          });
}

void place_waiting(placer_pointer self) {
  auto waiting = self->state.waiting;
  for (const auto& [id, room] : waiting)
    place(self, room);
}

/// Takes worker `node` out (its lease ran out, or it joins anew) and
/// places its rooms on the workers left; returns how many.
std::size_t replace_rooms_of(placer_pointer self, const std::string& node) {
  auto& st = self->state;
  auto w = st.workers.find(node);
  if (w == st.workers.end())
    return 0;
  std::vector<room_record> moving;
  for (auto id : w->second.room_ids)
    if (auto p = st.placed.find(id); p != st.placed.end()) {
      moving.push_back(p->second);
      st.placed.erase(p);
      st.placed_at.erase(id);
    }
  // Rooms still being placed there fail their watch and wait.
  st.workers.erase(w);
  for (const auto& room : moving)
    place(self, room);
  return moving.size();
}

/// Compares the placements with the rooms to be watched in MariaDB.
void reconcile(placer_pointer self,
               std::shared_ptr<caf::typed_response_promise<poll_summary>> rp) {
  auto asked_at = self->state.placements;
  self->state.reconciling = true;
  self->request(self->state.db, db_request_timeout, atom::get::value,
                atom::rooms::value, false)
      .then(
          [self, rp, asked_at](std::vector<room_record>& rooms) {
            auto& st = self->state;
            st.reconciling = false;
            std::set<std::int32_t> open;
            poll_summary s;
            s.rooms = static_cast<std::uint32_t>(rooms.size());
            for (const auto& r : rooms) {
              open.insert(r.id);
              if (st.placed.count(r.id) || st.placing.count(r.id)) {
                ++s.watched;
                continue;
              }
              place(self, r);
              ++s.started;
            }
            // Rooms whose race ended (or that were parked) leave the count.
            for (auto it = st.placed.begin(); it != st.placed.end();) {
              auto id = it->first;
              if (open.count(id) || st.placed_at[id] > asked_at) {
                ++it;
                continue;
              }
              for (auto& [n, w] : st.workers)
                w.room_ids.erase(id);
              st.placed_at.erase(id);
              it = st.placed.erase(it);
            }
            for (auto it = st.waiting.begin(); it != st.waiting.end();)
              it = open.count(it->first) ? std::next(it) : st.waiting.erase(it);
            if (rp)
              rp->deliver(s);
          },
          [self, rp](caf::error& err) {
            self->state.reconciling = false;
            spdlog::warn("placement: cannot read the rooms to watch ({})",
                         describe(err));
            if (rp)
              rp->deliver(std::move(err));
          });
}

/// A worker that joins again with the same room supervisor (its
/// connection was lost for a moment) keeps its rooms; those it no longer
/// watches (it stopped them when its lease ran out) are placed anew.
void check_rooms_of(placer_pointer self, const std::string& node) {
  auto w = self->state.workers.find(node);
  if (w == self->state.workers.end())
    return;
  auto rooms = w->second.rooms;
  self->request(rooms, self->state.options.request_timeout, atom::status::value)
      .then(
          [self, node, rooms](const std::vector<room_watch_info>& watched) {
            auto& st = self->state;
            auto w = st.workers.find(node);
            if (w == st.workers.end() || w->second.rooms != rooms)
              return;
            std::set<std::int32_t> there;
            for (const auto& r : watched)
              there.insert(r.room_id);
            std::vector<room_record> lost;
            for (auto id : std::set<std::int32_t>{w->second.room_ids}) {
              auto p = st.placed.find(id);
              if (p == st.placed.end() || there.count(id))
                continue;
              lost.push_back(p->second);
              st.placed.erase(p);
              st.placed_at.erase(id);
              w->second.room_ids.erase(id);
            }
            if (!lost.empty())
              spdlog::warn("placement: worker {} joined again without {} of "
                           "its rooms; placing them anew",
                           node, lost.size());
            for (const auto& room : lost)
              place(self, room);
          },
          [node](const caf::error& err) {
            spdlog::warn("placement: worker {} did not list its rooms ({})",
                         node, describe(err));
          });
}

/// Rooms waiting for a worker that `node` watches already (placed there
/// by this coordinator's previous life) stay there.
void adopt(placer_pointer self, const std::string& node,
           const room_supervisor_actor& rooms,
           const std::vector<room_watch_info>& watched) {
  auto& st = self->state;
  auto w = st.workers.find(node);
  if (w == st.workers.end() || w->second.rooms != rooms)
    return;
  std::size_t kept = 0;
  for (const auto& r : watched) {
    auto it = st.waiting.find(r.room_id);
    if (it == st.waiting.end() || it->second.owner_node != node)
      continue;
    st.placed[r.room_id] = it->second;
    st.placed_at[r.room_id] = ++st.placements;
    w->second.room_ids.insert(r.room_id);
    st.waiting.erase(it);
    ++kept;
  }
  if (kept > 0)
    spdlog::info("placement: worker {} keeps the {} room(s) it watches", node,
                 kept);
  // A worker back after its lease ran out here (its rooms were placed
  // elsewhere meanwhile) may still watch some: their watchers stop there,
  // or they would act on racetime.gg beside the new ones until a write of
  // theirs is refused.
  for (const auto& r : watched) {
    bool elsewhere = false;
    for (const auto& [n, other] : st.workers)
      elsewhere = elsewhere || (n != node && other.room_ids.count(r.room_id));
    if (!elsewhere)
      continue;
    spdlog::warn("placement: worker {} still watches room {}, placed on "
                 "another worker meanwhile; stopping it there",
                 node, r.slug);
    self->request(rooms, st.options.request_timeout, atom::drop::value,
                  r.room_id)
        .then([](atom::ok) {},
              [node, slug = r.slug](const caf::error& err) {
                spdlog::warn("placement: worker {} did not stop room {} ({})",
                             node, slug, describe(err));
              });
  }
}

void on_join(placer_pointer self, const std::string& node,
             const room_supervisor_actor& rooms) {
  auto& st = self->state;
  if (auto w = st.workers.find(node);
      w != st.workers.end() && w->second.rooms == rooms) {
    // The same actor, but the handle of the lost connection is dead: take
    // the new connection's.
    w->second.rooms = rooms;
    spdlog::info("placement: worker {} joined again and keeps its {} room(s)",
                 node, w->second.room_ids.size());
    return check_rooms_of(self, node);
  }
  auto moved = replace_rooms_of(self, node);
  st.workers[node] = placed_worker{rooms, {}, 0, false};
  st.warned_no_worker = false;
  spdlog::info("placement: worker {} takes rooms ({} worker(s); {} of its "
               "earlier rooms placed anew)",
               node, st.workers.size(), moved);
  // A worker that kept its rooms while this coordinator restarted keeps
  // them: it is asked what it watches before the waiting rooms are placed.
  self->request(rooms, st.options.request_timeout, atom::status::value)
      .then(
          [self, node, rooms](const std::vector<room_watch_info>& watched) {
            adopt(self, node, rooms, watched);
            place_waiting(self);
          },
          [self, node](const caf::error& err) {
            spdlog::warn("placement: worker {} did not list its rooms ({})",
                         node, describe(err));
            place_waiting(self);
          });
}

void on_leave(placer_pointer self, const std::string& node) {
  auto n = self->state.workers.count(node)
               ? self->state.workers[node].room_ids.size()
               : 0;
  replace_rooms_of(self, node);
  spdlog::warn("placement: worker {} is gone; its {} room(s) are placed on "
               "the {} worker(s) left",
               node, n, self->state.workers.size());
}

caf::result<std::uint32_t> drain(placer_pointer self, const std::string& node) {
  auto& st = self->state;
  auto w = st.workers.find(node);
  if (w == st.workers.end())
    return make_error(ec::not_found,
                      "no worker named " + node + " is in the cluster");
  w->second.draining = true;
  auto rooms = w->second.rooms;
  std::uint32_t n = 0;
  for (auto id : std::set<std::int32_t>{w->second.room_ids}) {
    auto p = st.placed.find(id);
    if (p == st.placed.end())
      continue; // being placed: it is watched there first, drained later
    ++n;
    auto room = p->second;
    // The old watcher stops (writing what it holds) before the room gets a
    // new epoch elsewhere.
    self->request(rooms, st.options.request_timeout, atom::drop::value, id)
        .then(
            [self, node, room](atom::ok) {
              auto& st = self->state;
              if (auto w = st.workers.find(node); w != st.workers.end())
                w->second.room_ids.erase(room.id);
              st.placed.erase(room.id);
              st.placed_at.erase(room.id);
              place(self, room);
            },
            [node, room](const caf::error& err) {
              spdlog::warn("drain: worker {} did not stop room {} ({}); it "
                           "stays there",
                           node, room.slug, describe(err));
            });
  }
  spdlog::info("drain: moving {} room(s) off worker {}", n, node);
  return n;
}

caf::result<std::vector<room_watch_info>> status(placer_pointer self) {
  struct gather {
    std::vector<room_watch_info> rooms;
    std::size_t pending = 0;
    caf::typed_response_promise<std::vector<room_watch_info>> rp;
  };
  auto g = std::make_shared<gather>();
  g->rp = self->make_response_promise<std::vector<room_watch_info>>();
  for (const auto& [id, room] : self->state.waiting)
    g->rooms.push_back(
        {id, room.slug, room.status, "waiting for a worker", 0, "", ""});
  g->pending = self->state.workers.size();
  if (g->pending == 0) {
    g->rp.deliver(g->rooms);
    return g->rp;
  }
  auto done = [g] {
    if (--g->pending == 0)
      g->rp.deliver(g->rooms);
  };
  for (const auto& [node, w] : self->state.workers)
    self->request(w.rooms, self->state.options.request_timeout,
                  atom::status::value)
        .then(
            [g, done, node](std::vector<room_watch_info>& rooms) {
              for (auto& r : rooms) {
                r.node = node;
                g->rooms.push_back(std::move(r));
              }
              done();
            },
            [done, node](const caf::error& err) {
              spdlog::warn("placement: worker {} did not give its rooms' "
                           "status ({})",
                           node, describe(err));
              done();
            });
  return g->rp;
}

} // namespace

room_placer_actor::behavior_type room_placer(room_placer_pointer self,
                                             persistence_actor db,
                                             room_placer_options options) {
  self->state.db = std::move(db);
  self->state.options = options;
  self->set_exception_handler(exception_error);
  // The rooms to watch wait for the first worker; those a worker hosted
  // before this start wait for that worker a while.
  self->state.adopt_until = self->clock().now() + options.adopt_grace;
  self->delayed_send(self, options.adopt_grace, atom::place::value);
  reconcile(self, nullptr);
  self->delayed_send(self, options.reconcile_interval, atom::tick::value);
  return {
      [](atom::token, const token_grant&) {
        // The workers take the tokens from the bot supervisor themselves.
      },
      [self](atom::watch, const room_record& room) {
        place(self, room);
        return atom::ok::value;
      },
      [self](atom::watch, const room_context& ctx) {
        // Placing bumps the room's epoch, which the context would carry
        // stale: its worker's watcher loads the room itself.
        place(self, ctx.room);
        return atom::ok::value;
      },
      [self](atom::poll) -> caf::result<poll_summary> {
        auto rp = std::make_shared<caf::typed_response_promise<poll_summary>>(
            self->make_response_promise<poll_summary>());
        reconcile(self, rp);
        return *rp;
      },
      [self](atom::status) {
        return status(self);
      },
      [self](atom::status, atom::place) {
        std::vector<cluster_node_info> out;
        for (const auto& [node, w] : self->state.workers)
          out.push_back({node, "worker", 0,
                         static_cast<std::uint32_t>(w.room_ids.size()), true,
                         0});
        return out;
      },
      [](atom::load) {},
      [](atom::restart, std::int32_t) {},
      [self](atom::tick) {
        self->delayed_send(self, self->state.options.reconcile_interval,
                           atom::tick::value);
        if (!self->state.reconciling)
          reconcile(self, nullptr);
      },
      [self](atom::drop, std::int32_t id) {
        for (auto& [node, w] : self->state.workers)
          if (w.room_ids.count(id))
            self->request(w.rooms, self->state.options.request_timeout,
                          atom::drop::value, id)
                .then([](atom::ok) {},
                      [id](const caf::error& err) {
                        spdlog::warn("placement: cannot stop room {} ({})", id,
                                     describe(err));
                      });
        return atom::ok::value;
      },
      [](atom::fence) {},
      [](atom::subscribe, const bot_supervisor_actor&) {},
      [self](atom::join, const std::string& node,
             const room_supervisor_actor& rooms) {
        on_join(self, node, rooms);
      },
      [self](atom::leave, const std::string& node) {
        on_leave(self, node);
      },
      [self](atom::drain, const std::string& node) {
        return drain(self, node);
      },
      [self](atom::place) {
        place_waiting(self);
      },
  };
}

} // namespace racecontrol
