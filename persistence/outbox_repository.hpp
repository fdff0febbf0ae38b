#pragma once

// The Discord outbox as the notifier works it: the oldest waiting
// notification of each channel (so a channel's messages go out in order),
// and what became of each attempt. One transaction per call.

#include "persistence/runtime_records.hpp"

#include <odb/mysql/database.hxx>

#include <vector>

namespace racecontrol::persistence {

class outbox_repository {
 public:
  explicit outbox_repository(odb::mysql::database& db) : db_(db) {}

  /// For each channel with waiting notifications, its oldest one, when its
  /// next attempt is due; channels oldest first, at most `limit`.
  std::vector<outbox_item> due(std::size_t limit = 100);

  /// Delivered: the message id kept. Retry: the next attempt scheduled
  /// after retry_after_ms, the error kept. Failed: given up, with an audit
  /// entry (discord_delivery_failed), so the channel's next one can go.
  void record(const outbox_result& r);

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
