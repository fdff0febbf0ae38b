#pragma once

// What the HTTP API reads from and writes to MariaDB, as plain values (the
// actors layer gives each an `inspect` overload). Every query names the
// organization of the token that asks: lists show only its rows; a lookup
// by id finds any row and says whose it is, so the API can answer 403
// (another organization's) rather than 404 (no such row).

#include "config/secret.hpp"
#include "persistence/entities/timestamp.hxx"
#include "persistence/runtime_records.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

/// A bearer token to check (`Authorization: Bearer rc_...`).
struct api_credentials {
  config::secret token;
};

/// What checking a token found: an identity, or why it is refused
/// (`malformed`, `unknown`, `revoked`).
struct api_identity {
  bool accepted = false;
  std::string refusal; ///< set when not accepted
  std::int32_t token_id = 0;
  std::int32_t organization_id = 0;
  std::string name;
  std::vector<std::string> scopes;
  /// Where the request came from: the peer's address, or X-Forwarded-For's
  /// client when the peer is a trusted proxy (set by the HTTP API, not by
  /// the token check).
  std::string client;
};

/// One page of a list, by ascending id: rows with an id above `after_id`,
/// at most `limit` of them.
struct api_page {
  std::int32_t after_id = 0;
  std::int32_t limit = 50;
};

/// Tournaments of an organization, or the one with `id` (of any).
struct tournament_query {
  std::int32_t organization_id = 0;
  std::optional<std::int32_t> id;
  api_page page;
};

struct tournament_view {
  std::int32_t id = 0;
  std::int32_t organization_id = 0;
  std::string name;
  std::optional<std::string> description;
  bool is_active = true;
  std::optional<std::int32_t> bot_id;
  bool auto_create_rooms = false;
  std::int32_t room_open_minutes_before = 60;
  bool require_racetime_link = false;
  std::optional<std::string> default_goal;
  std::optional<std::string> discord_channel_id; ///< a snowflake, as text
};

/// A racetime_rooms row with what an organizer wants to see of it.
struct room_view {
  std::int32_t id = 0;
  std::optional<std::int32_t> organization_id; ///< through its match
  std::optional<std::string> slug; ///< "category/name"; null while creating
  std::string category;
  std::string status;      ///< racetime.gg's, "" when unknown
  std::string claim_state; ///< creating, created
  std::string status_message;
  std::optional<std::int32_t> match_id;
  std::optional<std::int32_t> bot_id;
  std::optional<timestamp> created_at;
  bool parked = false;
  std::string requested_by; ///< a manual open's requester, "" otherwise
  /// The match's players with their entrant states and results.
  std::vector<match_player_info> results;
};

/// Rooms of an organization (optionally by status), or the one with `id`.
struct room_query {
  std::int32_t organization_id = 0;
  std::optional<std::int32_t> id;
  std::optional<std::string> status;
  api_page page;
};

struct match_view {
  std::int32_t id = 0;
  std::int32_t tournament_id = 0;
  std::int32_t organization_id = 0;
  std::string title;
  std::optional<timestamp> scheduled_at;
  std::optional<timestamp> started_at;
  std::optional<timestamp> finished_at;
  std::optional<std::string> goal; ///< the match's own, null: tournament's
  bool invitational = true;
  bool auto_create = true;
  std::optional<std::string> reason_code; ///< why no room, null: nothing
  std::optional<std::string> reason_message;
  std::vector<match_player_info> players;
  std::optional<room_view> room;
};

/// Matches of an organization (optionally of one tournament, or only those
/// not finished and scheduled from now on), or the one with `id`.
struct match_query {
  std::int32_t organization_id = 0;
  std::optional<std::int32_t> id;
  std::optional<std::int32_t> tournament_id;
  bool upcoming = false;
  api_page page;
};

/// Creates a match (no `match_id`) or changes one. Absent fields stay as
/// they are (or take the column's default); `clear_*` sets a nullable
/// column to NULL. Written with an audit entry naming `actor`.
struct match_write {
  std::optional<std::int32_t> match_id;
  std::int32_t organization_id = 0; ///< the token's; others' are refused
  std::string actor;                ///< "api-token:<name>#<id>"
  std::optional<std::int32_t> tournament_id; ///< create only
  std::optional<std::string> title;
  std::optional<timestamp> scheduled_at;
  bool clear_scheduled_at = false;
  std::optional<std::string> goal;
  bool clear_goal = false;
  std::optional<bool> invitational;
  std::optional<bool> auto_create;
  std::optional<std::vector<std::int32_t>> players; ///< user ids, replaces
};

