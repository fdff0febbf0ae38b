#pragma once

// A cron expression (5 fields, UTC) and when it next matches. Plain C++, no
// CAF: the scheduler decides with it, and the table test checks it alone.
// It lives next to the scheduler (actors/) because the scheduler is its one
// user; nothing in it depends on actors.

#include "persistence/entities/timestamp.hxx"

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace racecontrol {

/// `minute hour day-of-month month day-of-week`, evaluated in UTC (no
/// daylight saving, so no hour is skipped or repeated). Each field is `*`
/// or a comma-separated list of values, ranges `a-b` and steps (`*/15`,
/// `1-30/5`, `5/20` meaning `5-<max>/20`). Months may be written JAN-DEC,
/// days of the week SUN-SAT (case does not matter); 0 and 7 are both
/// Sunday.
///
/// When both day-of-month and day-of-week are restricted (anything but a
/// bare `*`), a day matches if either matches (`0 12 1 * MON`: the 1st and
/// every Monday); when one is `*`, only the other counts. Unlike cronie,
/// `*/2` counts as restricted, as POSIX reads.
class cron_schedule {
 public:
  /// The schedule, or nullopt with `error` saying which field is wrong and
  /// how: "cron '61 * * * *': minute 61 is out of range 0-59". Expressions
  /// that can never match (`0 0 30 FEB *`) are refused too.
  static std::optional<cron_schedule> parse(std::string_view text,
                                            std::string& error);

  /// The first whole minute strictly after `t` that matches. nullopt only
  /// if none falls within the next 30 years, which parse() rules out.
  std::optional<timestamp> next_after(timestamp t) const;

  /// Whether the minute that holds `t` matches.
  bool matches(timestamp t) const;

  /// The expression as given.
  const std::string& text() const { return text_; }

 private:
  cron_schedule() = default;

  bool day_matches(unsigned day_of_month, unsigned weekday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    ///< 1-31
  std::bitset<13> months_;  ///< 1-12
  std::bitset<7> weekdays_; ///< 0 (Sunday) - 6
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

} // namespace racecontrol
