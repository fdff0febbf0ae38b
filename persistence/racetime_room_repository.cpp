#include "persistence/racetime_room_repository.hpp"

#include "persistence/entities/racetime_room-odb.hxx"
#include "persistence/entity_repository_impl.hpp"

namespace racecontrol::persistence {

template class entity_repository<entities::racetime_room>;

namespace {

using query = odb::query<entities::racetime_room>;

std::optional<entities::racetime_room> select_one(odb::mysql::database& db,
                                                  const query& q) {
  return in_transaction(db, [&](odb::mysql::connection&) {
    std::optional<entities::racetime_room> out;
    entities::racetime_room room;
    if (db.query_one<entities::racetime_room>(q, room))
      out = std::move(room);
    return out;
  });
}

} // namespace

racetime_room_repository::racetime_room_repository(odb::mysql::database& db)
    : entity_repository(db, "racetime_rooms") {}

std::optional<entities::racetime_room>
racetime_room_repository::find_by_slug(const std::string& slug) {
  return select_one(db_, query::slug == slug);
}

std::optional<entities::racetime_room>
racetime_room_repository::find_by_match(std::int32_t match_id) {
  return select_one(db_, query::match_id == match_id);
}

std::vector<entities::racetime_room> racetime_room_repository::unfinished() {
  return in_transaction(db_, [&](odb::mysql::connection&) {
    std::vector<entities::racetime_room> out;
    auto q = (query::status.is_null() ||
              (query::status != "finished" && query::status != "cancelled")) +
             "ORDER BY" + query::id;
    for (auto& room : db_.query<entities::racetime_room>(q))
      out.push_back(room);
    return out;
  });
}

bool racetime_room_repository::set_status(std::int32_t room_id,
                                          const std::string& status) {
  return update_columns(room_id, {{"status", status}});
}

} // namespace racecontrol::persistence
