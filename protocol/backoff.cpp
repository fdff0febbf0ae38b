#include "protocol/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace racecontrol::protocol {

std::uint64_t jitter_seed() {
  thread_local std::mt19937_64 seeds{std::random_device{}()};
  return seeds();
}

backoff::backoff(backoff_options options, std::uint64_t seed)
    : options_(options), rng_(seed) {}

std::chrono::milliseconds backoff::next_delay() {
  double base = static_cast<double>(options_.initial.count()) *
                std::pow(options_.multiplier, attempt_);
  base = std::min(base, static_cast<double>(options_.max.count()));
  std::uniform_real_distribution<double> spread(1.0 - options_.jitter,
                                                1.0 + options_.jitter);
  double delay =
      std::min(base * spread(rng_), static_cast<double>(options_.max.count()));
  if (base < static_cast<double>(options_.max.count()))
    ++attempt_;
  return std::chrono::milliseconds{static_cast<std::int64_t>(delay)};
}

void backoff::succeeded(steady_time at) {
  up_ = true;
  up_since_ = at;
}

void backoff::failed(steady_time at) {
  if (up_ && at - up_since_ >= options_.stable_after)
    attempt_ = 0;
  up_ = false;
}

liveness::verdict liveness::check(steady_time now) {
  auto silent = now - last_heard_;
  if (silent >= 2 * interval_)
    return verdict::dead;
  if (silent >= interval_ && !pinged_) {
    pinged_ = true;
    return verdict::send_ping;
  }
  return verdict::fine;
}

} // namespace racecontrol::protocol
