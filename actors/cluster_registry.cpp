#include "actors/cluster_registry.hpp"

#include "actors/error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace racecontrol {

namespace {

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void publish(cluster_registry_pointer self) {
  const auto& at = self->state.options.listen;
  self->request(self->state.options.transport, caf::infinite,
                caf::publish_atom::value, at.port,
                caf::actor_cast<caf::strong_actor_ptr>(self),
                self->system().message_types<cluster_registry_actor>(), at.host,
                true)
      .then(
          [self](std::uint16_t port) {
            self->state.port = port;
            spdlog::info("cluster: coordinator listening on {}:{} (mutual "
                         "TLS)",
                         self->state.options.listen.host, port);
          },
          [self](const caf::error& err) {
            self->quit(make_error(ec::refused,
                                  "cluster: cannot listen on " +
                                      self->state.options.listen.to_string() +
                                      ": " + self->system().render(err)));
          });
}

/// A worker's connection or process is gone.
void node_lost(cluster_registry_pointer self, const caf::actor_addr& who,
               const caf::error& reason) {
  auto it = self->state.by_address.find(who);
  if (it == self->state.by_address.end())
    return;
  auto name = it->second;
  self->state.by_address.erase(it);
  auto node = self->state.nodes.find(name);
  if (node == self->state.nodes.end() || node->second.member.address() != who)
    return;
  node->second.info.connected = false;
  spdlog::warn("cluster: worker {} left ({})", name,
               self->system().render(reason));
}

caf::result<bot_supervisor_actor> join(cluster_registry_pointer self,
                                       const std::string& name,
                                       const cluster_member_actor& member,
                                       const room_supervisor_actor& rooms) {
  if (name.empty() || !member || !rooms)
    return make_error(ec::refused, "a node joins with its name and member");
  auto& nodes = self->state.nodes;
  auto it = nodes.find(name);
  if (it != nodes.end() && it->second.info.connected &&
      it->second.member != member) {
    spdlog::warn("cluster: refused a second node named {} while the first "
                 "is connected",
                 name);
    return make_error(ec::refused, "a connected node is named " + name +
                                       " already: give each node its own "
                                       "daemon.node_name");
  }
  registered_node node{member,
                       {name, "worker", unix_ms_now(), 0, true},
                       std::chrono::steady_clock::now(),
                       false};
  self->monitor(member);
  self->state.by_address[member.address()] = name;
  nodes[name] = std::move(node);
  spdlog::info("cluster: worker {} joined ({} worker(s) connected)", name,
               std::count_if(nodes.begin(), nodes.end(), [](const auto& n) {
                 return n.second.info.connected;
               }));
  if (self->state.options.placer)
    self->send(self->state.options.placer, atom::join::value, name, rooms);
  return self->state.options.bots;
}

caf::result<atom::ok> heartbeat(cluster_registry_pointer self,
                                const std::string& name) {
  auto it = self->state.nodes.find(name);
  if (it == self->state.nodes.end() || it->second.gone)
    return make_error(ec::refused, "worker " + name +
                                       " is not in the cluster (its lease "
                                       "ran out): join again");
  it->second.last_heartbeat = std::chrono::steady_clock::now();
  it->second.info.last_heartbeat_at = unix_ms_now();
  return atom::ok::value;
}

/// Workers silent for a lease are gone: the placer moves their rooms.
void check_leases(cluster_registry_pointer self) {
  auto& st = self->state;
  self->delayed_send(self, st.options.heartbeat / 4, atom::tick::value);
  auto now = std::chrono::steady_clock::now();
  for (auto& [name, node] : st.nodes) {
    if (node.gone || now - node.last_heartbeat <= st.options.lease)
      continue;
    node.gone = true;
    node.info.connected = false;
    auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(
        now - node.last_heartbeat);
    spdlog::warn("cluster: worker {}'s lease ran out (no heartbeat for {} "
                 "ms); its rooms move to the other workers",
                 name, silent.count());
    if (st.options.placer)
      self->send(st.options.placer, atom::leave::value, name);
  }
}

/// Every node, with the rooms the placer has put on each (its own
/// bookkeeping, so a worker that hangs does not hold up `nodes` or a
/// scrape of /metrics).
caf::result<std::vector<cluster_node_info>>
status(cluster_registry_pointer self) {
  std::vector<cluster_node_info> out;
  for (const auto& [name, node] : self->state.nodes)
    out.push_back(node.info);
  if (!self->state.options.placer)
    return out;
  auto rp = self->make_response_promise<std::vector<cluster_node_info>>();
  self->request(self->state.options.placer, std::chrono::seconds{2},
                atom::status::value, atom::place::value)
      .then(
          [rp, out](const std::vector<cluster_node_info>& placed) mutable {
            for (auto& n : out)
              for (const auto& p : placed)
                if (p.node_name == n.node_name)
                  n.rooms = p.rooms;
            rp.deliver(std::move(out));
          },
          [rp, out](const caf::error& err) mutable {
            spdlog::warn("cluster: the room placer did not count the rooms "
                         "per worker ({})",
                         describe(err));
            rp.deliver(std::move(out));
          });
  return rp;
}

} // namespace

cluster_registry_actor::behavior_type
cluster_registry(cluster_registry_pointer self,
                 cluster_registry_options options) {
  self->state.options = std::move(options);
  self->set_down_handler([self](const caf::down_msg& msg) {
    node_lost(self, msg.source, msg.reason);
  });
  publish(self);
  check_leases(self);
  return {
      [self](atom::join, const std::string& name,
             const cluster_member_actor& member,
             const room_supervisor_actor& rooms) {
        return join(self, name, member, rooms);
      },
      [self](atom::heartbeat, const std::string& name) {
        return heartbeat(self, name);
      },
      [self](atom::tick) {
        check_leases(self);
      },
      [self](atom::status) {
        return status(self);
      },
  };
}

} // namespace racecontrol
