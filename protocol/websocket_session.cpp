#include "protocol/websocket_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <mutex>

namespace racecontrol::protocol {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

using ws_plain = websocket::stream<beast::tcp_stream>;
using ws_tls = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using clock = std::chrono::steady_clock;

constexpr const char* ping_frame = R"({"action":"ping","data":{}})";

} // namespace

struct websocket_session::impl : std::enable_shared_from_this<impl> {
  enum class state { idle, connecting, open, stopped };

  impl(net::io_context& io, std::shared_ptr<ssl::context> tls, url target,
       token_provider tokens, websocket_handlers handlers,
       websocket_options options)
      : strand(net::make_strand(io)), tls(std::move(tls)),
        target(std::move(target)), tokens(std::move(tokens)),
        handlers(std::move(handlers)), options(options), resolver(strand),
        retry_timer(strand), liveness_timer(strand), token_timer(strand),
        retry(options.reconnect), alive(options.ping_interval) {}

  // --- connecting -------------------------------------------------------

  void connect() {
    if (current == state::stopped)
      return;
    ++generation;
    current = state::connecting;
    auto token = tokens ? tokens() : std::nullopt;
    if (!token)
      return lost("no bearer token available yet");
    token_in_use = *token;
    auto self = shared_from_this();
    auto gen = generation;
    resolver.async_resolve(
        target.host, std::to_string(target.port),
        [self, gen](beast::error_code ec, tcp::resolver::results_type results) {
          if (gen != self->generation)
            return;
          if (ec)
            return self->lost("cannot resolve " + self->target.host + ": " +
                              ec.message());
          if (self->target.secure())
            self->open_stream(
                std::make_shared<ws_tls>(self->strand, *self->tls), results);
          else
            self->open_stream(std::make_shared<ws_plain>(self->strand),
                              results);
        });
  }

