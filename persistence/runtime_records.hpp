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
  /// The worker node the coordinator placed the room on ("" standalone or
  /// never placed) and the placement's epoch: the room's writes carry it and
  /// MariaDB refuses them once a newer placement bumped it (fencing).
  std::string owner_node;
  std::uint64_t owner_epoch = 0;
  /// Set by the opener that just created the room (never stored): its
  /// watcher connects at once and takes the race.data racetime.gg sends on
  /// connect as its first snapshot, instead of fetching it over HTTP first.
  bool just_opened = false;
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
  /// The tournament's Discord channel for notifications, if it has one, as
  /// read with the context. Settle uses it in the transaction that read it;
  /// a watcher's copy is not refreshed when only the channel changes (not in
  /// the context's fingerprint), so events written later read the channel
  /// afresh.
  std::optional<std::string> discord_channel;
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
  /// A digest of what others may change in it (the room's match and bot,
  /// the match, its players and their accounts), leaving out what the room
  /// writes itself (statuses, entrant states, start and finish), so the
  /// room's own writes do not make it load itself again.
  std::uint64_t fingerprint = 0;
};

/// A watched room whose context may have changed, with its fingerprint as
/// the database has it now.
struct room_change {
  std::int32_t room_id = 0;
  std::uint64_t fingerprint = 0;

  friend bool operator==(const room_change& a, const room_change& b) {
    return a.room_id == b.room_id && a.fingerprint == b.fingerprint;
  }
};

/// Rooms whose context changed (the room row, its match, the match's
/// players or their users), and where the next question starts.
struct room_changes {
  /// The database's clock when asked, less a margin for transactions that
  /// were still open then: the next call's `since`.
  timestamp marker{};
  std::vector<room_change> rooms; ///< watched rooms that changed
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
  std::uint64_t owner_epoch = 0; ///< the writer's placement (fencing)
};

/// A finished race: every entrant's final state and the end time, written
/// exactly once (a second write of the same room changes nothing).
struct room_result {
  std::int32_t room_id = 0;
  std::optional<std::int32_t> match_id;
  std::vector<entrant_state> entrants;
  std::optional<timestamp> started_at;
  timestamp ended_at;
  std::uint64_t owner_epoch = 0; ///< the writer's placement (fencing)
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
  std::uint64_t owner_epoch = 0; ///< the writer's placement (fencing)
  /// A cancellation's time on racetime.gg (racetime_rooms.race_ended_at):
  /// an un-forfeit may reopen the race for 10 minutes after it.
  std::optional<timestamp> ended_at{};
  /// A cancellation of a race that never started and that fewer than two
  /// players joined (racetime.gg cancels such a room 30 minutes after it
  /// opened): the room gives its match up (released_match_id), so that the
  /// match gets a new room while it is due.
  bool release_match = false;
};

/// An audit log entry written by racecontrol itself (user_id NULL).
struct audit_record {
  std::optional<std::int32_t> organization_id;
  std::string action;      ///< e.g. "racetime_room.invited"
  std::string entity_type; ///< e.g. "racetime_room"
  std::optional<std::int32_t> entity_id;
  std::string details_json; ///< a JSON object, "{}" when there is nothing
};

/// One of a room's writes that may share a transaction with the ones
/// queued beside it: exactly one of the two is set. A room flushes its
/// queued progress and audit entries as one batch (one transaction, one
/// round of messages) instead of one transaction each.
struct room_update {
  std::optional<room_progress> progress;
  std::optional<audit_record> audit;
  /// The room the entry is about and the writer's placement (fencing).
  std::int32_t room_id = 0;
  std::uint64_t owner_epoch = 0;
};

/// Places a room on a worker node (the coordinator's placer): bumps the
/// row's owner_epoch, so every write of an earlier placement is refused.
struct room_assignment {
  std::int32_t room_id = 0;
  std::string node;
};

// --- the room automation's -------------------------------------------------

/// A match's player as opening its room needs them.
struct match_player_link {
  std::int32_t user_id = 0;
  std::string display_name;
  std::optional<std::string> discord_id;  ///< snowflake, for mentions
  std::optional<std::string> racetime_id; ///< set once linked
  std::optional<std::string> racetime_name;
};

