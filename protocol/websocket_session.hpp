#pragma once

// A bot's WebSocket to one race room (`websocket_bot_url`), kept open:
// authenticated with the newest bearer token at every connect, exactly one
// write in flight with a queue behind it, protocol pings answered, an
// application ping after a silent interval and a reconnect after a second,
// reconnects with backoff (1 s doubling to 5 min, with jitter, reset after a
// stable period), and a move to a fresh token before the current one
// expires. Callbacks run on the session's strand.

#include "protocol/backoff.hpp"
#include "protocol/url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace racecontrol::protocol {

/// A bearer token and when it stops working.
struct bearer_token {
  std::string value;
  std::chrono::steady_clock::time_point expires_at;
};

struct websocket_options {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds handshake_timeout{10000};
  /// Silence after which an application ping goes out; twice this and the
  /// connection is dropped and reopened.
  std::chrono::milliseconds ping_interval{20000};
  std::size_t max_message_bytes = 1024 * 1024;
  /// Frames kept while disconnected; the oldest go when it overflows.
  std::size_t max_queue = 10000;
  /// Reconnect onto a fresh token this long before the current one expires.
  std::chrono::milliseconds token_margin{600000};
  /// When no fresher token exists yet at rotation time, look again after
  /// this long.
  std::chrono::milliseconds token_recheck{30000};
  backoff_options reconnect;
  std::string user_agent = "racecontrol";
};

struct websocket_handlers {
  /// The socket is open (first time or after a reconnect).
  std::function<void()> on_open;
  /// A text frame arrived.
  std::function<void(std::string)> on_message;
  /// The socket closed; a reconnect follows after `retry_in` unless
  /// stopped.
  std::function<void(const std::string& reason,
                     std::chrono::milliseconds retry_in)>
      on_disconnect;
};

class websocket_session {
 public:
  /// Returns the token to connect with (the newest one), or nullopt when
  /// none is available yet (the session then retries later).
  using token_provider = std::function<std::optional<bearer_token>()>;

  websocket_session(boost::asio::io_context& io,
                    std::shared_ptr<boost::asio::ssl::context> tls, url target,
                    token_provider tokens, websocket_handlers handlers,
                    websocket_options options = {});
  ~websocket_session();

  websocket_session(const websocket_session&) = delete;
  websocket_session& operator=(const websocket_session&) = delete;

  void start();

  /// Queues a text frame; sent in order once connected.
  void send(std::string text);

  /// Closes for good (no reconnect). Once it returns, no callback runs
  /// again (one in progress on another thread is waited for), so the owner
  /// may go away. Safe to call from inside a callback.
  void stop();

  /// Drops the current connection and reconnects at once (e.g. the owner
  /// saw "Permission denied" and has a new token).
  void reconnect_now();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::protocol
