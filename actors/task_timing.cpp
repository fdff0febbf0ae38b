#include "actors/task_timing.hpp"

namespace racecontrol {

std::optional<task_timing> task_timing::of(const persistence::task_record& row,
                                           std::string& error) {
  if (row.schedule_type == "INTERVAL") {
    if (!row.interval_seconds || *row.interval_seconds < 1) {
      error = "INTERVAL task needs interval_seconds of at least 1, got " +
              (row.interval_seconds ? std::to_string(*row.interval_seconds)
                                    : std::string{"NULL"});
      return std::nullopt;
    }
    task_timing t{kind::interval};
    t.interval_ = std::chrono::seconds{*row.interval_seconds};
    return t;
  }
  if (row.schedule_type == "CRON") {
    if (!row.cron_expression) {
      error = "CRON task needs a cron_expression, got NULL";
      return std::nullopt;
    }
    auto cron = cron_schedule::parse(*row.cron_expression, error);
    if (!cron)
      return std::nullopt;
    task_timing t{kind::cron};
    t.cron_ = std::move(cron);
    return t;
  }
  if (row.schedule_type == "ONE_TIME") {
    if (!row.run_at) {
      error = "ONE_TIME task needs run_at, got NULL";
      return std::nullopt;
    }
    task_timing t{kind::one_time};
    t.run_at_ = *row.run_at;
    return t;
  }
  error = "unknown schedule_type '" + row.schedule_type +
          "' (known: INTERVAL, CRON, ONE_TIME)";
  return std::nullopt;
}

timestamp task_timing::first_due(timestamp now) const {
  switch (kind_) {
    case kind::interval:
      return now;
    case kind::cron:
      // parse() refuses expressions without a next time.
      return cron_->next_after(now).value_or(now);
    case kind::one_time:
      return run_at_;
  }
  return now;
}

std::optional<timestamp> task_timing::next_after_run(timestamp due,
                                                     timestamp now) const {
  switch (kind_) {
    case kind::interval: {
      auto missed = now > due ? (now - due) / interval_ : 0;
      return due + (missed + 1) * interval_;
    }
    case kind::cron:
      return cron_->next_after(now);
    case kind::one_time:
      return std::nullopt;
  }
  return std::nullopt;
}

} // namespace racecontrol
