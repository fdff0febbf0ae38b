// libFuzzer target: WebSocket frames both ways, server messages as the bot
// reads them and bot actions as the client reads its own frames back (the
// simulator has its own reader now). Same properties as race_data_fuzz: no
// crash, and stable round trips.

#include "protocol/bot_actions.hpp"
#include "protocol/json.hpp"
#include "protocol/server_messages.hpp"

#include "tests/fuzz/exact_numbers.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  using namespace racecontrol::protocol;
  const bool exact = racecontrol::fuzz::exact_numbers(input);
  if (auto msg = parse_server_message(input)) {
    if (!std::holds_alternative<unknown_message>(msg->body)) {
      auto date = msg->date.value_or(time_point{});
      auto text = serialize(msg->body, date);
      auto again = parse_server_message(text);
      if (!again || (exact && serialize(again->body, date) != text))
        std::abort();
    }
  }
  if (auto action = parse_bot_action(input)) {
    std::string text;
    try {
      text = serialize(*action);
    } catch (const json_error&) {
      return 0; // not sendable (setmeta data not an object, setinfo "")
    }
    auto again = parse_bot_action(text);
    if (!again || (exact && serialize(*again) != text))
      std::abort();
  }
  return 0;
}
