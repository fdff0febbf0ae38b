#include "actors/node.hpp"

#include "actors/error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

using node_pointer = node_actor::stateful_pointer<node_state>;

node_component* find_by_address(node_pointer self, const caf::actor_addr& a) {
  for (auto& c : self->state.components)
    if (c.handle && c.handle.address() == a)
      return &c;
  return nullptr;
}

node_component* find_by_name(node_pointer self, const std::string& name) {
  for (auto& c : self->state.components)
    if (c.spec.name == name)
      return &c;
  return nullptr;
}

void erase(node_pointer self, const node_component* c) {
  auto& comps = self->state.components;
  comps.erase(std::find_if(comps.begin(), comps.end(), [&](const auto& x) {
    return &x == c;
  }));
}

component_handles handles_before(node_pointer self, const node_component& c) {
  component_handles out;
  out["node"] = caf::actor_cast<caf::actor>(self);
  for (const auto& x : self->state.components) {
    if (&x == &c)
      break;
    out[x.spec.name] = x.handle;
  }
  return out;
}

void start(node_pointer self, node_component& c) {
  c.follows = false;
  c.handle = c.spec.spawn(self->system(), handles_before(self, c));
  self->monitor(c.handle);
  self->state.live->push_back(c.handle);
  c.restarts.started(self->clock().now());
}

void finish_if_stopped(node_pointer self) {
  if (!self->state.stopping || !self->state.components.empty())
    return;
  spdlog::info("node: every component stopped");
  self->quit(self->state.failure);
}

void begin_shutdown(node_pointer self) {
  auto& comps = self->state.components;
  if (self->state.stopping) {
    // Second call: the grace period ran out.
    for (auto& c : comps) {
      spdlog::warn("node: {} did not stop within {} ms; killing it",
                   c.spec.name, self->state.options.shutdown_timeout.count());
      self->send_exit(c.handle, caf::exit_reason::kill);
    }
    comps.clear();
    self->quit(self->state.failure);
    return;
  }
  self->state.stopping = true;
  // Components waiting for a restart have nothing to stop.
  comps.erase(std::remove_if(comps.begin(), comps.end(),
                             [](const auto& c) {
                               return !c.handle;
                             }),
              comps.end());
  spdlog::info("node: stopping {} component(s)", comps.size());
  for (auto it = comps.rbegin(); it != comps.rend(); ++it)
    self->send_exit(it->handle, caf::exit_reason::user_shutdown);
  self->delayed_send(self, self->state.options.shutdown_timeout,
                     atom::shutdown::value);
  finish_if_stopped(self);
}

void on_failure(node_pointer self, node_component& c,
                const caf::error& reason) {
  auto delay = c.restarts.failed(self->clock().now());
  const auto& opts = c.restarts.options();
  if (!delay) {
    auto message = c.spec.name + " failed " +
                   std::to_string(opts.max_restarts + 1) + " times within " +
                   std::to_string(opts.window.count() / 1000) +
                   " s; last error: " + describe(reason);
    spdlog::critical("node: {}; stopping the node", message);
    self->state.failure = make_error(ec::component_failed, message);
    erase(self, &c);
    begin_shutdown(self);
    return;
  }
  spdlog::error("node: {} died: {}; restarting it in {} ms (restart {} of "
                "{} within {} s)",
                c.spec.name, describe(reason), delay->count(),
                c.restarts.recent_restarts(), opts.max_restarts,
                opts.window.count() / 1000);
  c.handle = nullptr;
  // Those started after it may hold its old handle: they start again with
  // it.
  bool after = false;
  for (auto& x : self->state.components) {
    if (&x == &c) {
      after = true;
    } else if (after && x.handle) {
      x.follows = true;
      self->send_exit(x.handle, caf::exit_reason::user_shutdown);
    }
  }
  self->delayed_send(self, *delay, atom::restart::value, c.spec.name);
}

