#include "tools/racetime-sim/sim_server.hpp"

#include "tools/racetime-sim/sim_consumer.hpp"
#include "tools/racetime-sim/sim_documents.hpp"

#include "protocol/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace racecontrol::sim {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

/// A race's bot socket, as broadcasts reach it.
struct race_socket {
  virtual ~race_socket() = default;
  /// An event for the race's group (chat.message, chat.dm, ...).
  virtual void event(const std::string& type, const std::string& payload) = 0;
  /// A race.update: race.data and race.renders.
  virtual void update(const race_update& u) = 0;
  virtual void drop() = 0;
  /// Stops reading (control API `stall-reads`), or reads again.
  virtual void stall_reads(bool stalled) = 0;
};

/// An HTTP connection, closed when the server stops.
struct closable {
  virtual ~closable() = default;
  virtual void close() = 0;
};

} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(net::io_context& io, double time_scale, server_options options)
      : io(io), time_scale(time_scale), options(std::move(options)),
        acceptor(io), control_acceptor(io),
        w(world::hooks{}, time_scale, this->options.seed),
        ctx{w, faults, bot_cache, this->options.bot_category_ttl, {}, {},
            0, {},     {}} {}

  void wire() {
    auto self = shared_from_this();
    std::weak_ptr<impl> weak = self;
    w = world(
        world::hooks{
            [weak](const std::string& slug, const std::string& type,
                   const std::string& payload) {
              if (auto s = weak.lock())
                s->each_socket(slug, [&](race_socket& sock) {
                  sock.event(type, payload);
                });
            },
            [weak](const std::string& slug, const race_update& u) {
              if (auto s = weak.lock())
                s->each_socket(slug, [&](race_socket& sock) {
                  sock.update(u);
                });
            },
            [weak](std::chrono::milliseconds delay, std::function<void()> f) {
              auto s = weak.lock();
              if (!s || s->stopping)
                return;
              auto timer = std::make_shared<net::steady_timer>(s->io, delay);
              s->keep_timer(timer);
              timer->async_wait(
                  [timer, f = std::move(f)](beast::error_code ec) {
                    if (!ec)
                      f();
                  });
            },
            [weak](race_event e, const std::string& slug,
                   const std::string& user_id) {
              auto s = weak.lock();
              if (s && e == race_event::invited)
                s->demo.invited(slug, user_id);
              else if (s && e == race_event::started)
                s->demo.started(slug);
            }},
        time_scale, options.seed);
    w.set_low_entrants_limit(options.low_entrants_limit);
    ctx.demo = &demo;
    ctx.drop_sockets = [weak](const std::string& slug) {
      if (auto s = weak.lock())
        s->drop(slug);
    };
    ctx.stall_reads = [weak](const std::string& slug, bool stalled) {
      auto s = weak.lock();
      if (!s || s->sockets.count(slug) == 0)
        return;
      for (auto& socket : s->sockets[slug])
        if (auto sock = socket.lock())
          sock->stall_reads(stalled);
    };
    ctx.set_unknown_race_hang = [weak](std::chrono::milliseconds hang) {
      if (auto s = weak.lock())
        s->options.unknown_race_hang = hang;
    };
    ctx.set_crash_reset = [weak](bool reset) {
      if (auto s = weak.lock())
        s->options.crash_reset = reset;
    };
    ctx.mute = [weak](const std::string& slug, bool muted) {
      if (auto s = weak.lock()) {
        if (muted)
          s->muted.insert(slug);
        else
          s->muted.erase(slug);
      }
    };
  }

  template <class F>
  void each_socket(const std::string& slug, F&& f) {
    if (muted.count(slug))
      return;
    auto it = sockets.find(slug);
    if (it == sockets.end())
      return;
    for (auto s = it->second.begin(); s != it->second.end();) {
      if (auto sock = s->lock()) {
        f(*sock);
        ++s;
      } else {
        s = it->second.erase(s);
      }
    }
  }

  void drop(const std::string& slug) {
    auto it = sockets.find(slug);
    if (it == sockets.end())
      return;
    for (auto& s : it->second)
      if (auto sock = s.lock())
        sock->drop();
    sockets.erase(it);
  }

  void listen(tcp::acceptor& a, std::uint16_t port, const char* what) {
    beast::error_code ec;
    tcp::endpoint ep{net::ip::make_address(options.address, ec), port};
    if (ec)
      throw std::runtime_error(std::string{"bad address "} + options.address);
    a.open(ep.protocol(), ec);
    if (!ec)
      a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
      a.bind(ep, ec);
    if (!ec)
      a.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error(std::string{"cannot listen on "} + what + " " +
                               options.address + ":" + std::to_string(port) +
                               ": " + ec.message());
  }

  void accept(tcp::acceptor& a, bool control);

  net::io_context& io;
  double time_scale;
  server_options options;
  tcp::acceptor acceptor;
  tcp::acceptor control_acceptor;
  std::shared_ptr<ssl::context> tls;
  world w;
  fault_book faults;
  std::map<std::string,
           std::pair<std::chrono::steady_clock::time_point, std::string>>
      bot_cache;
  route_context ctx;
  demo_players demo{
      w, [&io = io](std::chrono::milliseconds delay, std::function<void()> f) {
        auto timer = std::make_shared<net::steady_timer>(io, delay);
        timer->async_wait([timer, f = std::move(f)](beast::error_code ec) {
          if (!ec)
            f();
        });
      }};
  std::map<std::string, std::vector<std::weak_ptr<race_socket>>> sockets;
  std::vector<std::weak_ptr<closable>> connections;
  std::set<std::string> muted;
  bool stopping = false;
  /// The world's timers (countdowns, the racebot's 30-minute check): a
  /// stop cancels them, or they would keep the io_context running.
  std::vector<std::weak_ptr<net::steady_timer>> timers;
  std::size_t prune_timers_at = 64;

  void keep_timer(const std::shared_ptr<net::steady_timer>& t) {
    if (timers.size() >= prune_timers_at) {
      timers.erase(std::remove_if(timers.begin(), timers.end(),
                                  [](const auto& w) {
                                    return w.expired();
                                  }),
                   timers.end());
      prune_timers_at = std::max<std::size_t>(64, 2 * timers.size());
    }
    timers.push_back(t);
  }
};

