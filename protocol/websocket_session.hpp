#pragma once

// A bot's WebSocket to one race room (`websocket_bot_url`), kept open for
// as long as the owner wants it. Callbacks run one at a time on the session's
// executor (protocol/serial_executor).
//
// Connecting: resolve, connect, TLS and WebSocket handshakes each have a
// timeout; the bearer token is the token_source's newest at every connect.
// A lost connection is reopened with backoff (1 s doubling to 5 min, with
// jitter, reset after a stable period). A connection counts as lost when
// the server closes it, when nothing arrived for two ping intervals (an
// application ping goes out after one), and when a write has not finished
// within `write_timeout` (the server stopped reading).
//
// Sending: one write in flight, never touched until it completes, with a
// bounded queue behind it. A frame that does not fit is not queued and is
// reported through `on_dropped` (drop_reason::queue_full). Frames that were
// never written survive reconnects and go out in order.
//
// Tokens, with no owner code involved: racetime.gg keeps a socket open when
// its token expires and answers every action with "Permission denied". The
// session then finds out exactly which actions were refused (see
// action_ledger.hpp), tells the token_source, waits for a fresh token
// (pushed by the source; `refusal_wait` at most), moves to it and sends the
// refused actions once more. Before a token expires (`token_margin`), the
// session moves to a fresh one as soon as the source has it. A move waits
// for the write in flight and for the actions sent so far to settle, closes
// with a close frame, and reconnects at once; nothing is sent twice.
//
// After any reopen the session asks for `getrace` and for `gethistory`
// (newer than the last chat message it saw), because racetime.gg does not
// replay what it broadcast while the socket was away. The owner therefore
// sees race.data again (apply only versions newer than the last applied)
// and chat.history with messages it may partly know (match by id).
// The "Permission denied" errors it handles and the pongs to its own pings
// are not passed on. What may be lost or doubled follows the re-send rule
// in action_ledger.hpp: whatever the session gives up on is reported
// through `on_dropped`, never silently.

#include "protocol/action_ledger.hpp"
#include "protocol/backoff.hpp"
#include "protocol/token_source.hpp"
#include "protocol/url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace racecontrol::protocol {

struct websocket_options {
  std::chrono::milliseconds resolve_timeout{10000};
  std::chrono::milliseconds connect_timeout{10000};
  /// TLS and WebSocket handshakes, and the closing handshake.
  std::chrono::milliseconds handshake_timeout{10000};
  /// A write still unfinished after this long: the connection is dead.
  std::chrono::milliseconds write_timeout{30000};
  /// Silence after which an application ping goes out; twice this and the
  /// connection is dropped and reopened.
  std::chrono::milliseconds ping_interval{30000};
  std::size_t max_message_bytes = 1024 * 1024;
  /// Frames waiting to be sent; one that does not fit is dropped and
  /// reported.
  std::size_t max_queue = 10000;
  /// Move to a fresh token this long before the current one expires (at
  /// once when the source has one and the token lives shorter than this).
  std::chrono::milliseconds token_margin{600000};
  /// After a refusal, how long to wait for a fresh token before the
  /// refused frames are dropped and reported.
  std::chrono::milliseconds refusal_wait{60000};
  /// How long a move to a fresh token waits for sent actions to settle
  /// before it treats the connection as lost.
  std::chrono::milliseconds settle_timeout{10000};
  backoff_options reconnect;
  std::string user_agent = "racecontrol";
};

/// A frame the owner handed over that will not, or may not, take effect.
struct dropped_frame {
  std::string text;
  drop_reason reason = drop_reason::queue_full;
  std::string message; ///< for a person: what happened
};

struct websocket_handlers {
  /// The socket is open (first time or after a reconnect or token move).
  std::function<void()> on_open;
  /// A text frame arrived.
  std::function<void(std::string)> on_message;
  /// The socket was lost; a reconnect follows after `retry_in` unless
  /// stopped. (A planned move to a fresh token is no loss: on_open only.)
  std::function<void(const std::string& reason,
                     std::chrono::milliseconds retry_in)>
      on_disconnect;
  /// A frame given up on (drop_reason says why).
  std::function<void(const dropped_frame&)> on_dropped;
};

/// Counters since start; read them from any thread.
struct websocket_stats {
  std::uint64_t opened = 0;    ///< connections opened
  std::uint64_t rotations = 0; ///< moves to a fresh token
  std::uint64_t refusals = 0;  ///< "Permission denied" answers handled
  std::uint64_t resent = 0;    ///< frames sent again (re-send rule)
  std::uint64_t dropped = 0;   ///< frames reported through on_dropped
};

class websocket_session {
 public:
  /// `tokens` must not be null (std::invalid_argument otherwise).
  websocket_session(boost::asio::io_context& io,
                    std::shared_ptr<boost::asio::ssl::context> tls, url target,
                    std::shared_ptr<token_source> tokens,
                    websocket_handlers handlers,
                    websocket_options options = {});
  ~websocket_session();

  websocket_session(const websocket_session&) = delete;
  websocket_session& operator=(const websocket_session&) = delete;

  void start();

  /// Queues a text frame (e.g. `serialize(bot_action)`); sent in order.
  void send(std::string text);

  /// Closes for good (no reconnect; queued frames are discarded without a
  /// report). Once it returns, no callback runs again (one in progress on
  /// another thread is waited for), so the owner may go away. Safe to call
  /// from inside a callback.
  void stop();

  websocket_stats stats() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::protocol
