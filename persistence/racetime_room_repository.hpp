#pragma once

#include "persistence/entities/racetime_room.hxx"
#include "persistence/entity_repository.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

/// racetime.gg rooms racecontrol created or joined. One transaction per call.
/// The database allows one room per match: creating a second one throws
/// database_error of kind constraint.
class racetime_room_repository
    : public entity_repository<entities::racetime_room> {
 public:
  explicit racetime_room_repository(odb::mysql::database& db);

  std::optional<entities::racetime_room> find_by_slug(const std::string& slug);
  std::optional<entities::racetime_room> find_by_match(std::int32_t match_id);

  /// Rooms whose race has not ended (status not finished/cancelled), for
  /// re-attaching after a restart.
  std::vector<entities::racetime_room> unfinished();

  bool set_status(std::int32_t room_id, const std::string& status);
};

} // namespace racecontrol::persistence
