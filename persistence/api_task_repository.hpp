#pragma once

// The HTTP API's scheduled tasks (issue 12): an organization's tasks, and
// creating, changing and deleting them with an audit entry in the same
// transaction. It writes a task's settings only; the run columns
// (next_run_at, the run marker, last_run_*) stay the scheduler's
// (persistence/scheduled_task_repository.hpp), except that a changed
// schedule or a reactivated task gets next_run_at NULL, which the scheduler
// reads as "plan this task afresh".

#include "persistence/api_records.hpp"

#include <odb/mysql/database.hxx>

#include <variant>
#include <vector>

namespace racecontrol::persistence {

class api_task_repository {
 public:
  explicit api_task_repository(odb::mysql::database& db) : db_(db) {}

  /// The organization's tasks by ascending id, or the one with q.id
  /// whatever its organization (the caller compares).
  std::vector<task_record> tasks(const task_query& q);

  /// Creates, changes or deletes the task (see task_write). Refused,
  /// writing nothing, when the task is not the organization's (forbidden;
  /// global tasks included), does not exist (not_found), or a
  /// RACETIME_OPEN_ROOM task's config names a match of another
  /// organization or none (invalid_config, field `config`).
  std::variant<task_record, api_refusal> write(const task_write& w);

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
