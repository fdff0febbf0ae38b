#pragma once

// What every repository does with its entity: create, find, remove, and
// targeted updates of the columns one step owns. Whole-row updates of a
// stale copy are how other bots lost room URLs, so there is no save(entity).

#include "persistence/entities/timestamp.hxx"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <odb/mysql/database.hxx>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::persistence {

/// A column and the value to set it to.
using column_assignment = std::pair<std::string, sql_param>;

template <class Entity>
class entity_repository {
 public:
  entity_repository(odb::mysql::database& db, std::string table)
      : db_(db), table_(std::move(table)) {}

  /// Inserts the entity, setting its id and both timestamps; returns the id.
  std::int32_t create(Entity& entity);

  std::optional<Entity> find(std::int32_t id);

  /// Deletes by id; false when there was no such row.
  bool remove(std::int32_t id);

 protected:
  /// UPDATE <table> SET ... WHERE id = <id>, in its own transaction.
  /// Returns false when no row has that id.
  bool update_columns(std::int32_t id,
                      const std::vector<column_assignment>& columns);

  odb::mysql::database& db_;
  std::string table_;
};

} // namespace racecontrol::persistence
