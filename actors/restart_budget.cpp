#include "actors/restart_budget.hpp"

namespace racecontrol {

restart_budget::restart_budget(restart_options options)
    : options_(options), backoff_(options.backoff) {}

void restart_budget::started(time_point at) {
  backoff_.succeeded(at);
}

std::optional<std::chrono::milliseconds> restart_budget::failed(time_point at) {
  backoff_.failed(at);
  while (!restarts_.empty() && at - restarts_.front() >= options_.window)
    restarts_.pop_front();
  if (options_.max_restarts > 0 &&
      static_cast<int>(restarts_.size()) >= options_.max_restarts)
    return std::nullopt;
  restarts_.push_back(at);
  return backoff_.next_delay();
}

} // namespace racecontrol
