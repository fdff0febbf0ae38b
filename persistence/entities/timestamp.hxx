#pragma once

// Time values as the entities store them. Kept C++14-clean: the ODB compiler
// reads every model header in C++14 mode.

#include <chrono>

namespace racecontrol {

/// A point in time, UTC, stored as DATETIME(6) (microsecond precision).
using timestamp = std::chrono::system_clock::time_point;

/// A race time such as a finish time, stored as TIME(6).
using race_duration = std::chrono::microseconds;

/// The current time at the precision the database keeps, so a value read back
/// compares equal to the value written.
inline timestamp now_us() {
  using namespace std::chrono;
  return timestamp{
      duration_cast<microseconds>(system_clock::now().time_since_epoch())};
}

} // namespace racecontrol

#pragma db value(racecontrol::timestamp) type("DATETIME(6)")
#pragma db value(racecontrol::race_duration) type("TIME(6)")
