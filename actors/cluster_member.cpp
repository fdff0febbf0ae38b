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
  // Rooms still running from an earlier join stay while the lease holds:
  // the coordinator keeps them here (a connection lost for a moment must
  // not move every room) and places anew any this node no longer has.
  auto sent = std::chrono::steady_clock::now();
  self->request(coordinator, self->state.options.connect_timeout,
                atom::join::value, self->state.options.node_name,
                caf::actor_cast<cluster_member_actor>(self),
                self->state.options.rooms)
      .then(
          [self, coordinator, address, sent](bot_supervisor_actor& bots) {
            auto& st = self->state;
            st.coordinator = coordinator;
            st.coordinator_address = address;
            st.retry.succeeded(std::chrono::steady_clock::now());
            st.renewed = sent;
            st.leased = true;
            self->monitor(coordinator);
            if (bots && st.options.rooms)
              self->send(st.options.rooms, atom::subscribe::value, bots);
            spdlog::info("cluster: joined the coordinator at {} as {}", address,
                         st.options.node_name);
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

/// Renews the lease, and stops the rooms when it ran out.
void heartbeat(cluster_member_pointer self) {
  auto& st = self->state;
  self->delayed_send(self, st.options.heartbeat, atom::heartbeat::value);
  auto now = std::chrono::steady_clock::now();
  if (st.leased && now - st.renewed > st.options.lease) {
    st.leased = false;
    spdlog::error(
        "cluster: no heartbeat answered for {} ms (lease {} ms): "
        "stopping every room on this node; the coordinator moves "
        "them",
        std::chrono::duration_cast<std::chrono::milliseconds>(now - st.renewed)
            .count(),
        st.options.lease.count());
    if (st.options.rooms)
      self->send(st.options.rooms, atom::fence::value);
    // A coordinator that stopped answering without closing its connection
    // (hung, stopped, its host cut off) is never reported down while the
    // kernel keeps the connection, so this node would wait on it for ever
    // while a standby took over: it goes on to the next coordinator of the
    // list (the same one again if it is the only one).
    if (st.coordinator) {
      spdlog::warn("cluster: leaving the coordinator at {}, which answers "
                   "nothing; trying the coordinators in turn",
                   st.coordinator_address);
      self->demonitor(st.coordinator.address());
      st.coordinator = nullptr;
      st.retry.failed(now);
      try_again_later(self);
    }
  }
  if (!st.coordinator)
    return;
  // Answers are taken only from the coordinator asked: one this node left
  // (it answered nothing for a lease) may answer late, refusing.
  auto asked = st.coordinator;
  self->request(st.coordinator, st.options.lease, atom::heartbeat::value,
                st.options.node_name)
      .then(
          [self, now, asked](atom::ok) {
            auto& st = self->state;
            if (st.coordinator != asked)
              return;
            if (!st.leased && st.coordinator) {
              // This node stopped its rooms while the coordinator still
              // counts them here (it was the one that stalled): joining
              // again has it place the rooms this node no longer watches.
              spdlog::warn("cluster: the coordinator answers again after "
                           "this node's lease ran out; joining again");
              self->demonitor(st.coordinator.address());
              auto coordinator = st.coordinator;
              auto address = st.coordinator_address;
              st.coordinator = nullptr;
              return join(self, coordinator, address);
            }
            if (st.leased && now > st.renewed)
              st.renewed = now;
          },
          [self, asked](const caf::error& err) {
            auto& st = self->state;
            if (!is(err, ec::refused) || !st.coordinator ||
                st.coordinator != asked)
              return; // a late answer: the lease check above counts
            spdlog::warn("cluster: the coordinator refused the heartbeat "
                         "({}); joining again",
                         describe(err));
            // The coordinator moved this node's rooms: they must stop now
            // even if this node's own count of the lease has not run out.
            if (st.options.rooms)
              self->send(st.options.rooms, atom::fence::value);
            st.leased = false;
            self->demonitor(st.coordinator.address());
            auto coordinator = st.coordinator;
            auto address = st.coordinator_address;
            st.coordinator = nullptr;
            join(self, coordinator, address);
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
  heartbeat(self);
  return {
      [self](atom::status) {
        return cluster_node_info{self->state.options.node_name, "worker", 0, 0,
                                 static_cast<bool>(self->state.coordinator)};
      },
      [self](atom::connect) {
        connect(self);
      },
      [self](atom::heartbeat) {
        heartbeat(self);
      },
  };
}

} // namespace racecontrol
