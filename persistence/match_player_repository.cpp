#include "persistence/match_player_repository.hpp"

#include "persistence/entities/match_player-odb.hxx"
#include "persistence/entity_repository_impl.hpp"

namespace racecontrol::persistence {

template class entity_repository<entities::match_player>;

match_player_repository::match_player_repository(odb::mysql::database& db)
    : entity_repository(db, "match_players") {}

std::vector<entities::match_player>
match_player_repository::of_match(std::int32_t match_id) {
  using query = odb::query<entities::match_player>;
  return in_transaction(db_, [&](odb::mysql::connection&) {
    std::vector<entities::match_player> out;
    for (auto& p : db_.query<entities::match_player>(
             (query::match_id == match_id) + "ORDER BY" + query::id))
      out.push_back(p);
    return out;
  });
}

bool match_player_repository::record_result(std::int32_t match_id,
                                            std::int32_t user_id,
                                            const player_result& result) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::string time =
        result.finish_time ? sql_quote(*result.finish_time) : "NULL";
    auto place = result.finish_place ? std::to_string(*result.finish_place)
                                     : std::string{"NULL"};
    return sql_execute(conn,
                       "UPDATE match_players SET entrant_status = " +
                           sql_quote(conn, result.entrant_status) +
                           ", finish_place = " + place + ", finish_time = " +
                           time + ", updated_at = " + sql_quote(now_us()) +
                           " WHERE match_id = " + std::to_string(match_id) +
                           " AND user_id = " + std::to_string(user_id)) > 0;
  });
}

} // namespace racecontrol::persistence
