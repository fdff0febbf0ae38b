#pragma once

// Message types that actors exchange. Each has an `inspect` overload so it
// can cross nodes; register_message_types() announces them to CAF. The
// records the persistence actor carries are the persistence layer's plain
// structs (persistence/runtime_records.hpp); their overloads live here so
// that layer stays free of CAF.

#include "config/secret.hpp"
#include "persistence/api_records.hpp"
#include "persistence/lease_records.hpp"
#include "persistence/link_records.hpp"
#include "persistence/runtime_records.hpp"
#include "protocol/race_settings.hpp"
#include "protocol/race_snapshot.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/detail/stringification_inspector.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include <caf/allowed_unsafe_message_type.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace racecontrol::protocol {
struct http_server_request;
struct http_server_response;
} // namespace racecontrol::protocol

namespace racecontrol {

// --- helpers for fields CAF 0.17 cannot inspect by itself -------------------

/// A std::optional field, inspected as (has value, value).
template <class T>
struct optional_field {
  std::optional<T>& ref;
};

template <class T>
optional_field<T> opt(std::optional<T>& x) {
  return {x};
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, optional_field<T>& x) {
  bool has = x.ref.has_value();
  T value = has ? *x.ref : T{};
  return f(has, value, caf::meta::load_callback([&]() -> caf::error {
             if (has)
               x.ref = std::move(value);
             else
               x.ref.reset();
             return caf::none;
           }));
}

} // namespace racecontrol

namespace racecontrol::config {

/// Secrets cross nodes (a worker needs a bot's token), but are never
/// rendered: to_string and logs show ***.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, secret& x) {
  if constexpr (std::is_same_v<Inspector,
                               caf::detail::stringification_inspector>) {
    std::string hidden = "***";
    return f(hidden);
  } else {
    std::string value = x.reveal();
    return f(value, caf::meta::load_callback([&]() -> caf::error {
               x = secret{std::move(value)};
               return caf::none;
             }));
  }
}

} // namespace racecontrol::config

