// Cron expressions: a table of expressions with the next time each gives
// (month ends, leap years, names, steps, the day-of-month/day-of-week
// rule, UTC across the dates Europe changes its clocks), a table of bad
// expressions with the message each gives, and random expressions checked
// against a minute-by-minute search that reads the calendar from the C
// library instead of our own arithmetic.

#define BOOST_TEST_MODULE actors_cron_schedule
#include <boost/test/unit_test.hpp>

#include "actors/cron_schedule.hpp"
#include "actors/task_timing.hpp"

#include <ctime>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

/// "2026-12-01 12:00:30.5" (UTC) as a timestamp.
timestamp utc(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%d %H:%M:%S");
  BOOST_REQUIRE_MESSAGE(!in.fail(), "bad time in the test: " << text);
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto dot = text.find('.');
  if (dot != std::string::npos) {
    auto digits = text.substr(dot + 1) + "000000";
    t += std::chrono::microseconds{std::stol(digits.substr(0, 6))};
  }
  return std::chrono::time_point_cast<std::chrono::microseconds>(t);
}

std::string show(timestamp t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

cron_schedule parse(const std::string& text) {
  std::string error;
  auto s = cron_schedule::parse(text, error);
  BOOST_REQUIRE_MESSAGE(s, "'" << text << "' refused: " << error);
  return *s;
}

struct next_case {
  const char* expression;
  const char* after;
  const char* expected;
};

// Expected times checked by hand and by an independent search in Python's
// datetime.
const next_case next_cases[] = {
    {"* * * * *", "2026-12-01 12:00:00", "2026-12-01 12:01:00"},
    {"* * * * *", "2026-12-01 12:00:30.5", "2026-12-01 12:01:00"},
    {"0 * * * *", "2026-12-01 12:00:00", "2026-12-01 13:00:00"},
    {"*/15 * * * *", "2026-12-01 12:07:00", "2026-12-01 12:15:00"},
    {"*/15 * * * *", "2026-12-01 12:45:00", "2026-12-01 13:00:00"},
    {"1-30/5 * * * *", "2026-12-01 12:27:00", "2026-12-01 13:01:00"},
    {"5/20 * * * *", "2026-12-01 12:30:00", "2026-12-01 12:45:00"},
    {"*/7 * * * *", "2026-12-01 12:56:00", "2026-12-01 13:00:00"},
    {"0 */6 * * *", "2026-12-01 12:00:00", "2026-12-01 18:00:00"},
    // month ends
    {"0 0 1 * *", "2026-01-31 10:00:00", "2026-02-01 00:00:00"},
    {"0 0 31 * *", "2026-04-01 00:00:00", "2026-05-31 00:00:00"},
    {"0 0 28-31 * *", "2027-02-28 00:00:00", "2027-03-28 00:00:00"},
    {"0 0 29 * *", "2100-02-01 00:00:00", "2100-03-29 00:00:00"},
    {"15 14 1 * *", "2024-02-01 14:15:00", "2024-03-01 14:15:00"},
    // leap years (2100 is not one)
    {"0 0 29 2 *", "2026-03-01 00:00:00", "2028-02-29 00:00:00"},
    {"0 0 29 FEB *", "2096-03-01 00:00:00", "2104-02-29 00:00:00"},
    {"0 0 * 2 *", "2028-02-29 23:59:00", "2029-02-01 00:00:00"},
    // year ends
    {"0 0 1 1 *", "2026-12-31 23:59:59.999999", "2027-01-01 00:00:00"},
    {"59 23 31 12 *", "2026-12-31 23:59:00", "2027-12-31 23:59:00"},
    // days of the week: names, 0 and 7 both Sunday, ranges
    {"0 12 * * MON", "2026-12-01 12:00:00", "2026-12-07 12:00:00"},
    {"0 12 * * 0", "2026-12-01 12:00:00", "2026-12-06 12:00:00"},
    {"0 12 * * 7", "2026-12-01 12:00:00", "2026-12-06 12:00:00"},
    {"0 12 * * sun", "2026-12-01 12:00:00", "2026-12-06 12:00:00"},
    {"0 22 * * 1-5", "2026-12-04 23:00:00", "2026-12-07 22:00:00"},
    {"0,30 9-17 * * MON-FRI", "2026-12-04 17:30:00", "2026-12-07 09:00:00"},
    {"0 0 * * 5-7", "2026-12-07 00:00:00", "2026-12-11 00:00:00"},
    // both day fields restricted: either matches
    {"0 9 1 * MON", "2026-12-01 10:00:00", "2026-12-07 09:00:00"},
    {"0 9 1 * MON", "2026-12-28 10:00:00", "2027-01-01 09:00:00"},
    {"0 12 13 * FRI", "2026-12-05 00:00:00", "2026-12-11 12:00:00"},
    {"0 12 13 * FRI", "2026-12-11 13:00:00", "2026-12-13 12:00:00"},
    {"0 0 */10 * SAT", "2026-12-01 00:00:00", "2026-12-05 00:00:00"},
    {"0 0 29 2 MON", "2026-02-01 00:00:00", "2026-02-02 00:00:00"},
    {"0 0 1,15 * 3", "2026-12-02 00:00:00", "2026-12-09 00:00:00"},
    // month names and lists
    {"0 0 * JAN,JUL *", "2026-12-01 00:00:00", "2027-01-01 00:00:00"},
    {"0 0 1 jan-mar *", "2026-03-15 00:00:00", "2027-01-01 00:00:00"},
    // UTC: the nights Europe changes its clocks are ordinary nights
    {"30 2 * * *", "2026-03-29 01:00:00", "2026-03-29 02:30:00"},
    {"30 2 * * *", "2026-10-25 02:30:00", "2026-10-26 02:30:00"},
};

struct error_case {
  const char* expression;
  const char* message;
};

const error_case error_cases[] = {
    {"61 * * * *", "cron '61 * * * *': minute 61 is out of range 0-59"},
    {"* 24 * * *", "cron '* 24 * * *': hour 24 is out of range 0-23"},
    {"* * 0 * *", "cron '* * 0 * *': day-of-month 0 is out of range 1-31"},
    {"* * * 13 *", "cron '* * * 13 *': month 13 is out of range 1-12"},
    {"* * * * 8", "cron '* * * * 8': day-of-week 8 is out of range 0-7"},
    {"0-99999999999 * * * *",
     "cron '0-99999999999 * * * *': minute 99999999999 is out of range "
     "0-59"},
    {"* * * *", "cron '* * * *': expected 5 fields (minute hour "
                "day-of-month month day-of-week), got 4"},
    {"", "cron '': expected 5 fields (minute hour day-of-month month "
         "day-of-week), got 0"},
    {"@hourly", "cron '@hourly': expected 5 fields (minute hour "
                "day-of-month month day-of-week), got 1"},
    {"* * * * * *", "cron '* * * * * *': expected 5 fields (minute hour "
                    "day-of-month month day-of-week), got 6"},
    {"*/0 * * * *",
     "cron '*/0 * * * *': minute step 0 in '*/0' must be from 1 to 60"},
    {"*/61 * * * *",
     "cron '*/61 * * * *': minute step 61 in '*/61' must be from 1 to 60"},
    {"*/x * * * *",
     "cron '*/x * * * *': minute step 'x' in '*/x' is not a number"},
    {"/5 * * * *",
     "cron '/5 * * * *': minute '/5' needs a value or * before the /"},
    {"1-x * * * *", "cron '1-x * * * *': minute 'x' is not a number"},
    {"1- * * * *", "cron '1- * * * *': minute has a range with a missing end"},
    {"5,,10 * * * *", "cron '5,,10 * * * *': minute has an empty list item"},
    {"0 0 * FOO *", "cron '0 0 * FOO *': month 'FOO' is not a number or a "
                    "month name (JAN-DEC)"},
    {"0 0 * * MONDAY", "cron '0 0 * * MONDAY': day-of-week 'MONDAY' is not "
                       "a number or a day name (SUN-SAT)"},
    {"0 0 JAN * *", "cron '0 0 JAN * *': day-of-month 'JAN' is not a number"},
    {"0 0 * * FRI-SUN",
     "cron '0 0 * * FRI-SUN': day-of-week range FRI-SUN goes backwards; "
     "ranges cannot wrap around, so split it in two (e.g. 22-23,0-2)"},
    {"0 22-2 * * *", "cron '0 22-2 * * *': hour range 22-2 goes backwards; "
                     "ranges cannot wrap around, so split it in two (e.g. "
                     "22-23,0-2)"},
    {"0 0 30 FEB *",
     "cron '0 0 30 FEB *': day-of-month '30' never occurs in month 'FEB'"},
    {"0 0 31 4,6,9,11 *", "cron '0 0 31 4,6,9,11 *': day-of-month '31' never "
                          "occurs in month '4,6,9,11'"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(cron)

BOOST_AUTO_TEST_CASE(next_times_table) {
  for (const auto& c : next_cases) {
    BOOST_TEST_CONTEXT(c.expression << " after " << c.after) {
      auto s = parse(c.expression);
      auto next = s.next_after(utc(c.after));
      BOOST_REQUIRE(next.has_value());
      BOOST_TEST(show(*next) == c.expected);
      BOOST_TEST(s.matches(*next));
    }
  }
}

BOOST_AUTO_TEST_CASE(next_after_is_strictly_later) {
  auto s = parse("0 12 * * *");
  auto noon = utc("2026-12-01 12:00:00");
  BOOST_TEST(show(*s.next_after(noon)) == "2026-12-02 12:00:00");
  BOOST_TEST(show(*s.next_after(noon - 1us)) == "2026-12-01 12:00:00");
  BOOST_TEST(show(*s.next_after(noon + 59s)) == "2026-12-02 12:00:00");
}

BOOST_AUTO_TEST_CASE(bad_expressions_say_which_field_and_why) {
  for (const auto& c : error_cases) {
    BOOST_TEST_CONTEXT("'" << c.expression << "'") {
      std::string error;
      auto s = cron_schedule::parse(c.expression, error);
      BOOST_TEST(!s.has_value());
      BOOST_TEST(error == c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(names_and_numbers_mean_the_same) {
  auto t = utc("2026-12-01 00:00:00");
  for (int i = 0; i < 400; ++i, t += 23h + 7min) {
    BOOST_TEST(show(*parse("0 6 * JAN-MAR,DEC MON,WED").next_after(t)) ==
               show(*parse("0 6 * 1-3,12 1,3").next_after(t)));
    BOOST_TEST(show(*parse("0 6 * * sun").next_after(t)) ==
               show(*parse("0 6 * * 7").next_after(t)));
  }
}

// Random expressions written as plain value lists, so the search below
// knows each field's values without parsing; it reads the calendar with
// gmtime_r and tries every minute.
BOOST_AUTO_TEST_CASE(random_expressions_agree_with_a_minute_by_minute_search) {
  std::mt19937 rng{20261201};
  auto pick = [&](int lo, int hi, int max_count, bool& star) {
    std::set<int> values;
    star = std::uniform_int_distribution<int>{0, 2}(rng) == 0;
    if (star) {
      for (int v = lo; v <= hi; ++v)
        values.insert(v);
      return values;
    }
    int count = std::uniform_int_distribution<int>{1, max_count}(rng);
    for (int i = 0; i < count; ++i)
      values.insert(std::uniform_int_distribution<int>{lo, hi}(rng));
    return values;
  };
  auto render = [](const std::set<int>& values, bool star) {
    if (star)
      return std::string{"*"};
    std::string out;
    for (int v : values)
      out += (out.empty() ? "" : ",") + std::to_string(v);
    return out;
  };
  int checked = 0;
  for (int round = 0; round < 300; ++round) {
    bool star[5];
    auto minutes = pick(0, 59, 4, star[0]);
    auto hours = pick(0, 23, 3, star[1]);
    // Listed days stay within 1-28, so a match comes within two months.
    auto days = pick(1, 28, 3, star[2]);
    if (star[2])
      days.insert({29, 30, 31});
    auto months = std::set<int>{};
    star[3] = true;
    for (int m = 1; m <= 12; ++m)
      months.insert(m);
    auto weekdays = pick(0, 6, 3, star[4]);
    auto text = render(minutes, star[0]) + " " + render(hours, star[1]) + " " +
                render(days, star[2]) + " * " + render(weekdays, star[4]);
    auto start = utc("2026-01-01 00:00:00") +
                 std::chrono::minutes{std::uniform_int_distribution<int>{
                     0, 6 * 365 * 24 * 60}(rng)} +
                 37s;
    auto s = parse(text);
    auto next = s.next_after(start);
    BOOST_REQUIRE(next.has_value());
    // The search: every minute from the next whole one.
    auto t = std::chrono::time_point_cast<std::chrono::minutes>(start) + 1min;
    for (;; t += 1min) {
      auto secs = std::chrono::system_clock::to_time_t(t);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      bool day = days.count(tm.tm_mday) > 0;
      bool weekday = weekdays.count(tm.tm_wday) > 0;
      bool day_ok = !star[2] && !star[4] ? day || weekday : day && weekday;
      if (minutes.count(tm.tm_min) && hours.count(tm.tm_hour) &&
          months.count(tm.tm_mon + 1) && day_ok)
        break;
    }
    BOOST_TEST_CONTEXT(text << " after " << show(start)) {
      BOOST_TEST(show(*next) == show(t));
    }
    ++checked;
  }
  BOOST_TEST(checked == 300);
}

BOOST_AUTO_TEST_SUITE_END()

// When a task runs next: coalescing and phase, from its row alone.
BOOST_AUTO_TEST_SUITE(task_timing_rules)

persistence::task_record row(const std::string& schedule_type) {
  persistence::task_record r;
  r.id = 1;
  r.name = "t";
  r.task_type = "RACETIME_POLL_OPEN_ROOMS";
  r.schedule_type = schedule_type;
  return r;
}

BOOST_AUTO_TEST_CASE(interval_keeps_its_phase_and_coalesces_missed_runs) {
  auto r = row("INTERVAL");
  r.interval_seconds = 60;
  std::string error;
  auto timing = task_timing::of(r, error);
  BOOST_REQUIRE(timing);
  auto due = utc("2026-12-01 12:00:00");
  // On time, and a little late: the next run stays on the minute.
  BOOST_TEST(show(*timing->next_after_run(due, due)) == "2026-12-01 12:01:00");
  BOOST_TEST(show(*timing->next_after_run(due, due + 1500ms)) ==
             "2026-12-01 12:01:00");
  // Ten minutes missed: one run now, the next one after now.
  BOOST_TEST(show(*timing->next_after_run(due, due + 10min)) ==
             "2026-12-01 12:11:00");
  BOOST_TEST(show(*timing->next_after_run(due, due + 10min + 30s)) ==
             "2026-12-01 12:11:00");
  BOOST_TEST(show(timing->first_due(due)) == show(due));
}

BOOST_AUTO_TEST_CASE(cron_coalesces_to_its_next_time_after_now) {
  auto r = row("CRON");
  r.cron_expression = "0 * * * *";
  std::string error;
  auto timing = task_timing::of(r, error);
  BOOST_REQUIRE(timing);
  auto due = utc("2026-12-01 09:00:00");
  BOOST_TEST(show(*timing->next_after_run(due, utc("2026-12-01 12:34:56"))) ==
             "2026-12-01 13:00:00");
  BOOST_TEST(show(timing->first_due(utc("2026-12-01 12:34:56"))) ==
             "2026-12-01 13:00:00");
}

BOOST_AUTO_TEST_CASE(one_time_runs_once_at_run_at) {
  auto r = row("ONE_TIME");
  r.run_at = utc("2026-12-24 18:00:00");
  std::string error;
  auto timing = task_timing::of(r, error);
  BOOST_REQUIRE(timing);
  BOOST_TEST(timing->one_time());
  BOOST_TEST(show(timing->first_due(utc("2026-12-01 00:00:00"))) ==
             "2026-12-24 18:00:00");
  BOOST_TEST(!timing->next_after_run(*r.run_at, *r.run_at).has_value());
}

BOOST_AUTO_TEST_CASE(unusable_schedules_say_why) {
  struct {
    const char* type;
    std::optional<std::int32_t> interval;
    std::optional<std::string> cron;
    const char* message;
  } cases[] = {
      {"INTERVAL", std::nullopt, std::nullopt,
       "INTERVAL task needs interval_seconds of at least 1, got NULL"},
      {"INTERVAL", 0, std::nullopt,
       "INTERVAL task needs interval_seconds of at least 1, got 0"},
      {"CRON", std::nullopt, std::nullopt,
       "CRON task needs a cron_expression, got NULL"},
      {"CRON", std::nullopt, std::string{"61 * * * *"},
       "cron '61 * * * *': minute 61 is out of range 0-59"},
      {"ONE_TIME", std::nullopt, std::nullopt,
       "ONE_TIME task needs run_at, got NULL"},
      {"WEEKLY", std::nullopt, std::nullopt,
       "unknown schedule_type 'WEEKLY' (known: INTERVAL, CRON, ONE_TIME)"},
  };
  for (const auto& c : cases) {
    auto r = row(c.type);
    r.interval_seconds = c.interval;
    r.cron_expression = c.cron;
    std::string error;
    BOOST_TEST(!task_timing::of(r, error).has_value());
    BOOST_TEST(error == c.message);
  }
}

BOOST_AUTO_TEST_SUITE_END()
