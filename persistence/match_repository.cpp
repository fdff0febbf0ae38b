#include "persistence/match_repository.hpp"

#include "persistence/entities/match-odb.hxx"
#include "persistence/entity_repository_impl.hpp"

namespace racecontrol::persistence {

template class entity_repository<entities::match>;

namespace {

using query = odb::query<entities::match>;

std::vector<entities::match> select(odb::mysql::database& db, const query& q) {
  return in_transaction(db, [&](odb::mysql::connection&) {
    std::vector<entities::match> out;
    for (auto& m : db.query<entities::match>(q))
      out.push_back(m);
    return out;
  });
}

} // namespace

match_repository::match_repository(odb::mysql::database& db)
    : entity_repository(db, "matches") {}

std::vector<entities::match> match_repository::scheduled_between(timestamp from,
                                                                 timestamp to) {
  return select(db_, (query::scheduled_at >= from && query::scheduled_at < to) +
                         "ORDER BY" + query::scheduled_at + "," + query::id);
}

std::vector<entities::match>
match_repository::of_tournament(std::int32_t tournament_id) {
  return select(db_, (query::tournament_id == tournament_id) + "ORDER BY" +
                         query::scheduled_at + "," + query::id);
}

bool match_repository::set_checked_in(std::int32_t match_id, timestamp at) {
  return update_columns(match_id, {{"checked_in_at", at}});
}

bool match_repository::set_started(std::int32_t match_id, timestamp at) {
  return update_columns(match_id, {{"started_at", at}});
}

bool match_repository::set_finished(std::int32_t match_id, timestamp at) {
  return update_columns(match_id, {{"finished_at", at}});
}

} // namespace racecontrol::persistence
