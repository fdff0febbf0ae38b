#include "actors/token_relay.hpp"

#include "config/secret.hpp"

#include <vector>

namespace racecontrol {

namespace {

/// steady_clock is what sockets schedule by; a token's expiry arrives as a
/// wall-clock time (it may have crossed nodes).
std::chrono::steady_clock::time_point
to_steady(std::chrono::system_clock::time_point t) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             t - std::chrono::system_clock::now());
}

} // namespace

token_relay::token_relay(std::string category, refusal_handler on_refused)
    : category_(std::move(category)), on_refused_(std::move(on_refused)) {}

void token_relay::set(std::string value,
                      std::chrono::system_clock::time_point expires) {
  std::vector<std::function<void()>> notify;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (token_ && token_->value == value)
      return;
    config::register_secret(value, expires + std::chrono::hours{1});
    token_ = protocol::bearer_token{std::move(value), to_steady(expires)};
    for (const auto& [id, f] : listeners_)
      notify.push_back(f);
  }
  // Outside the lock: a listener may read current() right away.
  for (auto& f : notify)
    f();
}

std::optional<protocol::bearer_token> token_relay::current() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return token_;
}

void token_relay::refused(const std::string& value) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    // A newer token is here already, or this one was reported before.
    if (!token_ || token_->value != value || refused_value_ == value)
      return;
    refused_value_ = value;
  }
  if (on_refused_)
    on_refused_(category_, value);
}

std::shared_ptr<void> token_relay::subscribe(std::function<void()> on_new) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = next_listener_++;
  listeners_.emplace(id, std::move(on_new));
  // The handle unsubscribes when dropped. It holds the relay weakly, so a
  // socket that outlives the relay does not keep it alive.
  std::weak_ptr<token_relay> weak = weak_from_this();
  return std::shared_ptr<void>(nullptr, [weak, id](void*) {
    if (auto self = weak.lock()) {
      std::lock_guard<std::mutex> guard{self->mtx_};
      self->listeners_.erase(id);
    }
  });
}

std::shared_ptr<token_relay> token_relays::of(const std::string& category) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& relay = relays_[category];
  if (!relay)
    relay = std::make_shared<token_relay>(category, on_refused_);
  return relay;
}

} // namespace racecontrol
