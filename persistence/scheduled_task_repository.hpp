#pragma once

// What the scheduler reads from and writes to `scheduled_tasks`. One
// transaction per call; each call writes only the columns its step owns:
//
//   schedule  next_run_at of a task never scheduled
//   claim     next_run_at (advanced past now), run_started_at, run_owner,
//             is_active = 0 for a ONE_TIME task -- all before the run starts
//   finish    last_run_at, last_run_status, last_run_error; clears the
//             run marker
//   invalid   last_run_status = failed, last_run_error, next_run_at = NULL
//
// Every write is conditional on what the scheduler last saw (next_run_at,
// the run marker), so two schedulers, or a restarted one, never both run
// the same occurrence and a late result never overwrites a newer one.

#include "persistence/runtime_records.hpp"

#include <odb/mysql/database.hxx>

#include <vector>

namespace racecontrol::persistence {

class scheduled_task_repository {
 public:
  explicit scheduled_task_repository(odb::mysql::database& db) : db_(db) {}

  /// Active tasks, and inactive ones whose run marker is set (a ONE_TIME
  /// run in flight, or one interrupted), by id.
  std::vector<task_record> tasks_to_schedule();

  /// Sets next_run_at when the task is active and its next_run_at is still
  /// the expected one; false when the row changed (or is gone).
  bool schedule(const task_schedule& s);

  /// Claims a run before it starts (see task_claim). `changed` when the
  /// task is gone, inactive or its next_run_at is not the expected one;
  /// `busy` when a run marker is set (another run is in flight, or one was
  /// interrupted and has not been recorded yet).
  claim_outcome claim(const task_claim& c);

  /// Records a run's result and clears its marker, if the marker is still
  /// this run's; false (nothing written) when it is not.
  bool finish(const task_finish& f);

  /// Records that the task's schedule cannot be used (see task_invalid).
  void record_invalid(const task_invalid& x);

  /// The rows matching `where` (an SQL condition on scheduled_tasks), in
  /// the caller's transaction; `rest` follows the condition (ORDER BY ...).
  static std::vector<task_record> select_in(odb::mysql::connection& conn,
                                            const std::string& where,
                                            const std::string& rest = "");

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
