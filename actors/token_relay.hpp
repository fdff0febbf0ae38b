#pragma once

// A category bot's token as this node's room sockets see it. The bot actor
// (maybe on another node) owns the token keeper; the room supervisor gets
// each new token as a message and sets it here, and every websocket_session
// of that category reads it through the protocol's token_source interface.
// A refusal ("Permission denied") goes back to the bot through a callback,
// so the token is renewed once for all rooms.

#include "protocol/token_source.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace racecontrol {

class token_relay : public protocol::token_source,
                    public std::enable_shared_from_this<token_relay> {
 public:
  using refusal_handler =
      std::function<void(const std::string& category, std::string token)>;

  token_relay(std::string category, refusal_handler on_refused);

  /// A new token is current: sockets waiting for one are told at once.
  void set(std::string value, std::chrono::system_clock::time_point expires);

  // token_source (any thread)
  std::optional<protocol::bearer_token> current() const override;
  void refused(const std::string& value) override;
  std::shared_ptr<void> subscribe(std::function<void()> on_new) override;

 private:
  struct listener;

  std::string category_;
  refusal_handler on_refused_;
  mutable std::mutex mtx_;
  std::optional<protocol::bearer_token> token_;
  /// The value last reported refused, so many sockets report it once.
  std::string refused_value_;
  std::map<std::uint64_t, std::function<void()>> listeners_;
  std::uint64_t next_listener_ = 0;
};

/// The relays of one node, one per category, made on first use.
class token_relays {
 public:
  explicit token_relays(token_relay::refusal_handler on_refused)
      : on_refused_(std::move(on_refused)) {}

  std::shared_ptr<token_relay> of(const std::string& category);

 private:
  token_relay::refusal_handler on_refused_;
  std::mutex mtx_;
  std::map<std::string, std::shared_ptr<token_relay>> relays_;
};

} // namespace racecontrol
