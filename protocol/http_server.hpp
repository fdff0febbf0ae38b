#pragma once

// An HTTP/1.1 server on Boost.Beast for racecontrold's API, health and
// status pages. It runs on an io_context its owner provides (racecontrold's
// io_runtime), possibly with several threads: every connection is its own
// asynchronous chain on its own strand, so a slow or idle client holds only
// its own connection and never stalls the others.
//
// With a certificate and key in the options it serves HTTPS (TLS 1.2+)
// instead; deployments may as well keep it on loopback behind a TLS proxy.
//
// Limits: a whole request (headers and body) must arrive within
// `read_timeout`, or the connection is closed (408 if part of a request
// came); headers above `max_header` get 431, a body above `max_body` gets
// 413 as soon as its Content-Length says so (the body is not read);
// malformed requests get 400. Each of these closes the connection.
//
// Beyond `max_connections` the server still accepts, reads the request and
// answers 503 (code "busy", Retry-After: 1) and closes, so a client learns
// why instead of hanging in the listen backlog; at most `max_refusing` such
// connections are held at once, more are closed at accept.
//
// The handler answers asynchronously: it gets the request and a responder
// that may be called later from any thread (an actor's answer); the
// response is posted back onto the connection's strand. A responder that
// is dropped uncalled answers 500, one not called within
// `handler_timeout` answers 504 (code "timeout": what the handler waited on
// did not answer, as a handler's own deadline answers), so a lost message
// never leaves a client waiting forever.

#include "protocol/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace racecontrol::protocol {

struct http_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080; ///< 0 picks a free port (see bound_port())
  std::size_t max_body = 1024 * 1024;
  std::size_t max_header = 16 * 1024;
  /// The longest a whole request may take to arrive, counted from the
  /// moment the server starts waiting for it; also the idle limit of a
  /// kept-alive connection.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds handler_timeout{30000};
  bool keep_alive = true;
  std::size_t max_connections = 512;
  std::size_t max_refusing = 64;
  /// Believe X-Forwarded-For/-Proto from every peer: only when every
  /// client comes through a proxy that sets them.
  bool trust_forwarded = false;
  /// Believe them from these peers only (IP addresses as text, e.g.
  /// "127.0.0.1", "::1"): the proxies in front. Others' are ignored.
  std::vector<std::string> trusted_proxies;
  /// HTTPS instead of HTTP when both are set: PEM files of the server's
  /// certificate (its chain after it) and of its key. TLS 1.2 or newer; a
  /// client must finish the handshake within read_timeout.
  std::string tls_certificate;
  std::string tls_key;
};

/// Who sent a request, for logs and audit entries: the peer's address, or
/// when the peer is trusted (see http_server_options) the client that
/// X-Forwarded-For names -- its rightmost address that is not a trusted
/// proxy itself, since a client can prepend anything -- and the scheme of
/// X-Forwarded-Proto ("http" or "https").
struct http_client_origin {
  std::string address;
  std::string scheme = "http";
  bool forwarded = false; ///< taken from X-Forwarded-* headers
};

/// The origin of a request from `peer` with `headers` (a pure function:
/// the server calls it for every request; tests call it directly).
http_client_origin
client_origin(const boost::asio::ip::address& peer, const header_list& headers,
              bool trust_all, const std::vector<std::string>& trusted_proxies);

struct http_server_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string method_name = "GET"; ///< as sent (verb::unknown says little)
  std::string target;              ///< as sent: path and query
  std::string path;                ///< the target up to '?'
  std::string query;               ///< after '?', without it
  header_list headers;
  std::string body;
  boost::asio::ip::tcp::endpoint peer;
  /// Whether the peer is trusted to set X-Forwarded-* (see the options).
  bool trust_forwarded = false;
  /// The client's address and scheme (client_origin).
  http_client_origin origin;
  /// Path parameters filled by http_router ("id" for "/matches/{id}").
  std::map<std::string, std::string> params;

  /// The first header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

struct http_server_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  header_list headers;
  std::string body;
};

/// The body of every error answer:
/// `{"error": {"code": ..., "message": ..., "fields": {name: message}}}`.
/// `code` is a stable machine word ("not_found"), `message` a sentence a
/// person can act on, `fields` names what is wrong with which input.
std::string
error_json(std::string_view code, std::string_view message,
           const std::vector<std::pair<std::string, std::string>>& fields = {});

/// An error_json answer with this status.
http_server_response error_response(
    unsigned status, std::string_view code, std::string_view message,
    const std::vector<std::pair<std::string, std::string>>& fields = {});

/// A JSON answer (the body already serialized).
http_server_response json_response(unsigned status, std::string body);

/// Sends the answer to one request; callable from any thread, once (later
/// calls are ignored).
using http_responder = std::function<void(http_server_response)>;
using http_handler = std::function<void(http_server_request, http_responder)>;

/// A TLS server context: TLS 1.2 and newer, the certificate chain and its
/// key from PEM files. Throws std::runtime_error naming the file and what
/// is wrong with it (racecontrold's HTTP server, racetime-sim's https).
std::shared_ptr<boost::asio::ssl::context>
make_server_tls_context(const std::string& certificate, const std::string& key);

class http_server {
 public:
  /// Nothing happens until start().
  http_server(boost::asio::io_context& io, http_server_options options,
              http_handler handler);
  /// Stops (see stop()).
  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds and listens. Throws std::runtime_error naming the address and
  /// the reason (a bad address, the port in use), or the TLS file that
  /// cannot be used.
  void start();

  /// Stops accepting and closes every connection (thread-safe; pending
  /// responders then answer nobody).
  void stop();

  /// The port bound by start() (the one picked when options.port was 0).
  std::uint16_t bound_port() const;
  /// "address:port" as bound, for the log.
  std::string bound_address() const;

  /// Whether it serves HTTPS (the options named a certificate and key).
  bool uses_tls() const;

  /// Connections open now (served ones, not those being refused).
  std::size_t connections() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::protocol
