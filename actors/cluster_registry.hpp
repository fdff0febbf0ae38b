#pragma once

// The coordinator's side of the cluster (issue 13): the registry of worker
// nodes, published to them over CAF's OpenSSL middleman.

#include "actors/interfaces.hpp"
#include "config/settings.hpp"

#include <caf/actor_addr.hpp>
#include <caf/io/middleman_actor.hpp>

#include <chrono>
#include <map>
#include <string>

namespace racecontrol {

struct cluster_registry_options {
  config::listen_address listen;
  /// The OpenSSL middleman (caf::openssl::manager::actor_handle()).
  caf::io::middleman_actor transport;
  /// Told of workers that join and of those whose lease ran out (may be
  /// invalid: the registry then only keeps the list).
  room_placer_actor placer;
  /// Handed to each worker that joins, for its rooms' tokens.
  bot_supervisor_actor bots;
  /// A worker renews its lease every heartbeat; one silent for `lease` is
  /// gone: its rooms move. Workers stop their rooms before that (they
  /// count from when they sent their last answered heartbeat).
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds lease{5000};
};

struct registered_node {
  cluster_member_actor member;
  cluster_node_info info;
  /// When its last heartbeat (or its join) came.
  std::chrono::steady_clock::time_point last_heartbeat{};
  /// Its lease ran out and the placer was told: it must join again.
  bool gone = false;
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
/// joins and heartbeats; tells the placer who joined and whose lease ran
/// out (a worker whose connection is lost too, but only once its lease ran
/// out, so that a worker cut off has stopped its rooms by then). A worker whose
/// connection is lost stays listed as not connected, so an operator sees it
/// went away, until it joins again.
cluster_registry_actor::behavior_type
cluster_registry(cluster_registry_pointer self,
                 cluster_registry_options options);

} // namespace racecontrol