namespace {

using impl_ptr = std::shared_ptr<server::impl>;

// --- the bot WebSocket -----------------------------------------------------

/// The IP address of a socket's peer ("" once it is gone).
template <class WebSocket>
std::string peer_address(WebSocket& ws) {
  beast::error_code ec;
  auto at = beast::get_lowest_layer(ws).socket().remote_endpoint(ec);
  return ec ? "" : at.address().to_string();
}

template <class Stream>
class ws_session : public race_socket,
                   public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  ws_session(impl_ptr server, Stream&& stream, std::string slug,
             std::string token)
      : server_(std::move(server)), ws_(std::move(stream)),
        consumer_(server_->w, std::move(slug), std::move(token),
                  peer_address(ws_)) {}

  ~ws_session() override {
    if (counted_)
      --server_->ctx.open_bot_sockets;
  }

  void start(http::request<http::string_body> req) {
    ws_.set_option(
        websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(1024 * 1024);
    auto self = this->shared_from_this();
    ws_.async_accept(req, [self](beast::error_code ec) {
      if (ec)
        return;
      auto frames = self->consumer_.connect();
      if (frames.empty())
        return self->drop();
      self->counted_ = true;
      ++self->server_->ctx.open_bot_sockets;
      self->server_->sockets[self->consumer_.slug()].push_back(self);
      for (auto& f : frames)
        self->send(std::move(f));
      self->ws_.control_callback(
          [weak = self->weak_from_this()](websocket::frame_type kind,
                                          beast::string_view) {
            auto s = weak.lock();
            if (s && kind == websocket::frame_type::pong)
              s->ping_answered_ = true;
          });
      self->read();
      self->arm_ping();
    });
  }

  void event(const std::string& type, const std::string& payload) override {
    send(consumer_.event(type, payload));
  }

  void update(const race_update& u) override {
    for (auto& f : consumer_.update(u))
      send(std::move(f));
  }

  void drop() override {
    closed_ = true;
    ping_timer_.cancel();
    stall_hold_.reset();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both,
                                                   ignored);
    beast::get_lowest_layer(ws_).close();
  }

  void stall_reads(bool stalled) override {
    stalled_ = stalled;
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    if (!stalled) {
      // A window below one segment would leave the client's TCP probing
      // with growing pauses: give the buffer back.
      socket.set_option(net::socket_base::receive_buffer_size(1 << 20),
                        ignored);
      stall_hold_.reset();
      if (!reading_ && !closed_)
        read();
      return;
    }
    // No read pending keeps it alive now: hold on until it is dropped.
    stall_hold_ = this->shared_from_this();
    // A small receive buffer, so the client's writes back up quickly.
    socket.set_option(net::socket_base::receive_buffer_size(4096), ignored);
  }

