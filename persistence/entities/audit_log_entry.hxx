#pragma once

// One entry of the audit trail. Table `audit_log`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("audit_log")
struct audit_log_entry {
#pragma db id auto
  std::int64_t id = 0;

  odb::nullable<std::int32_t> organization_id;

  /// NULL: done by racecontrol itself.
  odb::nullable<std::int32_t> user_id;

#pragma db type("VARCHAR(255)")
  std::string action;

#pragma db type("VARCHAR(50)")
  odb::nullable<std::string> entity_type;

  odb::nullable<std::int32_t> entity_id;

  /// A JSON document; NULL when there is nothing to add.
#pragma db type("LONGTEXT") // JSON in the schema: MariaDB stores it as LONGTEXT
  odb::nullable<std::string> details;

  timestamp created_at;
};

} // namespace racecontrol::entities
