#include "persistence/entities/mysql_value_traits.hxx"

#include <cstdint>

// Civil-date arithmetic after Howard Hinnant's public-domain algorithms, so
// conversions never depend on the process time zone (timegm is not portable
// and mktime is local time).

namespace racecontrol::detail {

namespace {

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr std::int64_t us_per_second = 1'000'000;
constexpr std::int64_t us_per_day = 86'400 * us_per_second;

} // namespace

void to_mysql_time(MYSQL_TIME& out, timestamp value) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(value.time_since_epoch()).count();
  auto days = us / us_per_day;
  auto rem = us % us_per_day;
  if (rem < 0) {
    rem += us_per_day;
    --days;
  }
  auto date = civil_from_days(days);
  out = MYSQL_TIME{};
  out.year = static_cast<unsigned>(date.year);
  out.month = date.month;
  out.day = date.day;
  auto seconds = rem / us_per_second;
  out.hour = static_cast<unsigned>(seconds / 3600);
  out.minute = static_cast<unsigned>(seconds / 60 % 60);
  out.second = static_cast<unsigned>(seconds % 60);
  out.second_part = static_cast<unsigned long>(rem % us_per_second);
  out.time_type = MYSQL_TIMESTAMP_DATETIME;
}

timestamp from_mysql_time(const MYSQL_TIME& in) {
  auto days = days_from_civil(in.year, in.month, in.day);
  std::int64_t us =
      days * us_per_day +
      (static_cast<std::int64_t>(in.hour) * 3600 + in.minute * 60 + in.second) *
          us_per_second +
      static_cast<std::int64_t>(in.second_part);
  return timestamp{std::chrono::microseconds{us}};
}

void to_mysql_time(MYSQL_TIME& out, race_duration value) {
  auto us = value.count();
  out = MYSQL_TIME{};
  out.neg = us < 0;
  if (us < 0)
    us = -us;
  auto seconds = us / us_per_second;
  out.hour = static_cast<unsigned>(seconds / 3600);
  out.minute = static_cast<unsigned>(seconds / 60 % 60);
  out.second = static_cast<unsigned>(seconds % 60);
  out.second_part = static_cast<unsigned long>(us % us_per_second);
  out.time_type = MYSQL_TIMESTAMP_TIME;
}

race_duration duration_from_mysql_time(const MYSQL_TIME& in) {
  // TIME values over 24 h come back with hour > 23 (and day = 0).
  std::int64_t seconds = static_cast<std::int64_t>(in.day) * 86400 +
                         static_cast<std::int64_t>(in.hour) * 3600 +
                         in.minute * 60 + in.second;
  std::int64_t us =
      seconds * us_per_second + static_cast<std::int64_t>(in.second_part);
  return race_duration{in.neg ? -us : us};
}

} // namespace racecontrol::detail
