#pragma once

// One timer for the deadlines of many connections on an io_context (the
// liveness checks of every bot socket). A timer per socket woke the io
// thread once per socket and ping interval: 500 times a second at 10,000
// rooms, to find almost every time that the server's ping had come.

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace racecontrol::protocol {

class deadline_sweep : public boost::asio::execution_context::service {
 public:
  using clock = std::chrono::steady_clock;

  /// A connection's deadline, which its owner moves from its own strand
  /// (a relaxed store: the sweep only needs to see it eventually).
  class entry {
   public:
    /// Due at `at`; replaces the previous deadline.
    void set(clock::time_point at) noexcept {
      at_.store(at.time_since_epoch().count(), std::memory_order_relaxed);
    }
    /// Not due until set again.
    void clear() noexcept { at_.store(never, std::memory_order_relaxed); }

   private:
    friend class deadline_sweep;
    static constexpr clock::rep never = INT64_MAX;
    std::atomic<clock::rep> at_{never};
  };

  static boost::asio::execution_context::id id;

  /// Use through boost::asio::use_service<deadline_sweep>(io_context).
  explicit deadline_sweep(boost::asio::execution_context& context);

  /// Watches `e` while it lives: once its deadline has passed, clears it
  /// and calls `due` (on the io_context, not on the owner's strand: post
  /// from there). Deadlines are seen at most `precision` late.
  void watch(const std::shared_ptr<entry>& e, std::function<void()> due,
             std::chrono::milliseconds precision);

  /// Entries watched now (dead ones leave at the next sweep).
  std::size_t watched() const;

 private:
  struct watched_entry {
    std::weak_ptr<entry> e;
    std::function<void()> due;
  };

  void shutdown() override;
  void arm(); // with mutex_ held
  void sweep();

  boost::asio::steady_timer timer_;
  mutable std::mutex mutex_;
  std::vector<watched_entry> entries_;
  std::chrono::milliseconds period_{1000};
  bool armed_ = false;
  bool stopped_ = false;
};

} // namespace racecontrol::protocol
