#pragma once

// The Discord notifier: delivers the outbox (issue 11, point 7). See
// discord_notifier_actor in interfaces.hpp.

#include "actors/interfaces.hpp"
#include "protocol/backoff.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <set>

namespace racecontrol {

/// Posts one notification and calls back with what became of it, on any
/// thread (the daemon's sender renders it and posts it with
/// protocol::discord_api on the io_context; it never blocks).
using discord_sender = std::function<void(
    const outbox_item&, std::function<void(outbox_result)> done)>;

struct discord_notifier_options {
  /// How often the outbox is read when nobody says it changed.
  std::chrono::milliseconds poll_interval = std::chrono::seconds{10};
  /// Between retries of a channel's head after 5xx or network failures
  /// (a 429's retry_after is honoured when longer).
  protocol::backoff_options retry{std::chrono::seconds{2},
                                  std::chrono::minutes{5}, 2.0};
};

struct discord_notifier_state {
  static constexpr const char* name = "discord-notifier";

  discord_notifier_options options;
  outbox_store_actor db;
  discord_sender sender;
  /// Channels with a request in flight, and which row it is.
  std::map<std::int64_t, std::string> in_flight;
  std::set<std::string> busy_channels;
  std::map<std::string, protocol::backoff> channel_backoff;
  /// Channels whose rate-limit bucket is spent, until it resets.
  std::map<std::string, std::chrono::steady_clock::time_point> held_until;
  bool reading = false;
  bool read_again = false;
  /// Outcomes stored so far. A read of the outbox that was asked for
  /// before the latest one was stored may still show that row pending (the
  /// store's workers run in parallel); its answer is not used.
  std::uint64_t stored = 0;
  std::uint64_t delivered = 0;
};

discord_notifier_actor::behavior_type discord_notifier(
    discord_notifier_actor::stateful_pointer<discord_notifier_state> self,
    outbox_store_actor db, discord_sender sender,
    discord_notifier_options options);

} // namespace racecontrol
