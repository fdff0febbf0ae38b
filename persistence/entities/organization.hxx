#pragma once

// An organization: the tenant that owns tournaments, bots and members
// (a speedrunning community). Table `organizations`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("organizations")
struct organization {
#pragma db id auto
  std::int32_t id = 0;

#pragma db type("VARCHAR(255)")
  std::string name;

#pragma db type("TEXT")
  odb::nullable<std::string> description;

  bool is_active = true;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
