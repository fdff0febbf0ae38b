#pragma once

#include "actors/interfaces.hpp"

#include "persistence/migration_set.hpp"

#include <odb/mysql/database.hxx>

#include <caf/actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace racecontrol {

/// What the node needs to start its components.
struct node_options {
  std::string node_name;
  /// Grace period between asking components to stop and killing them.
  std::chrono::milliseconds shutdown_timeout{4000};
  std::shared_ptr<odb::mysql::database> db;
  const persistence::migration_set* migrations = nullptr;
};

/// A supervised component: how to spawn it again after it failed.
struct node_component {
  std::string name;
  caf::actor handle;
  std::function<caf::actor()> spawn;
  int restarts = 0;
};

struct node_state {
  static constexpr const char* name = "node";

  node_options options;
  persistence_actor persistence;
  /// In start order; stopped in reverse.
  std::vector<node_component> components;
  bool stopping = false;
};

/// The node actor's behavior: starts the persistence actor (more components
/// join in later issues), restarts a component that dies abnormally, and
/// stops them newest-first on shutdown.
node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               node_options options);

} // namespace racecontrol
