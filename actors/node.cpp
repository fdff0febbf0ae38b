#include "actors/node.hpp"

#include "actors/error.hpp"
#include "actors/persistence_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

using node_pointer = node_actor::stateful_pointer<node_state>;

/// A component that keeps failing is not restarted forever: the node stops
/// instead, so an operator sees the problem rather than a restart loop.
constexpr int max_restarts = 5;

void add_component(node_pointer self, std::string name,
                   std::function<caf::actor()> spawn) {
  auto handle = spawn();
  self->monitor(handle);
  self->state.components.push_back(
      {std::move(name), std::move(handle), std::move(spawn), 0});
}

void finish_if_stopped(node_pointer self) {
  if (self->state.stopping && self->state.components.empty()) {
    spdlog::info("node: every component stopped");
    self->quit();
  }
}

void on_down(node_pointer self, const caf::down_msg& msg) {
  auto& comps = self->state.components;
  auto it = std::find_if(comps.begin(), comps.end(), [&](const auto& c) {
    return c.handle.address() == msg.source;
  });
  if (it == comps.end())
    return;
  if (self->state.stopping) {
    spdlog::debug("node: {} stopped", it->name);
    comps.erase(it);
    finish_if_stopped(self);
    return;
  }
  spdlog::error("node: component {} died: {}", it->name, describe(msg.reason));
  if (++it->restarts > max_restarts) {
    spdlog::critical("node: {} failed {} times; stopping the node", it->name,
                     max_restarts);
    comps.erase(it);
    caf::anon_send(caf::actor_cast<caf::actor>(self), atom::shutdown::value);
    return;
  }
  it->handle = it->spawn();
  self->monitor(it->handle);
  if (it->name == "persistence")
    self->state.persistence = caf::actor_cast<persistence_actor>(it->handle);
  spdlog::warn("node: restarted {} (restart {} of {})", it->name, it->restarts,
               max_restarts);
}

void begin_shutdown(node_pointer self) {
  if (self->state.stopping) {
    // Second call: the grace period ran out.
    for (auto& c : self->state.components) {
      spdlog::warn("node: {} did not stop in time; killing it", c.name);
      self->send_exit(c.handle, caf::exit_reason::kill);
    }
    self->state.components.clear();
    self->quit();
    return;
  }
  spdlog::info("node: stopping {} components", self->state.components.size());
  self->state.stopping = true;
  auto& comps = self->state.components;
  for (auto it = comps.rbegin(); it != comps.rend(); ++it)
    self->send_exit(it->handle, caf::exit_reason::user_shutdown);
  self->delayed_send(self, self->state.options.shutdown_timeout,
                     atom::shutdown::value);
  finish_if_stopped(self);
}

} // namespace

node_actor::behavior_type node(node_pointer self, node_options options) {
  self->state.options = std::move(options);
  self->set_down_handler([self](caf::down_msg& msg) {
    on_down(self, msg);
  });
  // An exit from outside (a supervisor on another node, or the system) is a
  // request to stop in order, not to vanish.
  self->set_exit_handler([self](caf::exit_msg&) {
    begin_shutdown(self);
  });
  auto db = self->state.options.db;
  auto migrations = self->state.options.migrations;
  add_component(self, "persistence", [self, db, migrations] {
    return caf::actor_cast<caf::actor>(
        self->spawn<caf::detached>(persistence_behavior, db, migrations));
  });
  self->state.persistence =
      caf::actor_cast<persistence_actor>(self->state.components.back().handle);
  return {
      [self](atom::status) -> caf::result<node_status> {
        auto rp = self->make_response_promise<node_status>();
        node_status st;
        st.node_name = self->state.options.node_name;
        for (const auto& c : self->state.components)
          st.components.push_back(c.name);
        self->request(self->state.persistence, std::chrono::seconds{10},
                      atom::status::value)
            .then(
                [rp, st](database_status& db) mutable {
                  st.database = std::move(db);
                  rp.deliver(std::move(st));
                },
                [rp](caf::error& err) mutable {
                  rp.deliver(std::move(err));
                });
        return rp;
      },
      [self](atom::shutdown) {
        begin_shutdown(self);
      },
  };
}

} // namespace racecontrol
