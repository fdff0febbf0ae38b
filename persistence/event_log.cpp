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
  // One outbox row per channel, naming the audit row by LAST_INSERT_ID(),
  // which inside a statement still holds the previous statement's id: the
  // audit INSERT's, even when both wait in a pipeline. A random nonce, kept
  // with the row: every retry of this notification carries the same one,
  // so Discord (enforce_nonce) posts it once.
  std::string targets;
  for (const auto& channel : channels)
    targets += (targets.empty() ? "SELECT " : " UNION ALL SELECT ") +
               sql_quote(conn, channel) + " AS channel_id";
  sql_defer(
      conn,
      "INSERT IGNORE INTO discord_outbox (organization_id, channel_id, "
      "event, audit_log_id, details, dedupe_key, nonce, created_at, "
      "next_attempt_at) SELECT a.organization_id, c.channel_id, "
      "a.action, a.id, a.details, CONCAT(" +
          sql_quote(conn, e.dedupe_key + ":") +
          ", c.channel_id), CONCAT('rc', LOWER(HEX(RANDOM_BYTES(10)))), " +
          sql_quote(now_us()) + ", " + sql_quote(now_us()) +
          " FROM audit_log a JOIN (" + targets +
          ") c WHERE a.id = LAST_INSERT_ID()");
}

namespace {

/// `from_where` joins tournaments as t and picks one row.
event_audience audience_of(odb::mysql::connection& conn,
                           const std::string& from_where) {
  event_audience out;
  auto rows = sql_query(conn, "SELECT t.organization_id, "
                              "t.discord_notification_channel_id " +
                                  from_where);
  if (rows.empty())
    return out;
  out.organization_id = sql_int(rows[0][0]);
  if (rows[0][1])
    out.channels.push_back(*rows[0][1]);
  return out;
}

} // namespace

event_audience match_audience(odb::mysql::connection& conn,
                              std::int32_t match_id) {
  return audience_of(conn, "FROM matches m JOIN tournaments t ON t.id = "
                           "m.tournament_id WHERE m.id = " +
                               std::to_string(match_id));
}

event_audience room_audience(odb::mysql::connection& conn,
                             std::int32_t room_id) {
  return audience_of(conn, "FROM racetime_rooms r JOIN matches m ON m.id = "
                           "r.match_id JOIN tournaments t ON t.id = "
                           "m.tournament_id WHERE r.id = " +
                               std::to_string(room_id));
}

} // namespace racecontrol::persistence