namespace racecontrol::persistence {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_record& x) {
  return f(caf::meta::type_name("bot_record"), x.id, x.category, x.name,
           x.client_id, x.client_secret, x.is_active);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_state_change& x) {
  return f(caf::meta::type_name("bot_state_change"), x.bot_id, x.status,
           x.message, x.connected_now);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_record& x) {
  return f(caf::meta::type_name("room_record"), x.id, x.slug, x.category,
           x.room_name, x.status, opt(x.match_id), opt(x.bot_id), x.parked,
           x.owner_node, x.owner_epoch, x.just_opened);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_summary& x) {
  return f(caf::meta::type_name("match_summary"), x.id, x.tournament_id,
           x.organization_id, x.tournament_name, x.title, opt(x.scheduled_at),
           opt(x.started_at), opt(x.finished_at), opt(x.discord_channel));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_player_info& x) {
  return f(caf::meta::type_name("match_player_info"), x.user_id, x.display_name,
           opt(x.racetime_id), opt(x.racetime_name), x.entrant_status,
           opt(x.finish_place), opt(x.finish_time));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_context& x) {
  return f(caf::meta::type_name("room_context"), x.room, opt(x.match),
           x.players, x.fingerprint);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_change& x) {
  return f(caf::meta::type_name("room_change"), x.room_id, x.fingerprint);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entrant_state& x) {
  return f(caf::meta::type_name("entrant_state"), x.racetime_id, x.status,
           opt(x.place), opt(x.finish_time));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_progress& x) {
  return f(caf::meta::type_name("room_progress"), x.room_id, opt(x.match_id),
           opt(x.status), x.entrants, opt(x.started_at), x.owner_epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_result& x) {
  return f(caf::meta::type_name("room_result"), x.room_id, opt(x.match_id),
           x.entrants, opt(x.started_at), x.ended_at, x.owner_epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_changes& x) {
  return f(caf::meta::type_name("room_changes"), x.marker, x.rooms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_closure& x) {
  return f(caf::meta::type_name("room_closure"), x.room_id, x.status, x.reason,
           x.park, x.owner_epoch, opt(x.ended_at), x.release_match);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_record& x) {
  return f(caf::meta::type_name("audit_record"), opt(x.organization_id),
           x.action, x.entity_type, opt(x.entity_id), x.details_json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_update& x) {
  return f(caf::meta::type_name("room_update"), opt(x.progress), opt(x.audit),
           x.room_id, x.owner_epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_assignment& x) {
  return f(caf::meta::type_name("room_assignment"), x.room_id, x.node);
}

// --- the room automation's ---

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_player_link& x) {
  return f(caf::meta::type_name("match_player_link"), x.user_id, x.display_name,
           opt(x.discord_id), opt(x.racetime_id), opt(x.racetime_name));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_claim_row& x) {
  return f(caf::meta::type_name("room_claim_row"), x.room_id, x.match_id,
           x.claim_state, x.marker, opt(x.slug), x.category, opt(x.bot_id),
           x.status, opt(x.claimed_at), x.claim_owner, x.startrace_attempts,
           opt(x.last_attempt_at), x.requested_by, opt(x.requested_goal),
           opt(x.requested_invitational), x.adopted, opt(x.created_at));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_open_context& x) {
  return f(caf::meta::type_name("match_open_context"), x.match_id,
           x.match_title, opt(x.scheduled_at), opt(x.finished_at),
           opt(x.match_goal), x.match_invitational, x.match_auto_create,
           x.tournament_id, x.organization_id, x.tournament_name,
           x.tournament_active, x.tournament_auto_create,
           x.room_open_minutes_before, x.require_racetime_link,
           opt(x.tournament_goal), opt(x.discord_channel_id), opt(x.bot_id),
           x.bot_name, x.bot_category, x.bot_active, x.bot_assigned, x.players,
           opt(x.room), opt(x.reason_code), opt(x.refused_settings));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_claim_result& x) {
  return f(caf::meta::type_name("room_claim_result"), x.claimed, x.row);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_attempt& x) {
  return f(caf::meta::type_name("claim_attempt"), x.room_id, x.marker);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_settled& x) {
  return f(caf::meta::type_name("claim_settled"), x.room_id, x.marker, x.slug,
           x.status, x.adopted, x.details_json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_refused& x) {
  return f(caf::meta::type_name("claim_refused"), x.room_id, x.marker, x.code,
           x.message, x.settings_hash);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_reason& x) {
  return f(caf::meta::type_name("match_reason"), x.match_id, x.code, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_query& x) {
  return f(caf::meta::type_name("plan_query"), opt(x.organization_id),
           opt(x.tournament_id), x.from, x.to);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upcoming_match& x) {
  return f(caf::meta::type_name("upcoming_match"), x.match_id,
           opt(x.scheduled_at), x.auto_create, x.has_room, opt(x.reason_code));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tournament_plan& x) {
  return f(caf::meta::type_name("tournament_plan"), x.tournament_id,
           x.organization_id, x.name, x.auto_create, x.active,
           x.room_open_minutes_before, x.matches);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbox_item& x) {
  return f(caf::meta::type_name("outbox_item"), x.id, x.channel_id, x.event,
           x.details_json, x.nonce, x.attempts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbox_result& x) {
  return f(caf::meta::type_name("outbox_result"), x.id, x.what, x.message_id,
           x.error, x.retry_after_ms);
}

// --- the HTTP API's ---

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_credentials& x) {
  return f(caf::meta::type_name("api_credentials"), x.token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_identity& x) {
  return f(caf::meta::type_name("api_identity"), x.accepted, x.refusal,
           x.token_id, x.organization_id, x.name, x.scopes, x.client);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_page& x) {
  return f(caf::meta::type_name("api_page"), x.after_id, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tournament_query& x) {
  return f(caf::meta::type_name("tournament_query"), x.organization_id,
           opt(x.id), x.page);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tournament_view& x) {
  return f(caf::meta::type_name("tournament_view"), x.id, x.organization_id,
           x.name, opt(x.description), x.is_active, opt(x.bot_id),
           x.auto_create_rooms, x.room_open_minutes_before,
           x.require_racetime_link, opt(x.default_goal),
           opt(x.discord_channel_id));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_view& x) {
  return f(caf::meta::type_name("room_view"), x.id, opt(x.organization_id),
           opt(x.slug), x.category, x.status, x.claim_state, x.status_message,
           opt(x.match_id), opt(x.bot_id), opt(x.created_at), x.parked,
           x.requested_by, x.results);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_query& x) {
  return f(caf::meta::type_name("room_query"), x.organization_id, opt(x.id),
           opt(x.status), x.page);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_view& x) {
  return f(caf::meta::type_name("match_view"), x.id, x.tournament_id,
           x.organization_id, x.title, opt(x.scheduled_at), opt(x.started_at),
           opt(x.finished_at), opt(x.goal), x.invitational, x.auto_create,
           opt(x.reason_code), opt(x.reason_message), x.players, opt(x.room));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_query& x) {
  return f(caf::meta::type_name("match_query"), x.organization_id, opt(x.id),
           opt(x.tournament_id), x.upcoming, x.page);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_write& x) {
  return f(caf::meta::type_name("match_write"), opt(x.match_id),
           x.organization_id, x.actor, opt(x.tournament_id), opt(x.title),
           opt(x.scheduled_at), x.clear_scheduled_at, opt(x.goal), x.clear_goal,
           opt(x.invitational), opt(x.auto_create), opt(x.players));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_query& x) {
  return f(caf::meta::type_name("task_query"), x.organization_id, opt(x.id),
           x.page);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_query& x) {
  return f(caf::meta::type_name("bot_query"), x.organization_id, opt(x.id));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_view& x) {
  return f(caf::meta::type_name("bot_view"), x.id, x.category, x.name,
           x.client_id, x.is_active, x.organization_linked, x.status,
           x.status_message, opt(x.last_connected_at));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_write& x) {
  return f(caf::meta::type_name("bot_write"), opt(x.bot_id), x.organization_id,
           x.actor, opt(x.category), opt(x.name), opt(x.client_id),
           opt(x.client_secret), opt(x.is_active), x.may_change_shared);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, overview_query& x) {
  return f(caf::meta::type_name("overview_query"), opt(x.organization_id),
           x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, overview_view& x) {
  return f(caf::meta::type_name("overview_view"), x.upcoming, x.active,
           x.recent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_status_count& x) {
  return f(caf::meta::type_name("room_status_count"), x.status, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, database_gauges& x) {
  return f(caf::meta::type_name("database_gauges"), x.rooms, x.rooms_parked,
           x.outbox_pending);
}

} // namespace racecontrol::persistence

namespace racecontrol::protocol {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entrant_snapshot& x) {
  return f(caf::meta::type_name("entrant_snapshot"), x.user_id, x.user_name,
           x.status, opt(x.place), opt(x.finish_time));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, race_settings& x) {
  return f(caf::meta::type_name("race_settings"), x.goal, x.team_race,
           x.invitational, x.ranked, x.unlisted, x.info_user, x.info_bot,
           x.require_even_teams, x.start_delay, x.time_limit,
           x.time_limit_auto_complete, x.streaming_required, x.auto_start,
           x.allow_comments, x.hide_comments, x.allow_prerace_chat,
           x.allow_midrace_chat, x.allow_non_entrant_chat, x.chat_message_delay,
           opt(x.partitionable), opt(x.hide_entrants));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, race_snapshot& x) {
  return f(caf::meta::type_name("race_snapshot"), x.name, x.version, x.status,
           opt(x.opened_at), opt(x.started_at), opt(x.ended_at),
           opt(x.cancelled_at), x.goal, x.info_bot, x.entrants);
}

} // namespace racecontrol::protocol

namespace racecontrol {

using persistence::audit_record;
using persistence::bot_record;
using persistence::bot_state_change;
using persistence::entrant_state;
using persistence::match_player_info;
using persistence::match_summary;
using persistence::result_outcome;
using persistence::room_assignment;
using persistence::room_change;
using persistence::room_changes;
using persistence::room_closure;
using persistence::room_context;
using persistence::room_progress;
using persistence::room_record;
using persistence::room_result;
using persistence::room_update;
// the room automation's
using persistence::claim_attempt;
using persistence::claim_refused;
using persistence::claim_settled;
using persistence::match_open_context;
using persistence::match_player_link;
using persistence::match_reason;
using persistence::outbox_item;
using persistence::outbox_result;
using persistence::plan_query;
using persistence::room_claim;
using persistence::room_claim_result;
using persistence::room_claim_row;
using persistence::tournament_plan;
using persistence::upcoming_match;
// the HTTP API's
using persistence::api_credentials;
using persistence::api_identity;
using persistence::api_page;
using persistence::bot_query;
using persistence::bot_view;
using persistence::bot_write;
using persistence::database_gauges;
using persistence::match_query;
using persistence::match_view;
using persistence::match_write;
using persistence::overview_query;
using persistence::overview_view;
using persistence::room_query;
using persistence::room_view;
using persistence::task_query;
using persistence::task_write;
using persistence::tournament_query;
using persistence::tournament_view;

/// What the persistence actor knows about the database.
struct database_status {
  std::string server_version; ///< e.g. "10.11.6-MariaDB-0+deb12u1"
  std::string location;       ///< host:port or socket path
  std::string database;
  std::string schema_version; ///< newest applied migration, "" when none
  std::uint32_t pending_migrations = 0;
};

inline bool operator==(const database_status& a, const database_status& b) {
  return a.server_version == b.server_version && a.location == b.location &&
         a.database == b.database && a.schema_version == b.schema_version &&
         a.pending_migrations == b.pending_migrations;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, database_status& x) {
  return f(caf::meta::type_name("database_status"), x.server_version,
           x.location, x.database, x.schema_version, x.pending_migrations);
}

/// What the node actor supervises and how each component is doing.
struct node_status {
  std::string node_name;
  std::vector<std::string> components; ///< names of live components
  database_status database;
};

inline bool operator==(const node_status& a, const node_status& b) {
  return a.node_name == b.node_name && a.components == b.components &&
         a.database == b.database;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("node_status"), x.node_name, x.components,
           x.database);
}

/// A node of the cluster as the coordinator sees it.
struct cluster_node_info {
  std::string node_name;
  std::string role;           ///< "worker" (later also "coordinator")
  std::int64_t joined_at = 0; ///< unix time, ms
  std::uint32_t rooms = 0;    ///< rooms it hosts
  bool connected = false;
  std::int64_t last_heartbeat_at = 0; ///< unix time, ms; 0 before the first
};

inline bool operator==(const cluster_node_info& a, const cluster_node_info& b) {
  return a.node_name == b.node_name && a.role == b.role &&
         a.joined_at == b.joined_at && a.rooms == b.rooms &&
         a.connected == b.connected &&
         a.last_heartbeat_at == b.last_heartbeat_at;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_node_info& x) {
  return f(caf::meta::type_name("cluster_node_info"), x.node_name, x.role,
           x.joined_at, x.rooms, x.connected, x.last_heartbeat_at);
}

/// What a poll of the room supervisor found and did.
struct poll_summary {
  std::uint32_t rooms = 0;   ///< rooms the database says are to be watched
  std::uint32_t watched = 0; ///< of those, already watched
  std::uint32_t started = 0; ///< watchers started now
  std::uint32_t failed = 0;  ///< could not be started (see the log)
};

inline bool operator==(const poll_summary& a, const poll_summary& b) {
  return a.rooms == b.rooms && a.watched == b.watched &&
         a.started == b.started && a.failed == b.failed;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, poll_summary& x) {
  return f(caf::meta::type_name("poll_summary"), x.rooms, x.watched, x.started,
           x.failed);
}

/// One room watcher as operators see it.
struct room_watch_info {
  std::int32_t room_id = 0;
  std::string slug;
  std::string status;  ///< racetime.gg's status as last seen
  std::string watcher; ///< attaching, watching, recording, restarting, parked
  std::uint32_t restarts = 0;
  std::string last_error;
  std::string node; ///< the worker hosting it ("" on a standalone node)
};

inline bool operator==(const room_watch_info& a, const room_watch_info& b) {
  return a.room_id == b.room_id && a.slug == b.slug && a.status == b.status &&
         a.watcher == b.watcher && a.restarts == b.restarts &&
         a.last_error == b.last_error && a.node == b.node;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_watch_info& x) {
  return f(caf::meta::type_name("room_watch_info"), x.room_id, x.slug, x.status,
           x.watcher, x.restarts, x.last_error, x.node);
}

using protocol::race_snapshot;

/// A race fetch over HTTP that did not give a race.
struct fetch_failure {
  bool gone = false;   ///< racetime.gg has no such race (404)
  std::string message; ///< for the log: what failed and why
};

inline bool operator==(const fetch_failure& a, const fetch_failure& b) {
  return a.gone == b.gone && a.message == b.message;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_failure& x) {
  return f(caf::meta::type_name("fetch_failure"), x.gone, x.message);
}

/// What happened to a room's bot socket.
struct socket_event {
  enum class kind : std::uint8_t {
    opened,  ///< open (first time, after a reconnect or a token move)
    lost,    ///< lost; the session reconnects by itself
    dropped, ///< a frame was given up on (detail says which and why)
  };
  kind what = kind::opened;
  std::string detail;
};

inline bool operator==(const socket_event& a, const socket_event& b) {
  return a.what == b.what && a.detail == b.detail;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_event& x) {
  return f(caf::meta::type_name("socket_event"), x.what, x.detail);
}

/// A category bot's token for the rooms of that category. Crosses nodes
/// (a worker's rooms need it) but never prints.
struct token_grant {
  std::string category;
  config::secret value;
  std::chrono::system_clock::time_point expires_at{};
};

inline bool operator==(const token_grant& a, const token_grant& b) {
  return a.category == b.category && a.value == b.value &&
         a.expires_at == b.expires_at;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_grant& x) {
  return f(caf::meta::type_name("token_grant"), x.category, x.value,
           x.expires_at);
}

/// What a bot's token keeper reported (sent by its adapter).
struct token_news {
  enum class kind : std::uint8_t {
    obtained, ///< a new token is current
    retrying, ///< a failure; the keeper tries again in retry_in_ms
    rejected, ///< racetime.gg rejected the credentials; the keeper stopped
  };
  kind what = kind::obtained;
  std::string message; ///< never contains the token
  std::int64_t retry_in_ms = 0;
};

inline bool operator==(const token_news& a, const token_news& b) {
  return a.what == b.what && a.message == b.message &&
         a.retry_in_ms == b.retry_in_ms;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_news& x) {
  return f(caf::meta::type_name("token_news"), x.what, x.message,
           x.retry_in_ms);
}

/// A category's goals as racetime.gg lists them (sent by a bot's adapter).
struct category_goals {
  std::vector<std::string> goals;
};

inline bool operator==(const category_goals& a, const category_goals& b) {
  return a.goals == b.goals;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, category_goals& x) {
  return f(caf::meta::type_name("category_goals"), x.goals);
}

/// A bot as operators (and the room opener's checks) see it.
struct bot_info {
  std::int32_t bot_id = 0;
  std::string category;
  std::string name;
  /// connected, auth_failed, connection_error, disconnected, or starting
  /// before the first answer.
  std::string status;
  std::string message; ///< the server's reason, for auth_failed and errors
  bool has_token = false;
  std::vector<std::string> goals;
};

inline bool operator==(const bot_info& a, const bot_info& b) {
  return a.bot_id == b.bot_id && a.category == b.category && a.name == b.name &&
         a.status == b.status && a.message == b.message &&
         a.has_token == b.has_token && a.goals == b.goals;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_info& x) {
  return f(caf::meta::type_name("bot_info"), x.bot_id, x.category, x.name,
           x.status, x.message, x.has_token, x.goals);
}

// --- opening rooms (the bots' part of the room automation) -----------------

using protocol::race_settings;

/// Open a race room: startrace with these settings, by the bot `bot_id`
/// (the bot supervisor routes it). `marker` names the claim in logs.
struct start_race_request {
  std::int32_t bot_id = 0;
  race_settings settings;
  std::string marker;
};

inline bool operator==(const start_race_request& a,
                       const start_race_request& b) {
  return a.bot_id == b.bot_id && a.settings == b.settings &&
         a.marker == b.marker;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_race_request& x) {
  return f(caf::meta::type_name("start_race_request"), x.bot_id, x.settings,
           x.marker);
}

/// What became of a startrace. Only `created` and `unknown` may have made
/// a room; every other kind is sure nothing was created.
struct start_race_outcome {
  enum class kind : std::uint8_t {
    created,      ///< 201: race_name holds "category/slug"
    unknown,      ///< sent, answer lost or 5xx: the room may exist
    not_sent,     ///< failed before the request left (network, no token)
    refused,      ///< 422 (or refused before sending): field_errors say why
    forbidden,    ///< 403 even with a fresh token: the bot may not open rooms
    rate_limited, ///< 429: try again after retry_after_ms
  };
  kind what = kind::created;
  std::string race_name;
  std::string message; ///< for a person: what failed and why
  std::vector<std::string> field_errors;
  std::int64_t retry_after_ms = 0;
};

inline bool operator==(const start_race_outcome& a,
                       const start_race_outcome& b) {
  return a.what == b.what && a.race_name == b.race_name &&
         a.message == b.message && a.field_errors == b.field_errors &&
         a.retry_after_ms == b.retry_after_ms;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_race_outcome& x) {
  return f(caf::meta::type_name("start_race_outcome"), x.what, x.race_name,
           x.message, x.field_errors, x.retry_after_ms);
}

/// A race as a category's race lists show it, for finding a room by the
/// marker its info carries.
struct race_listing {
  std::string name;   ///< "category/slug"
  std::string info;   ///< info_user and info_bot as racetime.gg shows them
  std::string status; ///< open, invitational, pending, in_progress, ...
  std::optional<std::chrono::system_clock::time_point> opened_at;
};

inline bool operator==(const race_listing& a, const race_listing& b) {
  return a.name == b.name && a.info == b.info && a.status == b.status &&
         a.opened_at == b.opened_at;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, race_listing& x) {
  return f(caf::meta::type_name("race_listing"), x.name, x.info, x.status,
           opt(x.opened_at));
}

/// A category's races that have not ended (unlisted ones too), as the bot
/// sees them with its token.
struct category_races {
  std::vector<race_listing> races;
};

inline bool operator==(const category_races& a, const category_races& b) {
  return a.races == b.races;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, category_races& x) {
  return f(caf::meta::type_name("category_races"), x.races);
}

/// Open match M's room now (seed 001's manual override), from any
/// interface: the API, the console.
struct manual_open {
  std::int32_t match_id = 0;
  std::optional<std::string> goal;
  std::optional<bool> invitational;
  std::string requested_by; ///< who asked, for the audit trail
};

inline bool operator==(const manual_open& a, const manual_open& b) {
  return a.match_id == b.match_id && a.goal == b.goal &&
         a.invitational == b.invitational && a.requested_by == b.requested_by;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manual_open& x) {
  return f(caf::meta::type_name("manual_open"), x.match_id, opt(x.goal),
           opt(x.invitational), x.requested_by);
}

/// A room opener's first step as one request: the match loaded, the
/// checks run (decide_open) with the bots' live states the opener asked
/// for first and its `now`, so that it decides alike on the answer; then
/// the room claimed when they pass, or the reason stored when one fails.
struct opening_request {
  std::int32_t match_id = 0;
  bool manual = false;
  std::string marker; ///< a new claim's
  std::string owner;  ///< this node, stored with a new claim
  std::string requested_by;
  std::optional<std::string> goal;
  std::optional<bool> invitational;
  std::vector<bot_info> bots;
  timestamp now{};
  std::int64_t grace_us = 0;
};

inline bool operator==(const opening_request& a, const opening_request& b) {
  return a.match_id == b.match_id && a.manual == b.manual &&
         a.marker == b.marker && a.owner == b.owner &&
         a.requested_by == b.requested_by && a.goal == b.goal &&
         a.invitational == b.invitational && a.bots == b.bots &&
         a.now == b.now && a.grace_us == b.grace_us;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, opening_request& x) {
  return f(caf::meta::type_name("opening_request"), x.match_id, x.manual,
           x.marker, x.owner, x.requested_by, opt(x.goal), opt(x.invitational),
           x.bots, x.now, x.grace_us);
}

/// The match as loaded, and what the request did about it.
struct opening_result {
  match_open_context context;
  /// The checks passed: the claim's outcome (a second claim finds the
  /// first's row).
  std::optional<room_claim_result> claim;
  /// A check failed: its reason stored, true when the match's reason
  /// changed (then audited).
  std::optional<bool> reason_changed;
};

inline bool operator==(const opening_result& a, const opening_result& b) {
  return a.context == b.context && a.claim == b.claim &&
         a.reason_changed == b.reason_changed;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, opening_result& x) {
  return f(caf::meta::type_name("opening_result"), x.context, opt(x.claim),
           opt(x.reason_changed));
}

/// One request's answer among several sent to a persistence worker
/// together (opening_request, claim_settled): its result, or the error it
/// met (the others' go on).
template <class T>
struct batch_reply {
  std::optional<T> result;
  caf::error error;
};

template <class T>
bool operator==(const batch_reply<T>& a, const batch_reply<T>& b) {
  return a.result == b.result && a.error == b.error;
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, batch_reply<T>& x) {
  return f(caf::meta::type_name("batch_reply"), opt(x.result), x.error);
}

using opening_reply = batch_reply<opening_result>;
using settle_reply = batch_reply<room_context>;
/// true: written (an atom carries no value on the wire).
using update_reply = batch_reply<bool>;

/// A match's room, as seed 001's API answers (plus whether it existed).
struct room_answer {
  std::string slug;
  std::string url;
  std::int32_t invited_players = 0; ///< linked players the room invites
  std::string goal;
  bool existed = false; ///< the match had its room before this request
};

inline bool operator==(const room_answer& a, const room_answer& b) {
  return a.slug == b.slug && a.url == b.url &&
         a.invited_players == b.invited_players && a.goal == b.goal &&
         a.existed == b.existed;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_answer& x) {
  return f(caf::meta::type_name("room_answer"), x.slug, x.url,
           x.invited_players, x.goal, x.existed);
}

/// What a room opener ended with, for its match's tournament.
struct match_outcome {
  std::int32_t match_id = 0;
  std::int32_t tournament_id = 0;
  bool has_room = false;
  std::string reason_code; ///< why not, "" when it has its room or waits
};

inline bool operator==(const match_outcome& a, const match_outcome& b) {
  return a.match_id == b.match_id && a.tournament_id == b.tournament_id &&
         a.has_room == b.has_room && a.reason_code == b.reason_code;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_outcome& x) {
  return f(caf::meta::type_name("match_outcome"), x.match_id, x.tournament_id,
           x.has_room, x.reason_code);
}

/// The RACETIME_OPEN_ROOM task's run: open every due room of an
/// organization's tournaments (or all) and reload their matches.
struct open_pass {
  std::optional<std::int32_t> organization_id;
};

inline bool operator==(const open_pass& a, const open_pass& b) {
  return a.organization_id == b.organization_id;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, open_pass& x) {
  return f(caf::meta::type_name("open_pass"), opt(x.organization_id));
}

/// What an open pass found and did.
struct open_pass_summary {
  std::uint32_t tournaments = 0; ///< active tournaments looked at
  std::uint32_t due = 0;         ///< due matches without a room
  std::uint32_t started = 0;     ///< room openers started now
  std::uint32_t in_flight = 0;   ///< of the due, already being opened
  std::uint32_t failed = 0;      ///< could not be read (see the log)
};

inline bool operator==(const open_pass_summary& a, const open_pass_summary& b) {
  return a.tournaments == b.tournaments && a.due == b.due &&
         a.started == b.started && a.in_flight == b.in_flight &&
         a.failed == b.failed;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, open_pass_summary& x) {
  return f(caf::meta::type_name("open_pass_summary"), x.tournaments, x.due,
           x.started, x.in_flight, x.failed);
}

/// A tournament or a match changed (the API and the console say so).
struct automation_change {
  enum class kind : std::uint8_t { tournament, match };
  kind what = kind::match;
  std::int32_t id = 0;
};

inline bool operator==(const automation_change& a, const automation_change& b) {
  return a.what == b.what && a.id == b.id;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, automation_change& x) {
  return f(caf::meta::type_name("automation_change"), x.what, x.id);
}

} // namespace racecontrol

// --- the scheduler's messages ------------------------------------------------

namespace racecontrol::persistence {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_record& x) {
  return f(caf::meta::type_name("task_record"), x.id, opt(x.organization_id),
           x.name, x.task_type, x.schedule_type, opt(x.interval_seconds),
           opt(x.cron_expression), opt(x.run_at), x.config_json, x.is_active,
           opt(x.next_run_at), opt(x.last_run_at), x.last_run_status,
           x.last_run_error, opt(x.run_started_at), x.run_owner);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_schedule& x) {
  return f(caf::meta::type_name("task_schedule"), x.task_id,
           opt(x.expected_next_run_at), x.next_run_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_claim& x) {
  return f(caf::meta::type_name("task_claim"), x.task_id,
           opt(x.expected_next_run_at), opt(x.next_run_at), x.owner,
           x.started_at, x.deactivate);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_finish& x) {
  return f(caf::meta::type_name("task_finish"), x.task_id, x.owner,
           x.started_at, x.status, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_invalid& x) {
  return f(caf::meta::type_name("task_invalid"), x.task_id, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_write& x) {
  return f(caf::meta::type_name("task_write"), x.task, x.organization_id,
           x.actor, x.remove, opt(x.read_as));
}

} // namespace racecontrol::persistence

namespace racecontrol {

using persistence::claim_outcome;
using persistence::task_claim;
using persistence::task_finish;
using persistence::task_invalid;
using persistence::task_record;
using persistence::task_schedule;

} // namespace racecontrol

// --- the admin console's messages --------------------------------------------

namespace racecontrol::persistence {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_query& x) {
  return f(caf::meta::type_name("audit_query"), opt(x.organization_id),
           opt(x.entity_type), opt(x.entity_id), opt(x.since), opt(x.before_id),
           x.limit, opt(x.until));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_entry& x) {
  return f(caf::meta::type_name("audit_entry"), x.id, opt(x.organization_id),
           opt(x.user_id), x.action, x.entity_type, opt(x.entity_id),
           x.details_json, x.created_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_token_row& x) {
  return f(caf::meta::type_name("api_token_row"), x.id, x.organization_id,
           x.organization_name, x.name, x.scopes, x.created_at,
           opt(x.last_used_at), opt(x.revoked_at));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_token_order& x) {
  return f(caf::meta::type_name("api_token_order"), x.organization_id, x.name,
           x.scopes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_token_issued& x) {
  return f(caf::meta::type_name("api_token_issued"), x.token, x.plaintext);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_token_revocation& x) {
  return f(caf::meta::type_name("api_token_revocation"), x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_order& x) {
  return f(caf::meta::type_name("link_order"), x.what, x.organization_id,
           x.user_id, x.actor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_callback& x) {
  return f(caf::meta::type_name("link_callback"), x.state, x.check_only,
           x.racetime_id, x.racetime_name, x.access_token, x.refresh_token,
           x.expires_in_s);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_answer& x) {
  return f(caf::meta::type_name("link_answer"), x.user_id, x.user_name, x.state,
           x.expires_at, x.racetime_name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_claim& x) {
  return f(caf::meta::type_name("lease_claim"), x.name, x.holder, x.lease_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_release& x) {
  return f(caf::meta::type_name("lease_release"), x.name, x.holder);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_state& x) {
  return f(caf::meta::type_name("lease_state"), x.name, x.holder, x.epoch,
           x.held, x.expires_in_ms, x.retaken_own);
}

} // namespace racecontrol::persistence

namespace racecontrol {

using persistence::api_token_issued;
using persistence::api_token_order;
using persistence::api_token_revocation;
using persistence::api_token_row;
// RaceTime account linking's
using persistence::audit_entry;
using persistence::audit_query;
// the coordinator lease's
using persistence::lease_claim;
using persistence::lease_release;
using persistence::lease_state;
using persistence::link_answer;
using persistence::link_callback;
using persistence::link_order;

/// One event of an admin console session on its way from the line server
/// (an io thread) to the console actor: the session opened, sent a line, or
/// closed. `reply` takes the text to send back (possibly several lines) and
/// whether to close the session after it; callable from any thread, once.
/// Like http_exchange it never leaves the process (no inspect overload, not
/// in message_types); `text` may be a password or a token, so nothing may
/// render it.
struct console_exchange {
  enum class kind : std::uint8_t { opened, line, closed };
  kind what = kind::line;
  std::uint64_t session = 0;
  std::string peer; ///< "127.0.0.1:51234" or "unix socket"
  std::string text;
  std::function<void(std::string text, bool close)> reply;
};

/// One HTTP request on its way from the HTTP server (an io thread) to the
/// actor that answers it, with the responder its answer goes to (callable
/// from any thread, once). It never leaves the process, so it has no
/// inspect overload and is not in message_types: CAF is told below that it
/// may travel unserialized.
struct http_exchange {
  std::shared_ptr<const protocol::http_server_request> request;
  std::function<void(protocol::http_server_response)> respond;
};

/// Every type that travels in messages. register_message_types announces
/// each; the serialization test round-trips a sample of each, so a type
/// added here without registration or without a sample fails the build or
/// the test.
using message_types = caf::detail::type_list<
    database_status, node_status, bot_record, std::vector<bot_record>,
    bot_state_change, room_record, std::vector<room_record>, room_context,
    room_progress, room_result, result_outcome, room_closure, room_changes,
    audit_record, room_update, std::vector<room_update>, room_assignment,
    poll_summary, room_watch_info, std::vector<room_watch_info>, race_snapshot,
    fetch_failure, socket_event, token_grant, token_news, category_goals,
    bot_info, std::vector<bot_info>,
    // the room automation's
    race_settings, start_race_request, start_race_outcome, race_listing,
    category_races, match_open_context, room_claim_result, room_claim_row,
    std::vector<room_claim_row>, claim_attempt, claim_settled, claim_refused,
    match_reason, plan_query, tournament_plan, std::vector<tournament_plan>,
    manual_open, opening_request, opening_result, std::vector<opening_request>,
    opening_reply, std::vector<opening_reply>, std::vector<claim_settled>,
    settle_reply, std::vector<settle_reply>,
    std::vector<std::vector<room_update>>, update_reply,
    std::vector<update_reply>, room_answer, match_outcome, open_pass,
    open_pass_summary, automation_change, outbox_item, std::vector<outbox_item>,
    outbox_result,
    // the scheduler's
    task_record, std::vector<task_record>, task_schedule, task_claim,
    claim_outcome, task_finish, task_invalid,
    // the HTTP API's
    api_credentials, api_identity, tournament_query, tournament_view,
    std::vector<tournament_view>, match_query, match_view,
    std::vector<match_view>, room_query, room_view, std::vector<room_view>,
    match_write, task_query, task_write, bot_query, bot_view,
    std::vector<bot_view>, bot_write, overview_query, overview_view,
    database_gauges,
    // the admin console's
    audit_query, audit_entry, std::vector<audit_entry>, api_token_row,
    std::vector<api_token_row>, api_token_order, api_token_issued,
    api_token_revocation,
    // RaceTime account linking's
    link_order, link_callback, link_answer,
    // the coordinator lease's
    lease_claim, lease_release, lease_state>;

/// Announces every message type and the error category to CAF. Call once on
/// the config before creating the actor system.
void register_message_types(caf::actor_system_config& cfg);

} // namespace racecontrol

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(racecontrol::http_exchange)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(racecontrol::console_exchange)