 private:
  void send(std::string frame) {
    if (closed_)
      return;
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1)
      write();
  }

  void write() {
    auto self = this->shared_from_this();
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()),
                    [self](beast::error_code ec, std::size_t) {
                      if (ec)
                        return self->drop();
                      self->queue_.pop_front();
                      if (!self->queue_.empty() && !self->closed_)
                        self->write();
                    });
  }

  void read() {
    auto self = this->shared_from_this();
    reading_ = true;
    ws_.async_read(buffer_, [self](beast::error_code ec, std::size_t) {
      self->reading_ = false;
      if (ec == websocket::error::closed)
        ++self->server_->ctx.client_close_frames;
      if (ec) {
        self->ping_timer_.cancel();
        return;
      }
      auto text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      if (!self->server_->muted.count(self->consumer_.slug()))
        self->handle(text);
      // A stalled socket reads no more: the client's writes back up.
      if (!self->closed_ && !self->stalled_)
        self->read();
    });
  }

  void handle(const std::string& text) {
    auto reply = consumer_.receive(text);
    for (auto& f : reply.frames)
      send(std::move(f));
    if (reply.crash)
      crash();
  }

  /// Daphne's keep-alive: a ping every interval; a socket that left the
  /// last one unanswered is closed. A muted room pings no more (a
  /// half-open connection says nothing at all).
  void arm_ping() {
    if (server_->options.ws_ping.count() == 0 || closed_)
      return;
    ping_timer_.expires_after(server_->options.ws_ping);
    ping_timer_.async_wait(
        [self = this->shared_from_this()](beast::error_code ec) {
          if (ec || self->closed_)
            return;
          if (self->server_->muted.count(self->consumer_.slug()) == 0) {
            if (self->ping_sent_ && !self->ping_answered_)
              return self->drop();
            self->ping_sent_ = true;
            self->ping_answered_ = false;
            self->ws_.async_ping({}, [self](beast::error_code e) {
              if (e)
                self->drop();
            });
          }
          self->arm_ping();
        });
  }

  /// The consumer raised: the server closes with 1011.
  void crash() {
    closed_ = true;
    auto self = this->shared_from_this();
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      if (server_->options.crash_reset)
        return close_then_reset();
    }
    ws_.async_close(websocket::close_code::internal_error,
                    [self](beast::error_code) {});
  }

  /// What the client saw from racetime.gg (§7): the 1011 close frame, then
  /// a reset instead of the end of the close handshake, which Beast
  /// reports as "connection reset" with reason().code 1011. The frame is
  /// written on the TCP socket directly (server frames are unmasked:
  /// FIN+close, length 2, code 1011) so no handshake follows it.
  void close_then_reset() {
    static const unsigned char frame[] = {0x88, 0x02, 0x03, 0xF3};
    auto self = this->shared_from_this();
    auto& socket = beast::get_lowest_layer(ws_).socket();
    net::async_write(
        socket, net::buffer(frame), [self](beast::error_code, std::size_t) {
          // Give the peer a moment to read the frame before the reset.
          auto timer = std::make_shared<net::steady_timer>(
              self->server_->io, std::chrono::milliseconds{50});
          timer->async_wait([self, timer](beast::error_code) {
            beast::error_code ignored;
            auto& tcp = beast::get_lowest_layer(self->ws_).socket();
            tcp.set_option(net::socket_base::linger(true, 0), ignored);
            tcp.close(ignored);
          });
        });
  }

  impl_ptr server_;
  websocket::stream<Stream> ws_;
  bot_consumer consumer_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool closed_ = false;
  bool stalled_ = false;
  bool reading_ = false;
  bool counted_ = false; ///< in open_bot_sockets
  std::shared_ptr<ws_session> stall_hold_;
  net::steady_timer ping_timer_{server_->io};
  bool ping_sent_ = false;
  bool ping_answered_ = false;
};

// --- HTTP ------------------------------------------------------------------

std::string token_of(const http::request<http::string_body>& req) {
  auto auth = req.find(http::field::authorization);
  if (auth != req.end() && std::string{auth->value()}.rfind("Bearer ", 0) == 0)
    return std::string{auth->value().substr(7)};
  std::string target{req.target()};
  auto q = target.find("token=");
  if (q != std::string::npos) {
    auto end = target.find('&', q);
    return target.substr(q + 6, end == std::string::npos ? end : end - q - 6);
  }
  return "";
}

