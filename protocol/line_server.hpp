#pragma once

// A line-oriented TCP (and optionally unix socket) server for racecontrold's
// admin console: usable with `nc` or `telnet`. It runs on an io_context its
// owner provides (racecontrold's io_runtime), with no CAF in it: every
// session is its own asynchronous chain on its own strand, so a slow or
// idle client holds only its own session.
//
// A session hands its handler one line at a time and reads the next only
// once the handler answered the previous one, so commands are answered in
// the order they were sent and a client that types ahead waits (no input
// is lost: what arrives meanwhile stays buffered).
//
// Limits: a line above `max_line` bytes is answered with one error line and
// skipped up to its newline, the session goes on; a session with no input
// for `idle_timeout` (while no command runs) is told so and closed, and so is
// one its handler has not admitted (logged in) within `login_timeout`;
// beyond
// `max_sessions` of its listener (TCP and the unix socket count apart, so
// clients of the TCP port cannot take the socket's places) a new client gets
// one line saying so and is closed; output
// waits in a queue with one write in flight, and a client that reads
// nothing while more than `max_output` bytes wait is closed.
//
// The handler answers asynchronously through a line_reply that may be
// called later from any thread (an actor's answer); the text is posted back
// onto the session's strand. A reply dropped uncalled answers an error line,
// one not called within `reply_timeout` answers an error line, so a lost
// message never leaves a client waiting forever.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::protocol {

/// Splits a byte stream into lines: '\n' ends a line, a '\r' before it is
/// dropped (telnet sends CRLF). A line longer than the limit is reported
/// once, as soon as it passes the limit, and what follows up to its newline
/// is dropped.
class line_splitter {
 public:
  struct event {
    enum class kind { line, too_long };
    kind what = kind::line;
    std::string text; ///< the line without its end; empty for too_long
  };

  explicit line_splitter(std::size_t max_line) : max_(max_line) {}

  /// Appends the events completed by `bytes` to `out`.
  void feed(std::string_view bytes, std::vector<event>& out);

  /// Bytes of an unfinished line held now.
  std::size_t pending() const { return partial_.size(); }

 private:
  std::size_t max_;
  std::string partial_;
  bool discarding_ = false;
};

struct line_server_options {
  /// TCP address and port; no TCP listener when address is empty.
  std::string address = "127.0.0.1";
  std::uint16_t port = 0; ///< 0 picks a free port (see bound_port())
  /// A unix socket path to listen on as well (mode 0600); empty for none.
  std::string unix_path;
  std::size_t max_line = 4096;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes{15}};
  /// A session not admitted (line_handler::admitted) this long after it
  /// opened is closed: clients that never log in would otherwise hold the
  /// listener's places for as long as they send a line now and then.
  /// Zero: no such deadline.
  std::chrono::milliseconds login_timeout{std::chrono::seconds{60}};
  std::chrono::milliseconds reply_timeout{std::chrono::seconds{60}};
  std::chrono::milliseconds write_timeout{std::chrono::seconds{30}};
  std::size_t max_sessions = 16;
  std::size_t max_output = 4 * 1024 * 1024;
};

/// Sends the answer to one line (or to the session's opening): `text` is
/// written as is (the handler ends it with '\n'), then the session closes
/// when `close` is true. Callable from any thread, once (later calls are
/// ignored).
using line_reply = std::function<void(std::string text, bool close)>;

struct line_handler {
  /// A session started; the reply is its greeting.
  std::function<void(std::uint64_t session, std::string peer, line_reply)>
      opened;
  /// One line of input, without its end.
  std::function<void(std::uint64_t session, std::string line, line_reply)> line;
  /// The session ended (either side closed it); called once per opened.
  std::function<void(std::uint64_t session)> closed;
  /// Whether the session is admitted (has logged in), asked once
  /// login_timeout has passed, from the io thread. Unset: every session is.
  std::function<bool(std::uint64_t session)> admitted;
};

class line_server {
 public:
  /// Nothing happens until start().
  line_server(boost::asio::io_context& io, line_server_options options,
              line_handler handler);
  /// Stops (see stop()).
  ~line_server();

  line_server(const line_server&) = delete;
  line_server& operator=(const line_server&) = delete;

  /// Binds and listens. Throws std::runtime_error naming the address or
  /// path and the reason (a bad address, the port or socket in use).
  void start();

  /// Stops accepting and closes every session (thread-safe). A unix
  /// socket's file is removed.
  void stop();

  /// The TCP port bound by start(), 0 without a TCP listener.
  std::uint16_t bound_port() const;
  /// "address:port" and/or the unix path as bound, for the log.
  std::string bound_address() const;

  /// Sessions open now.
  std::size_t sessions() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::protocol
