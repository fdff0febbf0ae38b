#pragma once

// A task the scheduler runs: what (task_type + JSON config), when
// (schedule_type and its parameters), and how the last run went.
// Table `scheduled_tasks`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

/// Stored as ENUM of the enumerator names, upper-cased as SahaBot2 spells
/// them (RACETIME_OPEN_ROOM, ...), in this order.
enum class task_type {
  RACETIME_OPEN_ROOM,
  RACETIME_POLL_OPEN_ROOMS,
  CUSTOM,
};

enum class schedule_type {
  INTERVAL,
  CRON,
  ONE_TIME,
};

#pragma db object table("scheduled_tasks")
struct scheduled_task {
#pragma db id auto
  std::int32_t id = 0;

  /// NULL: a global task.
  odb::nullable<std::int32_t> organization_id;

#pragma db type("VARCHAR(255)")
  std::string name;

#pragma db type("TEXT")
  odb::nullable<std::string> description;

#pragma db type(                                                               \
    "ENUM('RACETIME_OPEN_ROOM','RACETIME_POLL_OPEN_ROOMS','CUSTOM')")
  entities::task_type task_type = entities::task_type::RACETIME_OPEN_ROOM;

#pragma db type("ENUM('INTERVAL','CRON','ONE_TIME')")
  entities::schedule_type schedule_type = entities::schedule_type::INTERVAL;

  odb::nullable<std::int32_t> interval_seconds;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> cron_expression;

  odb::nullable<timestamp> run_at;

  /// JSON object; "{}" when the task needs no configuration.
#pragma db type("LONGTEXT") // JSON in the schema: MariaDB stores it as LONGTEXT
  std::string config = "{}";

  bool is_active = true;
  odb::nullable<timestamp> last_run_at;
  odb::nullable<timestamp> next_run_at;

#pragma db type("VARCHAR(50)")
  odb::nullable<std::string> last_run_status;

#pragma db type("TEXT")
  odb::nullable<std::string> last_run_error;

  /// The run in flight (set with next_run_at before it starts, cleared
  /// with its result): when it started and on which node.
  odb::nullable<timestamp> run_started_at;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> run_owner;

  odb::nullable<std::int32_t> created_by_id;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
