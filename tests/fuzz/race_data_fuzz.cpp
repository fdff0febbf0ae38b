// libFuzzer target: race and category documents. Any input must be parsed
// or refused without crashing; what parses must survive serialize → parse
// with an identical serialization.

#include "protocol/race_data.hpp"

#include "tests/fuzz/exact_numbers.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  using namespace racecontrol::protocol;
  const bool exact = racecontrol::fuzz::exact_numbers(input);
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
