#pragma once

// An API bearer token of an organization. Only its SHA-256 is stored.
// Table `api_tokens`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("api_tokens")
struct api_token {
#pragma db id auto
  std::int32_t id = 0;

  std::int32_t organization_id = 0;

#pragma db type("VARCHAR(255)")
  std::string name;

  /// Hex SHA-256 of the token.
#pragma db type("CHAR(64)")
  std::string token_sha256;

  /// JSON array of scope names.
#pragma db type("LONGTEXT") // JSON in the schema: MariaDB stores it as LONGTEXT
  std::string scopes = "[]";

  odb::nullable<std::int32_t> created_by_id;

  timestamp created_at;
  odb::nullable<timestamp> last_used_at;
  odb::nullable<timestamp> revoked_at;
};

} // namespace racecontrol::entities
