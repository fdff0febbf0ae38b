#include "persistence/event_log.hpp"

#include "persistence/audit_repository.hpp"
#include "persistence/sql.hpp"

namespace racecontrol::persistence {

void append_event(odb::mysql::connection& conn, const event_entry& e,
                  const std::vector<std::string>& channels) {
  audit_record entry;
  entry.organization_id = e.organization_id;
  entry.action = e.event;
  entry.entity_type = e.entity_type;
  entry.entity_id = e.entity_id;
  audit_repository::append_in(conn, entry, e.details_sql);
  if (channels.empty())
    return;
  auto audit_id = sql_scalar(conn, "SELECT LAST_INSERT_ID()").value_or("0");
  for (const auto& channel : channels)
    // A random nonce, kept with the row: every retry of this notification
    // carries the same one, so Discord (enforce_nonce) posts it once.
    sql_execute(conn,
                "INSERT IGNORE INTO discord_outbox (organization_id, "
                "channel_id, event, audit_log_id, details, dedupe_key, "
                "nonce, created_at, next_attempt_at) SELECT organization_id, " +
                    sql_quote(conn, channel) + ", action, id, details, " +
                    sql_quote(conn, e.dedupe_key + ":" + channel) +
                    ", CONCAT('rc', LOWER(HEX(RANDOM_BYTES(10)))), " +
                    sql_quote(now_us()) + ", " + sql_quote(now_us()) +
                    " FROM audit_log WHERE id = " + audit_id);
}

std::vector<std::string> match_channels(odb::mysql::connection& conn,
                                        std::int32_t match_id) {
  std::vector<std::string> out;
  if (auto channel = sql_scalar(
          conn, "SELECT t.discord_notification_channel_id FROM matches m "
                "JOIN tournaments t ON t.id = m.tournament_id WHERE m.id = " +
                    std::to_string(match_id)))
    out.push_back(*channel);
  return out;
}

std::optional<std::int32_t> match_organization(odb::mysql::connection& conn,
                                               std::int32_t match_id) {
  auto v = sql_scalar(conn, "SELECT t.organization_id FROM matches m JOIN "
                            "tournaments t ON t.id = m.tournament_id WHERE "
                            "m.id = " +
                                std::to_string(match_id));
  if (!v)
    return std::nullopt;
  return std::stoi(*v);
}

} // namespace racecontrol::persistence
