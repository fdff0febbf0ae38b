#include "persistence/racetime_bot_repository.hpp"

#include "persistence/event_log.hpp"

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

racetime_bot_repository::racetime_bot_repository(odb::mysql::database& db,
                                                 const secret_box& secrets)
    : entity_repository(db, "racetime_bots"), secrets_(secrets) {}

namespace {

/// The SQL value a client secret is stored as: every write of
/// client_secret goes through here.
std::string stored_secret(odb::mysql::connection& conn,
                          const secret_box& secrets,
                          const std::string& client_secret) {
  return sql_quote(conn, secrets.seal_or_throw(client_secret));
}

} // namespace

std::int32_t racetime_bot_repository::insert_in(
    odb::mysql::connection& conn, const std::string& category,
    const std::string& name, const std::string& client_id,
    const std::string& client_secret, const secret_box& secrets) {
  auto at = sql_quote(now_us());
  sql_execute(conn, "INSERT INTO racetime_bots (category, name, client_id, "
                    "client_secret, is_active, created_at, updated_at) "
                    "VALUES (" +
                        sql_quote(conn, category) + ", " +
                        sql_quote(conn, name) + ", " +
                        sql_quote(conn, client_id) + ", " +
                        stored_secret(conn, secrets, client_secret) + ", 1, " +
                        at + ", " + at + ")");
  return sql_int(sql_scalar(conn, "SELECT LAST_INSERT_ID()")).value_or(0);
}

void racetime_bot_repository::set_secret_in(odb::mysql::connection& conn,
                                            std::int32_t bot_id,
                                            const std::string& client_secret,
                                            const secret_box& secrets) {
  sql_execute(conn, "UPDATE racetime_bots SET client_secret = " +
                        stored_secret(conn, secrets, client_secret) +
                        ", updated_at = " + sql_quote(now_us()) +
                        " WHERE id = " + std::to_string(bot_id));
}

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
                    stored_secret(conn, secrets_, client_secret) + ", 1, " +
                    at + ", " + at +
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

namespace {

/// The Discord channels of the active tournaments that use the bot.
std::vector<std::string> bot_channels(odb::mysql::connection& conn,
                                      std::int32_t bot_id) {
  std::vector<std::string> out;
  for (auto& row : sql_query(
           conn, "SELECT DISTINCT discord_notification_channel_id FROM "
                 "tournaments WHERE is_active = 1 AND racetime_bot_id = " +
                     std::to_string(bot_id) +
                     " AND discord_notification_channel_id IS NOT NULL"))
    out.push_back(row[0].value_or(""));
  return out;
}

/// bot_auth_failed when the bot's credentials or permissions are refused,
/// bot_recovered when it connects again after that: an audit entry and a
/// notification to every active tournament that uses the bot. Judged by the
/// bot's last such event, not its previous status, so a daemon restart
/// (status `disconnected` in between) does not announce the same failure
/// again.
void bot_event(odb::mysql::connection& conn, std::int32_t bot_id,
               entities::bot_status status,
               const std::optional<std::string>& message) {
  if (status != entities::bot_status::auth_failed &&
      status != entities::bot_status::connected)
    return;
  auto id = std::to_string(bot_id);
  auto last = sql_scalar(conn, "SELECT action FROM audit_log WHERE "
                               "entity_type = 'racetime_bot' AND entity_id = " +
                                   id +
                                   " AND action IN ('bot_auth_failed', "
                                   "'bot_recovered') ORDER BY id DESC LIMIT 1");
  bool failing = last == std::optional<std::string>{"bot_auth_failed"};
  bool failed = status == entities::bot_status::auth_failed;
  if (failed == failing)
    return; // nothing new: still failing, or fine and never failed
  std::string event = failed ? "bot_auth_failed" : "bot_recovered";
  auto n = sql_scalar(conn, "SELECT COUNT(*) FROM audit_log WHERE "
                            "entity_type = 'racetime_bot' AND entity_id = " +
                                id)
               .value_or("0");
  append_event(
      conn,
      {event, std::nullopt, "racetime_bot", bot_id,
       "(SELECT JSON_OBJECT('bot', name, 'category', category, "
       "'message', " +
           (message ? sql_quote(conn, *message) : std::string{"NULL"}) +
           ") FROM racetime_bots WHERE id = " + id + ")",
       "bot:" + id + ":" + event + ":" + n},
      bot_channels(conn, bot_id));
}

} // namespace

bool racetime_bot_repository::set_status(
    std::int32_t bot_id, entities::bot_status status,
    const std::optional<std::string>& message,
    const std::optional<timestamp>& connected_at) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    auto id = std::to_string(bot_id);
    auto before =
        sql_scalar(conn, "SELECT status FROM racetime_bots WHERE id = " + id +
                             " FOR UPDATE");
    if (!before)
      return false;
    sql_execute(
        conn,
        "UPDATE racetime_bots SET status = " +
            sql_quote(conn, to_string(status)) + ", status_message = " +
            (message ? sql_quote(conn, *message) : std::string{"NULL"}) +
            (connected_at ? ", last_connected_at = " + sql_quote(*connected_at)
                          : std::string{}) +
            ", updated_at = " + sql_quote(now_us()) + " WHERE id = " + id);
    bot_event(conn, bot_id, status, message);
    return true;
  });
}

} // namespace racecontrol::persistence
