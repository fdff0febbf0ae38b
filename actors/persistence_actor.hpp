#pragma once

#include "actors/interfaces.hpp"

#include "persistence/migration_set.hpp"

#include <odb/mysql/database.hxx>

#include <memory>

namespace racecontrol {

struct persistence_state {
  static constexpr const char* name = "persistence";

  std::shared_ptr<odb::mysql::database> db;
  const persistence::migration_set* migrations = nullptr;
};

/// The persistence actor's behavior. Spawn it detached. (Named with a
/// suffix because `racecontrol::persistence` is the library's namespace.)
/// @param db an open database (persistence::open_database)
/// @param migrations the migrations this build expects, for status replies
persistence_actor::behavior_type persistence_behavior(
    persistence_actor::stateful_pointer<persistence_state> self,
    std::shared_ptr<odb::mysql::database> db,
    const persistence::migration_set* migrations);

} // namespace racecontrol
