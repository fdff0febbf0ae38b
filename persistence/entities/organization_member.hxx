#pragma once

// A user's membership of an organization. Table `organization_members`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>

#include <cstdint>

namespace racecontrol::entities {

/// Stored as a MariaDB ENUM of the enumerator names, in this order.
enum class member_role {
  owner,
  admin,
  moderator,
  member,
};

#pragma db object table("organization_members")
struct organization_member {
#pragma db id auto
  std::int32_t id = 0;

  std::int32_t organization_id = 0;
  std::int32_t user_id = 0;

#pragma db type("ENUM('owner','admin','moderator','member')")
  member_role role = member_role::member;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
