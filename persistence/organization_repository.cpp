#include "persistence/organization_repository.hpp"

#include "persistence/entities/organization-odb.hxx"
#include "persistence/entity_repository_impl.hpp"

namespace racecontrol::persistence {

template class entity_repository<entities::organization>;

organization_repository::organization_repository(odb::mysql::database& db)
    : entity_repository(db, "organizations") {}

std::optional<entities::organization>
organization_repository::find_by_name(const std::string& name) {
  using query = odb::query<entities::organization>;
  return in_transaction(db_, [&](odb::mysql::connection&) {
    std::optional<entities::organization> out;
    entities::organization org;
    if (db_.query_one<entities::organization>(query::name == name, org))
      out = std::move(org);
    return out;
  });
}

} // namespace racecontrol::persistence
