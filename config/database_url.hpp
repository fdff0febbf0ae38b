#pragma once

#include "config/secret.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace racecontrol::config {

/// Where a MariaDB database is and how to log in. Parsed from URLs like
///   mysql://user:password@host:3306/database
///   mysql://user@localhost/database?socket=/run/mysqld/mysqld.sock
/// (`mariadb://` is accepted too; user and password may be percent-encoded).
struct database_url {
  std::string user;
  secret password; ///< prints as ***; reveal() only to log in
  std::string host = "127.0.0.1";
  std::uint16_t port = 3306;
  std::string socket; ///< when set, host and port are not used
  std::string database;

  /// "127.0.0.1:3306" or the socket path: where the server is, for messages.
  std::string location() const;

  /// The URL without the password, safe to log.
  std::string redacted() const;

  /// The full URL, password included. Never log it.
  std::string to_string() const;
};

/// Parses a URL; on failure returns nullopt and sets `error` to a message
/// that says what is wrong with it.
std::optional<database_url> parse_database_url(std::string_view text,
                                               std::string& error);

} // namespace racecontrol::config
