#include "protocol/http_client.hpp"

#include "protocol/serial_executor.hpp"

#include "protocol/address_results.hpp"
#include "protocol/json.hpp"
#include "protocol/tls_session_cache.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/x509.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <cctype>
#include <list>
#include <map>

namespace racecontrol::protocol {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

using plain_stream = beast::tcp_stream;
using secure_stream = beast::ssl_stream<beast::tcp_stream>;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// One kept-alive connection: plain or TLS, with its read buffer.
struct connection {
  std::unique_ptr<plain_stream> plain;
  std::unique_ptr<secure_stream> secure;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;

  beast::tcp_stream& tcp() {
    return plain ? *plain : beast::get_lowest_layer(*secure);
  }

  void close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  /// Whether the server has left an idle connection alone: nothing to read
  /// (no FIN, no reset, no TLS close_notify), which an idle HTTP/1.1
  /// connection never has otherwise. A request that must not go twice is
  /// then unlikely to meet a connection the server just closed.
  bool looks_open() {
    char byte;
    auto n = ::recv(tcp().socket().native_handle(), &byte, 1,
                    MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

http_error make_error(http_error::kind k, std::string message) {
  http_error e;
  e.what = k;
  e.message = std::move(message);
  return e;
}

class operation;

/// A host's share of max_per_host: the requests holding a connection (open
/// or opening) and those waiting, oldest first, for one to come free.
struct host_slots {
  std::size_t busy = 0;
  std::list<std::shared_ptr<operation>> waiting;
};

} // namespace

struct http_client::impl : std::enable_shared_from_this<http_client::impl> {
  impl(net::io_context& io, std::shared_ptr<ssl::context> tls,
       http_client_options options)
      : serial(serial_executor(io)), tls(std::move(tls)),
        options(std::move(options)) {}

  /// The most recently used idle connection to `key` that has been idle
  /// for less than `max_idle` and looks open; the ones passed over because
  /// the server closed them or they outlived idle_lifetime are closed.
  std::unique_ptr<connection> take_idle(const std::string& key,
                                        std::chrono::milliseconds max_idle) {
    auto it = idle.find(key);
    if (it == idle.end())
      return nullptr;
    auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
      auto& newest = it->second.back();
      auto idle_for = now - newest->idle_since;
      if (idle_for < max_idle && newest->looks_open()) {
        auto conn = std::move(newest);
        it->second.pop_back();
        return conn;
      }
      if (idle_for < max_idle || idle_for >= options.idle_lifetime) {
        newest->close(); // closed by the server, or too old to trust
        it->second.pop_back();
        continue;
      }
      return nullptr; // kept for requests that may take older ones
    }
    return nullptr;
  }

  void give_back(const std::string& key, std::unique_ptr<connection> conn) {
    auto& list = idle[key];
    if (closed || options.max_idle_per_host == 0) {
      conn->close();
      return;
    }
    // A full pool gives up its oldest connection, not the one just used: a
    // POST takes only a connection idle for less than fresh_reuse, so
    // connections kept from earlier requests would otherwise turn away
    // every newer one and each startrace of a burst would open its own.
    if (list.size() >= options.max_idle_per_host) {
      list.front()->close();
      list.erase(list.begin());
    }
    conn->tcp().expires_never();
    conn->idle_since = std::chrono::steady_clock::now();
    list.push_back(std::move(conn));
  }

  /// Takes one of `key`'s connections for `op`: true when it may go on at
  /// once, false when it was queued (it goes on in `start_queued`).
  bool take_slot(const std::string& key, const std::shared_ptr<operation>& op);
  /// Gives a connection slot of `key` back: the oldest waiter takes it.
  void give_slot(const std::string& key);
  /// Takes a waiter that stopped waiting (its timeout) out of the queue.
  void forget_waiter(const std::string& key,
                     std::list<std::shared_ptr<operation>>::iterator at);

  /// Runs the client's handlers one at a time (serial_executor).
  net::any_io_executor serial;
  std::shared_ptr<ssl::context> tls;
  http_client_options options;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle;
  std::map<std::string, host_slots> slots; ///< only with max_per_host
  bool closed = false;
};

namespace {

/// One request's life: pick or open a connection, write, read, hand back.
class operation : public std::enable_shared_from_this<operation> {
 public:
  operation(std::shared_ptr<http_client::impl> client, http_request req,
            http_client::callback done)
      : client_(std::move(client)), req_(std::move(req)),
        done_(std::move(done)), key_(req_.target.origin()),
        repeatable_(req_.idempotent || req_.method == http::verb::get ||
                    req_.method == http::verb::head),
        resolver_(client_->serial), resolve_timer_(client_->serial),
        wait_timer_(client_->serial) {}

