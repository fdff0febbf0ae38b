#pragma once

// Permission for an organization to use a racetime.gg bot.
// Table `racetime_bot_organizations`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>

#include <cstdint>

namespace racecontrol::entities {

#pragma db object table("racetime_bot_organizations")
struct racetime_bot_organization {
#pragma db id auto
  std::int32_t id = 0;

  std::int32_t bot_id = 0;
  std::int32_t organization_id = 0;
  bool is_active = true;
  timestamp assigned_at;
};

} // namespace racecontrol::entities