/// A match's racetime_rooms row as the claim sees it.
struct room_claim_row {
  std::int32_t room_id = 0;
  std::int32_t match_id = 0;
  std::string claim_state; ///< creating, created
  std::string marker;      ///< "" for rooms made before claims existed
  std::optional<std::string> slug;
  std::string category;
  std::optional<std::int32_t> bot_id;
  std::string status; ///< racetime.gg's, "" while creating
  std::optional<timestamp> claimed_at;
  std::string claim_owner;
  std::int32_t startrace_attempts = 0;
  std::optional<timestamp> last_attempt_at;
  std::string requested_by; ///< "" for automatic opens
  /// A manual open's overrides (nullopt: the match's own).
  std::optional<std::string> requested_goal;
  std::optional<bool> requested_invitational;
  bool adopted = false;
  std::optional<timestamp> created_at;
};

/// Everything the checks and the room settings need to open a match's
/// room, read in one transaction.
struct match_open_context {
  std::int32_t match_id = 0;
  std::string match_title; ///< "" when the match has none
  std::optional<timestamp> scheduled_at;
  std::optional<timestamp> finished_at;
  std::optional<std::string> match_goal; ///< matches.racetime_goal
  bool match_invitational = true;
  bool match_auto_create = true;
  std::int32_t tournament_id = 0;
  std::int32_t organization_id = 0;
  std::string tournament_name;
  bool tournament_active = true;
  bool tournament_auto_create = false;
  std::int32_t room_open_minutes_before = 60;
  bool require_racetime_link = false;
  std::optional<std::string> tournament_goal; ///< racetime_default_goal
  std::optional<std::string> discord_channel_id;
  std::optional<std::int32_t> bot_id; ///< tournaments.racetime_bot_id
  std::string bot_name;
  std::string bot_category;
  bool bot_active = false;
  bool bot_assigned = false; ///< in racetime_bot_organizations for the org
  std::vector<match_player_link> players;
  std::optional<room_claim_row> room;
  std::optional<std::string> reason_code; ///< matches.room_reason
  /// matches.room_refused_settings: the hash of settings racetime.gg
  /// refused (422), not sent again until they change.
  std::optional<std::string> refused_settings;
};

/// Claim a match's room before startrace: a `creating` row with this
/// marker, its first attempt written ahead.
struct room_claim {
  std::int32_t match_id = 0;
  std::string marker;
  std::string category;
  std::int32_t bot_id = 0;
  std::string owner;        ///< the node (daemon.node_name)
  std::string requested_by; ///< "" for automatic opens
  std::optional<std::string> requested_goal;
  std::optional<bool> requested_invitational;
};

/// A claim's outcome: claimed now, or the row some earlier claim made.
struct room_claim_result {
  bool claimed = false;
  room_claim_row row;
};

/// One more startrace under a claim, written before it is sent; refused
/// (false) when the claim is no longer this marker's or no longer creating.
struct claim_attempt {
  std::int32_t room_id = 0;
  std::string marker;
};

/// racetime.gg made the claimed room (201, or found by its marker).
struct claim_settled {
  std::int32_t room_id = 0;
  std::string marker;
  std::string slug; ///< "category/room-name"
  std::string status;
  bool adopted = false;
  std::string details_json; ///< the event's details (goal, settings, ...)
};

/// racetime.gg refused the claimed room for sure (422, 403): the claim is
/// given up and the match keeps the reason.
struct claim_refused {
  std::int32_t room_id = 0;
  std::string marker;
  std::string code;    ///< startrace_refused, bot_forbidden
  std::string message; ///< the server's field errors, for a person
  std::string settings_hash;
};

/// Why a match's room is not opened now (empty code: nothing blocks it).
struct match_reason {
  std::int32_t match_id = 0;
  std::string code;
  std::string message;
};

/// A match a tournament watches, with what it needs to time the opening.
struct upcoming_match {
  std::int32_t match_id = 0;
  std::optional<timestamp> scheduled_at;
  bool auto_create = true;
  bool has_room = false;
  std::optional<std::string> reason_code;
};