  void start() {
    message_.method(req_.method);
    message_.target(req_.target.target);
    message_.version(11);
    message_.set(http::field::host, req_.target.authority());
    message_.set(http::field::user_agent, client_->options.user_agent);
    message_.set(http::field::accept, "application/json");
    for (const auto& [name, value] : req_.headers)
      message_.set(name, value);
    if (!req_.body.empty() || req_.method == http::verb::post) {
      if (!req_.content_type.empty())
        message_.set(http::field::content_type, req_.content_type);
      message_.body() = req_.body;
      message_.prepare_payload();
    }
    message_.keep_alive(true);
    if (client_->take_slot(key_, shared_from_this()))
      return connect_or_reuse();
    // Queued behind max_per_host: the wait counts against the timeout.
    waiting_ = true;
    queued_at_ = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    wait_timer_.expires_after(wait_limit());
    wait_timer_.async_wait([self](beast::error_code ec) {
      if (ec || !self->waiting_)
        return;
      self->waiting_ = false;
      self->client_->forget_waiter(self->key_, self->wait_position_);
      self->fail_waiting();
    });
  }

  /// The host's queue handed this request a connection slot.
  void start_queued() {
    wait_timer_.cancel();
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - queued_at_);
    // Its timer may have fired just as the slot came: too late to send.
    if (waited >= wait_limit())
      return fail_waiting(); // the slot passes on
    req_.timeout = exchange_limit() - waited;
    connect_or_reuse();
  }

  /// The client is going away: a queued request is not sent.
  void abandon() {
    waiting_ = false;
    wait_timer_.cancel();
    fail(http_error::kind::network,
         "the HTTP client closed before a connection to " +
             req_.target.authority() + " came free: not sent");
  }

  bool waiting_ = false; ///< queued for a slot; cleared when it ends
  std::list<std::shared_ptr<operation>>::iterator wait_position_;
  bool holds_slot_ = false;

 private:
  /// The longest a request waits for a connection: half its limit, so one
  /// that waited still has at least half for the exchange (a POST that
  /// goes out with almost no time left would end "outcome unknown").
  std::chrono::milliseconds wait_limit() const { return exchange_limit() / 2; }

  void fail_waiting() {
    fail(http_error::kind::timeout,
         "no connection to " + req_.target.authority() + " came free within " +
             std::to_string(wait_limit().count()) + " ms (" +
             std::to_string(client_->options.max_per_host) +
             " at most): not sent");
  }

  void connect_or_reuse() {
    // A kept-alive connection may be closed by the server just as the
    // request goes out, and only a repeatable request can then be sent
    // again: the others take only one idle for less than fresh_reuse.
    auto max_idle = repeatable_ ? client_->options.idle_lifetime
                                : client_->options.fresh_reuse;
    if (auto conn = client_->take_idle(key_, max_idle)) {
      conn_ = std::move(conn);
      reused_ = true;
      send();
    } else {
      resolve();
    }
  }

  template <class F>
  void with_stream(F&& f) {
    if (conn_->plain)
      f(*conn_->plain);
    else
      f(*conn_->secure);
  }

  /// A step's limit: the client's, capped by the request's own timeout.
  std::chrono::milliseconds step_limit(std::chrono::milliseconds step) const {
    return req_.timeout.count() > 0 ? std::min(step, req_.timeout) : step;
  }

  std::chrono::milliseconds exchange_limit() const {
    return req_.timeout.count() > 0 ? req_.timeout
                                    : client_->options.request_timeout;
  }

