#pragma once

// What the daemon's actors read from and write to MariaDB, as plain values.
// The persistence actor passes them between actors and repositories (the
// actors layer gives each an `inspect` overload so they can cross nodes);
// nothing here knows CAF.

#include "config/secret.hpp"
#include "persistence/entities/timestamp.hxx"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

/// An active or inactive racetime.gg category bot, as the bot supervisor
/// needs it.
struct bot_record {
  std::int32_t id = 0;
  std::string category;
  std::string name;
  std::string client_id;
  config::secret client_secret;
  bool is_active = true;
};

/// A bot's connection state for operators: `connected`, `auth_failed`,
/// `connection_error`, `disconnected` (racetime_bots.status).
struct bot_state_change {
  std::int32_t bot_id = 0;
  std::string status;
  std::string message;        ///< the server's reason; empty clears it
  bool connected_now = false; ///< sets last_connected_at
};

/// A room racecontrol watches (a racetime_rooms row).
struct room_record {
  std::int32_t id = 0;
  std::string slug; ///< "category/room-name"
  std::string category;
  std::string room_name;
  std::string status; ///< racetime.gg's status string, "" when unknown
  std::optional<std::int32_t> match_id;
  std::optional<std::int32_t> bot_id;
  bool parked = false;
};

/// The match a room belongs to, for chat answers and audit entries.
struct match_summary {
  std::int32_t id = 0;
  std::int32_t tournament_id = 0;
  std::int32_t organization_id = 0;
  std::string tournament_name;
  std::string title;
  std::optional<timestamp> scheduled_at;
  std::optional<timestamp> started_at;
  std::optional<timestamp> finished_at;
};

/// A player of the match and what the database says about them.
struct match_player_info {
  std::int32_t user_id = 0;
  std::string display_name;
  std::optional<std::string> racetime_id; ///< set once linked
  std::optional<std::string> racetime_name;
  std::string entrant_status; ///< "" until racetime.gg says
  std::optional<std::int32_t> finish_place;
  std::optional<race_duration> finish_time;
};

/// Everything a room actor loads before it watches.
struct room_context {
  room_record room;
  std::optional<match_summary> match;
  std::vector<match_player_info> players;
};

/// One entrant's state as racetime.gg reports it, keyed by racetime id.
struct entrant_state {
  std::string racetime_id;
  std::string status; ///< requested, invited, ..., done, dnf, dq
  std::optional<std::int32_t> place;
  std::optional<race_duration> finish_time;
};

/// What changed in a room since the last write; written in one
/// transaction: the room's status, the match players whose entrant state
/// changed, the match's start, and one audit entry per status change.
struct room_progress {
  std::int32_t room_id = 0;
  std::optional<std::int32_t> match_id;
  std::optional<std::string> status; ///< set when it changed
  std::vector<entrant_state> entrants;
  std::optional<timestamp> started_at;
};

/// A finished race: every entrant's final state and the end time, written
/// exactly once (a second write of the same room changes nothing).
struct room_result {
  std::int32_t room_id = 0;
  std::optional<std::int32_t> match_id;
  std::vector<entrant_state> entrants;
  std::optional<timestamp> started_at;
  timestamp ended_at;
};

/// Whether a room_result was written now or had been written before.
enum class result_outcome : std::uint8_t {
  recorded,
  already_recorded,
};

/// A room racecontrol stops watching for a reason other than a result:
/// `cancelled` (the race was cancelled), `gone` (racetime.gg no longer has
/// it), or `parked` (the watcher kept failing).
struct room_closure {
  std::int32_t room_id = 0;
  std::string status; ///< what racetime_rooms.status becomes ("" keeps it)
  std::string reason; ///< racetime_rooms.status_message
  bool park = false;  ///< sets parked_at
};

/// An audit log entry written by racecontrol itself (user_id NULL).
struct audit_record {
  std::optional<std::int32_t> organization_id;
  std::string action;      ///< e.g. "racetime_room.invited"
  std::string entity_type; ///< e.g. "racetime_room"
  std::optional<std::int32_t> entity_id;
  std::string details_json; ///< a JSON object, "{}" when there is nothing
};

// Field-by-field equality, so tests (and the serialization round trip) can
// compare whole records.

inline bool operator==(const bot_record& a, const bot_record& b) {
  return a.id == b.id && a.category == b.category && a.name == b.name &&
         a.client_id == b.client_id && a.client_secret == b.client_secret &&
         a.is_active == b.is_active;
}

inline bool operator==(const bot_state_change& a, const bot_state_change& b) {
  return a.bot_id == b.bot_id && a.status == b.status &&
         a.message == b.message && a.connected_now == b.connected_now;
}

inline bool operator==(const room_record& a, const room_record& b) {
  return a.id == b.id && a.slug == b.slug && a.category == b.category &&
         a.room_name == b.room_name && a.status == b.status &&
         a.match_id == b.match_id && a.bot_id == b.bot_id &&
         a.parked == b.parked;
}

inline bool operator==(const match_summary& a, const match_summary& b) {
  return a.id == b.id && a.tournament_id == b.tournament_id &&
         a.organization_id == b.organization_id &&
         a.tournament_name == b.tournament_name && a.title == b.title &&
         a.scheduled_at == b.scheduled_at && a.started_at == b.started_at &&
         a.finished_at == b.finished_at;
}

inline bool operator==(const match_player_info& a, const match_player_info& b) {
  return a.user_id == b.user_id && a.display_name == b.display_name &&
         a.racetime_id == b.racetime_id && a.racetime_name == b.racetime_name &&
         a.entrant_status == b.entrant_status &&
         a.finish_place == b.finish_place && a.finish_time == b.finish_time;
}

inline bool operator==(const room_context& a, const room_context& b) {
  return a.room == b.room && a.match == b.match && a.players == b.players;
}

inline bool operator==(const entrant_state& a, const entrant_state& b) {
  return a.racetime_id == b.racetime_id && a.status == b.status &&
         a.place == b.place && a.finish_time == b.finish_time;
}

inline bool operator!=(const entrant_state& a, const entrant_state& b) {
  return !(a == b);
}

inline bool operator==(const room_progress& a, const room_progress& b) {
  return a.room_id == b.room_id && a.match_id == b.match_id &&
         a.status == b.status && a.entrants == b.entrants &&
         a.started_at == b.started_at;
}

inline bool operator==(const room_result& a, const room_result& b) {
  return a.room_id == b.room_id && a.match_id == b.match_id &&
         a.entrants == b.entrants && a.started_at == b.started_at &&
         a.ended_at == b.ended_at;
}

inline bool operator==(const room_closure& a, const room_closure& b) {
  return a.room_id == b.room_id && a.status == b.status &&
         a.reason == b.reason && a.park == b.park;
}

inline bool operator==(const audit_record& a, const audit_record& b) {
  return a.organization_id == b.organization_id && a.action == b.action &&
         a.entity_type == b.entity_type && a.entity_id == b.entity_id &&
         a.details_json == b.details_json;
}

} // namespace racecontrol::persistence