  template <class Stream>
  void open_stream(std::shared_ptr<Stream> ws,
                   const tcp::resolver::results_type& results) {
    auto& tcp_layer = beast::get_lowest_layer(*ws);
    tcp_layer.expires_after(options.connect_timeout);
    auto self = shared_from_this();
    auto gen = generation;
    tcp_layer.async_connect(results, [self, gen, ws](beast::error_code ec,
                                                     const tcp::endpoint&) {
      if (gen != self->generation)
        return;
      if (ec)
        return self->lost("cannot connect to " + self->target.authority() +
                          ": " + ec.message());
      beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay{true}, ec);
      self->secure_layer(ws);
    });
  }

  template <class Stream>
  void secure_layer(std::shared_ptr<Stream> ws) {
    if constexpr (std::is_same_v<Stream, ws_tls>) {
      auto& tls_stream = ws->next_layer();
      SSL_set_tlsext_host_name(tls_stream.native_handle(), target.host.c_str());
      tls_stream.set_verify_mode(ssl::verify_peer);
      tls_stream.set_verify_callback(ssl::host_name_verification(target.host));
      beast::get_lowest_layer(*ws).expires_after(options.handshake_timeout);
      auto self = shared_from_this();
      auto gen = generation;
      tls_stream.async_handshake(
          ssl::stream_base::client, [self, gen, ws](beast::error_code ec) {
            if (gen != self->generation)
              return;
            if (ec)
              return self->lost("TLS handshake failed: " + ec.message());
            self->upgrade(ws);
          });
    } else {
      upgrade(ws);
    }
  }

  template <class Stream>
  void upgrade(std::shared_ptr<Stream> ws) {
    // Beast runs the WebSocket timeouts from here on.
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options.handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws->set_option(timeouts);
    ws->read_message_max(options.max_message_bytes);
    auto bearer = "Bearer " + token_in_use.value;
    auto agent = options.user_agent;
    ws->set_option(websocket::stream_base::decorator(
        [bearer, agent](websocket::request_type& req) {
          req.set(beast::http::field::authorization, bearer);
          req.set(beast::http::field::user_agent, agent);
        }));
    auto self = shared_from_this();
    auto gen = generation;
    ws->async_handshake(target.authority(), target.target,
                        [self, gen, ws](beast::error_code ec) {
                          if (gen != self->generation)
                            return;
                          if (ec)
                            return self->lost("WebSocket handshake with " +
                                              self->target.authority() +
                                              " failed: " + ec.message());
                          self->opened(ws);
                        });
  }

  template <class Stream>
  void opened(std::shared_ptr<Stream> ws) {
    if constexpr (std::is_same_v<Stream, ws_tls>)
      secure = ws;
    else
      plain = ws;
    current = state::open;
    auto now = clock::now();
    retry.succeeded(now);
    alive.heard(now);
    ws->control_callback(
        [self = shared_from_this()](websocket::frame_type, beast::string_view) {
          self->alive.heard(clock::now());
        });
    arm_liveness();
    arm_token_rotation();
    notify([&] {
      if (handlers.on_open)
        handlers.on_open();
    });
    read(ws);
    write_next();
  }

  // --- reading and writing ---------------------------------------------

  template <class Stream>
  void read(std::shared_ptr<Stream> ws) {
    auto self = shared_from_this();
    auto gen = generation;
    ws->async_read(buffer, [self, gen, ws](beast::error_code ec, std::size_t) {
      if (gen != self->generation)
        return;
      if (ec)
        return self->lost(self->close_reason(*ws, ec));
      self->alive.heard(clock::now());
      auto text = beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      self->notify([&] {
        if (self->handlers.on_message)
          self->handlers.on_message(std::move(text));
      });
      if (gen == self->generation && self->current == state::open)
        self->read(ws);
    });
  }

  /// Beast may report a reset (the server drops TCP right after its close
  /// frame) while the close frame it read holds the code: look at that
  /// first, whatever the error.
  template <class Stream>
  std::string close_reason(Stream& ws, beast::error_code ec) {
    auto reason = ws.reason();
    if (reason.code != websocket::close_code::none)
      return "closed by the server with code " +
             std::to_string(static_cast<int>(reason.code)) +
             (reason.reason.empty() ? ""
                                    : " (" + std::string{reason.reason} + ")");
    if (ec == websocket::error::closed)
      return "closed by the server without a code";
    return "connection lost: " + ec.message();
  }

  void write_next() {
    if (writing || queue.empty() || current != state::open)
      return;
    writing = true;
    auto self = shared_from_this();
    auto gen = generation;
    auto done = [self, gen](beast::error_code ec, std::size_t) {
      if (gen != self->generation)
        return;
      self->writing = false;
      if (ec)
        return self->lost("write failed: " + ec.message());
      self->queue.pop_front();
      self->write_next();
    };
    if (secure) {
      secure->text(true);
      secure->async_write(net::buffer(queue.front()), done);
    } else {
      plain->text(true);
      plain->async_write(net::buffer(queue.front()), done);
    }
  }

  void enqueue(std::string text) {
    if (queue.size() >= options.max_queue)
      queue.pop_front();
    queue.push_back(std::move(text));
    write_next();
  }

  // --- timers -------------------------------------------------------------

  void arm_liveness() {
    liveness_timer.expires_after(alive.interval() / 4);
    auto self = shared_from_this();
    auto gen = generation;
    liveness_timer.async_wait([self, gen](beast::error_code ec) {
      if (ec || gen != self->generation || self->current != state::open)
        return;
      switch (self->alive.check(clock::now())) {
        case liveness::verdict::dead:
          return self->lost("no data from the server for two ping "
                            "intervals");
        case liveness::verdict::send_ping:
          self->enqueue(ping_frame);
          break;
        case liveness::verdict::fine:
          break;
      }
      self->arm_liveness();
    });
  }

  void arm_token_rotation() {
    auto due = token_in_use.expires_at - options.token_margin;
    auto now = clock::now();
    token_timer.expires_after(due > now ? due - now
                                        : std::chrono::milliseconds{1000});
    auto self = shared_from_this();
    auto gen = generation;
    token_timer.async_wait([self, gen](beast::error_code ec) {
      if (ec || gen != self->generation || self->current != state::open)
        return;
      auto fresh = self->tokens ? self->tokens() : std::nullopt;
      if (fresh && fresh->value != self->token_in_use.value) {
        // racetime.gg checks the token on every action: move before it
        // expires, without counting this as a failure.
        self->drop();
        self->connect();
        return;
      }
      self->token_timer.expires_after(self->options.token_recheck);
      self->arm_token_rotation_retry(gen);
    });
  }

  void arm_token_rotation_retry(std::uint64_t gen) {
    auto self = shared_from_this();
    token_timer.async_wait([self, gen](beast::error_code ec) {
      if (ec || gen != self->generation || self->current != state::open)
        return;
      self->arm_token_rotation();
    });
  }

  // --- callbacks -----------------------------------------------------------

  /// Runs a callback unless the owner stopped the session. The lock makes
  /// stop() wait for a callback in progress; it is recursive so a callback
  /// may call stop().
  template <class F>
  void notify(F&& f) {
    std::lock_guard<std::recursive_mutex> guard{callback_mtx};
    if (callbacks_enabled)
      f();
  }

  void disable_callbacks() {
    std::lock_guard<std::recursive_mutex> guard{callback_mtx};
    callbacks_enabled = false;
  }

  // --- losing and closing ---------------------------------------------

  /// Closes the current transport without a reconnect of its own.
  void drop() {
    ++generation;
    writing = false;
    liveness_timer.cancel();
    token_timer.cancel();
    resolver.cancel();
    beast::error_code ignored;
    if (plain)
      beast::get_lowest_layer(*plain).close();
    if (secure)
      beast::get_lowest_layer(*secure).close();
    plain.reset();
    secure.reset();
    buffer.consume(buffer.size());
  }

  void lost(const std::string& reason) {
    if (current == state::stopped)
      return;
    drop();
    current = state::idle;
    auto now = clock::now();
    retry.failed(now);
    auto delay = retry.next_delay();
    notify([&] {
      if (handlers.on_disconnect)
        handlers.on_disconnect(reason, delay);
    });
    retry_timer.expires_after(delay);
    auto self = shared_from_this();
    retry_timer.async_wait([self](beast::error_code ec) {
      if (!ec && self->current == state::idle)
        self->connect();
    });
  }

  void stop() {
    current = state::stopped;
    retry_timer.cancel();
    auto ws_plain_ptr = plain;
    auto ws_tls_ptr = secure;
    ++generation;
    liveness_timer.cancel();
    token_timer.cancel();
    resolver.cancel();
    auto self = shared_from_this();
    // A polite close when open; the transport goes either way.
    if (ws_plain_ptr && ws_plain_ptr->is_open())
      ws_plain_ptr->async_close(
          websocket::close_code::normal, [ws_plain_ptr](beast::error_code) {
            beast::get_lowest_layer(*ws_plain_ptr).close();
          });
    else if (ws_tls_ptr && ws_tls_ptr->is_open())
      ws_tls_ptr->async_close(websocket::close_code::normal,
                              [ws_tls_ptr](beast::error_code) {
                                beast::get_lowest_layer(*ws_tls_ptr).close();
                              });
    plain.reset();
    secure.reset();
    queue.clear();
  }

  net::strand<net::io_context::executor_type> strand;
  std::shared_ptr<ssl::context> tls;
  url target;
  token_provider tokens;
  websocket_handlers handlers;
  websocket_options options;
  tcp::resolver resolver;
  net::steady_timer retry_timer;
  net::steady_timer liveness_timer;
  net::steady_timer token_timer;
  backoff retry;
  liveness alive;
  state current = state::idle;
  std::uint64_t generation = 0;
  bearer_token token_in_use;
  std::shared_ptr<ws_plain> plain;
  std::shared_ptr<ws_tls> secure;
  beast::flat_buffer buffer;
  std::deque<std::string> queue;
  bool writing = false;
  std::recursive_mutex callback_mtx;
  bool callbacks_enabled = true;
};