  void resolve() {
    if (auto at = address_results(req_.target.host, req_.target.port))
      return on_resolve({}, std::move(*at));
    auto self = shared_from_this();
    resolve_timer_.expires_after(step_limit(client_->options.resolve_timeout));
    resolve_timer_.async_wait([self](beast::error_code ec) {
      if (!ec) {
        self->resolve_timed_out_ = true;
        self->resolver_.cancel();
      }
    });
    resolver_.async_resolve(
        req_.target.host, std::to_string(req_.target.port),
        [self](beast::error_code ec, tcp::resolver::results_type results) {
          self->on_resolve(ec, std::move(results));
        });
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    resolve_timer_.cancel();
    if (resolve_timed_out_)
      return fail(http_error::kind::timeout,
                  "resolving " + req_.target.host + " timed out");
    if (ec)
      return fail(http_error::kind::network,
                  "cannot resolve " + req_.target.host + ": " + ec.message());
    conn_ = std::make_unique<connection>();
    if (req_.target.secure()) {
      if (!client_->tls)
        return fail(http_error::kind::tls, "no TLS context for https");
      conn_->secure =
          std::make_unique<secure_stream>(client_->serial, *client_->tls);
      // SNI, and the certificate must name the host.
      SSL_set_tlsext_host_name(conn_->secure->native_handle(),
                               req_.target.host.c_str());
      conn_->secure->set_verify_mode(ssl::verify_peer);
      conn_->secure->set_verify_callback(
          ssl::host_name_verification(req_.target.host));
      offer_tls_session(conn_->secure->native_handle(), req_.target.host,
                        req_.target.port);
    } else {
      conn_->plain = std::make_unique<plain_stream>(client_->serial);
    }
    conn_->tcp().expires_after(step_limit(client_->options.connect_timeout));
    auto self = shared_from_this();
    conn_->tcp().async_connect(
        results, [self](beast::error_code ec, const tcp::endpoint&) {
          self->on_connect(ec);
        });
  }

  void on_connect(beast::error_code ec) {
    if (ec)
      return fail_io(ec, "cannot connect to " + req_.target.authority());
    conn_->tcp().socket().set_option(tcp::no_delay{true}, ec);
    if (!conn_->secure)
      return send();
    conn_->tcp().expires_after(step_limit(client_->options.handshake_timeout));
    auto self = shared_from_this();
    conn_->secure->async_handshake(ssl::stream_base::client,
                                   [self](beast::error_code ec) {
                                     self->on_handshake(ec);
                                   });
  }

  void on_handshake(beast::error_code ec) {
    if (!ec) {
      count_tls_handshake(conn_->secure->native_handle());
      return send();
    }
    if (ec == beast::error::timeout)
      return fail(http_error::kind::timeout, "TLS handshake with " +
                                                 req_.target.authority() +
                                                 " timed out");
    std::string detail = ec.message();
    long verify = SSL_get_verify_result(conn_->secure->native_handle());
    if (verify != X509_V_OK)
      detail = std::string{"certificate rejected: "} +
               X509_verify_cert_error_string(verify);
    fail(http_error::kind::tls, "TLS handshake with " +
                                    req_.target.authority() +
                                    " failed: " + detail);
  }

  void send() {
    conn_->tcp().expires_after(exchange_limit());
    auto self = shared_from_this();
    with_stream([&](auto& stream) {
      http::async_write(stream, message_,
                        [self](beast::error_code ec, std::size_t) {
                          self->on_write(ec);
                        });
    });
  }

  std::size_t body_limit() const {
    return req_.max_response_bytes != 0 ? req_.max_response_bytes
                                        : client_->options.max_response_bytes;
  }

  void on_write(beast::error_code ec) {
    if (ec) {
      if (retry_fresh())
        return;
      return fail_io(ec, "sending to " + req_.target.authority());
    }
    parser_.emplace();
    parser_->body_limit(body_limit());
    parser_->header_limit(64 * 1024);
    auto self = shared_from_this();
    with_stream([&](auto& stream) {
      http::async_read_header(stream, conn_->buffer, *parser_,
                              [self](beast::error_code ec, std::size_t n) {
                                self->on_header(ec, n);
                              });
    });
  }

  void on_header(beast::error_code ec, std::size_t bytes) {
    if (ec)
      return on_read(ec, bytes);
    // Beast 1.74 does not apply body_limit to a Content-Length body (it
    // does for chunked ones): refuse an announced oversized body here.
    auto length = parser_->content_length();
    if (length && *length > body_limit())
      return on_read(http::error::body_limit, bytes);
    auto self = shared_from_this();
    with_stream([&](auto& stream) {
      http::async_read(stream, conn_->buffer, *parser_,
                       [self, bytes](beast::error_code ec, std::size_t n) {
                         self->on_read(ec, bytes + n);
                       });
    });
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (ec == http::error::body_limit)
      return fail(http_error::kind::too_large,
                  "response from " + req_.target.authority() + " exceeds " +
                      std::to_string(body_limit()) + " bytes");
    if (ec) {
      // A kept-alive connection the server closed meanwhile: try once more
      // on a new one. The request may have reached the application, so
      // only a repeatable one.
      if (bytes == 0 && retry_fresh())
        return;
      if (!repeatable_)
        return fail_unknown(ec);
      return fail_io(ec, "reading from " + req_.target.authority());
    }
    auto msg = parser_->release();
    http_response response;
    response.status = msg.result_int();
    for (const auto& field : msg)
      response.headers.emplace_back(std::string{field.name_string()},
                                    std::string{field.value()});
    response.body = std::move(msg.body());
    if (msg.keep_alive())
      client_->give_back(key_, std::move(conn_));
    else
      conn_->close();
    finish(http_outcome{std::move(response)});
  }

