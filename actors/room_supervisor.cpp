#include "actors/room_supervisor.hpp"

#include "actors/error.hpp"
#include "actors/room_clock.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

using sup_pointer =
    room_supervisor_actor::stateful_pointer<room_supervisor_state>;

/// `loaded`: the room's context, read a moment ago by whoever settled it;
/// without it the watcher loads its own.
void spawn_watcher(sup_pointer self, watched_room& w,
                   std::optional<room_context> loaded = std::nullopt) {
  auto& st = self->state;
  w.handle =
      self->spawn(race_room, w.room, std::move(loaded), st.db, st.clock,
                  st.links, st.relays->of(w.room.category), st.options.room);
  self->monitor(w.handle);
  (*st.by_address)[w.handle.address()] = w.room.id;
  w.restarts.started(self->clock().now());
  // Only a room's first watcher may skip the fetch: a restarted one looks
  // the room up again.
  w.room.just_opened = false;
}

/// Stops a room's watcher at once (no write: another node owns the room,
/// or this node's lease ran out) and forgets it.
void kill_watcher(sup_pointer self, watched_room& w) {
  if (!w.handle)
    return;
  self->state.by_address->erase(w.handle.address());
  self->send_exit(w.handle, caf::exit_reason::kill);
  w.handle = race_room_actor{};
}

/// Watches `room` unless it is watched already; true when it started now.
/// `loaded`: see spawn_watcher.
bool watch(sup_pointer self, const room_record& room,
           std::optional<room_context> loaded = std::nullopt) {
  auto& st = self->state;
  if (st.stopping)
    return false; // the next start watches it (its row says so)
  auto it = st.rooms.find(room.id);
  if (it != st.rooms.end()) {
    auto& w = it->second;
    if (room.owner_epoch > w.room.owner_epoch) {
      // Placed here again: the old watcher's writes would be refused.
      spdlog::info("room {}: placed again (epoch {}); restarting its watcher",
                   room.slug, room.owner_epoch);
      kill_watcher(self, w);
      w.parked = false;
      w.room = room;
      spawn_watcher(self, w, std::move(loaded));
      return true;
    }
    if (!w.parked)
      return false;
    // Asked for explicitly (an operator, a new claim): try it again.
    spdlog::info("room {}: watching it again after it was parked", room.slug);
    w.parked = false;
    w.restarts = restart_budget{st.options.restarts};
    w.room = room;
    spawn_watcher(self, w, std::move(loaded));
    return true;
  }
  auto& w =
      st.rooms
          .emplace(room.id, watched_room{room, race_room_actor{},
                                         restart_budget{st.options.restarts},
                                         "", false, false})
          .first->second;
  spawn_watcher(self, w, std::move(loaded));
  return true;
}

void write_park(sup_pointer self, std::int32_t id) {
  auto& w = self->state.rooms.at(id);
  room_closure c{id, "", "the watcher failed too often: " + w.last_error, true,
                 w.room.owner_epoch};
  self->request(self->state.db, db_request_timeout, atom::put::value, c)
      .then(
          [self, id](atom::ok) {
            auto it = self->state.rooms.find(id);
            if (it != self->state.rooms.end())
              it->second.park_written = true;
          },
          [self, id](caf::error& err) {
            if (is(err, ec::fenced)) {
              // Placed on another node meanwhile: the park is not this
              // node's to record, and a retry would be refused for ever.
              spdlog::warn("room {}: not parked here after all (another "
                           "node owns it now)",
                           id);
              auto it = self->state.rooms.find(id);
              if (it != self->state.rooms.end() && it->second.parked &&
                  !it->second.handle)
                self->state.rooms.erase(it);
              return;
            }
            spdlog::warn("room {}: cannot record that it is parked ({}); "
                         "retrying in 10 s",
                         id, describe(err));
            self->delayed_send(self, std::chrono::seconds{10},
                               atom::restart::value, id);
          });
}

void on_room_failed(sup_pointer self, watched_room& w,
                    const caf::error& reason) {
  w.last_error = describe(reason);
  auto delay = w.restarts.failed(self->clock().now());
  if (!delay) {
    w.parked = true;
    spdlog::error("room {}: the watcher failed {} times within {} s (last: "
                  "{}); parked until an operator asks to watch it again",
                  w.room.slug, w.restarts.options().max_restarts + 1,
                  w.restarts.options().window.count() / 1000, w.last_error);
    write_park(self, w.room.id);
    return;
  }
  spdlog::error("room {}: the watcher failed ({}); restarting it in {} ms",
                w.room.slug, w.last_error, delay->count());
  self->delayed_send(self, *delay, atom::restart::value, w.room.id);
}

