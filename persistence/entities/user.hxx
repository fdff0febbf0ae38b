#pragma once

// A person: a Discord identity and, once linked, a racetime.gg account.
// Table `users`. RaceTime tokens are secrets: never log an entity whole.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("users")
struct user {
#pragma db id auto
  std::int32_t id = 0;

  /// Discord snowflake; NULL for placeholder users created before they log in.
  odb::nullable<std::uint64_t> discord_id;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> discord_username;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> display_name;

#pragma db type("VARCHAR(200)")
  odb::nullable<std::string> twitch_name;

  /// racetime.gg user hash id (16 characters), set by account linking.
#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> racetime_id;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> racetime_name;

  /// Both tokens sealed by persistence::secret_box.
#pragma db type("TEXT")
  odb::nullable<std::string> racetime_access_token;

#pragma db type("TEXT")
  odb::nullable<std::string> racetime_refresh_token;

  odb::nullable<timestamp> racetime_token_expires_at;

  bool is_active = true;

  /// A test account (SahasrahBot's test_user), kept apart from real players.
  bool is_test_user = false;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
