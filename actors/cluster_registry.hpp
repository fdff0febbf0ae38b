#pragma once

// The coordinator's side of the cluster (issue 13): the registry of worker
// nodes, published to them over CAF's OpenSSL middleman.

#include "actors/interfaces.hpp"
#include "config/settings.hpp"

#include <caf/actor_addr.hpp>
#include <caf/io/middleman_actor.hpp>

#include <map>
#include <string>

namespace racecontrol {

struct cluster_registry_options {
  config::listen_address listen;
  /// The OpenSSL middleman (caf::openssl::manager::actor_handle()).
  caf::io::middleman_actor transport;
};

struct registered_node {
  cluster_member_actor member;
  cluster_node_info info;
};

struct cluster_registry_state {
  static constexpr const char* name = "cluster-registry";

  cluster_registry_options options;
  std::map<std::string, registered_node> nodes; ///< by node name
  std::map<caf::actor_addr, std::string> by_address;
  std::uint16_t port = 0; ///< where it listens, once published
};

using cluster_registry_pointer =
    cluster_registry_actor::stateful_pointer<cluster_registry_state>;

/// Publishes itself on options.listen (mutual TLS; a failure to listen
/// ends it with an error that names the address) and takes the workers'
/// joins. A worker whose connection is lost stays listed as not connected,
/// so an operator sees it went away, until it joins again.
cluster_registry_actor::behavior_type
cluster_registry(cluster_registry_pointer self,
                 cluster_registry_options options);

} // namespace racecontrol