websocket_session::websocket_session(net::io_context& io,
                                     std::shared_ptr<ssl::context> tls,
                                     url target, token_provider tokens,
                                     websocket_handlers handlers,
                                     websocket_options options)
    : impl_(std::make_shared<impl>(io, std::move(tls), std::move(target),
                                   std::move(tokens), std::move(handlers),
                                   options)) {}

websocket_session::~websocket_session() {
  stop();
}

void websocket_session::start() {
  auto state = impl_;
  net::post(state->strand, [state] {
    if (state->current == impl::state::idle)
      state->connect();
  });
}

void websocket_session::send(std::string text) {
  auto state = impl_;
  net::post(state->strand, [state, text = std::move(text)]() mutable {
    if (state->current != impl::state::stopped)
      state->enqueue(std::move(text));
  });
}

void websocket_session::stop() {
  impl_->disable_callbacks();
  auto state = impl_;
  net::post(state->strand, [state] {
    if (state->current != impl::state::stopped)
      state->stop();
  });
}

void websocket_session::reconnect_now() {
  auto state = impl_;
  net::post(state->strand, [state] {
    if (state->current == impl::state::stopped)
      return;
    state->retry_timer.cancel();
    state->drop();
    state->connect();
  });
}

} // namespace racecontrol::protocol
