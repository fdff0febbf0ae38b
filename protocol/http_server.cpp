#include "protocol/http_server.hpp"

#include "protocol/json.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <mutex>
#include <optional>
#include <type_traits>

namespace racecontrol::protocol {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

const std::string* http_server_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name))
      return &v;
  return nullptr;
}

namespace {

/// An address as text, an IPv4-mapped IPv6 address as IPv4 (a dual-stack
/// socket's peer 127.0.0.1 is ::ffff:127.0.0.1).
std::string plain_address(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                            a.to_v6())
        .to_string();
  return a.to_string();
}

/// `text` as a plain address, "" when it is none (a port or garbage).
std::string parse_address(std::string_view text) {
  beast::error_code ec;
  auto a = boost::asio::ip::make_address(std::string{text}, ec);
  return ec ? std::string{} : plain_address(a);
}

bool listed(const std::vector<std::string>& trusted, const std::string& a) {
  for (const auto& t : trusted)
    if (parse_address(t) == a)
      return true;
  return false;
}

std::string_view trimmed(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

/// Every address of every X-Forwarded-For header, in order.
std::vector<std::string_view> forwarded_for(const header_list& headers) {
  std::vector<std::string_view> out;
  for (const auto& [name, value] : headers) {
    if (!beast::iequals(name, "X-Forwarded-For"))
      continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      out.push_back(trimmed(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view{}
                                             : rest.substr(comma + 1);
    }
  }
  return out;
}

} // namespace

http_client_origin
client_origin(const boost::asio::ip::address& peer, const header_list& headers,
              bool trust_all, const std::vector<std::string>& trusted_proxies) {
  http_client_origin o;
  o.address = plain_address(peer);
  if (!trust_all && !listed(trusted_proxies, o.address))
    return o;
  auto hops = forwarded_for(headers);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto hop = parse_address(*it);
    if (hop.empty())
      break; // not an address: believe nothing further left
    o.address = hop;
    o.forwarded = true;
    if (!listed(trusted_proxies, hop))
      break;
  }
  for (const auto& [name, value] : headers)
    if (beast::iequals(name, "X-Forwarded-Proto")) {
      auto proto = trimmed(
          std::string_view{value}.substr(0, std::string_view{value}.find(',')));
      if (beast::iequals(proto, "https") || beast::iequals(proto, "http")) {
        o.scheme = beast::iequals(proto, "https") ? "https" : "http";
        o.forwarded = true;
      }
      break;
    }
  return o;
}

std::string
error_json(std::string_view code, std::string_view message,
           const std::vector<std::pair<std::string, std::string>>& fields) {
  return json_text([&](json_writer& w) {
    w.StartObject();
    w.Key("error");
    w.StartObject();
    write_string(w, "code", code);
    write_string(w, "message", message);
    w.Key("fields");
    w.StartObject();
    for (const auto& [name, problem] : fields)
      write_string(w, name.c_str(), problem);
    w.EndObject();
    w.EndObject();
    w.EndObject();
  });
}

http_server_response
error_response(unsigned status, std::string_view code, std::string_view message,
               const std::vector<std::pair<std::string, std::string>>& fields) {
  return json_response(status, error_json(code, message, fields));
}

http_server_response json_response(unsigned status, std::string body) {
  http_server_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

namespace {

/// What the server keeps of a connection of either kind (plain or TLS).
class connection_base {
 public:
  virtual ~connection_base() = default;
  virtual void start() = 0;
  /// From any thread.
  virtual void close_later() = 0;
};

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

} // namespace

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  impl(net::io_context& io, http_server_options options, http_handler handler)
      : io(io), options(std::move(options)), handler(std::move(handler)),
        acceptor(net::make_strand(io)), retry_timer(acceptor.get_executor()) {}

  void accept();
  void admit(tcp::socket socket);
  std::shared_ptr<connection_base> make_connection(tcp::socket socket,
                                                   bool refuse);

  net::io_context& io;
  const http_server_options options;
  const http_handler handler;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer; ///< after accept failed (out of files)
  tcp::endpoint bound;
  /// Set by start() when the options name a certificate: every connection
  /// is then TLS.
  std::shared_ptr<net::ssl::context> tls;
  std::atomic<std::size_t> live{0};
  std::atomic<std::size_t> refusing{0};

  std::mutex mutex; ///< guards what follows
  std::vector<std::weak_ptr<connection_base>> connections;
  bool stopped = false;
};

namespace {

using impl_ptr = std::shared_ptr<http_server::impl>;

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() ==
         http::make_error_code(http::error::bad_method).category();
}

