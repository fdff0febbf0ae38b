#include "persistence/racetime_bot_repository.hpp"

#include "persistence/entities/racetime_bot-odb.hxx"
#include "persistence/entity_repository_impl.hpp"

namespace racecontrol::persistence {

template class entity_repository<entities::racetime_bot>;

const char* to_string(entities::bot_status status) {
  switch (status) {
    case entities::bot_status::unknown:
      return "unknown";
    case entities::bot_status::connected:
      return "connected";
    case entities::bot_status::auth_failed:
      return "auth_failed";
    case entities::bot_status::connection_error:
      return "connection_error";
    case entities::bot_status::disconnected:
      return "disconnected";
  }
  return "unknown";
}

racetime_bot_repository::racetime_bot_repository(odb::mysql::database& db)
    : entity_repository(db, "racetime_bots") {}

std::optional<entities::racetime_bot>
racetime_bot_repository::find_by_category(const std::string& category) {
  using query = odb::query<entities::racetime_bot>;
  return in_transaction(db_, [&](odb::mysql::connection&) {
    std::optional<entities::racetime_bot> out;
    entities::racetime_bot bot;
    if (db_.query_one<entities::racetime_bot>(query::category == category, bot))
      out = std::move(bot);
    return out;
  });
}

std::vector<entities::racetime_bot> racetime_bot_repository::active() {
  using query = odb::query<entities::racetime_bot>;
  return in_transaction(db_, [&](odb::mysql::connection&) {
    std::vector<entities::racetime_bot> out;
    for (auto& bot : db_.query<entities::racetime_bot>(
             (query::is_active == true) + "ORDER BY" + query::id))
      out.push_back(bot);
    return out;
  });
}

std::vector<entities::racetime_bot> racetime_bot_repository::all() {
  using query = odb::query<entities::racetime_bot>;
  return in_transaction(db_, [&](odb::mysql::connection&) {
    std::vector<entities::racetime_bot> out;
    for (auto& bot : db_.query<entities::racetime_bot>("ORDER BY" + query::id))
      out.push_back(bot);
    return out;
  });
}

std::int32_t racetime_bot_repository::save_configured(
    const std::string& category, const std::string& name,
    const std::string& client_id, const std::string& client_secret) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    auto at = sql_quote(now_us());
    sql_execute(conn,
                "INSERT INTO racetime_bots (category, name, client_id, "
                "client_secret, is_active, created_at, updated_at) VALUES (" +
                    sql_quote(conn, category) + ", " + sql_quote(conn, name) +
                    ", " + sql_quote(conn, client_id) + ", " +
                    sql_quote(conn, client_secret) + ", 1, " + at + ", " + at +
                    ") ON DUPLICATE KEY UPDATE name = VALUES(name), "
                    "client_id = VALUES(client_id), client_secret = "
                    "VALUES(client_secret), updated_at = " +
                    at);
    return static_cast<std::int32_t>(std::stol(
        sql_scalar(conn, "SELECT id FROM racetime_bots WHERE category = " +
                             sql_quote(conn, category))
            .value_or("0")));
  });
}

bool racetime_bot_repository::set_status(
    std::int32_t bot_id, entities::bot_status status,
    const std::optional<std::string>& message,
    const std::optional<timestamp>& connected_at) {
  std::vector<column_assignment> columns{
      {"status", std::string{to_string(status)}},
      {"status_message", sql_nullable(message)}};
  if (connected_at)
    columns.emplace_back("last_connected_at", *connected_at);
  return update_columns(bot_id, columns);
}

} // namespace racecontrol::persistence
