#pragma once

// When a scheduled task runs, decided from its row alone: plain functions
// the scheduler acts on (and tests check without actors).

#include "actors/cron_schedule.hpp"

#include "persistence/runtime_records.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace racecontrol {

/// A task's schedule, checked: INTERVAL every n seconds, CRON by a cron
/// expression (UTC), or ONE_TIME at run_at.
class task_timing {
 public:
  /// The row's schedule, or nullopt with `error` saying why it cannot be
  /// used: "INTERVAL task needs interval_seconds of at least 1, got NULL",
  /// "cron '61 * * * *': minute 61 is out of range 0-59", ...
  static std::optional<task_timing> of(const persistence::task_record& row,
                                       std::string& error);

  bool one_time() const { return kind_ == kind::one_time; }

  /// When a task that was never scheduled (next_run_at NULL) is first due:
  /// an INTERVAL task at once, a CRON task at its next time after `now`, a
  /// ONE_TIME task at run_at (at once when that has passed).
  timestamp first_due(timestamp now) const;

  /// next_run_at for a run that was due at `due` and starts at `now`: the
  /// first time strictly after `now`, so that runs missed meanwhile (the
  /// daemon was down) coalesce into the one starting now. An INTERVAL keeps
  /// its phase (due + k * interval), so a late start does not shift later
  /// runs. nullopt for ONE_TIME (its only run) and for a cron expression
  /// with no time left (parse refuses those).
  std::optional<timestamp> next_after_run(timestamp due, timestamp now) const;

 private:
  enum class kind { interval, cron, one_time };

  task_timing(kind k) : kind_(k) {}

  kind kind_;
  std::chrono::seconds interval_{0};
  std::optional<cron_schedule> cron_;
  timestamp run_at_;
};

} // namespace racecontrol
