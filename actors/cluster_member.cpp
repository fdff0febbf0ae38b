#include "actors/cluster_member.hpp"

#include "actors/error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

void try_again_later(cluster_member_pointer self) {
  auto delay = self->state.retry.next_delay();
  self->delayed_send(self, delay, atom::connect::value);
}

void join(cluster_member_pointer self, cluster_registry_actor coordinator,
          const std::string& address) {
  self->request(coordinator, self->state.options.connect_timeout,
                atom::join::value, self->state.options.node_name,
                caf::actor_cast<cluster_member_actor>(self))
      .then(
          [self, coordinator, address](atom::ok) {
            self->state.coordinator = coordinator;
            self->state.coordinator_address = address;
            self->state.retry.succeeded(std::chrono::steady_clock::now());
            self->monitor(coordinator);
            spdlog::info("cluster: joined the coordinator at {} as {}", address,
                         self->state.options.node_name);
          },
          [self, address](const caf::error& err) {
            spdlog::warn("cluster: the coordinator at {} refused the join: {}",
                         address, self->system().render(err));
            try_again_later(self);
          });
}

/// Connects to the next coordinator of the list.
void connect(cluster_member_pointer self) {
  auto& st = self->state;
  if (st.coordinator || st.options.coordinators.empty())
    return;
  auto address = st.options.coordinators[st.next];
  st.next = (st.next + 1) % st.options.coordinators.size();
  auto colon = address.rfind(':');
  auto host = address.substr(0, colon);
  auto port = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
  self->request(st.options.transport, st.options.connect_timeout,
                caf::connect_atom::value, host, port)
      .then(
          [self, address](const caf::node_id&, caf::strong_actor_ptr& ptr,
                          const std::set<std::string>& interface) {
            auto expected =
                self->system().message_types<cluster_registry_actor>();
            if (!ptr || interface != expected) {
              spdlog::error("cluster: {} is not a racecontrol coordinator of "
                            "this version (its interface differs)",
                            address);
              return try_again_later(self);
            }
            join(self, caf::actor_cast<cluster_registry_actor>(ptr), address);
          },
          [self, address](const caf::error& err) {
            spdlog::warn("cluster: cannot reach the coordinator at {}: {}",
                         address, self->system().render(err));
            try_again_later(self);
          });
}

} // namespace

cluster_member_actor::behavior_type
cluster_member(cluster_member_pointer self, cluster_member_options options) {
  self->state.options = std::move(options);
  self->set_down_handler([self](const caf::down_msg& msg) {
    if (msg.source != self->state.coordinator.address())
      return;
    spdlog::warn("cluster: lost the coordinator at {} ({}); joining again",
                 self->state.coordinator_address,
                 self->system().render(msg.reason));
    self->state.coordinator = nullptr;
    self->state.retry.failed(std::chrono::steady_clock::now());
    try_again_later(self);
  });
  self->send(self, atom::connect::value);
  return {
      [self](atom::status) {
        return cluster_node_info{self->state.options.node_name, "worker", 0, 0,
                                 static_cast<bool>(self->state.coordinator)};
      },
      [self](atom::connect) {
        connect(self);
      },
  };
}

} // namespace racecontrol