/// One client connection: read a request, hand it to the handler, write
/// the answer, and read the next one while the client keeps it alive.
/// Everything runs on the stream's strand. `Stream` is a beast::tcp_stream,
/// or a tls_stream over one (the TLS handshake then comes first).
template <class Stream>
class connection : public connection_base,
                   public std::enable_shared_from_this<connection<Stream>> {
 public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  connection(impl_ptr server, tcp::socket socket, bool refuse)
      : server_(std::move(server)),
        stream_(open_stream(std::move(socket), *server_)),
        read_timer_(stream_.get_executor()),
        handler_timer_(stream_.get_executor()), refuse_(refuse) {
    (refuse_ ? server_->refusing : server_->live)++;
    beast::error_code ignored;
    peer_ = lowest().socket().remote_endpoint(ignored);
    lowest().socket().set_option(tcp::no_delay(true), ignored);
  }

  ~connection() override { (refuse_ ? server_->refusing : server_->live)--; }

  void start() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (is_tls)
        self->handshake();
      else
        self->read_header();
    });
  }

  void close_later() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->close();
    });
  }

  /// Posted by a responder: the answer to request number `number`.
  void respond(std::uint64_t number, http_server_response response) {
    if (!awaiting_ || number != request_number_ || closed_)
      return;
    awaiting_ = false;
    handler_timer_.cancel();
    write(std::move(response), keep_alive_);
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  static Stream open_stream(tcp::socket socket, http_server::impl& server) {
    if constexpr (is_tls)
      return Stream(std::move(socket), *server.tls);
    else
      return Stream(std::move(socket));
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  const http_server_options& options() const { return server_->options; }

  /// A client that does not finish the handshake within read_timeout is
  /// closed like one that does not send its request.
  void handshake() {
    lowest().expires_after(options().read_timeout);
    stream_.async_handshake(
        net::ssl::stream_base::server,
        [self = this->shared_from_this()](beast::error_code ec) {
          if (ec)
            return self->close();
          self->read_header();
        });
  }

  void read_header() {
    if (closed_)
      return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        options().max_header, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(options().max_body);
    // One deadline for the whole request, headers and body: a client that
    // trickles bytes gains nothing. Not the stream's own timeout: that
    // closes the socket, and a client that sent part of a request is owed
    // a 408 first.
    lowest().expires_never();
    reading_ = true;
    read_timed_out_ = false;
    read_timer_.expires_after(options().read_timeout);
    read_timer_.async_wait([self = this->shared_from_this(),
                            n = request_number_](beast::error_code ec) {
      if (ec || !self->reading_ || n != self->request_number_)
        return;
      self->read_timed_out_ = true;
      beast::error_code ignored;
      self->lowest().socket().cancel(ignored);
    });
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_header(ec);
        });
  }

  void on_header(beast::error_code ec) {
    if (ec)
      return read_failed(ec);
    auto& req = parser_->get();
    auto expect = req[http::field::expect];
    if (!parser_->is_done() && beast::iequals(expect, "100-continue")) {
      // curl waits a second for this before it sends a body.
      static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(
          stream_, net::buffer(continue_line, sizeof continue_line - 1),
          [self = this->shared_from_this()](beast::error_code e, std::size_t) {
            if (e)
              return self->close();
            self->read_body();
          });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done())
      return dispatch_request();
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return self->read_failed(ec);
          self->dispatch_request();
        });
  }

  void read_failed(beast::error_code ec) {
    reading_ = false;
    read_timer_.cancel();
    if (closed_)
      return;
    if (read_timed_out_) {
      // Idle between requests: just close. Part of a request: say why.
      if (parser_->got_some())
        return fail(408, "timeout",
                    "the request did not arrive within " +
                        std::to_string(options().read_timeout.count()) + " ms");
      return close();
    }
    if (ec == http::error::body_limit)
      return fail(413, "body_too_large",
                  "the request body exceeds the limit of " +
                      std::to_string(options().max_body) + " bytes");
    if (ec == http::error::header_limit)
      return fail(431, "headers_too_large",
                  "the request line and headers exceed the limit of " +
                      std::to_string(options().max_header) + " bytes");
    // end_of_stream: the client closed between requests; partial_message:
    // it went away in the middle of one. Nobody to answer.
    if (is_parse_error(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message)
      return fail(400, "bad_request",
                  "malformed HTTP request: " + ec.message());
    close();
  }

  /// Answers an unusable request and closes: what follows it on the
  /// connection cannot be trusted to start a new request.
  void fail(unsigned status, const std::string& code,
            const std::string& message) {
    write(error_response(status, code, message), false);
  }

  void dispatch_request() {
    reading_ = false;
    read_timer_.cancel();
    auto& m = parser_->get();
    version_ = m.version();
    keep_alive_ = m.keep_alive() && options().keep_alive;
    if (refuse_) {
      auto busy = error_response(503, "busy",
                                 "the server has its most connections open (" +
                                     std::to_string(options().max_connections) +
                                     "); try again shortly");
      busy.headers.emplace_back("Retry-After", "1");
      return write(std::move(busy), false);
    }
    http_server_request r;
    r.method = m.method();
    r.method_name = std::string{m.method_string()};
    r.target = std::string{m.target()};
    auto q = r.target.find('?');
    r.path = r.target.substr(0, q);
    if (q != std::string::npos)
      r.query = r.target.substr(q + 1);
    for (const auto& field : m)
      r.headers.emplace_back(std::string{field.name_string()},
                             std::string{field.value()});
    r.body = std::move(m.body());
    r.peer = peer_;
    r.trust_forwarded =
        options().trust_forwarded ||
        listed(options().trusted_proxies, plain_address(peer_.address()));
    r.origin =
        client_origin(peer_.address(), r.headers, options().trust_forwarded,
                      options().trusted_proxies);
    parser_.reset();

    auto number = ++request_number_;
    awaiting_ = true;
    handler_timer_.expires_after(options().handler_timeout);
    // The pending wait also keeps this connection alive while the handler
    // works: responders hold only a weak reference.
    handler_timer_.async_wait(
        [self = this->shared_from_this(), number](beast::error_code ec) {
          if (ec)
            return;
          self->respond(
              number,
              error_response(
                  504, "timeout",
                  "the request was not answered within " +
                      std::to_string(self->options().handler_timeout.count()) +
                      " ms"));
        });
    auto slot = std::make_shared<reply_slot>(this->weak_from_this(), number);
    try {
      server_->handler(std::move(r), [slot](http_server_response response) {
        slot->answer(std::move(response));
      });
    } catch (const std::exception& e) {
      slot->answer(error_response(
          500, "internal", std::string{"the request failed: "} + e.what()));
    }
  }

  /// Where a responder's answer goes: posted onto the connection's strand
  /// once; an answer never given becomes a 500 when the last copy of the
  /// responder is gone.
  struct reply_slot {
    reply_slot(std::weak_ptr<connection> c, std::uint64_t n)
        : conn(std::move(c)), number(n) {}
    ~reply_slot() {
      if (!used.exchange(true))
        post(error_response(500, "no_answer",
                            "the request was dropped without an answer"));
    }
    void answer(http_server_response response) {
      if (!used.exchange(true))
        post(std::move(response));
    }
    void post(http_server_response response) {
      auto c = conn.lock();
      if (!c)
        return;
      net::post(c->executor(),
                [c, n = number, r = std::move(response)]() mutable {
                  c->respond(n, std::move(r));
                });
    }
    std::weak_ptr<connection> conn;
    std::uint64_t number;
    std::atomic<bool> used{false};
  };

  void write(http_server_response response, bool keep_alive) {
    if (closed_)
      return;
    res_ = {};
    res_.version(version_);
    res_.result(response.status);
    res_.set(http::field::server, "racecontrol");
    if (!response.body.empty())
      res_.set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers)
      res_.insert(name, value);
    res_.body() = std::move(response.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    lowest().expires_after(options().write_timeout);
    http::async_write(
        stream_, res_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return self->close();
          if (!self->res_.keep_alive())
            return self->linger_close();
          self->read_header();
        });
  }

  /// Closes after an answer that ends the connection. Closing with unread
  /// input makes the kernel send a reset, which can destroy the answer
  /// before the client reads it; so the sending side is shut first and a
  /// little of what the client still sends (64 KiB, 1 s at most) is read
  /// and dropped.
  void linger_close() {
    lowest().expires_after(std::chrono::seconds{1});
    if constexpr (is_tls) {
      // TLS says goodbye with close_notify; the client's answer to it (or
      // its silence for a second) ends the connection.
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) {
            self->close();
          });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    stream_.async_read_some(
        net::buffer(scratch_),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ >= 64 * 1024)
            return self->close();
          self->drain();
        });
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    awaiting_ = false;
    reading_ = false;
    read_timer_.cancel();
    handler_timer_.cancel();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  impl_ptr server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  net::steady_timer read_timer_;
  net::steady_timer handler_timer_;
  tcp::endpoint peer_;
  const bool refuse_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool reading_ = false;
  bool read_timed_out_ = false;
  bool awaiting_ = false;
  bool closed_ = false;
  std::uint64_t request_number_ = 0;
  std::size_t drained_ = 0;
  std::array<char, 4096> scratch_{};
};

} // namespace

