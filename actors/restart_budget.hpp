#pragma once

// When a supervised actor that failed starts again, and when its supervisor
// gives up: a backoff between restarts (reset once the actor has run
// stably) and a budget of restarts per time window, so a component that
// keeps failing ends in one clear error instead of a restart loop.

#include "protocol/backoff.hpp"

#include <chrono>
#include <list>
#include <optional>

namespace racecontrol {

struct restart_options {
  /// Delay before each restart; grows while failures follow each other.
  protocol::backoff_options backoff{std::chrono::milliseconds{1000},
                                    std::chrono::milliseconds{60000}};
  /// Most restarts within `window`; one more failure and the supervisor
  /// gives up. Zero means never give up (bots: racetime.gg may be down for
  /// hours, and the operator sees the status meanwhile).
  int max_restarts = 5;
  std::chrono::milliseconds window{std::chrono::minutes{10}};
};

/// The restart record of one supervised actor. Plain object: the caller
/// passes the time, so tests need no clock.
class restart_budget {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit restart_budget(restart_options options = {});

  /// The actor (re)started at `at`.
  void started(time_point at);

  /// The actor failed at `at`. Returns how long to wait before restarting
  /// it, or nullopt when the budget for the window is spent.
  std::optional<std::chrono::milliseconds> failed(time_point at);

  /// Restarts counted in the current window.
  int recent_restarts() const noexcept {
    return static_cast<int>(restarts_.size());
  }

  const restart_options& options() const noexcept { return options_; }

 private:
  restart_options options_;
  protocol::backoff backoff_;
  std::list<time_point> restarts_; ///< a list: an empty deque is 576 bytes
};

} // namespace racecontrol