void on_down(sup_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto a = st.by_address->find(msg.source);
  if (a == st.by_address->end())
    return;
  auto id = a->second;
  st.by_address->erase(a);
  auto it = st.rooms.find(id);
  if (it == st.rooms.end())
    return;
  it->second.handle = race_room_actor{};
  if (auto d = st.drops.find(id); d != st.drops.end()) {
    d->second.deliver(atom::ok::value);
    st.drops.erase(d);
    st.rooms.erase(it);
    return;
  }
  if (msg.reason && is(msg.reason, ec::fenced)) {
    // Placed on another node: restarting it here would be refused again.
    spdlog::warn("room {}: no longer watched here (another node owns it)",
                 it->second.room.slug);
    st.rooms.erase(it);
    return;
  }
  if (st.stopping || !msg.reason) {
    // Stopped, or done: the race ended (or the row went away).
    st.rooms.erase(it);
    if (st.stopping && st.by_address->empty())
      self->quit(st.stop_reason);
    return;
  }
  on_room_failed(self, it->second, msg.reason);
}

void load_rooms(sup_pointer self) {
  self->request(self->state.db, db_request_timeout, atom::get::value,
                atom::rooms::value, true)
      .then(
          [self](std::vector<room_record>& rooms) {
            std::size_t started = 0;
            for (const auto& r : rooms)
              started += watch(self, r) ? 1 : 0;
            spdlog::info("room supervisor: watching {} room(s) whose race "
                         "has not ended (or may still be reopened)",
                         started);
          },
          [self](caf::error& err) {
            auto delay = self->state.load_backoff.next_delay();
            spdlog::warn("room supervisor: cannot load the rooms to watch "
                         "({}); retrying in {} ms",
                         describe(err), delay.count());
            self->delayed_send(self, delay, atom::load::value);
          });
}

caf::result<poll_summary> poll(sup_pointer self) {
  auto rp = self->make_response_promise<poll_summary>();
  self->request(self->state.db, db_request_timeout, atom::get::value,
                atom::rooms::value, false)
      .then(
          [self, rp](std::vector<room_record>& rooms) mutable {
            poll_summary s;
            s.rooms = static_cast<std::uint32_t>(rooms.size());
            for (const auto& r : rooms) {
              if (watch(self, r))
                ++s.started;
              else
                ++s.watched;
            }
            if (s.started > 0)
              spdlog::info("room supervisor: poll started {} watcher(s)",
                           s.started);
            rp.deliver(s);
          },
          [rp](caf::error& err) mutable {
            rp.deliver(std::move(err));
          });
  return rp;
}

std::vector<room_watch_info> status(sup_pointer self) {
  std::vector<room_watch_info> out;
  for (const auto& [id, w] : self->state.rooms) {
    room_watch_info i;
    i.room_id = id;
    i.slug = w.room.slug;
    i.status = w.room.status;
    i.watcher = w.parked ? "parked" : w.handle ? "watching" : "restarting";
    i.restarts = static_cast<std::uint32_t>(w.restarts.recent_restarts());
    i.last_error = w.last_error;
    out.push_back(std::move(i));
  }
  return out;
}

void check_changes(sup_pointer self) {
  auto& st = self->state;
  self->delayed_send(self, st.options.room.tick_interval, atom::tick::value);
  if (st.asking_changes || st.stopping)
    return; // a slow answer is not asked for twice
  st.asking_changes = true;
  self->request(st.db, db_request_timeout, atom::get::value, st.changes)
      .then(
          [self](room_changes& changes) {
            auto& st = self->state;
            st.asking_changes = false;
            st.changes.marker = changes.marker;
            for (const auto& c : changes.rooms) {
              auto it = st.rooms.find(c.room_id);
              if (it != st.rooms.end() && it->second.handle)
                self->send(it->second.handle, atom::load::value, c.fingerprint);
            }
          },
          [self](caf::error& err) {
            // The marker stays: the next pass asks for the same span.
            self->state.asking_changes = false;
            spdlog::warn("room supervisor: cannot ask which rooms' matches "
                         "changed ({}); asking again at the next pass",
                         describe(err));
          });
}

caf::result<atom::ok> drop(sup_pointer self, std::int32_t id) {
  auto& st = self->state;
  auto it = st.rooms.find(id);
  if (it == st.rooms.end())
    return atom::ok::value;
  if (!it->second.handle) {
    st.rooms.erase(it);
    return atom::ok::value;
  }
  spdlog::info("room {}: moving to another node; stopping its watcher",
               it->second.room.slug);
  // A graceful stop: it writes what it holds (its placement still the
  // room's) before the room is placed again.
  self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
  auto rp = self->make_response_promise<atom::ok>();
  st.drops[id] = rp;
  return rp;
}

