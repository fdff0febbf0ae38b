#include "persistence/user_repository.hpp"

#include "persistence/entities/user-odb.hxx"
#include "persistence/entity_repository_impl.hpp"

namespace racecontrol::persistence {

template class entity_repository<entities::user>;

namespace {

template <class Query>
std::optional<entities::user> query_one(odb::mysql::database& db,
                                        const Query& q) {
  return in_transaction(db, [&](odb::mysql::connection&) {
    std::optional<entities::user> out;
    entities::user u;
    if (db.query_one<entities::user>(q, u))
      out = std::move(u);
    return out;
  });
}

} // namespace

user_repository::user_repository(odb::mysql::database& db)
    : entity_repository(db, "users") {}

std::optional<entities::user>
user_repository::find_by_discord_id(std::uint64_t discord_id) {
  using query = odb::query<entities::user>;
  return query_one(db_, query::discord_id == discord_id);
}

std::optional<entities::user>
user_repository::find_by_racetime_id(const std::string& id) {
  using query = odb::query<entities::user>;
  return query_one(db_, query::racetime_id == id);
}

bool user_repository::link_racetime(std::int32_t user_id,
                                    const racetime_link& link) {
  return update_columns(
      user_id, {{"racetime_id", link.racetime_id},
                {"racetime_name", link.racetime_name},
                {"racetime_access_token", link.access_token},
                {"racetime_refresh_token", sql_nullable(link.refresh_token)},
                {"racetime_token_expires_at", sql_nullable(link.expires_at)}});
}

bool user_repository::unlink_racetime(std::int32_t user_id) {
  return update_columns(user_id, {{"racetime_id", nullptr},
                                  {"racetime_name", nullptr},
                                  {"racetime_access_token", nullptr},
                                  {"racetime_refresh_token", nullptr},
                                  {"racetime_token_expires_at", nullptr}});
}

} // namespace racecontrol::persistence
