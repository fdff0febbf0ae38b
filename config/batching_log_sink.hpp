#pragma once

// A spdlog sink that hands lines to a writer thread in batches. The async
// logger this replaces woke its writer thread for every line; on a virtual
// machine each such wake-up cost more CPU than formatting and writing the
// line (a room's opening logs about eight lines). Here the first line of a
// batch wakes the writer, which waits `batch_delay` for the lines that follow
// and then formats and writes them together. Warnings and errors are written
// at once, with every line before them.

#include <spdlog/details/log_msg_buffer.h>
#include <spdlog/sinks/sink.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace racecontrol::config {

class batching_log_sink final : public spdlog::sinks::sink {
 public:
  /// Lines go to `target` (which formats them) on the writer thread. A
  /// logger waits when `max_lines` are pending: a log that loses lines under
  /// load is worse than a burst that slows down.
  batching_log_sink(std::shared_ptr<spdlog::sinks::sink> target,
                    std::chrono::milliseconds batch_delay,
                    std::size_t max_lines);

  /// Writes what is pending, then stops the writer thread.
  ~batching_log_sink() override;

  batching_log_sink(const batching_log_sink&) = delete;
  batching_log_sink& operator=(const batching_log_sink&) = delete;

  void log(const spdlog::details::log_msg& msg) override;

  /// Asks for the pending lines to be written now; does not wait for it
  /// (the caller may be an actor or I/O thread).
  void flush() override;

  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  void run();

  std::shared_ptr<spdlog::sinks::sink> target_;
  std::chrono::milliseconds batch_delay_;
  std::size_t max_lines_;
  std::mutex mutex_;
  std::condition_variable wake_;  ///< the writer: lines or a flush wait
  std::condition_variable space_; ///< loggers waiting for room
  std::vector<spdlog::details::log_msg_buffer> pending_;
  bool urgent_ = false;
  bool stopping_ = false;
  std::thread writer_;
};

} // namespace racecontrol::config