void on_down(node_pointer self, const caf::down_msg& msg) {
  auto& live = *self->state.live;
  live.erase(std::remove_if(live.begin(), live.end(),
                            [&](const auto& h) {
                              return h.address() == msg.source;
                            }),
             live.end());
  auto* c = find_by_address(self, msg.source);
  if (c == nullptr)
    return;
  if (self->state.stopping) {
    spdlog::debug("node: {} stopped", c->spec.name);
    erase(self, c);
    finish_if_stopped(self);
    return;
  }
  if (c->spec.critical) {
    auto message = c->spec.name + " ended (" + describe(msg.reason) + ")";
    spdlog::critical("node: {}; stopping the node", message);
    self->state.failure = make_error(ec::component_failed, message);
    erase(self, c);
    begin_shutdown(self);
    return;
  }
  if (c->follows) {
    c->handle = nullptr; // starts again after the component it follows
    return;
  }
  if (!msg.reason) {
    // Finished its work: nothing to restart and nothing to count.
    spdlog::info("node: {} finished", c->spec.name);
    erase(self, c);
    return;
  }
  on_failure(self, *c, msg.reason);
}

void ask_status(node_pointer self, caf::response_promise rp, node_status st) {
  auto* db = find_by_name(self, "persistence");
  if (db == nullptr) {
    rp.deliver(std::move(st));
    return;
  }
  if (!db->handle) {
    rp.deliver(make_error(ec::database_unavailable,
                          "the persistence component is restarting"));
    return;
  }
  self->request(caf::actor_cast<persistence_actor>(db->handle),
                std::chrono::seconds{10}, atom::status::value)
      .then(
          [rp, st](database_status& db) mutable {
            st.database = std::move(db);
            rp.deliver(std::move(st));
          },
          [rp](caf::error& err) mutable {
            rp.deliver(std::move(err));
          });
}

/// Starts the components that wait for `start`, in order, once.
void start_waiting(node_pointer self, std::uint64_t epoch) {
  if (self->state.started_waiting || self->state.stopping)
    return;
  self->state.started_waiting = true;
  std::size_t n = 0;
  for (auto& c : self->state.components)
    if (c.spec.waits && !c.handle) {
      start(self, c);
      ++n;
    }
  spdlog::info("node: started {} component(s) that waited (epoch {})", n,
               epoch);
}

} // namespace

node_actor::behavior_type node(node_pointer self, node_options options) {
  self->state.options = std::move(options);
  self->set_down_handler([self](caf::down_msg& msg) {
    on_down(self, msg);
  });
  // An exit from outside (the daemon, or a supervisor on another node) is a
  // request to stop in order, not to vanish.
  self->set_exit_handler([self](caf::exit_msg&) {
    begin_shutdown(self);
  });
  // However the node ends (killed, or a bug), its components end with it:
  // an orphaned component would keep the process alive and unsupervised.
  self->attach_functor([live = self->state.live](const caf::error&) {
    for (auto& handle : *live)
      caf::anon_send_exit(handle, caf::exit_reason::kill);
  });
  for (auto& spec : self->state.options.components) {
    self->state.components.push_back(
        {spec, nullptr, restart_budget{self->state.options.restarts}});
    if (!spec.waits)
      start(self, self->state.components.back());
  }
  return {
      [self](atom::status) -> caf::result<node_status> {
        auto rp = self->make_response_promise<node_status>();
        node_status st;
        st.node_name = self->state.options.node_name;
        for (const auto& c : self->state.components)
          if (c.handle)
            st.components.push_back(c.spec.name);
        ask_status(self, rp, std::move(st));
        return rp;
      },
      [self](atom::shutdown) {
        begin_shutdown(self);
      },
      [self](atom::reload) {
        for (auto& c : self->state.components)
          if (c.spec.reloads && c.handle)
            caf::anon_send(c.handle, atom::reload::value);
      },
      [self](atom::start, std::uint64_t epoch) {
        start_waiting(self, epoch);
      },
      [self](atom::restart, const std::string& name) {
        auto* c = find_by_name(self, name);
        if (c == nullptr || c->handle || self->state.stopping)
          return;
        start(self, *c);
        spdlog::warn("node: restarted {}", name);
        bool after = false;
        for (auto& x : self->state.components) {
          if (&x == c) {
            after = true;
            continue;
          }
          if (!after || !x.follows)
            continue;
          if (x.handle) // still stopping: it must not outlive its start
            self->send_exit(x.handle, caf::exit_reason::kill);
          start(self, x);
          spdlog::warn("node: restarted {} after {}", x.spec.name, name);
        }
      },
  };
}

} // namespace racecontrol