  bool retry_fresh() {
    if (!reused_ || !repeatable_)
      return false;
    reused_ = false;
    conn_.reset();
    resolve();
    return true;
  }

  void fail_io(beast::error_code ec, const std::string& what) {
    if (ec == beast::error::timeout)
      return fail(http_error::kind::timeout, what + ": timed out");
    if (ec.category() == net::error::get_ssl_category() ||
        ec.category() == net::ssl::error::get_stream_category())
      return fail(http_error::kind::tls, what + ": " + ec.message());
    if (ec.category() == make_error_code(http::error::end_of_stream).category())
      return fail(http_error::kind::bad_response, what + ": " + ec.message());
    fail(http_error::kind::network, what + ": " + ec.message());
  }

  void fail_unknown(beast::error_code ec) {
    // The path only: a query could carry a secret.
    auto path = req_.target.target.substr(0, req_.target.target.find('?'));
    fail(http_error::kind::outcome_unknown,
         std::string{http::to_string(req_.method)} + " " + path +
             " was sent to " + req_.target.authority() +
             ", then reading the answer failed (" +
             (ec == beast::error::timeout ? std::string{"timed out"}
                                          : ec.message()) +
             "): it may or may not have taken effect");
  }

  void fail(http_error::kind k, std::string message) {
    if (conn_) {
      conn_->close();
      conn_.reset();
    }
    finish(http_outcome{make_error(k, std::move(message))});
  }

  void finish(http_outcome outcome) {
    if (finished_)
      return;
    finished_ = true;
    if (holds_slot_) {
      holds_slot_ = false;
      client_->give_slot(key_); // before `done`, which may ask again
    }
    auto done = std::move(done_);
    done(std::move(outcome));
  }

  std::shared_ptr<http_client::impl> client_;
  http_request req_;
  http_client::callback done_;
  std::string key_;
  bool repeatable_;
  tcp::resolver resolver_;
  net::steady_timer resolve_timer_;
  net::steady_timer wait_timer_;
  std::chrono::steady_clock::time_point queued_at_;
  bool resolve_timed_out_ = false;
  std::unique_ptr<connection> conn_;
  bool reused_ = false;
  bool finished_ = false;
  http::request<http::string_body> message_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

} // namespace

bool http_client::impl::take_slot(const std::string& key,
                                  const std::shared_ptr<operation>& op) {
  if (options.max_per_host == 0)
    return true;
  auto& host = slots[key];
  if (host.busy < options.max_per_host) {
    ++host.busy;
    op->holds_slot_ = true;
    return true;
  }
  op->wait_position_ = host.waiting.insert(host.waiting.end(), op);
  return false;
}

void http_client::impl::give_slot(const std::string& key) {
  auto it = slots.find(key);
  if (it == slots.end())
    return;
  auto& host = it->second;
  if (host.waiting.empty()) {
    if (--host.busy == 0)
      slots.erase(it);
    return;
  }
  // The slot passes to the oldest waiter as it is (busy stays); it goes on
  // from the executor's queue, not inside the finishing request's handler.
  auto next = std::move(host.waiting.front());
  host.waiting.pop_front();
  next->waiting_ = false;
  next->holds_slot_ = true;
  net::post(serial, [next] {
    next->start_queued();
  });
}

void http_client::impl::forget_waiter(
    const std::string& key,
    std::list<std::shared_ptr<operation>>::iterator at) {
  auto it = slots.find(key);
  if (it != slots.end())
    it->second.waiting.erase(at);
}

const std::string* http_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name))
      return &v;
  return nullptr;
}

