#pragma once

// The coordinator lease (issue 13): of several coordinators sharing one
// database, the one holding the `coordinator` row of cluster_leases is
// active; the others are standbys that run only their persistence actor and
// this one, and try to take the lease every renew interval.
//
//   standby --(claim held)--> active: node `start` (the waiting components)
//   active  --(renewed, or retaken from its own lapsed row)--> active
//   active  --(refused, taken afresh from another, or no renewal while the
//              lease would run out, by this node's count, before the next
//              try)--> ends with an error (the node stops, racecontrold
//              exits 1 and systemd starts it again, as a standby)

#include "actors/interfaces.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace racecontrol {

struct coordinator_lease_options {
  /// The node's name (daemon.node_name), for the log.
  std::string node_name;
  /// What the lease row names as its holder; empty: node_name. racecontrold
  /// adds a token of the process ("coord-a@3f9c0d12"), so two processes
  /// given the same node name never both take the lease for theirs.
  std::string holder;
  /// The cluster_leases row.
  std::string lease_name = "coordinator";
  /// How often to claim or renew.
  std::chrono::milliseconds renew_interval{1000};
  /// How long a claim holds by MariaDB's clock.
  std::chrono::milliseconds lease{5000};
};

struct coordinator_lease_state {
  static constexpr const char* name = "coordinator-lease";

  coordinator_lease_options options;
  persistence_actor db;
  node_actor node;
  /// The lease as last seen.
  lease_state last;
  bool held = false;
  std::uint64_t epoch = 0; ///< the epoch it was taken with, when held
  /// When the lease runs out by this node's count: the send time of the
  /// last renewal that succeeded plus the lease, so never later than
  /// MariaDB's own expiry.
  std::chrono::steady_clock::time_point runs_out{};
  bool in_flight = false;
  /// What was logged last while standby or failing (logged on change).
  std::string last_note;
};

using coordinator_lease_pointer =
    coordinator_lease_actor::stateful_pointer<coordinator_lease_state>;

/// Claims the lease at once and then every renew interval; tells `node` to
/// start its waiting components when it first holds it. Ends with an error
/// when, holding it, it learns another node has it, it was taken afresh
/// from another holder (epoch changed, not `retaken_own`) or it could not
/// renew before its count ran out. A lease that lapsed by MariaDB's clock
/// alone and was retaken from its own row goes on under the new epoch.
coordinator_lease_actor::behavior_type
coordinator_lease(coordinator_lease_pointer self, persistence_actor db,
                  node_actor node, coordinator_lease_options options);

} // namespace racecontrol
