// libFuzzer target: race and category documents. Any input must be parsed
// or refused without crashing; what parses must survive serialize → parse
// with an identical serialization.

#include "protocol/race_data.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

/// Whether every number in the input is one a double holds exactly (at
/// most 15 digits, no fraction or exponent). RapidJSON's default number
/// parsing is not correctly rounded, so other numbers may not survive an
/// exact serialize -> parse -> serialize round trip; the target then only
/// checks that nothing crashes.
bool exact_numbers(std::string_view s) {
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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  using namespace racecontrol::protocol;
  const bool exact = exact_numbers(input);
  if (auto race = parse_race_data(input)) {
    auto text = serialize(*race);
    auto again = parse_race_data(text);
    if (!again || (exact && serialize(*again) != text))
      std::abort();
  }
  if (auto category = parse_category_data(input)) {
    auto text = serialize(*category);
    auto again = parse_category_data(text);
    if (!again || (exact && serialize(*again) != text))
      std::abort();
  }
  return 0;
}
