#pragma once

#include "actors/interfaces.hpp"
#include "actors/restart_budget.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace racecontrol {

/// The handles of the components started before one, by name: what a
/// component may depend on; "node" is the node actor itself.
using component_handles = std::map<std::string, caf::actor>;

/// How to start one component of the node (again, after it failed).
struct component_spec {
  std::string name;
  std::function<caf::actor(caf::actor_system&, const component_handles&)> spawn;
  /// Whether the node's `reload` is passed on to it (it must handle
  /// `reload`).
  bool reloads = false;
  /// Started only when the node is told `start` (a standby coordinator
  /// that took the lease), not with the node. List waiting components
  /// after those they depend on.
  bool waits = false;
  /// Its end stops the node with an error instead of a restart (the
  /// coordinator lease: a lease whose renewals stopped cannot be vouched
  /// for, so the process ends and starts again as a standby).
  bool critical = false;
};

/// What the node needs to start its components.
struct node_options {
  std::string node_name;
  /// Grace period between asking components to stop and killing them.
  std::chrono::milliseconds shutdown_timeout{4000};
  /// Started in this order, stopped in the reverse order. A component named
  /// "persistence" answers the database part of the node's status.
  std::vector<component_spec> components;
  restart_options restarts;
};

/// A supervised component and its restart record.
struct node_component {
  component_spec spec;
  caf::actor handle; ///< invalid while it waits for a restart
  restart_budget restarts;
  /// Asked to stop because a component it depends on failed; it starts
  /// again right after that one (its down is no failure of its own).
  bool follows = false;
};

struct node_state {
  static constexpr const char* name = "node";

  node_options options;
  /// In start order; stopped in reverse.
  std::vector<node_component> components;
  bool stopping = false;
  /// Whether the waiting components were started (`start`).
  bool started_waiting = false;
  /// Why the node gave up, when a component spent its restart budget; the
  /// node then exits with this error (racecontrold exits with status 1).
  caf::error failure;
  /// Every component handle spawned so far that may still run; shared with
  /// the functor that kills them when the node ends.
  std::shared_ptr<std::vector<caf::actor>> live =
      std::make_shared<std::vector<caf::actor>>();
};

/// The node actor's behavior: starts its components in order (each may use
/// the handles of those before it), monitors them, restarts one that fails
/// (with backoff, within a budget per time window; a normal exit is not a
/// failure) together with every component started after it, since those
/// may hold its old handle; gives up with an error when the budget is
/// spent, and stops the components newest-first on
/// shutdown, killing those that outlast the grace period. Components die
/// with the node, so none is left orphaned.
node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               node_options options);

} // namespace racecontrol
