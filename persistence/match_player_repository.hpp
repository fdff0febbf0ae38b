#pragma once

#include "persistence/entities/match_player.hxx"
#include "persistence/entity_repository.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

/// A player's race result as racetime.gg reports it.
struct player_result {
  std::string entrant_status; ///< done, dnf, dq, ...
  std::optional<std::int32_t> finish_place;
  std::optional<race_duration> finish_time;
};

/// Players of matches. One transaction per call.
class match_player_repository
    : public entity_repository<entities::match_player> {
 public:
  explicit match_player_repository(odb::mysql::database& db);

  std::vector<entities::match_player> of_match(std::int32_t match_id);

  /// Writes the result columns of one player of one match.
  bool record_result(std::int32_t match_id, std::int32_t user_id,
                     const player_result& result);
};

} // namespace racecontrol::persistence
