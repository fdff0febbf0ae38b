#pragma once

// Which race.data to apply. racetime.gg broadcasts a race from two processes
// (the web server and the racebot), so on one socket version N+1 can arrive
// before version N (racetime-protocol.md §7: in every full race `finished`
// came about 200 ms before the older `in_progress`). A consumer applies a
// race.data only when its version is newer than the last one it applied;
// this object keeps that number for one room.
//
//   race_version_gate gate;
//   if (auto* d = std::get_if<race_data_message>(&msg.body);
//       d && gate.admit(*d))
//     apply(d->race);

#include "protocol/server_messages.hpp"

#include <cstdint>
#include <optional>

namespace racecontrol::protocol {

class race_version_gate {
 public:
  /// True when `version` is newer than every version admitted so far, and
  /// remembers it; false for an older or repeated one (drop that frame).
  bool admit(std::int64_t version) noexcept;

  /// The message's `version`, or its race's when the message has none.
  bool admit(const race_data_message& message) noexcept;

  /// The last version admitted; nullopt before the first.
  std::optional<std::int64_t> last() const noexcept { return last_; }

  /// Forgets everything (the gate then admits any version): only for a
  /// different room. A reconnect to the same room keeps the gate, since the
  /// race.data sent on connect is never older than what was applied.
  void reset() noexcept { last_.reset(); }

 private:
  std::optional<std::int64_t> last_;
};

} // namespace racecontrol::protocol
