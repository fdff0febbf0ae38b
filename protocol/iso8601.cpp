#include "protocol/iso8601.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace racecontrol::protocol {

namespace {

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// Reads exactly `n` digits.
bool digits(std::string_view& s, size_t n, int& out) {
  if (s.size() < n)
    return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return false;
    out = out * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c)
    return false;
  s.remove_prefix(1);
  return true;
}

/// Reads ".ffffff" (1-9 digits) as microseconds; absent means zero.
bool fraction(std::string_view& s, std::int64_t& us) {
  us = 0;
  if (s.empty() || (s.front() != '.' && s.front() != ','))
    return true;
  s.remove_prefix(1);
  size_t n = 0;
  std::int64_t scale = 100000;
  while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
    if (n < 6) {
      us += (s.front() - '0') * scale;
      scale /= 10;
    }
    s.remove_prefix(1);
    if (++n > 9)
      return false;
  }
  return n > 0;
}

constexpr std::int64_t max_duration_us = 100LL * 366 * 86400 * 1'000'000;

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

} // namespace

std::optional<time_point> parse_iso8601_time(std::string_view s) {
  int year, month, day, hour, minute, second;
  std::int64_t us = 0;
  if (!digits(s, 4, year) || !expect(s, '-') || !digits(s, 2, month) ||
      !expect(s, '-') || !digits(s, 2, day) ||
      !(expect(s, 'T') || expect(s, ' ')) || !digits(s, 2, hour) ||
      !expect(s, ':') || !digits(s, 2, minute) || !expect(s, ':') ||
      !digits(s, 2, second) || !fraction(s, us))
    return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: it ends in 2262.
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 60)
    return std::nullopt; // 2026-02-31 is not March 3rd
  std::int64_t offset_minutes = 0;
  if (expect(s, 'Z')) {
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh, om;
    if (!digits(s, 2, oh) || !expect(s, ':') || !digits(s, 2, om) || oh > 23 ||
        om > 59)
      return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (!s.empty())
    return std::nullopt;
  std::int64_t secs = days_from_civil(year, static_cast<unsigned>(month),
                                      static_cast<unsigned>(day)) *
                          86400 +
                      hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return time_point{std::chrono::microseconds{secs * 1'000'000 + us}};
}

std::string format_iso8601_time(time_point t) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  std::int64_t secs = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
  std::int64_t frac = us - secs * 1'000'000;
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  std::int64_t rem = secs - days * 86400;
  // civil_from_days
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[48];
  int n = std::snprintf(
      buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
      static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
      static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  if (frac != 0)
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%03lld",
                  static_cast<long long>(frac / 1000));
  return std::string{buf} + "Z";
}

std::optional<std::chrono::microseconds>
parse_iso8601_duration(std::string_view s) {
  bool negative = expect(s, '-');
  if (!expect(s, 'P'))
    return std::nullopt;
  std::int64_t total = 0;
  bool in_time = false;
  bool any = false;
  char last_unit = 0;
  while (!s.empty()) {
    if (!in_time && expect(s, 'T')) {
      in_time = true;
      continue;
    }
    std::int64_t value = 0;
    size_t n = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
      if (++n > 9)
        return std::nullopt;
      value = value * 10 + (s.front() - '0');
      s.remove_prefix(1);
    }
    std::int64_t frac = 0;
    if (!s.empty() && (s.front() == '.' || s.front() == ',')) {
      if (!fraction(s, frac))
        return std::nullopt;
    }
    if (n == 0 || s.empty())
      return std::nullopt;
    char unit = s.front();
    s.remove_prefix(1);
    if (frac != 0 && unit != 'S')
      return std::nullopt;
    std::int64_t factor = 0;
    if (!in_time && unit == 'D')
      factor = 86400;
    else if (in_time && unit == 'H' && last_unit != 'M' && last_unit != 'S')
      factor = 3600;
    else if (in_time && unit == 'M' && last_unit != 'S')
      factor = 60;
    else if (in_time && unit == 'S')
      factor = 1;
    else
      return std::nullopt;
    if (value > max_duration_us / (factor * 1'000'000))
      return std::nullopt;
    total += value * factor * 1'000'000 + frac;
    // A century is far beyond any race; it keeps the sum in range.
    if (total > max_duration_us)
      return std::nullopt;
    last_unit = unit;
    any = true;
  }
  if (!any)
    return std::nullopt;
  return std::chrono::microseconds{negative ? -total : total};
}

std::string format_iso8601_duration(std::chrono::microseconds d) {
  auto us = d.count();
  std::string sign = us < 0 ? "-" : "";
  if (us < 0)
    us = -us;
  auto secs = us / 1'000'000;
  auto frac = us % 1'000'000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%sP%lldDT%02lldH%02lldM%02lld", sign.c_str(),
                static_cast<long long>(secs / 86400),
                static_cast<long long>(secs / 3600 % 24),
                static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  std::string out = buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out += buf;
  }
  return out + "S";
}

} // namespace racecontrol::protocol