bool http_error::transient() const {
  switch (what) {
    case kind::network:
    case kind::timeout:
    case kind::rate_limited:
    case kind::server_error:
      return true;
    default:
      return false;
  }
}

const char* to_string(http_error::kind k) {
  switch (k) {
    case http_error::kind::network:
      return "network";
    case http_error::kind::timeout:
      return "timeout";
    case http_error::kind::tls:
      return "tls";
    case http_error::kind::too_large:
      return "too_large";
    case http_error::kind::bad_response:
      return "bad_response";
    case http_error::kind::unauthorized:
      return "unauthorized";
    case http_error::kind::not_found:
      return "not_found";
    case http_error::kind::unprocessable:
      return "unprocessable";
    case http_error::kind::rate_limited:
      return "rate_limited";
    case http_error::kind::server_error:
      return "server_error";
    case http_error::kind::unexpected_status:
      return "unexpected_status";
    case http_error::kind::outcome_unknown:
      return "outcome_unknown";
  }
  return "unknown";
}

std::optional<http_error> status_error(const http_response& r) {
  if (r.status >= 200 && r.status < 300)
    return std::nullopt;
  http_error e;
  e.status = r.status;
  e.message = "HTTP " + std::to_string(r.status);
  if (r.status == 401 || r.status == 403) {
    e.what = http_error::kind::unauthorized;
  } else if (r.status == 404) {
    e.what = http_error::kind::not_found;
  } else if (r.status == 422) {
    e.what = http_error::kind::unprocessable;
    try {
      auto doc = parse_json(r.body, 256 * 1024);
      json_object body{doc, ""};
      auto errors = body.object("errors");
      for (auto it = errors.value().MemberBegin();
           it != errors.value().MemberEnd(); ++it) {
        std::vector<std::string> messages;
        if (it->value.IsArray())
          for (const auto& m : it->value.GetArray())
            if (m.IsString())
              messages.emplace_back(m.GetString(), m.GetStringLength());
        e.field_errors.emplace_back(
            std::string{it->name.GetString(), it->name.GetStringLength()},
            std::move(messages));
      }
    } catch (const json_error& ex) {
      e.message += " (unreadable error body: " + std::string{ex.what()} + ")";
    }
    for (const auto& [field, messages] : e.field_errors)
      for (const auto& m : messages)
        e.message += "; " + field + ": " + m;
  } else if (r.status == 429) {
    e.what = http_error::kind::rate_limited;
    if (auto retry = r.header("Retry-After")) {
      char* end = nullptr;
      long secs = std::strtol(retry->c_str(), &end, 10);
      if (end != retry->c_str() && secs >= 0)
        e.retry_after = std::chrono::seconds{secs};
    }
  } else if (r.status >= 500) {
    e.what = http_error::kind::server_error;
  } else {
    e.what = http_error::kind::unexpected_status;
  }
  return e;
}

std::shared_ptr<ssl::context>
make_client_tls_context(const std::string& extra_ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1);
  ctx->set_default_verify_paths();
  if (!extra_ca_file.empty()) {
    beast::error_code ec;
    ctx->load_verify_file(extra_ca_file, ec);
    if (ec)
      throw std::runtime_error("cannot load CA file " + extra_ca_file + ": " +
                               ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  enable_tls_session_cache(ctx->native_handle());
  return ctx;
}

http_client::http_client(net::io_context& io, std::shared_ptr<ssl::context> tls,
                         http_client_options options)
    : impl_(std::make_shared<impl>(io, std::move(tls), std::move(options))) {}

http_client::~http_client() {
  auto state = impl_;
  net::post(state->serial, [state] {
    state->closed = true; // connections of requests in flight close after
    for (auto& [key, list] : state->idle)
      for (auto& conn : list)
        conn->close();
    state->idle.clear();
    // Queued requests hold the client (and it them) until they end.
    auto slots = std::move(state->slots);
    state->slots.clear();
    for (auto& [key, host] : slots)
      for (auto& op : host.waiting)
        op->abandon();
  });
}

void http_client::request(http_request req, callback done) {
  auto op = std::make_shared<operation>(impl_, std::move(req), std::move(done));
  net::post(impl_->serial, [op] {
    op->start();
  });
}

void http_client::close_idle() {
  auto state = impl_;
  net::post(state->serial, [state] {
    for (auto& [key, list] : state->idle)
      for (auto& conn : list)
        conn->close();
    state->idle.clear();
  });
}

} // namespace racecontrol::protocol
