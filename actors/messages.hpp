#pragma once

// Message types that actors exchange. Each has an `inspect` overload so it
// can cross nodes; register_message_types() announces them to CAF.

#include <caf/actor_system_config.hpp>
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

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("node_status"), x.node_name, x.components,
           x.database);
}

/// Announces every message type and the error category to CAF. Call once on
/// the config before creating the actor system.
void register_message_types(caf::actor_system_config& cfg);

} // namespace racecontrol
