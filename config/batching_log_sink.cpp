#include "config/batching_log_sink.hpp"

#include <pthread.h>

#include <algorithm>

namespace racecontrol::config {

batching_log_sink::batching_log_sink(
    std::shared_ptr<spdlog::sinks::sink> target,
    std::chrono::milliseconds batch_delay, std::size_t max_lines)
    : target_(std::move(target)), batch_delay_(batch_delay),
      max_lines_(std::max<std::size_t>(1, max_lines)) {
  pending_.reserve(64);
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rc.log");
    run();
  });
}

batching_log_sink::~batching_log_sink() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void batching_log_sink::log(const spdlog::details::log_msg& msg) {
  if (!should_log(msg.level))
    return;
  std::unique_lock<std::mutex> guard{mutex_};
  space_.wait(guard, [this] {
    return pending_.size() < max_lines_ || stopping_;
  });
  bool first = pending_.empty();
  pending_.emplace_back(msg);
  bool urgent = msg.level >= spdlog::level::warn;
  urgent_ = urgent_ || urgent || pending_.size() >= max_lines_;
  guard.unlock();
  // Only the first line of a batch (or one that cannot wait) wakes the
  // writer; the lines after it are picked up with it.
  if (first || urgent)
    wake_.notify_one();
}

void batching_log_sink::flush() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (pending_.empty())
      return;
    urgent_ = true;
  }
  wake_.notify_one();
}

void batching_log_sink::set_pattern(const std::string& pattern) {
  std::lock_guard<std::mutex> guard{mutex_};
  target_->set_pattern(pattern);
}

void batching_log_sink::set_formatter(
    std::unique_ptr<spdlog::formatter> formatter) {
  std::lock_guard<std::mutex> guard{mutex_};
  target_->set_formatter(std::move(formatter));
}

void batching_log_sink::run() {
  std::vector<spdlog::details::log_msg_buffer> batch;
  batch.reserve(64);
  std::unique_lock<std::mutex> guard{mutex_};
  for (;;) {
    wake_.wait(guard, [this] {
      return !pending_.empty() || stopping_;
    });
    // Gathers the lines that follow the first for a while, unless one of
    // them is a warning or the process is stopping.
    wake_.wait_for(guard, batch_delay_, [this] {
      return urgent_ || stopping_;
    });
    if (pending_.empty() && stopping_)
      return;
    batch.swap(pending_);
    urgent_ = false;
    guard.unlock();
    space_.notify_all();
    // The target formats (and scrubs) here, off the loggers' threads; its
    // own formatter is set only under the lock, and only before lines flow.
    for (const auto& line : batch)
      target_->log(line);
    target_->flush();
    batch.clear();
    guard.lock();
  }
}

} // namespace racecontrol::config
