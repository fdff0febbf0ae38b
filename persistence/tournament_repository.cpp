#include "persistence/tournament_repository.hpp"

#include "persistence/entities/tournament-odb.hxx"
#include "persistence/entity_repository_impl.hpp"

namespace racecontrol::persistence {

template class entity_repository<entities::tournament>;

namespace {

using query = odb::query<entities::tournament>;

std::vector<entities::tournament> select(odb::mysql::database& db,
                                         const query& q) {
  return in_transaction(db, [&](odb::mysql::connection&) {
    std::vector<entities::tournament> out;
    for (auto& t : db.query<entities::tournament>(q + "ORDER BY" + query::id))
      out.push_back(t);
    return out;
  });
}

} // namespace

tournament_repository::tournament_repository(odb::mysql::database& db)
    : entity_repository(db, "tournaments") {}

std::vector<entities::tournament>
tournament_repository::with_auto_create_rooms() {
  return select(db_, query::is_active == true &&
                         query::racetime_auto_create_rooms == true);
}

std::vector<entities::tournament>
tournament_repository::of_organization(std::int32_t org_id) {
  return select(db_, query::organization_id == org_id);
}

} // namespace racecontrol::persistence
