#pragma once

// A Discord server linked to an organization. Table `discord_guilds`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("discord_guilds")
struct discord_guild {
#pragma db id auto
  std::int32_t id = 0;

  std::int32_t organization_id = 0;
  std::uint64_t guild_id = 0;

#pragma db type("VARCHAR(255)")
  std::string guild_name;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
