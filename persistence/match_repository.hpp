#pragma once

#include "persistence/entities/match.hxx"
#include "persistence/entity_repository.hpp"

#include <vector>

namespace racecontrol::persistence {

/// Matches. One transaction per call. The lifecycle setters each write one
/// column, so two steps never overwrite each other's work.
class match_repository : public entity_repository<entities::match> {
 public:
  explicit match_repository(odb::mysql::database& db);

  /// Matches with `from <= scheduled_at < to`, earliest first.
  std::vector<entities::match> scheduled_between(timestamp from, timestamp to);

  std::vector<entities::match> of_tournament(std::int32_t tournament_id);

  bool set_checked_in(std::int32_t match_id, timestamp at);
  bool set_started(std::int32_t match_id, timestamp at);
  bool set_finished(std::int32_t match_id, timestamp at);
};

} // namespace racecontrol::persistence
