#pragma once

// The time formats racetime.gg puts in its JSON: Django's ISO-8601 datetimes
// ("2026-11-22T01:40:54.396Z", "2026-11-22T01:44:16.149828+00:00") and
// durations ("P0DT00H00M06.298342S").

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace racecontrol::protocol {

using time_point = std::chrono::system_clock::time_point;

/// Parses an ISO-8601 date-time with a `Z` or `±HH:MM` offset and up to
/// nine fraction digits (kept to microseconds).
std::optional<time_point> parse_iso8601_time(std::string_view text);

/// Formats as Django does: "2026-11-22T01:40:54.396Z" (milliseconds, or
/// none when the fraction is zero).
std::string format_iso8601_time(time_point t);

/// Parses an ISO-8601 duration of days, hours, minutes and seconds
/// ("P1DT00H00M00S", "PT15S", "-P0DT00H00M01.5S").
std::optional<std::chrono::microseconds>
parse_iso8601_duration(std::string_view text);

/// Formats as Django's duration_iso_string: "P0DT00H00M06.298342S".
std::string format_iso8601_duration(std::chrono::microseconds d);

} // namespace racecontrol::protocol