void http_server::impl::accept() {
  acceptor.async_accept(
      net::make_strand(io),
      [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !self->acceptor.is_open())
          return;
        if (!ec) {
          self->admit(std::move(socket));
          return self->accept();
        }
        // Out of file descriptors, say: do not spin; try again shortly.
        self->retry_timer.expires_after(std::chrono::milliseconds{100});
        self->retry_timer.async_wait([self](beast::error_code e) {
          if (!e)
            self->accept();
        });
      });
}

void http_server::impl::admit(tcp::socket socket) {
  bool refuse = live.load() >= options.max_connections;
  if (refuse && refusing.load() >= options.max_refusing)
    return; // the socket closes as it goes out of scope
  auto c = make_connection(std::move(socket), refuse);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopped)
      return;
    if (connections.size() > 2 * (live.load() + refusing.load()) + 16)
      connections.erase(std::remove_if(connections.begin(), connections.end(),
                                       [](const auto& w) {
                                         return w.expired();
                                       }),
                        connections.end());
    connections.push_back(c);
  }
  c->start();
}

std::shared_ptr<connection_base>
http_server::impl::make_connection(tcp::socket socket, bool refuse) {
  if (tls)
    return std::make_shared<connection<tls_stream>>(shared_from_this(),
                                                    std::move(socket), refuse);
  return std::make_shared<connection<beast::tcp_stream>>(
      shared_from_this(), std::move(socket), refuse);
}