void fence(sup_pointer self) {
  auto& st = self->state;
  if (st.rooms.empty())
    return;
  spdlog::warn("room supervisor: stopping all {} room watcher(s) at once "
               "(this node's lease ran out, or the coordinator moved its "
               "rooms)",
               st.rooms.size());
  for (auto& [id, w] : st.rooms)
    kill_watcher(self, w);
  st.rooms.clear();
  for (auto& [id, rp] : st.drops)
    rp.deliver(atom::ok::value);
  st.drops.clear();
  // Their ends are no longer awaited: a stop under way is complete.
  if (st.stopping)
    self->quit(st.stop_reason);
}

void begin_stop(sup_pointer self, const caf::exit_msg& msg) {
  auto& st = self->state;
  if (st.stopping) {
    self->quit(msg.reason);
    return;
  }
  st.stopping = true;
  // A failed room clock ends the supervisor with its error, after its rooms,
  // so that the node starts both again (a normal end is not restarted).
  if (msg.source == st.clock.address() && msg.reason) {
    spdlog::error("room supervisor: the room clock failed ({}); stopping "
                  "the rooms to start again",
                  describe(msg.reason));
    st.stop_reason = msg.reason;
  }
  for (auto& [id, w] : st.rooms)
    if (w.handle)
      self->send_exit(w.handle, caf::exit_reason::user_shutdown);
  if (st.by_address->empty())
    self->quit(st.stop_reason);
}

} // namespace

room_supervisor_actor::behavior_type
room_supervisor(sup_pointer self, persistence_actor db,
                bot_supervisor_actor bots, room_link_factory links,
                room_supervisor_options options) {
  auto& st = self->state;
  st.db = std::move(db);
  st.bots = std::make_shared<bot_supervisor_actor>(bots);
  st.links = std::move(links);
  st.options = options;
  // Linked, so that a clock that fails stops the supervisor (begin_stop);
  // ended with it however it ends (a link passes on no normal end).
  st.clock = self->spawn<caf::linked>(room_clock,
                                      caf::timespan{options.clock_resolution});
  self->attach_functor([clock = st.clock] {
    caf::anon_send_exit(clock, caf::exit_reason::user_shutdown);
  });
  stop_children_at_exit(self, st.by_address);
  st.load_backoff = protocol::backoff{options.room.retry};
  // A socket that saw its token refused tells the category's bot, which
  // renews it once for every room.
  st.relays = std::make_shared<token_relays>(
      [holder = st.bots](const std::string& category, std::string value) {
        if (auto bots = *holder)
          caf::anon_send(bots, atom::refused::value, category,
                         config::secret{std::move(value)});
      });
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  self->set_down_handler([self](caf::down_msg& msg) {
    on_down(self, msg);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    begin_stop(self, msg);
  });
  if (bots)
    self->send(bots, atom::subscribe::value,
               caf::actor_cast<token_subscriber_actor>(self));
  if (options.load_at_start)
    load_rooms(self);
  check_changes(self);
  return {
      [self](atom::token, const token_grant& t) {
        self->state.relays->of(t.category)->set(t.value.reveal(), t.expires_at);
      },
      [self](atom::watch, const room_record& room) {
        watch(self, room);
        return atom::ok::value;
      },
      [self](atom::watch, room_context& ctx) {
        auto room = ctx.room;
        watch(self, room, std::move(ctx));
        return atom::ok::value;
      },
      [self](atom::poll) {
        return poll(self);
      },
      [self](atom::status) {
        return status(self);
      },
      [self](atom::load) {
        load_rooms(self);
      },
      [self](atom::tick) {
        check_changes(self);
      },
      [self](atom::drop, std::int32_t id) -> caf::result<atom::ok> {
        return drop(self, id);
      },
      [self](atom::fence) {
        fence(self);
      },
      [self](atom::subscribe, const bot_supervisor_actor& bots) {
        *self->state.bots = bots;
        self->send(bots, atom::subscribe::value,
                   caf::actor_cast<token_subscriber_actor>(self));
      },
      [self](atom::restart, std::int32_t id) {
        auto it = self->state.rooms.find(id);
        if (it == self->state.rooms.end() || self->state.stopping)
          return;
        auto& w = it->second;
        if (w.parked) {
          if (!w.park_written)
            write_park(self, id);
          return;
        }
        if (!w.handle)
          spawn_watcher(self, w);
      },
  };
}

} // namespace racecontrol