/// Why a match_write wrote nothing.
struct api_refusal {
  /// forbidden (another organization's), not_found, unknown_tournament,
  /// unknown_users, players_not_linked.
  std::string code;
  std::string message;
  std::string field; ///< the input it is about, "" for none
};

/// Scheduled tasks of an organization, or the one with `id` (of any).
struct task_query {
  std::int32_t organization_id = 0;
  std::optional<std::int32_t> id;
  api_page page;
};

/// Creates (task.id 0), replaces the settings of, or deletes (`remove`) a
/// scheduled task of `organization_id`, audited with `actor`. The HTTP API
/// merges a PATCH into the row it read and checks the schedule before it
/// sends the whole row; only the settings are written (name, task_type,
/// schedule, config, is_active), never the scheduler's run columns, except
/// that a changed schedule sets next_run_at to NULL so the scheduler plans
/// it afresh.
struct task_write {
  task_record task;
  std::int32_t organization_id = 0;
  std::string actor; ///< "api-token:<name>#<id>"
  bool remove = false;
  /// A change: the task as it was read before `task` was made from it.
  /// Only the settings that differ between the two are written, onto the
  /// row as it is then, so a run claimed (a one-time task switched off) or
  /// another change made meanwhile is not undone by a stale copy.
  std::optional<task_record> read_as{};
};

/// The bots an organization may use (racetime_bot_organizations), or the
/// one with `id` (of any: the answer says whether it is the
/// organization's).
struct bot_query {
  std::int32_t organization_id = 0;
  std::optional<std::int32_t> id;
};

/// A racetime_bots row as the API shows it: never the client secret.
struct bot_view {
  std::int32_t id = 0;
  std::string category;
  std::string name;
  std::string client_id;
  bool is_active = true;
  bool organization_linked = false; ///< the asking organization may use it
  std::string status;               ///< racetime_bots.status as last stored
  std::string status_message;
  std::optional<timestamp> last_connected_at;
};

/// Creates a bot for an organization (no bot_id: category, name,
/// client_id and client_secret required) or changes one the organization
/// may use. The secret is written only through racetime_bot_repository.
/// Audited with `actor`, never with the secret.
struct bot_write {
  std::optional<std::int32_t> bot_id;
  std::int32_t organization_id = 0;
  std::string actor;
  std::optional<std::string> category; ///< create only
  std::optional<std::string> name;
  std::optional<std::string> client_id;
  std::optional<config::secret> client_secret;
  std::optional<bool> is_active;
  /// The token has the `admin` scope: it may change a bot that other
  /// organizations use too (an organization's own scope may not, since
  /// the change would stop or move their rooms' bot).
  bool may_change_shared = false;
};

/// The status page's rows (GET /): every organization's, or one's.
struct overview_query {
  std::optional<std::int32_t> organization_id; ///< null: every one
  std::int32_t limit = 50; ///< at most this many rows of each list
};

/// What the status page shows of the database, each list at most `limit`
/// rows: matches not finished and scheduled from an hour ago on (soonest
/// first), rooms whose race has not ended (newest first), and rooms whose
/// race finished (newest first) with their results.
struct overview_view {
  std::vector<match_view> upcoming;
  std::vector<room_view> active;
  std::vector<room_view> recent;
};

/// How many racetime_rooms rows have one status ("" for none yet).
struct room_status_count {
  std::string status;
  std::int64_t count = 0;
};

/// The gauges /metrics reads from MariaDB on each scrape.
struct database_gauges {
  std::vector<room_status_count> rooms; ///< by status, parked ones apart
  std::int64_t rooms_parked = 0;
  std::int64_t outbox_pending = 0; ///< discord_outbox rows waiting
};

// --- comparisons (the messages test round-trips each) ---------------------

inline bool operator==(const api_credentials& a, const api_credentials& b) {
  return a.token == b.token;
}

inline bool operator==(const api_identity& a, const api_identity& b) {
  return a.accepted == b.accepted && a.refusal == b.refusal &&
         a.token_id == b.token_id && a.organization_id == b.organization_id &&
         a.name == b.name && a.scopes == b.scopes && a.client == b.client;
}

inline bool operator==(const api_page& a, const api_page& b) {
  return a.after_id == b.after_id && a.limit == b.limit;
}

inline bool operator==(const tournament_query& a, const tournament_query& b) {
  return a.organization_id == b.organization_id && a.id == b.id &&
         a.page == b.page;
}