/// Which tournaments and matches to plan: the active tournaments with
/// automatic rooms (of one organization, or one tournament, or all) and
/// their unfinished matches scheduled in [from, to].
struct plan_query {
  std::optional<std::int32_t> organization_id;
  std::optional<std::int32_t> tournament_id;
  timestamp from{};
  timestamp to{};
};

/// A tournament that opens rooms by itself and its matches in a window.
struct tournament_plan {
  std::int32_t tournament_id = 0;
  std::int32_t organization_id = 0;
  std::string name;
  bool auto_create = false;
  bool active = true;
  std::int32_t room_open_minutes_before = 60;
  std::vector<upcoming_match> matches;
};

// --- Discord notifications ---------------------------------------------------

/// A notification waiting in the outbox (the oldest of its channel).
struct outbox_item {
  std::int64_t id = 0;
  std::string channel_id;
  std::string event;        ///< room_created, race_finished, ...
  std::string details_json; ///< what the message is rendered from
  std::string nonce;        ///< the same on every attempt
  std::int32_t attempts = 0;
};

/// What became of posting a notification.
struct outbox_result {
  enum class kind : std::uint8_t {
    delivered, ///< Discord has it (message_id)
    retry,     ///< try again after retry_after_ms (5xx, network, 429)
    failed,    ///< Discord refused it for good (error says why)
  };
  std::int64_t id = 0;
  kind what = kind::delivered;
  std::string message_id;
  std::string error;
  std::int64_t retry_after_ms = 0;
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

inline bool operator==(const room_changes& a, const room_changes& b) {
  return a.marker == b.marker && a.rooms == b.rooms;
}

inline bool operator==(const room_record& a, const room_record& b) {
  return a.id == b.id && a.slug == b.slug && a.category == b.category &&
         a.room_name == b.room_name && a.status == b.status &&
         a.match_id == b.match_id && a.bot_id == b.bot_id &&
         a.parked == b.parked && a.owner_node == b.owner_node &&
         a.owner_epoch == b.owner_epoch;
}

inline bool operator==(const match_summary& a, const match_summary& b) {
  return a.id == b.id && a.tournament_id == b.tournament_id &&
         a.organization_id == b.organization_id &&
         a.tournament_name == b.tournament_name && a.title == b.title &&
         a.scheduled_at == b.scheduled_at && a.started_at == b.started_at &&
         a.finished_at == b.finished_at &&
         a.discord_channel == b.discord_channel;
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
         a.started_at == b.started_at && a.owner_epoch == b.owner_epoch;
}

inline bool operator==(const room_result& a, const room_result& b) {
  return a.room_id == b.room_id && a.match_id == b.match_id &&
         a.entrants == b.entrants && a.started_at == b.started_at &&
         a.ended_at == b.ended_at && a.owner_epoch == b.owner_epoch;
}

inline bool operator==(const room_closure& a, const room_closure& b) {
  return a.room_id == b.room_id && a.status == b.status &&
         a.reason == b.reason && a.park == b.park &&
         a.owner_epoch == b.owner_epoch && a.ended_at == b.ended_at;
}

inline bool operator==(const audit_record& a, const audit_record& b) {
  return a.organization_id == b.organization_id && a.action == b.action &&
         a.entity_type == b.entity_type && a.entity_id == b.entity_id &&
         a.details_json == b.details_json;
}

inline bool operator==(const room_update& a, const room_update& b) {
  return a.progress == b.progress && a.audit == b.audit &&
         a.room_id == b.room_id && a.owner_epoch == b.owner_epoch;
}

inline bool operator==(const room_assignment& a, const room_assignment& b) {
  return a.room_id == b.room_id && a.node == b.node;
}

// --- the scheduler's records (table scheduled_tasks) ------------------------

/// A scheduled_tasks row as the scheduler needs it. Enumerations stay the
/// database's text (RACETIME_POLL_OPEN_ROOMS, CRON, ...), so a value this
/// build does not know is reported, not misread.
struct task_record {
  std::int32_t id = 0;
  std::optional<std::int32_t> organization_id;
  std::string name;
  std::string task_type;     ///< RACETIME_OPEN_ROOM, ..., CUSTOM
  std::string schedule_type; ///< INTERVAL, CRON or ONE_TIME
  std::optional<std::int32_t> interval_seconds;
  std::optional<std::string> cron_expression;
  std::optional<timestamp> run_at; ///< ONE_TIME
  std::string config_json;         ///< a JSON object, "{}" when empty
  bool is_active = true;
  std::optional<timestamp> next_run_at;
  std::optional<timestamp> last_run_at;
  std::string last_run_status; ///< succeeded, failed, skipped; "" never run
  std::string last_run_error;  ///< why it failed or was skipped
  /// The run in flight (the run marker): when it started, on which node.
  std::optional<timestamp> run_started_at;
  std::string run_owner;
};

/// Sets a task's next_run_at if it is still `expected` (a task never
/// scheduled has NULL there).
struct task_schedule {
  std::int32_t task_id = 0;
  std::optional<timestamp> expected_next_run_at;
  timestamp next_run_at;
};

/// Claims a run before it starts: next_run_at moves from `expected` to
/// `next` and the run marker is set, in one conditional write, so no other
/// scheduler (and no restart of this one) runs the same occurrence.
struct task_claim {
  std::int32_t task_id = 0;
  std::optional<timestamp> expected_next_run_at;
  std::optional<timestamp> next_run_at; ///< nullopt: no further run
  std::string owner;                    ///< run_owner: the node's name
  timestamp started_at;
  bool deactivate = false; ///< a ONE_TIME task: its only run
};

/// How a claim went.
enum class claim_outcome : std::uint8_t {
  claimed, ///< the run is ours
  changed, ///< the row's next_run_at or is_active differ (reload it)
  busy,    ///< another run of the task is in flight (a marker is set)
};

/// A run's result: last_run_at (= started_at), last_run_status and
/// last_run_error, and the run marker cleared, only while the marker is
/// still this run's (owner and started_at).
struct task_finish {
  std::int32_t task_id = 0;
  std::string owner;
  timestamp started_at;
  std::string status;  ///< succeeded, failed or skipped
  std::string message; ///< why it failed or was skipped; "" for success
};

/// A task whose schedule cannot be used: recorded as failed with the
/// reason, next_run_at cleared (it is scheduled again once fixed).
struct task_invalid {
  std::int32_t task_id = 0;
  std::string reason;
};

inline bool operator==(const task_record& a, const task_record& b) {
  return a.id == b.id && a.organization_id == b.organization_id &&
         a.name == b.name && a.task_type == b.task_type &&
         a.schedule_type == b.schedule_type &&
         a.interval_seconds == b.interval_seconds &&
         a.cron_expression == b.cron_expression && a.run_at == b.run_at &&
         a.config_json == b.config_json && a.is_active == b.is_active &&
         a.next_run_at == b.next_run_at && a.last_run_at == b.last_run_at &&
         a.last_run_status == b.last_run_status &&
         a.last_run_error == b.last_run_error &&
         a.run_started_at == b.run_started_at && a.run_owner == b.run_owner;
}

inline bool operator==(const task_schedule& a, const task_schedule& b) {
  return a.task_id == b.task_id &&
         a.expected_next_run_at == b.expected_next_run_at &&
         a.next_run_at == b.next_run_at;
}

inline bool operator==(const task_claim& a, const task_claim& b) {
  return a.task_id == b.task_id &&
         a.expected_next_run_at == b.expected_next_run_at &&
         a.next_run_at == b.next_run_at && a.owner == b.owner &&
         a.started_at == b.started_at && a.deactivate == b.deactivate;
}

inline bool operator==(const task_finish& a, const task_finish& b) {
  return a.task_id == b.task_id && a.owner == b.owner &&
         a.started_at == b.started_at && a.status == b.status &&
         a.message == b.message;
}

inline bool operator==(const task_invalid& a, const task_invalid& b) {
  return a.task_id == b.task_id && a.reason == b.reason;
}

// --- the room automation's equality ---

inline bool operator==(const match_player_link& a, const match_player_link& b) {
  return a.user_id == b.user_id && a.display_name == b.display_name &&
         a.discord_id == b.discord_id && a.racetime_id == b.racetime_id &&
         a.racetime_name == b.racetime_name;
}

inline bool operator==(const room_claim_row& a, const room_claim_row& b) {
  return a.room_id == b.room_id && a.match_id == b.match_id &&
         a.claim_state == b.claim_state && a.marker == b.marker &&
         a.slug == b.slug && a.category == b.category && a.bot_id == b.bot_id &&
         a.status == b.status && a.claimed_at == b.claimed_at &&
         a.claim_owner == b.claim_owner &&
         a.startrace_attempts == b.startrace_attempts &&
         a.last_attempt_at == b.last_attempt_at &&
         a.requested_by == b.requested_by &&
         a.requested_goal == b.requested_goal &&
         a.requested_invitational == b.requested_invitational &&
         a.adopted == b.adopted && a.created_at == b.created_at;
}

inline bool operator==(const match_open_context& a,
                       const match_open_context& b) {
  return a.match_id == b.match_id && a.match_title == b.match_title &&
         a.scheduled_at == b.scheduled_at && a.finished_at == b.finished_at &&
         a.match_goal == b.match_goal &&
         a.match_invitational == b.match_invitational &&
         a.match_auto_create == b.match_auto_create &&
         a.tournament_id == b.tournament_id &&
         a.organization_id == b.organization_id &&
         a.tournament_name == b.tournament_name &&
         a.tournament_active == b.tournament_active &&
         a.tournament_auto_create == b.tournament_auto_create &&
         a.room_open_minutes_before == b.room_open_minutes_before &&
         a.require_racetime_link == b.require_racetime_link &&
         a.tournament_goal == b.tournament_goal &&
         a.discord_channel_id == b.discord_channel_id && a.bot_id == b.bot_id &&
         a.bot_name == b.bot_name && a.bot_category == b.bot_category &&
         a.bot_active == b.bot_active && a.bot_assigned == b.bot_assigned &&
         a.players == b.players && a.room == b.room &&
         a.reason_code == b.reason_code &&
         a.refused_settings == b.refused_settings;
}

inline bool operator==(const room_claim& a, const room_claim& b) {
  return a.match_id == b.match_id && a.marker == b.marker &&
         a.category == b.category && a.bot_id == b.bot_id &&
         a.owner == b.owner && a.requested_by == b.requested_by &&
         a.requested_goal == b.requested_goal &&
         a.requested_invitational == b.requested_invitational;
}

inline bool operator==(const room_claim_result& a, const room_claim_result& b) {
  return a.claimed == b.claimed && a.row == b.row;
}

inline bool operator==(const claim_attempt& a, const claim_attempt& b) {
  return a.room_id == b.room_id && a.marker == b.marker;
}

inline bool operator==(const claim_settled& a, const claim_settled& b) {
  return a.room_id == b.room_id && a.marker == b.marker && a.slug == b.slug &&
         a.status == b.status && a.adopted == b.adopted &&
         a.details_json == b.details_json;
}

inline bool operator==(const claim_refused& a, const claim_refused& b) {
  return a.room_id == b.room_id && a.marker == b.marker && a.code == b.code &&
         a.message == b.message && a.settings_hash == b.settings_hash;
}

inline bool operator==(const match_reason& a, const match_reason& b) {
  return a.match_id == b.match_id && a.code == b.code && a.message == b.message;
}

inline bool operator==(const plan_query& a, const plan_query& b) {
  return a.organization_id == b.organization_id &&
         a.tournament_id == b.tournament_id && a.from == b.from && a.to == b.to;
}

inline bool operator==(const upcoming_match& a, const upcoming_match& b) {
  return a.match_id == b.match_id && a.scheduled_at == b.scheduled_at &&
         a.auto_create == b.auto_create && a.has_room == b.has_room &&
         a.reason_code == b.reason_code;
}

inline bool operator==(const tournament_plan& a, const tournament_plan& b) {
  return a.tournament_id == b.tournament_id &&
         a.organization_id == b.organization_id && a.name == b.name &&
         a.auto_create == b.auto_create && a.active == b.active &&
         a.room_open_minutes_before == b.room_open_minutes_before &&
         a.matches == b.matches;
}

inline bool operator==(const outbox_item& a, const outbox_item& b) {
  return a.id == b.id && a.channel_id == b.channel_id && a.event == b.event &&
         a.details_json == b.details_json && a.nonce == b.nonce &&
         a.attempts == b.attempts;
}

inline bool operator==(const outbox_result& a, const outbox_result& b) {
  return a.id == b.id && a.what == b.what && a.message_id == b.message_id &&
         a.error == b.error && a.retry_after_ms == b.retry_after_ms;
}

// --- the admin console's -----------------------------------------------------

/// Which audit entries to list, newest first (the console's `audit`; general
/// enough for the HTTP API's `GET /api/audit`). Unset filters match all.
struct audit_query {
  std::optional<std::int32_t> organization_id;
  std::optional<std::string> entity_type; ///< e.g. "match", "racetime_room"
  std::optional<std::int32_t> entity_id;
  std::optional<timestamp> since; ///< entries created at or after this
  /// Entries with an id below this only (the next page after `before`).
  std::optional<std::int64_t> before_id;
  std::uint32_t limit = 50;       ///< at most 1000 are returned
  std::optional<timestamp> until; ///< entries created before this only
};

/// One audit_log row as listings show it.
struct audit_entry {
  std::int64_t id = 0;
  std::optional<std::int32_t> organization_id;
  std::optional<std::int32_t> user_id; ///< unset: racecontrol itself
  std::string action;
  std::string entity_type;
  std::optional<std::int32_t> entity_id;
  std::string details_json; ///< "{}" when the row has none
  timestamp created_at{};
};

/// An API token as listings show it: never the token or its hash.
struct api_token_row {
  std::int32_t id = 0;
  std::int32_t organization_id = 0;
  std::string organization_name;
  std::string name;
  std::vector<std::string> scopes;
  timestamp created_at{};
  std::optional<timestamp> last_used_at;
  std::optional<timestamp> revoked_at;
};

/// Create an API token (api_token_repository::create).
struct api_token_order {
  std::int32_t organization_id = 0;
  std::string name;
  std::vector<std::string> scopes;
};

/// A token just created: the plaintext exists nowhere else. Shown once.
struct api_token_issued {
  api_token_row token;
  config::secret plaintext;
};

/// Revoke API token `id` for good (idempotent).
struct api_token_revocation {
  std::int32_t id = 0;
};

inline bool operator==(const audit_query& a, const audit_query& b) {
  return a.organization_id == b.organization_id &&
         a.entity_type == b.entity_type && a.entity_id == b.entity_id &&
         a.since == b.since && a.before_id == b.before_id &&
         a.limit == b.limit && a.until == b.until;
}

inline bool operator==(const audit_entry& a, const audit_entry& b) {
  return a.id == b.id && a.organization_id == b.organization_id &&
         a.user_id == b.user_id && a.action == b.action &&
         a.entity_type == b.entity_type && a.entity_id == b.entity_id &&
         a.details_json == b.details_json && a.created_at == b.created_at;
}

inline bool operator==(const api_token_row& a, const api_token_row& b) {
  return a.id == b.id && a.organization_id == b.organization_id &&
         a.organization_name == b.organization_name && a.name == b.name &&
         a.scopes == b.scopes && a.created_at == b.created_at &&
         a.last_used_at == b.last_used_at && a.revoked_at == b.revoked_at;
}

inline bool operator==(const api_token_order& a, const api_token_order& b) {
  return a.organization_id == b.organization_id && a.name == b.name &&
         a.scopes == b.scopes;
}

inline bool operator==(const api_token_issued& a, const api_token_issued& b) {
  return a.token == b.token && a.plaintext.reveal() == b.plaintext.reveal();
}

inline bool operator==(const api_token_revocation& a,
                       const api_token_revocation& b) {
  return a.id == b.id;
}

} // namespace racecontrol::persistence
