#pragma once

#include "actors/interfaces.hpp"

#include "persistence/migration_set.hpp"

#include <odb/mysql/database.hxx>

#include <chrono>
#include <memory>

namespace racecontrol {

struct persistence_state {
  static constexpr const char* name = "persistence";

  std::shared_ptr<odb::mysql::database> db;
  const persistence::migration_set* migrations = nullptr;
  std::chrono::milliseconds health_interval{10000};
  /// Whether the last health check got an answer (changes are logged once).
  bool answering = true;
};

/// The persistence actor's behavior. Spawn it detached. (Named with a
/// suffix because `racecontrol::persistence` is the library's namespace.)
/// @param db an open database (persistence::open_database)
/// @param migrations the migrations this build expects, for status replies
/// @param health_interval how often to check that MariaDB answers
persistence_actor::behavior_type persistence_behavior(
    persistence_actor::stateful_pointer<persistence_state> self,
    std::shared_ptr<odb::mysql::database> db,
    const persistence::migration_set* migrations,
    std::chrono::milliseconds health_interval);

} // namespace racecontrol
