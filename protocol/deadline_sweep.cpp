#include "protocol/deadline_sweep.hpp"

#include <algorithm>

namespace racecontrol::protocol {

namespace net = boost::asio;

net::execution_context::id deadline_sweep::id;

deadline_sweep::deadline_sweep(net::execution_context& context)
    : net::execution_context::service(context),
      timer_(static_cast<net::io_context&>(context)) {}

void deadline_sweep::watch(const std::shared_ptr<entry>& e,
                           std::function<void()> due,
                           std::chrono::milliseconds precision) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (stopped_)
    return;
  entries_.push_back({e, std::move(due)});
  auto wanted = std::max(precision, std::chrono::milliseconds{10});
  if (wanted < period_) {
    period_ = wanted;
    armed_ = false; // re-armed sooner; the wait pending is cancelled
  }
  arm();
}

std::size_t deadline_sweep::watched() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return entries_.size();
}

void deadline_sweep::arm() {
  if (armed_ || stopped_ || entries_.empty())
    return;
  armed_ = true;
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec != net::error::operation_aborted) // else re-armed or stopped
      sweep();
  });
}

void deadline_sweep::sweep() {
  auto now = clock::now().time_since_epoch().count();
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    armed_ = false;
    for (std::size_t i = 0; i < entries_.size();) {
      auto e = entries_[i].e.lock();
      if (!e) {
        entries_[i] = std::move(entries_.back());
        entries_.pop_back();
        continue;
      }
      auto at = e->at_.load(std::memory_order_relaxed);
      // Cleared only if the owner did not move it meanwhile.
      if (at <= now && e->at_.compare_exchange_strong(at, entry::never))
        calls.push_back(entries_[i].due);
      ++i;
    }
    arm();
  }
  for (auto& call : calls)
    call();
}

void deadline_sweep::shutdown() {
  std::lock_guard<std::mutex> guard{mutex_};
  stopped_ = true;
  entries_.clear();
  timer_.cancel();
}

} // namespace racecontrol::protocol
