#pragma once

// Message types that actors exchange. Each has an `inspect` overload so it
// can cross nodes; register_message_types() announces them to CAF. The
// records the persistence actor carries are the persistence layer's plain
// structs (persistence/runtime_records.hpp); their overloads live here so
// that layer stays free of CAF.

#include "config/secret.hpp"
#include "persistence/runtime_records.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/detail/stringification_inspector.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

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
           x.room_name, x.status, opt(x.match_id), opt(x.bot_id), x.parked);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, match_summary& x) {
  return f(caf::meta::type_name("match_summary"), x.id, x.tournament_id,
           x.organization_id, x.tournament_name, x.title, opt(x.scheduled_at),
           opt(x.started_at), opt(x.finished_at));
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
           x.players);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entrant_state& x) {
  return f(caf::meta::type_name("entrant_state"), x.racetime_id, x.status,
           opt(x.place), opt(x.finish_time));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_progress& x) {
  return f(caf::meta::type_name("room_progress"), x.room_id, opt(x.match_id),
           opt(x.status), x.entrants, opt(x.started_at));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_result& x) {
  return f(caf::meta::type_name("room_result"), x.room_id, opt(x.match_id),
           x.entrants, opt(x.started_at), x.ended_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_closure& x) {
  return f(caf::meta::type_name("room_closure"), x.room_id, x.status, x.reason,
           x.park);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_record& x) {
  return f(caf::meta::type_name("audit_record"), opt(x.organization_id),
           x.action, x.entity_type, opt(x.entity_id), x.details_json);
}

} // namespace racecontrol::persistence

namespace racecontrol {

using persistence::audit_record;
using persistence::bot_record;
using persistence::bot_state_change;
using persistence::entrant_state;
using persistence::match_player_info;
using persistence::match_summary;
using persistence::result_outcome;
using persistence::room_closure;
using persistence::room_context;
using persistence::room_progress;
using persistence::room_record;
using persistence::room_result;

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
};

inline bool operator==(const room_watch_info& a, const room_watch_info& b) {
  return a.room_id == b.room_id && a.slug == b.slug && a.status == b.status &&
         a.watcher == b.watcher && a.restarts == b.restarts &&
         a.last_error == b.last_error;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_watch_info& x) {
  return f(caf::meta::type_name("room_watch_info"), x.room_id, x.slug, x.status,
           x.watcher, x.restarts, x.last_error);
}

/// Every type that travels in messages. register_message_types announces
/// each; the serialization test round-trips a sample of each, so a type
/// added here without registration or without a sample fails the build or
/// the test.
using message_types = caf::detail::type_list<
    database_status, node_status, bot_record, std::vector<bot_record>,
    bot_state_change, room_record, std::vector<room_record>, room_context,
    room_progress, room_result, result_outcome, room_closure, audit_record,
    poll_summary, room_watch_info, std::vector<room_watch_info>>;

/// Announces every message type and the error category to CAF. Call once on
/// the config before creating the actor system.
void register_message_types(caf::actor_system_config& cfg);

} // namespace racecontrol
