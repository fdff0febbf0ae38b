#pragma once

// Message types that actors exchange. Each has an `inspect` overload so it
// can cross nodes; register_message_types() announces them to CAF.

#include <caf/actor_system_config.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace racecontrol {

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

/// Every type that travels in messages. register_message_types announces
/// each; the serialization test round-trips a sample of each, so a type
/// added here without registration or without a sample fails the build or
/// the test.
using message_types = caf::detail::type_list<database_status, node_status>;

/// Announces every message type and the error category to CAF. Call once on
/// the config before creating the actor system.
void register_message_types(caf::actor_system_config& cfg);

} // namespace racecontrol
