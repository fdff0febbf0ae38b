#include "actors/cron_schedule.hpp"

#include <cctype>
#include <cstdint>
#include <vector>

namespace racecontrol {

namespace {

const char* const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const weekday_names[] = {"SUN", "MON", "TUE", "WED",
                                     "THU", "FRI", "SAT"};

/// One of the five fields: its name in messages, its range, and the names
/// it accepts (names[i] is the value names_base + i).
struct field_spec {
  const char* name;
  unsigned min;
  unsigned max;
  const char* const* names = nullptr;
  unsigned names_base = 0;
  unsigned names_count = 0;
  const char* names_hint = "";
};

const field_spec minute_field{"minute", 0, 59};
const field_spec hour_field{"hour", 0, 23};
const field_spec day_field{"day-of-month", 1, 31};
const field_spec month_field{
    "month", 1, 12, month_names, 1, 12, "a month name (JAN-DEC)"};
// 7 is Sunday as well as 0; the caller folds it.
const field_spec weekday_field{"day-of-week",         0, 7, weekday_names, 0, 7,
                               "a day name (SUN-SAT)"};

std::string upper(std::string_view s) {
  std::string out;
  for (char c : s)
    out.push_back(
        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

/// A number or a name of the field; nullopt with `error` set otherwise.
std::optional<unsigned> parse_value(std::string_view token, const field_spec& f,
                                    std::string& error) {
  if (token.empty()) {
    error = std::string{f.name} + " has a range with a missing end";
    return std::nullopt;
  }
  bool digits = true;
  for (char c : token)
    digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    // More digits than any field needs is out of range, not an overflow.
    unsigned long value = 0;
    for (char c : token)
      value =
          value > 1000 ? value : value * 10 + static_cast<unsigned>(c - '0');
    if (value < f.min || value > f.max) {
      error = std::string{f.name} + " " + std::string{token} +
              " is out of range " + std::to_string(f.min) + "-" +
              std::to_string(f.max);
      return std::nullopt;
    }
    return static_cast<unsigned>(value);
  }
  auto name = upper(token);
  for (unsigned i = 0; i < f.names_count; ++i)
    if (name == f.names[i])
      return f.names_base + i;
  error = std::string{f.name} + " '" + std::string{token} +
          "' is not a number" +
          (f.names != nullptr ? std::string{" or "} + f.names_hint : "");
  return std::nullopt;
}

/// Sets the values of one list item (`*`, `a`, `a-b`, with `/step`).
bool parse_item(std::string_view item, const field_spec& f,
                std::vector<bool>& values, std::string& error) {
  if (item.empty()) {
    error = std::string{f.name} + " has an empty list item";
    return false;
  }
  auto slash = item.find('/');
  std::string_view base = item.substr(0, slash);
  unsigned step = 1;
  if (slash != std::string_view::npos) {
    auto step_text = item.substr(slash + 1);
    bool digits = !step_text.empty() && step_text.size() <= 3;
    for (char c : step_text)
      digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits) {
      error = std::string{f.name} + " step '" + std::string{step_text} +
              "' in '" + std::string{item} + "' is not a number";
      return false;
    }
    step = static_cast<unsigned>(std::stoul(std::string{step_text}));
    if (step == 0 || step > f.max - f.min + 1) {
      error = std::string{f.name} + " step " + std::string{step_text} +
              " in '" + std::string{item} + "' must be from 1 to " +
              std::to_string(f.max - f.min + 1);
      return false;
    }
    if (base.empty()) {
      error = std::string{f.name} + " '" + std::string{item} +
              "' needs a value or * before the /";
      return false;
    }
  }
  unsigned lo = f.min;
  unsigned hi = f.max;
  if (base != "*") {
    auto dash = base.find('-');
    auto first = parse_value(base.substr(0, dash), f, error);
    if (!first)
      return false;
    lo = *first;
    // A single value with a step runs to the field's end (`5/20`).
    hi = slash != std::string_view::npos ? f.max : lo;
    if (dash != std::string_view::npos) {
      auto last = parse_value(base.substr(dash + 1), f, error);
      if (!last)
        return false;
      hi = *last;
      if (lo > hi) {
        error = std::string{f.name} + " range " + std::string{base} +
                " goes backwards; ranges cannot wrap around, so split it "
                "in two (e.g. 22-23,0-2)";
        return false;
      }
    }
  }
  for (unsigned v = lo; v <= hi; v += step)
    values[v] = true;
  return true;
}

/// All values of one field; false with `error` set when it is malformed.
bool parse_field(std::string_view text, const field_spec& f,
                 std::vector<bool>& values, std::string& error) {
  values.assign(f.max + 1, false);
  std::size_t start = 0;
  for (;;) {
    auto comma = text.find(',', start);
    if (!parse_item(text.substr(start, comma - start), f, values, error))
      return false;
    if (comma == std::string_view::npos)
      return true;
    start = comma + 1;
  }
}

template <std::size_t N>
std::bitset<N> to_bits(const std::vector<bool>& values) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < values.size() && i < N; ++i)
    out[i] = values[i];
  return out;
}

