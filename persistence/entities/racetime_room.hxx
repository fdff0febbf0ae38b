#pragma once

// A racetime.gg race room racecontrol created or joined (seed 000).
// Table `racetime_rooms`; at most one room per match. Since issue 11 a row
// is first a claim (`creating`, no slug yet) and becomes the room once
// racetime.gg made it.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("racetime_rooms")
struct racetime_room {
#pragma db id auto
  std::int32_t id = 0;

  /// "category/room-name", e.g. "alttpr/cool-doge-1234"; NULL while the
  /// claim is creating.
#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> slug;

#pragma db type("VARCHAR(50)")
  std::string category;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> room_name;

  /// racetime.gg race status: open, invitational, pending, in_progress,
  /// finished, cancelled.
#pragma db type("VARCHAR(50)")
  odb::nullable<std::string> status;

  odb::nullable<std::int32_t> match_id;
  odb::nullable<std::int32_t> bot_id;

  /// creating (startrace sent or about to be, outcome unknown), created.
#pragma db type("ENUM('creating','created')")
  std::string claim_state = "created";

  /// Sent in info_bot: finds the room when startrace's outcome is unknown.
#pragma db type("VARCHAR(64)")
  odb::nullable<std::string> claim_marker;

  odb::nullable<timestamp> claimed_at;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> claim_owner;

  std::int32_t startrace_attempts = 0;
  odb::nullable<timestamp> last_attempt_at;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> requested_by;

  /// A manual open's overrides, sent again if the claim is recovered.
#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> requested_goal;
  odb::nullable<bool> requested_invitational;

  bool adopted = false;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
