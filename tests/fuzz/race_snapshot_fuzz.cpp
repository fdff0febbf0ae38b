// libFuzzer target: the room watcher's decoder. Any input must be decoded
// or refused without crashing; whatever the full parser reads
// (race_data.hpp, server_messages.hpp), the decoder must read too, with the
// same value in every field the snapshot has. The decoder may refuse more:
// a version beyond 32 bits, a place beyond 32 bits, a NUL outside a string,
// nesting beyond 2^20 levels. And JSON the full parser finds malformed, the
// decoder refuses, in the same words when it names it malformed (it skips
// most of a frame, but must still read all of it).

#include "protocol/json.hpp"
#include "protocol/race_snapshot.hpp"
#include "protocol/server_messages.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>

namespace {

using namespace racecontrol::protocol;

/// Deeper than this, the full parser's raw copies (to_json) recurse past
/// the stack; it is not held to anything then.
bool shallow(std::string_view s) {
  int depth = 0;
  for (char c : s) {
    if (c == '[' || c == '{')
      ++depth;
    else if (c == ']' || c == '}')
      --depth;
    if (depth > 500)
      return false;
  }
  return true;
}

/// Whether the snapshot can hold what the full parser read.
bool fits(const race_data& r) {
  if (r.version < 0 || r.version > std::numeric_limits<std::uint32_t>::max())
    return false;
  return std::all_of(r.entrants.begin(), r.entrants.end(), [](const auto& e) {
    return !e.place || (*e.place >= std::numeric_limits<std::int32_t>::min() &&
                        *e.place <= std::numeric_limits<std::int32_t>::max());
  });
}

std::optional<std::int64_t> micros(const std::optional<time_point>& t) {
  if (!t)
    return std::nullopt;
  return std::chrono::duration_cast<std::chrono::microseconds>(
             t->time_since_epoch())
      .count();
}

void require_agree(const race_snapshot& s, const race_data& r) {
  bool same =
      s.name == r.name && s.version == r.version &&
      s.status == r.status_info.value && s.opened_at == micros(r.opened_at) &&
      s.started_at == micros(r.started_at) &&
      s.ended_at == micros(r.ended_at) &&
      s.cancelled_at == micros(r.cancelled_at) && s.goal == r.goal.name &&
      s.info_bot == r.info_bot && s.entrants.size() == r.entrants.size();
  for (std::size_t i = 0; same && i < s.entrants.size(); ++i) {
    const auto& a = s.entrants[i];
    const auto& b = r.entrants[i];
    same = a.user_id == b.user.id && a.user_name == b.user.full_name &&
           a.status == b.status_info.value &&
           a.place.has_value() == b.place.has_value() &&
           (!a.place || *a.place == *b.place) && a.finish_time == b.finish_time;
  }
  if (!same)
    std::abort();
}

/// The full parser's error for the JSON text alone, or "" when it reads it.
std::string json_error_of(std::string_view input) {
  try {
    parse_json(input);
  } catch (const json_error& e) {
    return e.what();
  }
  return "";
}

/// An error that names the JSON malformed is the full parser's, word for
/// word. (Another error may come first in malformed JSON: a member of the
/// wrong type before what is malformed, say.)
void require_same_malformed(std::string_view error,
                            const std::string& full_error) {
  const bool malformed = error.rfind("malformed JSON", 0) == 0;
  if (malformed && error != full_error)
    std::abort();
}

frame_kind kind_of(const std::string& type) {
  if (type == "race.data")
    return frame_kind::race_data;
  if (type == "race.renders")
    return frame_kind::race_renders;
  if (type == "chat.message")
    return frame_kind::chat_message;
  if (type == "chat.history")
    return frame_kind::chat_history;
  if (type == "chat.dm")
    return frame_kind::chat_dm;
  if (type == "chat.pin")
    return frame_kind::chat_pin;
  if (type == "chat.unpin")
    return frame_kind::chat_unpin;
  if (type == "error")
    return frame_kind::error;
  if (type == "pong")
    return frame_kind::pong;
  return frame_kind::other;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto kind = classify_frame(input);
  auto frame = decode_race_frame(input);
  auto document = decode_race_document(input);
  if (frame && (!kind || *kind != frame_kind::race_data))
    std::abort(); // a decoded frame is a race.data frame
  if (input.find('\0') != std::string_view::npos)
    return 0;
  const auto full_error = json_error_of(input);
  if (!full_error.empty() && (frame || document))
    std::abort(); // malformed JSON decoded
  if (!frame)
    require_same_malformed(frame.error().what(), full_error);
  if (!document)
    require_same_malformed(document.error().what(), full_error);
  if (!kind)
    require_same_malformed(kind.error().what(), full_error);
  if (!shallow(input))
    return 0;
  if (auto msg = parse_server_message(input)) {
    if (!kind || *kind != kind_of(msg->type))
      std::abort();
    if (auto* d = std::get_if<race_data_message>(&msg->body);
        d && fits(d->race)) {
      if (!frame)
        std::abort();
      require_agree(*frame, d->race);
    }
  }
  if (auto race = parse_race_data(input); race && fits(*race)) {
    if (!document)
      std::abort();
    require_agree(*document, *race);
  }
  return 0;
}
