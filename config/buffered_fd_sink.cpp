#include "config/buffered_fd_sink.hpp"

#include <unistd.h>

#include <cerrno>

namespace racecontrol::config {

buffered_fd_sink::buffered_fd_sink(int fd) : fd_(fd) {}

buffered_fd_sink::~buffered_fd_sink() {
  std::lock_guard<std::mutex> guard{mutex_};
  flush_();
}

void buffered_fd_sink::sink_it_(const spdlog::details::log_msg& msg) {
  formatter_->format(msg, buffer_);
  if (buffer_.size() >= max_buffered)
    flush_();
}

void buffered_fd_sink::flush_() {
  const char* data = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    auto n = ::write(fd_, data, left);
    if (n < 0 && errno == EINTR)
      continue;
    // stderr closed or full: nowhere to report it, and blocking the
    // loggers on it would stop the daemon; the batch is dropped.
    if (n <= 0)
      break;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

} // namespace racecontrol::config
