#pragma once

#include "actors/interfaces.hpp"

#include "persistence/migration_set.hpp"
#include "persistence/secret_box.hpp"

#include <odb/mysql/database.hxx>

#include <chrono>
#include <memory>

namespace racecontrol {

struct persistence_worker_state {
  static constexpr const char* name = "persistence-worker";

  std::shared_ptr<odb::mysql::database> db;
  const persistence::migration_set* migrations = nullptr;
  std::shared_ptr<const persistence::secret_box> secrets;
  std::chrono::milliseconds undo_window{0};
};

/// One worker of the persistence pool. Spawn it detached: every request
/// runs a repository call (one transaction) that blocks this thread only.
/// Database failures come back as errors; the worker never dies of them.
/// @param db an open database (persistence::open_database)
/// @param migrations the migrations this build expects, for status replies
/// @param secrets seals and opens stored secrets (null: no keys)
/// @param undo_window how long after its end a finished or cancelled room is
///        still one to watch (persistence_options::undo_window)
persistence_worker_actor::behavior_type persistence_worker(
    persistence_worker_actor::stateful_pointer<persistence_worker_state> self,
    std::shared_ptr<odb::mysql::database> db,
    const persistence::migration_set* migrations,
    std::shared_ptr<const persistence::secret_box> secrets,
    std::chrono::milliseconds undo_window);

} // namespace racecontrol
