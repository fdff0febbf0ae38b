#pragma once

// The worker's side of the cluster (issue 13): reaches a coordinator over
// CAF's OpenSSL middleman and joins it.

#include "actors/interfaces.hpp"
#include "protocol/backoff.hpp"

#include <caf/io/middleman_actor.hpp>

#include <string>
#include <vector>

namespace racecontrol {

struct cluster_member_options {
  std::string node_name;
  /// "host:port" of each coordinator, tried in turn.
  std::vector<std::string> coordinators;
  /// The OpenSSL middleman (caf::openssl::manager::actor_handle()).
  caf::io::middleman_actor transport;
  std::chrono::milliseconds connect_timeout{10000};
  /// This node's room supervisor: handed to the coordinator at the join,
  /// told to stop every room when the lease runs out.
  room_supervisor_actor rooms;
  /// Lease renewal: a heartbeat every `heartbeat`; when none was answered
  /// for `lease` (counted from when the last answered one was sent), the
  /// rooms stop, before the coordinator moves them.
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds lease{5000};
};

struct cluster_member_state {
  static constexpr const char* name = "cluster-member";

  cluster_member_options options;
  std::size_t next = 0; ///< the coordinator to try next
  cluster_registry_actor coordinator;
  std::string coordinator_address;
  protocol::backoff retry{
      {std::chrono::milliseconds{500}, std::chrono::milliseconds{10000}}};
  /// When the last heartbeat (or join) the coordinator answered was sent.
  std::chrono::steady_clock::time_point renewed{};
  /// The rooms hold a lease (joined, and it has not run out since).
  bool leased = false;
};

using cluster_member_pointer =
    cluster_member_actor::stateful_pointer<cluster_member_state>;

/// Connects to the coordinators in turn until one takes its join; when the
/// coordinator is lost, starts over (backoff from 0.5 s up to 10 s). Renews
/// the node's lease every heartbeat; when it runs out, stops the node's
/// rooms (a node cut off must not act for rooms that move elsewhere) and
/// leaves the coordinator that answered nothing for the next.
cluster_member_actor::behavior_type
cluster_member(cluster_member_pointer self, cluster_member_options options);

} // namespace racecontrol
