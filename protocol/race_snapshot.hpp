#pragma once

// What a room watcher needs of a race, and nothing more: decoded straight
// from a `race.data` frame (or a `/{category}/{race}/data` document) by a
// scanner that decodes the members a room keeps and skips the rest (still
// checking that it is well-formed JSON), without building a document tree.
// The full model in race_data.hpp stays for tools and tests; a room keeps
// only this.

#include "protocol/expected.hpp"
#include "protocol/json_error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::protocol {

/// One entrant as a watcher sees it.
struct entrant_snapshot {
  std::string user_id;   ///< racetime.gg hash id
  std::string user_name; ///< `full_name`, for chat answers
  std::string status;    ///< entrant status value: requested, ..., done
  std::optional<std::int32_t> place;
  std::optional<std::chrono::microseconds> finish_time;
};

/// A race as a watcher sees it.
struct race_snapshot {
  std::string name; ///< "category/slug"
  std::uint32_t version = 0;
  std::string status; ///< race status value: open, ..., finished, cancelled
  /// Times as microseconds since the epoch (UTC), when set.
  std::optional<std::int64_t> opened_at;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> ended_at;
  std::optional<std::int64_t> cancelled_at;
  std::string goal; ///< goal.name
  std::string info_bot;
  std::vector<entrant_snapshot> entrants; ///< in the server's order
};

inline bool operator==(const entrant_snapshot& a, const entrant_snapshot& b) {
  return a.user_id == b.user_id && a.user_name == b.user_name &&
         a.status == b.status && a.place == b.place &&
         a.finish_time == b.finish_time;
}

inline bool operator==(const race_snapshot& a, const race_snapshot& b) {
  return a.name == b.name && a.version == b.version && a.status == b.status &&
         a.opened_at == b.opened_at && a.started_at == b.started_at &&
         a.ended_at == b.ended_at && a.cancelled_at == b.cancelled_at &&
         a.goal == b.goal && a.info_bot == b.info_bot &&
         a.entrants == b.entrants;
}

/// The kind of a server frame on a bot socket, read from its "type".
enum class frame_kind {
  race_data,
  race_renders,
  chat_message,
  chat_history,
  chat_dm,
  chat_pin,
  chat_unpin,
  error,
  pong,
  other, ///< any other or unknown type; safe to ignore
};

/// The frame's kind, looking at no more of it than needed. A frame that is
/// not a JSON object with a string "type" is an error.
expected<frame_kind, json_error> classify_frame(std::string_view frame);

/// Decodes a `race.data` frame (`{"type": "race.data", "race": {...},
/// ...}`). Unknown fields are skipped; a missing or mistyped field the
/// snapshot needs is an error naming it (`race.entrants[2].status.value`).
expected<race_snapshot, json_error> decode_race_frame(std::string_view frame);

/// The same into an existing snapshot, reusing its strings' and entrants'
/// memory: a room that decodes every frame into one scratch snapshot (and
/// swaps it with the one it keeps) allocates nothing per frame. On an
/// error `into` holds part of the frame: do not use it.
std::optional<json_error> decode_race_frame(std::string_view frame,
                                            race_snapshot& into);

/// Decodes a race document as `/{category}/{race}/data` returns it.
expected<race_snapshot, json_error>
decode_race_document(std::string_view document);

} // namespace racecontrol::protocol
