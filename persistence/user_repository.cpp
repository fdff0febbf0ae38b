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

user_repository::user_repository(odb::mysql::database& db,
                                 const secret_box& secrets)
    : entity_repository(db, "users"), secrets_(secrets) {}

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
  std::optional<std::string> refresh;
  if (link.refresh_token)
    refresh = secrets_.seal_or_throw(*link.refresh_token);
  return update_columns(
      user_id,
      {{"racetime_id", link.racetime_id},
       {"racetime_name", link.racetime_name},
       {"racetime_access_token", secrets_.seal_or_throw(link.access_token)},
       {"racetime_refresh_token", sql_nullable(refresh)},
       {"racetime_token_expires_at", sql_nullable(link.expires_at)}});
}

std::optional<racetime_link>
user_repository::racetime_tokens(std::int32_t user_id) {
  auto u = find(user_id);
  if (!u || !u->racetime_id || !u->racetime_access_token)
    return std::nullopt;
  racetime_link out;
  out.racetime_id = *u->racetime_id;
  out.racetime_name = u->racetime_name ? *u->racetime_name : "";
  out.access_token = secrets_.open_or_throw(*u->racetime_access_token);
  if (u->racetime_refresh_token)
    out.refresh_token = secrets_.open_or_throw(*u->racetime_refresh_token);
  if (u->racetime_token_expires_at)
    out.expires_at = *u->racetime_token_expires_at;
  return out;
}

bool user_repository::unlink_racetime(std::int32_t user_id) {
  return update_columns(user_id, {{"racetime_id", nullptr},
                                  {"racetime_name", nullptr},
                                  {"racetime_access_token", nullptr},
                                  {"racetime_refresh_token", nullptr},
                                  {"racetime_token_expires_at", nullptr}});
}

} // namespace racecontrol::persistence