inline bool operator==(const tournament_view& a, const tournament_view& b) {
  return a.id == b.id && a.organization_id == b.organization_id &&
         a.name == b.name && a.description == b.description &&
         a.is_active == b.is_active && a.bot_id == b.bot_id &&
         a.auto_create_rooms == b.auto_create_rooms &&
         a.room_open_minutes_before == b.room_open_minutes_before &&
         a.require_racetime_link == b.require_racetime_link &&
         a.default_goal == b.default_goal &&
         a.discord_channel_id == b.discord_channel_id;
}

inline bool operator==(const room_view& a, const room_view& b) {
  return a.id == b.id && a.organization_id == b.organization_id &&
         a.slug == b.slug && a.category == b.category && a.status == b.status &&
         a.claim_state == b.claim_state &&
         a.status_message == b.status_message && a.match_id == b.match_id &&
         a.bot_id == b.bot_id && a.created_at == b.created_at &&
         a.parked == b.parked && a.requested_by == b.requested_by &&
         a.results == b.results;
}

inline bool operator==(const room_query& a, const room_query& b) {
  return a.organization_id == b.organization_id && a.id == b.id &&
         a.status == b.status && a.page == b.page;
}

inline bool operator==(const match_view& a, const match_view& b) {
  return a.id == b.id && a.tournament_id == b.tournament_id &&
         a.organization_id == b.organization_id && a.title == b.title &&
         a.scheduled_at == b.scheduled_at && a.started_at == b.started_at &&
         a.finished_at == b.finished_at && a.goal == b.goal &&
         a.invitational == b.invitational && a.auto_create == b.auto_create &&
         a.reason_code == b.reason_code &&
         a.reason_message == b.reason_message && a.players == b.players &&
         a.room == b.room;
}

inline bool operator==(const match_query& a, const match_query& b) {
  return a.organization_id == b.organization_id && a.id == b.id &&
         a.tournament_id == b.tournament_id && a.upcoming == b.upcoming &&
         a.page == b.page;
}

inline bool operator==(const match_write& a, const match_write& b) {
  return a.match_id == b.match_id && a.organization_id == b.organization_id &&
         a.actor == b.actor && a.tournament_id == b.tournament_id &&
         a.title == b.title && a.scheduled_at == b.scheduled_at &&
         a.clear_scheduled_at == b.clear_scheduled_at && a.goal == b.goal &&
         a.clear_goal == b.clear_goal && a.invitational == b.invitational &&
         a.auto_create == b.auto_create && a.players == b.players;
}

inline bool operator==(const task_query& a, const task_query& b) {
  return a.organization_id == b.organization_id && a.id == b.id &&
         a.page == b.page;
}

inline bool operator==(const task_write& a, const task_write& b) {
  return a.task == b.task && a.organization_id == b.organization_id &&
         a.actor == b.actor && a.remove == b.remove && a.read_as == b.read_as;
}

inline bool operator==(const bot_query& a, const bot_query& b) {
  return a.organization_id == b.organization_id && a.id == b.id;
}

inline bool operator==(const bot_view& a, const bot_view& b) {
  return a.id == b.id && a.category == b.category && a.name == b.name &&
         a.client_id == b.client_id && a.is_active == b.is_active &&
         a.organization_linked == b.organization_linked &&
         a.status == b.status && a.status_message == b.status_message &&
         a.last_connected_at == b.last_connected_at;
}

inline bool operator==(const bot_write& a, const bot_write& b) {
  return a.bot_id == b.bot_id && a.organization_id == b.organization_id &&
         a.actor == b.actor && a.category == b.category && a.name == b.name &&
         a.client_id == b.client_id && a.client_secret == b.client_secret &&
         a.is_active == b.is_active;
}

inline bool operator==(const overview_query& a, const overview_query& b) {
  return a.organization_id == b.organization_id && a.limit == b.limit;
}

inline bool operator==(const overview_view& a, const overview_view& b) {
  return a.upcoming == b.upcoming && a.active == b.active &&
         a.recent == b.recent;
}

inline bool operator==(const room_status_count& a, const room_status_count& b) {
  return a.status == b.status && a.count == b.count;
}

inline bool operator==(const database_gauges& a, const database_gauges& b) {
  return a.rooms == b.rooms && a.rooms_parked == b.rooms_parked &&
         a.outbox_pending == b.outbox_pending;
}

} // namespace racecontrol::persistence
