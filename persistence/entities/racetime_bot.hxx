#pragma once

// A racetime.gg category bot: OAuth2 client credentials for one category.
// Table `racetime_bots`. `client_secret` is a secret: never log it.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

/// Connection state as operators see it. Stored as a MariaDB ENUM whose
/// values are the enumerator names, in this order.
enum class bot_status {
  unknown,
  connected,
  auth_failed,
  connection_error,
  disconnected,
};

#pragma db object table("racetime_bots")
struct racetime_bot {
#pragma db id auto
  std::int32_t id = 0;

  /// racetime.gg category slug, e.g. "alttpr". A bot serves exactly one.
#pragma db type("VARCHAR(50)")
  std::string category;

#pragma db type("VARCHAR(255)")
  std::string name;

#pragma db type("VARCHAR(255)")
  std::string client_id;

  /// Sealed by persistence::secret_box (legacy rows: plaintext until
  /// `racecontrol-migrate secrets encrypt`).
#pragma db type("VARCHAR(512)")
  std::string client_secret;

  bool is_active = true;

#pragma db type(                                                               \
    "ENUM('unknown','connected','auth_failed','connection_error','disconnected')")
  bot_status status = bot_status::unknown;

#pragma db type("TEXT")
  odb::nullable<std::string> status_message;

  odb::nullable<timestamp> last_connected_at;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
