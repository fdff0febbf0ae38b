#pragma once

// A spdlog sink that formats lines into a buffer and writes the buffer to a
// file descriptor when flushed. The batching sink's writer thread logs a
// batch and then flushes, so a batch of lines is one write() to stderr
// instead of one per line (spdlog's stderr sink flushes every line, and on
// a virtual machine each system call costs more than formatting the line).

#include <spdlog/sinks/base_sink.h>

#include <cstddef>
#include <mutex>

namespace racecontrol::config {

class buffered_fd_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  /// Writes to `fd`, which stays open (stderr).
  explicit buffered_fd_sink(int fd);
  ~buffered_fd_sink() override;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  /// A batch larger than this is written without waiting for the flush.
  static constexpr std::size_t max_buffered = 64 * 1024;

  int fd_;
  spdlog::memory_buf_t buffer_;
};

} // namespace racecontrol::config