template <class Stream>
class http_session : public closable,
                     public std::enable_shared_from_this<http_session<Stream>> {
 public:
  http_session(impl_ptr server, Stream&& stream, bool control)
      : server_(std::move(server)), stream_(std::move(stream)),
        control_(control) {}

  void start() {
    if constexpr (std::is_same_v<Stream,
                                 beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{10});
      auto self = this->shared_from_this();
      stream_.async_handshake(ssl::stream_base::server,
                              [self](beast::error_code ec) {
                                if (!ec)
                                  self->read();
                              });
    } else {
      read();
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(1024 * 1024);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{120});
    auto self = this->shared_from_this();
    http::async_read_header(stream_, buffer_, *parser_,
                            [self](beast::error_code ec, std::size_t) {
                              if (ec)
                                return self->close();
                              self->read_body();
                            });
  }

  void read_body() {
    // Beast 1.74 ignores body_limit for Content-Length bodies.
    auto length = parser_->content_length();
    if (length && *length > 1024 * 1024)
      return close();
    auto self = this->shared_from_this();
    http::async_read(stream_, buffer_, *parser_,
                     [self](beast::error_code ec, std::size_t) {
                       if (ec)
                         return self->close();
                       self->started_ = std::chrono::steady_clock::now();
                       self->route(self->parser_->release());
                     });
  }

  void route(http::request<http::string_body> req) {
    std::string target{req.target()};
    std::string path = target.substr(0, target.find('?'));
    if (!control_) {
      if (auto f = server_->faults.take(path)) {
        ++server_->ctx.faults_served;
        if (!f->mode.empty())
          server_->w.record({server_->w.now(), "random_fault", "", "",
                             payload({{"n", std::to_string(f->draw)},
                                      {"mode", json_string(f->mode)},
                                      {"path", json_string(path)}}),
                             ""});
        return meet(std::move(req), std::move(*f));
      }
    }
    serve(std::move(req));
  }

  /// Applies a fault (see `fault`): serve at once or not, then after the
  /// delay an error status, a closed connection or the answer.
  void meet(http::request<http::string_body> req, fault f) {
    std::optional<response> served;
    if (f.serve_first)
      served = serve_racetime(server_->ctx, req);
    auto self = this->shared_from_this();
    auto timer = std::make_shared<net::steady_timer>(server_->io, f.delay);
    timer->async_wait([self, timer, f = std::move(f), req = std::move(req),
                       served = std::move(served)](beast::error_code) mutable {
      if (f.drop_connection) {
        if (!served)
          (void)serve_racetime(self->server_->ctx, req);
        self->log(req, 0);
        return self->close();
      }
      if (f.status != 0)
        return self->respond(req, fault_response(req, f));
      if (served)
        return self->respond(req, std::move(*served));
      self->serve(std::move(req));
    });
  }

  static response fault_response(const http::request<http::string_body>& req,
                                 const fault& f) {
    response res{static_cast<http::status>(f.status), req.version()};
    if (f.body) {
      res.set(http::field::content_type, f.content_type);
      res.body() = *f.body;
    } else {
      res.set(http::field::content_type, "text/html");
      res.body() = "<h1>Server Error (" + std::to_string(f.status) + ")</h1>";
    }
    if (f.retry_after)
      res.set(http::field::retry_after, std::to_string(*f.retry_after));
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
  }

  void serve(http::request<http::string_body> req) {
    std::string target{req.target()};
    std::string path = target.substr(0, target.find('?'));
    if (!control_ && websocket::is_upgrade(req) && path.rfind("/ws/", 0) == 0)
      return upgrade(std::move(req), path);
    response res = control_ ? serve_control(server_->ctx, req)
                            : serve_racetime(server_->ctx, req);
    respond(req, std::move(res));
  }

  void upgrade(http::request<http::string_body> req, const std::string& path) {
    std::vector<std::string> parts;
    for (std::size_t start = 1; start < path.size();) {
      auto slash = path.find('/', start);
      auto end = slash == std::string::npos ? path.size() : slash;
      if (end > start)
        parts.push_back(path.substr(start, end - start));
      start = end + 1;
    }
    if (parts.size() != 4 || parts[1] != "o" || parts[2] != "bot") {
      // No route (e.g. /ws/o/bot/category/slug): daphne answers 500.
      response res{http::status::internal_server_error, req.version()};
      res.keep_alive(false);
      res.prepare_payload();
      return respond(req, std::move(res));
    }
    log(req, 101);
    if (server_->w.find_race(parts[3]) == nullptr)
      return refuse_unknown_race();
    beast::get_lowest_layer(stream_).expires_never();
    auto ws = std::make_shared<ws_session<Stream>>(server_, std::move(stream_),
                                                   parts[3], token_of(req));
    ws->start(std::move(req));
  }

  /// The consumer neither accepts nor closes. Daphne reset the connection
  /// at once on the last check against the real server; an earlier run saw
  /// it hang for the 5 s handshake timeout first (the fault mode).
  void refuse_unknown_race() {
    auto hang = server_->options.unknown_race_hang;
    if (hang.count() <= 0) {
      beast::error_code ignored;
      auto& socket = beast::get_lowest_layer(stream_).socket();
      socket.set_option(net::socket_base::linger(true, 0), ignored);
      socket.close(ignored); // linger 0: a reset, not a FIN
      return;
    }
    auto self = this->shared_from_this();
    auto timer = std::make_shared<net::steady_timer>(server_->io, hang);
    timer->async_wait([self, timer](beast::error_code) {
      self->close();
    });
  }

  void log(const http::request<http::string_body>& req, unsigned status) {
    // Only the path: a query may carry ?token=.
    std::string target{req.target()};
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started_)
                  .count();
    spdlog::info("{}{} {} {} ({} ms)", control_ ? "control " : "",
                 std::string{req.method_string()},
                 target.substr(0, target.find('?')), status, ms);
  }

  void respond(const http::request<http::string_body>& req, response res) {
    log(req, res.result_int());
    auto self = this->shared_from_this();
    auto msg = std::make_shared<response>(std::move(res));
    http::async_write(stream_, *msg,
                      [self, msg](beast::error_code ec, std::size_t) {
                        if (ec || !msg->keep_alive())
                          return self->close();
                        self->read();
                      });
  }

  void close() override {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(
        tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  impl_ptr server_;
  Stream stream_;
  bool control_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::chrono::steady_clock::time_point started_;
};

} // namespace

