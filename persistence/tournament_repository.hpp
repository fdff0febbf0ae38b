#pragma once

#include "persistence/entities/tournament.hxx"
#include "persistence/entity_repository.hpp"

#include <vector>

namespace racecontrol::persistence {

/// Tournaments. One transaction per call.
class tournament_repository : public entity_repository<entities::tournament> {
 public:
  explicit tournament_repository(odb::mysql::database& db);

  /// Active tournaments with automatic room creation on, by id.
  std::vector<entities::tournament> with_auto_create_rooms();

  std::vector<entities::tournament> of_organization(std::int32_t org_id);
};

} // namespace racecontrol::persistence