http_server::http_server(net::io_context& io, http_server_options options,
                         http_handler handler)
    : impl_(
          std::make_shared<impl>(io, std::move(options), std::move(handler))) {}

http_server::~http_server() {
  stop();
}

std::shared_ptr<net::ssl::context>
make_server_tls_context(const std::string& certificate,
                        const std::string& key) {
  if (certificate.empty() || key.empty())
    throw std::runtime_error(
        "TLS needs both a certificate and its key; one of them is not given");
  auto tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  tls->set_options(net::ssl::context::default_workarounds |
                   net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 |
                   net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                   net::ssl::context::single_dh_use);
  beast::error_code ec;
  tls->use_certificate_chain_file(certificate, ec);
  if (ec)
    throw std::runtime_error("cannot use the TLS certificate '" + certificate +
                             "': " + ec.message() +
                             " (a PEM file, the server's certificate first)");
  tls->use_private_key_file(key, net::ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("cannot use the TLS key '" + key +
                             "': " + ec.message() +
                             " (a PEM file holding the certificate's key)");
  return tls;
}

void http_server::start() {
  auto& o = impl_->options;
  auto where = o.address + ":" + std::to_string(o.port);
  if (o.tls_certificate.empty() != o.tls_key.empty())
    throw std::runtime_error(
        "TLS needs both a certificate and its key (http.certificate and "
        "http.key); one of them is empty");
  if (!o.tls_certificate.empty())
    impl_->tls = make_server_tls_context(o.tls_certificate, o.tls_key);
  beast::error_code ec;
  auto address = net::ip::make_address(o.address, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + where + ": '" + o.address +
                             "' is not an IP address");
  tcp::endpoint ep{address, o.port};
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec)
    a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    a.bind(ep, ec);
  if (!ec)
    a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  }
  impl_->bound = a.local_endpoint();
  net::dispatch(a.get_executor(), [self = impl_] {
    self->accept();
  });
}

void http_server::stop() {
  std::vector<std::weak_ptr<connection_base>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped)
      return;
    impl_->stopped = true;
    open.swap(impl_->connections);
  }
  net::post(impl_->acceptor.get_executor(), [self = impl_] {
    beast::error_code ignored;
    self->acceptor.close(ignored);
    self->retry_timer.cancel();
  });
  for (auto& w : open)
    if (auto c = w.lock())
      c->close_later();
}

std::uint16_t http_server::bound_port() const {
  return impl_->bound.port();
}

std::string http_server::bound_address() const {
  const auto& b = impl_->bound;
  auto a = b.address().to_string();
  if (b.address().is_v6())
    a = "[" + a + "]";
  return a + ":" + std::to_string(b.port());
}

bool http_server::uses_tls() const {
  return impl_->tls != nullptr;
}

std::size_t http_server::connections() const {
  return impl_->live.load();
}

} // namespace racecontrol::protocol