// Calendar arithmetic on days since 1970-01-01 (Howard Hinnant's
// algorithms), proleptic Gregorian, so leap years come out right.

struct civil_date {
  std::int64_t year;
  unsigned month; ///< 1-12
  unsigned day;   ///< 1-31
};

civil_date civil_from_days(std::int64_t z) {
  z += 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {m <= 2 ? y + 1 : y, m, d};
}

/// 0 is Sunday; 1970-01-01 was a Thursday.
unsigned weekday_of(std::int64_t days) {
  auto r = (days + 4) % 7;
  return static_cast<unsigned>(r < 0 ? r + 7 : r);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

constexpr std::int64_t minutes_per_day = 24 * 60;

std::int64_t minutes_since_epoch(timestamp t) {
  using namespace std::chrono;
  return floor_div(duration_cast<microseconds>(t.time_since_epoch()).count(),
                   60'000'000);
}

timestamp from_minutes(std::int64_t minutes) {
  return timestamp{std::chrono::minutes{minutes}};
}

/// The longest month has these days; February may have 29.
constexpr unsigned max_days_in_month[13] = {0,  31, 29, 31, 30, 31, 30,
                                            31, 31, 30, 31, 30, 31};

} // namespace

std::optional<cron_schedule> cron_schedule::parse(std::string_view text,
                                                  std::string& error) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    auto start = i;
    while (i < text.size() &&
           !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i > start)
      parts.push_back(text.substr(start, i - start));
  }
  auto fail = [&](const std::string& why) -> std::optional<cron_schedule> {
    error = "cron '" + std::string{text} + "': " + why;
    return std::nullopt;
  };
  if (parts.size() != 5)
    return fail("expected 5 fields (minute hour day-of-month month "
                "day-of-week), got " +
                std::to_string(parts.size()));
  const field_spec* specs[] = {&minute_field, &hour_field, &day_field,
                               &month_field, &weekday_field};
  std::vector<bool> values[5];
  for (int f = 0; f < 5; ++f) {
    std::string why;
    if (!parse_field(parts[f], *specs[f], values[f], why))
      return fail(why);
  }
  cron_schedule s;
  s.text_ = std::string{text};
  s.minutes_ = to_bits<60>(values[0]);
  s.hours_ = to_bits<24>(values[1]);
  s.days_ = to_bits<32>(values[2]);
  s.months_ = to_bits<13>(values[3]);
  s.weekdays_ = to_bits<7>(values[4]);
  if (values[4][7])
    s.weekdays_[0] = true;
  s.days_restricted_ = parts[2] != "*";
  s.weekdays_restricted_ = parts[4] != "*";
  // Only a day-of-month that counts alone can be impossible (30 FEB);
  // with a restricted day-of-week, those weekdays still match.
  if (s.days_restricted_ && !s.weekdays_restricted_) {
    bool possible = false;
    for (unsigned m = 1; m <= 12; ++m)
      for (unsigned d = 1; d <= max_days_in_month[m]; ++d)
        possible = possible || (s.months_[m] && s.days_[d]);
    if (!possible)
      return fail("day-of-month '" + std::string{parts[2]} +
                  "' never occurs in month '" + std::string{parts[3]} + "'");
  }
  return s;
}

bool cron_schedule::day_matches(unsigned day_of_month, unsigned weekday) const {
  bool day = days_[day_of_month];
  bool weekday_hit = weekdays_[weekday];
  if (days_restricted_ && weekdays_restricted_)
    return day || weekday_hit;
  return day && weekday_hit;
}

bool cron_schedule::matches(timestamp t) const {
  auto minutes = minutes_since_epoch(t);
  auto days = floor_div(minutes, minutes_per_day);
  auto minute_of_day = static_cast<unsigned>(minutes - days * minutes_per_day);
  auto date = civil_from_days(days);
  return months_[date.month] && day_matches(date.day, weekday_of(days)) &&
         hours_[minute_of_day / 60] && minutes_[minute_of_day % 60];
}

std::optional<timestamp> cron_schedule::next_after(timestamp t) const {
  auto first = minutes_since_epoch(t) + 1;
  auto first_day = floor_div(first, minutes_per_day);
  auto first_minute =
      static_cast<unsigned>(first - first_day * minutes_per_day);
  // 29 February with any weekday recurs within 8 years; 30 is ample.
  constexpr std::int64_t horizon_days = 30 * 366;
  for (auto day = first_day; day < first_day + horizon_days; ++day) {
    auto date = civil_from_days(day);
    if (!months_[date.month] || !day_matches(date.day, weekday_of(day)))
      continue;
    unsigned from = day == first_day ? first_minute : 0;
    for (unsigned h = from / 60; h < 24; ++h) {
      if (!hours_[h])
        continue;
      for (unsigned m = h == from / 60 ? from % 60 : 0; m < 60; ++m)
        if (minutes_[m])
          return from_minutes(day * minutes_per_day + h * 60 + m);
    }
  }
  return std::nullopt;
}

} // namespace racecontrol
