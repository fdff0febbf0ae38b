#pragma once

// A scheduled match of a tournament. Its state is derived from the
// timestamps (scheduled → checked in → started → finished). Table `matches`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("matches")
struct match {
#pragma db id auto
  std::int32_t id = 0;

  std::int32_t tournament_id = 0;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> title;

  odb::nullable<timestamp> scheduled_at;
  odb::nullable<timestamp> checked_in_at;
  odb::nullable<timestamp> started_at;
  odb::nullable<timestamp> finished_at;

  // The table still has the deprecated `racetime_room_slug` (seed 000) until
  // an operator applies the manual migration that drops it. racecontrol
  // keeps rooms in `racetime_rooms` and deliberately does not map the
  // column, so dropping it never breaks the daemon.

  /// Overrides the tournament's default goal for this match.
#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> racetime_goal;

  bool racetime_invitational = true;
  bool racetime_auto_create = true;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
