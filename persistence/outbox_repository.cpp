#include "persistence/outbox_repository.hpp"

#include "persistence/audit_repository.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <chrono>

namespace racecontrol::persistence {

std::vector<outbox_item> outbox_repository::due(std::size_t limit) {
  // One statement: its own snapshot.
  return in_autocommit(db_, [&](odb::mysql::connection& conn) {
    std::vector<outbox_item> out;
    for (auto& row : sql_query(
             conn,
             "SELECT o.id, o.channel_id, o.event, o.details, o.nonce, "
             "o.attempts FROM discord_outbox o JOIN (SELECT channel_id, "
             "MIN(id) AS head FROM discord_outbox WHERE state = 'pending' "
             "GROUP BY channel_id) h ON h.head = o.id WHERE "
             "o.next_attempt_at <= " +
                 sql_quote(now_us()) + " ORDER BY o.id LIMIT " +
                 std::to_string(limit)))
      out.push_back({std::stoll(row[0].value_or("0")), row[1].value_or(""),
                     row[2].value_or(""), row[3].value_or("{}"),
                     row[4].value_or(""), std::stoi(row[5].value_or("0"))});
    return out;
  });
}

void outbox_repository::record(const outbox_result& r) {
  in_transaction(db_, [&](odb::mysql::connection& conn) {
    auto id = std::to_string(r.id);
    auto now = now_us();
    switch (r.what) {
      case outbox_result::kind::delivered:
        sql_execute(conn,
                    "UPDATE discord_outbox SET state = 'delivered', "
                    "attempts = attempts + 1, last_attempt_at = " +
                        sql_quote(now) + ", delivered_at = " + sql_quote(now) +
                        ", discord_message_id = " +
                        (r.message_id.empty() ? std::string{"NULL"}
                                              : sql_quote(conn, r.message_id)) +
                        ", last_error = NULL WHERE id = " + id +
                        " AND state = 'pending'");
        return;
      case outbox_result::kind::retry:
        sql_execute(
            conn,
            "UPDATE discord_outbox SET attempts = attempts + 1, "
            "last_attempt_at = " +
                sql_quote(now) + ", next_attempt_at = " +
                sql_quote(now + std::chrono::milliseconds{r.retry_after_ms}) +
                ", last_error = " + sql_quote(conn, r.error) +
                " WHERE id = " + id + " AND state = 'pending'");
        return;
      case outbox_result::kind::failed:
        if (sql_execute(conn, "UPDATE discord_outbox SET state = 'failed', "
                              "attempts = attempts + 1, last_attempt_at = " +
                                  sql_quote(now) +
                                  ", last_error = " + sql_quote(conn, r.error) +
                                  " WHERE id = " + id +
                                  " AND state = 'pending'") == 0)
          return;
        audit_record entry;
        entry.organization_id = [&]() -> std::optional<std::int32_t> {
          auto v = sql_scalar(conn, "SELECT organization_id FROM "
                                    "discord_outbox WHERE id = " +
                                        id);
          if (!v)
            return std::nullopt;
          return std::stoi(*v);
        }();
        entry.action = "discord_delivery_failed";
        entry.entity_type = "discord_outbox";
        audit_repository::append_in(
            conn, entry,
            "(SELECT JSON_OBJECT('outbox_id', id, 'event', event, "
            "'channel_id', CAST(channel_id AS CHAR), 'error', last_error) "
            "FROM discord_outbox WHERE id = " +
                id + ")");
        return;
    }
  });
}

} // namespace racecontrol::persistence
