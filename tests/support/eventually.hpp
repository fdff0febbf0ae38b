#pragma once

// The tests' wait for something another thread or process does: polls
// `pred` until it holds or `limit` passes.

#include <chrono>
#include <thread>

namespace racecontrol::test {

/// True as soon as `pred` holds; false when it still does not after
/// `limit` (checked once more at the end). Polls every `step`.
template <class Predicate>
bool eventually(Predicate pred, std::chrono::milliseconds limit,
                std::chrono::milliseconds step = std::chrono::milliseconds{
                    20}) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred())
      return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

} // namespace racecontrol::test
