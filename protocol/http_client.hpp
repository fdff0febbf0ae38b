#pragma once

// An HTTP/1.1 client on Boost.Beast: plain HTTP for local use and HTTPS
// with SNI, certificate and host-name verification. Connections are kept
// alive and reused per host; every step (resolve, connect, handshake,
// write, read) has a timeout; response bodies have a size limit. Results
// arrive through completion callbacks, on the client's executor, one at a time
// (protocol/serial_executor).
//
// A host may be limited to a number of connections at once; requests beyond
// it queue for the next free one.
//
// A request is never sent twice unless repeating it is harmless: GET, HEAD
// and a request marked `idempotent` are tried once more on a new connection
// when a kept-alive one turns out to be closed. Any other request (startrace
// creates a room each time it arrives) goes out on a new connection, and if
// that fails after the request was sent, the caller gets `outcome_unknown`:
// it may or may not have taken effect, so look before trying again.

#include "protocol/expected.hpp"
#include "protocol/url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::protocol {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  url target;
  header_list headers; ///< e.g. {"Authorization", "Bearer ..."}
  std::string body;
  std::string content_type; ///< set with a body
  /// Sending it twice does no harm (e.g. a client_credentials token
  /// request); GET and HEAD always count as such.
  bool idempotent = false;
  /// The largest response body taken; 0: the client's max_response_bytes.
  std::size_t max_response_bytes = 0;
  /// Limit for writing the request and reading the whole response (also
  /// caps each of resolve, connect and handshake); 0: the client's
  /// request_timeout. A call that must answer quickly (startrace) sets its
  /// own instead of waiting the client-wide 30 s.
  std::chrono::milliseconds timeout{0};
};

struct http_response {
  unsigned status = 0;
  header_list headers;
  std::string body;

  /// The first header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

/// Why a request failed, in the terms a caller decides on.
struct http_error {
  enum class kind {
    network,       ///< resolve/connect/reset: the server could not be reached
    timeout,       ///< a step took longer than its limit
    tls,           ///< handshake or certificate verification failed
    too_large,     ///< the response exceeded the size limit
    bad_response,  ///< not HTTP, or a body that cannot be read
    unauthorized,  ///< 401 or 403
    not_found,     ///< 404
    unprocessable, ///< 422 with field errors
    rate_limited,  ///< 429
    server_error,  ///< 5xx
    unexpected_status,
    /// A request that is not idempotent was sent, then the connection
    /// failed before a whole response came back: it may or may not have
    /// taken effect.
    outcome_unknown,
  };
  kind what = kind::network;
  unsigned status = 0;
  std::string message;
  /// 422: racetime.gg's `{"errors": {"field": ["message", ...]}}`.
  std::vector<std::pair<std::string, std::vector<std::string>>> field_errors;
  /// 429: the server's Retry-After, when given.
  std::optional<std::chrono::seconds> retry_after;

  /// Worth retrying later: network trouble, timeouts, 429 and 5xx (not
  /// outcome_unknown: a blind retry may do the thing twice).
  bool transient() const;
};

const char* to_string(http_error::kind k);

/// A transport-level success whose status is not 2xx, as an http_error
/// (parsing racetime.gg's 422 field errors); nullopt for 2xx.
std::optional<http_error> status_error(const http_response& response);

/// A response (any status) or a transport failure.
using http_outcome = expected<http_response, http_error>;

struct http_client_options {
  std::chrono::milliseconds resolve_timeout{10000};
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds handshake_timeout{10000};
  /// Writing the request and reading the whole response.
  std::chrono::milliseconds request_timeout{30000};
  std::size_t max_response_bytes = 8 * 1024 * 1024;
  std::size_t max_idle_per_host = 4;
  /// Most requests holding a connection (open or opening) to one host at
  /// once; a request beyond it waits, in order, for one to come free, at
  /// most half its timeout (then it fails as a timeout, not sent), so that
  /// it keeps at least half for the exchange. A burst then reuses a few
  /// connections instead of opening one per request, which over TLS is a
  /// handshake each. 0: no limit.
  std::size_t max_per_host = 0;
  std::chrono::milliseconds idle_lifetime{55000};
  /// A request that must not be sent twice (a POST) goes on a kept-alive
  /// connection only if that was idle for less than this and still looks
  /// open (0: never).
  std::chrono::milliseconds fresh_reuse{0};
  std::string user_agent = "racecontrol";
};

/// Makes the TLS context for clients: the system's trust store plus an
/// optional extra CA file, peer verification on. Throws std::runtime_error
/// naming the file when it cannot be loaded.
std::shared_ptr<boost::asio::ssl::context>
make_client_tls_context(const std::string& extra_ca_file = "");

class http_client {
 public:
  using callback = std::function<void(http_outcome)>;

  http_client(boost::asio::io_context& io,
              std::shared_ptr<boost::asio::ssl::context> tls,
              http_client_options options = {});
  ~http_client();

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends the request; `done` runs exactly once, on the client's executor, one
  /// at a time (protocol/serial_executor).
  void request(http_request req, callback done);

  /// Closes idle connections; requests in flight finish.
  void close_idle();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::protocol
