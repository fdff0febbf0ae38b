#pragma once

// A player assigned to a match, and their result once the race ends.
// Table `match_players`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("match_players")
struct match_player {
#pragma db id auto
  std::int32_t id = 0;

  std::int32_t match_id = 0;
  std::int32_t user_id = 0;

  /// 1-based finishing place; NULL until finished (and for dnf/dq).
  odb::nullable<std::int32_t> finish_place;

  odb::nullable<race_duration> finish_time;

  /// racetime.gg entrant status value (done, dnf, dq, in_progress, ...).
#pragma db type("VARCHAR(20)")
  odb::nullable<std::string> entrant_status;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
