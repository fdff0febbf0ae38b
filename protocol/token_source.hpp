#pragma once

// Where a bot's sockets get their bearer token. Many rooms share one bot
// token, so the token lives in one place (a token_keeper) and every
// websocket_session of that bot reads it from there, tells it when
// racetime.gg refused it, and is told at once when a new one is current.
// All of it is thread-safe: sessions and keeper run on different strands.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace racecontrol::protocol {

/// A bearer token and when it stops working.
struct bearer_token {
  std::string value; ///< a secret: never log
  std::chrono::steady_clock::time_point expires_at;
};

class token_source {
 public:
  virtual ~token_source() = default;

  /// The newest token, or nullopt while there is none yet.
  virtual std::optional<bearer_token> current() const = 0;

  /// racetime.gg refused `value` ("Permission denied"): get a new token,
  /// unless a newer one is current already or on its way. Many sessions
  /// report the same token; it is renewed once.
  virtual void refused(const std::string& value) = 0;

  /// Calls `on_new` each time a new token becomes current, for as long as
  /// the returned handle lives (drop it to unsubscribe). `on_new` runs on
  /// the source's own thread: it should only post work elsewhere.
  virtual std::shared_ptr<void> subscribe(std::function<void()> on_new) = 0;
};

/// A token that never changes (tests, tools, a token from elsewhere):
/// `refused` does nothing and no new token ever comes.
std::shared_ptr<token_source>
fixed_token(std::string value,
            std::chrono::steady_clock::time_point expires_at =
                std::chrono::steady_clock::time_point::max());

} // namespace racecontrol::protocol
