#pragma once

// What both fuzz targets need to decide how strict a round trip must be.

#include <cstddef>
#include <string_view>

namespace racecontrol::fuzz {

/// Whether every number in the input is one a double holds exactly (at
/// most 15 digits, no fraction or exponent). RapidJSON's default number
/// parsing is not correctly rounded, so other numbers may not survive an
/// exact serialize -> parse -> serialize round trip; the targets then only
/// check that nothing crashes.
inline bool exact_numbers(std::string_view s) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (++run > 15)
        return false;
    } else {
      if ((c == '.' || c == 'e' || c == 'E') && run > 0)
        return false;
      run = 0;
    }
  }
  return true;
}

} // namespace racecontrol::fuzz
