#pragma once

// A racetime.gg race room racecontrol created or joined (seed 000).
// Table `racetime_rooms`; at most one room per match.

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

  /// "category/room-name", e.g. "alttpr/cool-doge-1234".
#pragma db type("VARCHAR(255)")
  std::string slug;

#pragma db type("VARCHAR(50)")
  std::string category;

#pragma db type("VARCHAR(255)")
  std::string room_name;

  /// racetime.gg race status: open, invitational, pending, in_progress,
  /// finished, cancelled.
#pragma db type("VARCHAR(50)")
  odb::nullable<std::string> status;

  odb::nullable<std::int32_t> match_id;
  odb::nullable<std::int32_t> bot_id;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
