#include "persistence/event_log.hpp"

#include "persistence/audit_repository.hpp"
#include "persistence/sql.hpp"

namespace racecontrol::persistence {

namespace {

/// One outbox row per channel `targets` (a SELECT of channel_id) yields,
/// naming the audit row just written by LAST_INSERT_ID(), which inside a
/// statement still holds the previous statement's id: the audit INSERT's,
/// even when both wait in a pipeline. `audit_check` (SQL over `a`) guards
/// against an id of an earlier statement on this connection. A random
/// nonce, kept with the row: every retry of this notification carries the
/// same one, so Discord (enforce_nonce) posts it once.
void append_outbox(odb::mysql::connection& conn, const std::string& dedupe_key,
                   const std::string& targets,
                   const std::string& audit_check = "TRUE") {
  sql_defer(
      conn,
      "INSERT IGNORE INTO discord_outbox (organization_id, channel_id, "
      "event, audit_log_id, details, dedupe_key, nonce, created_at, "
      "next_attempt_at) SELECT a.organization_id, c.channel_id, "
      "a.action, a.id, a.details, CONCAT(" +
          sql_quote(conn, dedupe_key + ":") +
          ", c.channel_id), CONCAT('rc', LOWER(HEX(RANDOM_BYTES(10)))), " +
          sql_quote(now_us()) + ", " + sql_quote(now_us()) +
          " FROM audit_log a JOIN (" + targets +
          ") c WHERE a.id = LAST_INSERT_ID() AND " + audit_check);
}

} // namespace

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
  std::string targets;
  for (const auto& channel : channels)
    targets += (targets.empty() ? "SELECT " : " UNION ALL SELECT ") +
               sql_quote(conn, channel) + " AS channel_id";
  append_outbox(conn, e.dedupe_key, targets);
}

namespace {

/// The room with its match's tournament (absent for a room without a
/// match), for an event's INSERT … SELECT.
std::string room_source(std::int32_t room_id) {
  return " FROM racetime_rooms r LEFT JOIN (matches m JOIN tournaments t ON "
         "t.id = m.tournament_id) ON m.id = r.match_id WHERE r.id = " +
         std::to_string(room_id);
}

} // namespace

void append_room_audit(odb::mysql::connection& conn, std::int32_t room_id,
                       const std::string& action_sql,
                       const std::string& details_sql) {
  audit_repository::append_selected_in(
      conn, "SELECT t.organization_id, NULL, " + action_sql +
                ", 'racetime_room', " + std::to_string(room_id) + ", " +
                details_sql + ", " + sql_quote(now_us()) +
                room_source(room_id));
}

void append_room_event(odb::mysql::connection& conn, const room_event_sql& e) {
  append_room_audit(conn, e.room_id, e.action_sql, e.details_sql);
  append_outbox(conn, e.dedupe_key,
                "SELECT t.discord_notification_channel_id AS channel_id" +
                    room_source(e.room_id) +
                    " AND t.discord_notification_channel_id IS NOT NULL",
                "a.entity_type = 'racetime_room' AND a.entity_id = " +
                    std::to_string(e.room_id));
}

event_audience match_audience(odb::mysql::connection& conn,
                              std::int32_t match_id) {
  event_audience out;
  auto rows = sql_query(conn, "SELECT t.organization_id, "
                              "t.discord_notification_channel_id FROM matches "
                              "m JOIN tournaments t ON t.id = m.tournament_id "
                              "WHERE m.id = " +
                                  std::to_string(match_id));
  if (rows.empty())
    return out;
  out.organization_id = sql_int(rows[0][0]);
  if (rows[0][1])
    out.channels.push_back(*rows[0][1]);
  return out;
}

} // namespace racecontrol::persistence
