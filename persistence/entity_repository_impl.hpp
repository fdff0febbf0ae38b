#pragma once

// Member definitions of entity_repository. Included by each repository's
// source file after its entity's generated ODB header, which then
// instantiates the template for that entity.

#include "persistence/entity_repository.hpp"

#include <odb/mysql/connection.hxx>

namespace racecontrol::persistence {

template <class Entity>
std::int32_t entity_repository<Entity>::create(Entity& entity) {
  auto at = now_us();
  entity.created_at = at;
  entity.updated_at = at;
  return in_transaction(db_, [&](odb::mysql::connection&) {
    db_.persist(entity);
    return entity.id;
  });
}

template <class Entity>
std::optional<Entity> entity_repository<Entity>::find(std::int32_t id) {
  return in_transaction(db_, [&](odb::mysql::connection&) {
    std::optional<Entity> out;
    Entity e;
    if (db_.find(id, e))
      out = std::move(e);
    return out;
  });
}

template <class Entity>
bool entity_repository<Entity>::remove(std::int32_t id) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    return sql_execute(conn, "DELETE FROM " + sql_identifier(table_) +
                                 " WHERE id = " + std::to_string(id)) > 0;
  });
}

template <class Entity>
bool entity_repository<Entity>::update_columns(
    std::int32_t id, const std::vector<column_assignment>& columns) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::string statement = "UPDATE " + sql_identifier(table_) + " SET ";
    for (const auto& [column, value] : columns)
      statement +=
          sql_identifier(column) + " = " + sql_render(conn, value) + ", ";
    statement += "updated_at = " + sql_quote(now_us());
    statement += " WHERE id = " + std::to_string(id);
    return sql_execute(conn, statement) > 0;
  });
}

} // namespace racecontrol::persistence