void server::impl::accept(tcp::acceptor& a, bool control) {
  auto self = shared_from_this();
  a.async_accept(net::make_strand(io), [self, &a, control](beast::error_code ec,
                                                           tcp::socket socket) {
    if (ec)
      return;
    socket.set_option(tcp::no_delay{true}, ec);
    if (self->stopping)
      return;
    if (!control)
      ++self->ctx.connections_accepted;
    std::shared_ptr<closable> session;
    if (!control && self->tls) {
      beast::ssl_stream<beast::tcp_stream> stream{
          beast::tcp_stream{std::move(socket)}, *self->tls};
      auto s =
          std::make_shared<http_session<beast::ssl_stream<beast::tcp_stream>>>(
              self, std::move(stream), false);
      s->start();
      session = s;
    } else {
      auto s = std::make_shared<http_session<beast::tcp_stream>>(
          self, beast::tcp_stream{std::move(socket)}, control);
      s->start();
      session = s;
    }
    auto& list = self->connections;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [](const auto& w) {
                                return w.expired();
                              }),
               list.end());
    list.push_back(session);
    self->accept(a, control);
  });
}

server::server(net::io_context& io, double time_scale, server_options options)
    : impl_(std::make_shared<impl>(io, time_scale, std::move(options))) {
  impl_->wire();
}

server::~server() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->control_acceptor.close(ignored);
}

void server::start() {
  auto& o = impl_->options;
  if (!o.tls_cert.empty())
    impl_->tls = protocol::make_server_tls_context(o.tls_cert, o.tls_key);
  impl_->listen(impl_->acceptor, o.port, "the racetime.gg port");
  impl_->listen(impl_->control_acceptor, o.control_port, "the control port");
  impl_->accept(impl_->acceptor, false);
  impl_->accept(impl_->control_acceptor, true);
}

void server::stop() {
  auto state = impl_;
  net::post(state->io, [state] {
    state->stopping = true;
    beast::error_code ignored;
    state->acceptor.close(ignored);
    state->control_acceptor.close(ignored);
    for (auto& [slug, list] : state->sockets)
      for (auto& s : list)
        if (auto sock = s.lock())
          sock->drop();
    state->sockets.clear();
    for (auto& c : state->connections)
      if (auto conn = c.lock())
        conn->close();
    state->connections.clear();
    for (auto& t : state->timers)
      if (auto timer = t.lock())
        timer->cancel();
    state->timers.clear();
  });
}

std::uint16_t server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::uint16_t server::control_port() const {
  return impl_->control_acceptor.local_endpoint().port();
}

world& server::state() {
  return impl_->w;
}

void server::enable_demo_players() {
  demo_settings s;
  s.enabled = true;
  impl_->demo.configure(s);
}

} // namespace racecontrol::sim
