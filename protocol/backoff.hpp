#pragma once

// Reconnect and retry timing, as plain objects so they are testable without
// sockets or clocks: exponential backoff with jitter that resets after a
// stable period, and the liveness rule for a connection that may be
// half-open.

#include <chrono>
#include <cstdint>
#include <random>

namespace racecontrol::protocol {

using steady_time = std::chrono::steady_clock::time_point;

struct backoff_options {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{300000}; ///< 5 minutes
  double multiplier = 2.0;
  double jitter = 0.2; ///< each delay is scaled by a factor in [1-j, 1+j]
  /// A connection up this long counts as healthy: the next failure starts
  /// again from `initial`.
  std::chrono::milliseconds stable_after{60000};
};

/// SplitMix64: enough randomness for jitter in 8 bytes of state. Every room
/// and socket keeps several backoffs; a std::mt19937_64 is 2.5 KB each, which
/// was a third of a watched room's memory.
class jitter_source {
 public:
  using result_type = std::uint64_t;

  explicit jitter_source(std::uint64_t seed) : state_(seed) {}

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }

  result_type operator()() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

/// A seed for a backoff's jitter: from a per-thread generator seeded once
/// by std::random_device (opening it for every backoff was 3% of the
/// actors' CPU time when rooms open in bulk).
std::uint64_t jitter_seed();

/// 1 s, 2 s, 4 s, ... up to 5 min, each with jitter, reset after a stable
/// period.
class backoff {
 public:
  explicit backoff(backoff_options options = {},
                   std::uint64_t seed = jitter_seed());

  /// The delay before the next attempt; each call grows the next one.
  std::chrono::milliseconds next_delay();

  /// The connection (or request) succeeded at `at`.
  void succeeded(steady_time at);

  /// The connection that succeeded earlier failed at `at`; resets the
  /// sequence when it had been up for `stable_after`.
  void failed(steady_time at);

  void reset() { attempt_ = 0; }

  int attempts() const noexcept { return attempt_; }

  const backoff_options& options() const noexcept { return options_; }

 private:
  backoff_options options_;
  jitter_source rng_;
  int attempt_ = 0;
  steady_time up_since_{};
  bool up_ = false;
};

/// When a silent connection gets an application ping and when it counts as
/// dead: after one silent interval, ping; after a second, give up. So a
/// half-open connection is noticed within two intervals.
class liveness {
 public:
  enum class verdict { fine, send_ping, dead };

  explicit liveness(std::chrono::milliseconds interval) : interval_(interval) {}

  /// Anything arrived (a frame, a pong).
  void heard(steady_time at) {
    last_heard_ = at;
    pinged_ = false;
  }

  /// What to do at `now`; `send_ping` is returned once per silent interval.
  verdict check(steady_time now);

  /// When `check` next has something to say, if nothing arrives before: a
  /// timer set to this wakes once per silent interval, not every few
  /// seconds for every socket.
  steady_time next_check() const noexcept {
    return last_heard_ + (pinged_ ? 2 : 1) * interval_;
  }

  std::chrono::milliseconds interval() const noexcept { return interval_; }

 private:
  std::chrono::milliseconds interval_;
  steady_time last_heard_{};
  bool pinged_ = false;
};

} // namespace racecontrol::protocol
