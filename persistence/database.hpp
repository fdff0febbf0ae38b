#pragma once

#include "config/database_url.hpp"

#include <odb/mysql/database.hxx>

#include <chrono>
#include <cstddef>
#include <memory>

namespace racecontrol::persistence {

/// How the process talks to MariaDB.
struct database_options {
  config::database_url url;
  /// Upper bound of pooled connections (the persistence actor's workers and
  /// the tools share one pool).
  std::size_t max_connections = 8;
  std::chrono::seconds connect_timeout{5};
  /// Socket read and write timeouts; zero waits forever (long imports need
  /// that; the daemon never does).
  std::chrono::seconds read_timeout{0};
  std::chrono::seconds write_timeout{0};
  /// Let LOAD DATA LOCAL stream from this client. Only for connections
  /// whose user installs an in-memory handler (sql_load_data): the default
  /// handler would let a hostile server ask for local files.
  bool local_infile = false;
};

/// Opens a database handle backed by a connection pool whose connections run
/// in UTC with utf8mb4, and checks right away that the server accepts the
/// credentials. Throws database_error (kind::connection) with a one-line
/// message like "cannot connect to MariaDB at 127.0.0.1:3306 as racecontrol:
/// Access denied for user ...".
std::shared_ptr<odb::mysql::database> open_database(const database_options&);

} // namespace racecontrol::persistence
