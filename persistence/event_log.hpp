#pragma once

// The room automation's events (room_created, race_finished, ...): each an
// audit_log row and, for every Discord channel that wants it, a
// discord_outbox row, written in the caller's transaction so the change,
// its audit entry and its notification commit together or not at all.

#include "persistence/runtime_records.hpp"

#include <odb/mysql/connection.hxx>

#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

struct event_entry {
  std::string event; ///< the audit action, e.g. "room_created"
  std::optional<std::int32_t> organization_id;
  std::string entity_type; ///< e.g. "racetime_room"
  std::optional<std::int32_t> entity_id;
  /// An SQL expression giving the details JSON (values quoted).
  std::string details_sql;
  /// One notification per key and channel, whoever writes the event again
  /// (e.g. "room:5:created").
  std::string dedupe_key;
};

/// Appends the audit entry and one outbox row per channel (none when the
/// list is empty). An outbox row whose key exists already is not written
/// again.
void append_event(odb::mysql::connection& conn, const event_entry& e,
                  const std::vector<std::string>& channels);

/// An event about a room that MariaDB writes from the room's row (`r`),
/// its match (`m`) and the match's tournament (`t`, which names the
/// organization and the Discord channel): nothing is read before it, so it
/// travels with the statements around it. A room without a match gets an
/// entry without organization and no notification.
struct room_event_sql {
  std::int32_t room_id = 0;
  std::string action_sql;  ///< SQL expression: the audit action
  std::string details_sql; ///< SQL expression: the details JSON
  std::string dedupe_key;  ///< as event_entry's
};

/// Appends the audit entry and the tournament channel's outbox row (as
/// append_event does).
void append_room_event(odb::mysql::connection& conn, const room_event_sql& e);

/// Appends only the audit entry of a change to the room (no notification),
/// its organization read by MariaDB from the room's tournament.
void append_room_audit(odb::mysql::connection& conn, std::int32_t room_id,
                       const std::string& action_sql,
                       const std::string& details_sql);

/// Whom an event about a match concerns: its tournament's organization
/// and the tournament's Discord channel, if it has one.
struct event_audience {
  std::optional<std::int32_t> organization_id;
  std::vector<std::string> channels;
};

/// The audience of an event about the match (one query).
event_audience match_audience(odb::mysql::connection& conn,
                              std::int32_t match_id);

} // namespace racecontrol::persistence
