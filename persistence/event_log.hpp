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

/// Whom an event about a match concerns: its tournament's organization
/// and the tournament's Discord channel, if it has one.
struct event_audience {
  std::optional<std::int32_t> organization_id;
  std::vector<std::string> channels;
};

/// The audience of an event about the match (one query).
event_audience match_audience(odb::mysql::connection& conn,
                              std::int32_t match_id);

/// The audience of an event about the room: its match's (none for a room
/// without a match).
event_audience room_audience(odb::mysql::connection& conn,
                             std::int32_t room_id);

} // namespace racecontrol::persistence
