#include "protocol/websocket_session.hpp"

#include "protocol/serial_executor.hpp"

#include "protocol/address_results.hpp"
#include "protocol/deadline_sweep.hpp"
#include "protocol/iso8601.hpp"
#include "protocol/json.hpp"
#include "protocol/tls_session_cache.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>

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
using std::chrono::milliseconds;

constexpr std::string_view permission_denied =
    "Permission denied. Check your authorization token.";

std::string ms(milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

outgoing_frame own_frame(std::string text, action_kind kind) {
  outgoing_frame f;
  f.text = std::move(text);
  f.kind = kind;
  f.own = true;
  return f;
}

/// What the session itself needs from a frame that arrived.
struct inbound {
  enum class kind { other, pong, refusal, chat } what = kind::other;
  std::string chat_id; ///< the newest chat message in it
  time_point chat_at{};
};

/// The newest message of a chat.message / chat.history frame.
void newest_chat(const rapidjson::Value& m, inbound& in) {
  if (!m.IsObject())
    return;
  auto id = m.FindMember("id");
  auto at = m.FindMember("posted_at");
  if (id == m.MemberEnd() || !id->value.IsString() || at == m.MemberEnd() ||
      !at->value.IsString())
    return;
  auto when =
      parse_iso8601_time({at->value.GetString(), at->value.GetStringLength()});
  if (!when || (!in.chat_id.empty() && *when < in.chat_at))
    return;
  in.what = inbound::kind::chat;
  in.chat_id.assign(id->value.GetString(), id->value.GetStringLength());
  in.chat_at = *when;
}

inbound read_inbound(std::string_view text) {
  inbound in;
  // Most frames are race.data and race.renders: skip the parse for them.
  if (text.find("\"pong\"") == std::string_view::npos &&
      text.find("\"error\"") == std::string_view::npos &&
      text.find("\"chat.") == std::string_view::npos)
    return in;
  rapidjson::Document doc;
  try {
    doc = parse_json(text);
  } catch (const json_error&) {
    return in; // the owner's parser will say what is wrong with it
  }
  auto type = doc.IsObject() ? doc.FindMember("type") : doc.MemberEnd();
  if (!doc.IsObject() || type == doc.MemberEnd() || !type->value.IsString())
    return in;
  std::string_view t{type->value.GetString(), type->value.GetStringLength()};
  if (t == "pong") {
    in.what = inbound::kind::pong;
  } else if (t == "error") {
    auto errors = doc.FindMember("errors");
    if (errors != doc.MemberEnd() && errors->value.IsArray() &&
        errors->value.Size() == 1 && errors->value[0].IsString() &&
        std::string_view{errors->value[0].GetString()} == permission_denied)
      in.what = inbound::kind::refusal;
  } else if (t == "chat.message") {
    auto m = doc.FindMember("message");
    if (m != doc.MemberEnd())
      newest_chat(m->value, in);
  } else if (t == "chat.history") {
    auto list = doc.FindMember("messages");
    if (list != doc.MemberEnd() && list->value.IsArray())
      for (const auto& m : list->value.GetArray())
        newest_chat(m, in);
  }
  return in;
}

} // namespace

struct websocket_session::impl : std::enable_shared_from_this<impl> {
  // idle -> connecting -> open -> (settling -> closing ->) connecting ...
  //  ^                     |  lost: backoff, back to idle
  //  +---------------------+
  // `settling` waits for sent actions to settle before a move to a fresh
  // token; `closing` is the close handshake of that move.
  enum class phase { idle, connecting, open, settling, closing, stopped };

  impl(net::io_context& io, std::shared_ptr<ssl::context> tls, url target,
       std::shared_ptr<token_source> tokens, websocket_handlers handlers,
       websocket_options options)
      : serial(serial_executor(io)), tls(std::move(tls)),
        target(std::move(target)), tokens(std::move(tokens)),
        handlers(std::move(handlers)), options(std::move(options)),
        resolver(serial), resolve_timer(serial), retry_timer(serial),
        sweep(net::use_service<deadline_sweep>(io)), rotation_timer(serial),
        write_timer(serial), settle_timer(serial), refusal_timer(serial),
        retry(this->options.reconnect), alive(this->options.ping_interval) {}

  void begin() {
    std::weak_ptr<impl> weak = shared_from_this();
    sweep.watch(
        check_due,
        [weak] {
          if (auto self = weak.lock())
            net::post(self->serial, [self] {
              self->check_liveness();
            });
        },
        std::max(milliseconds{10}, options.ping_interval / 4));
    subscription = tokens->subscribe([weak] {
      if (auto self = weak.lock())
        net::post(self->serial, [self] {
          self->token_pushed();
        });
    });
    connect();
  }

  // --- connecting -------------------------------------------------------

  void connect() {
    if (current == phase::stopped)
      return;
    ++generation;
    current = phase::connecting;
    auto token = tokens->current();
    waiting_for_token = !token;
    if (!token)
      return lost("no bearer token available yet");
    token_in_use = *token;
    if (auto at = address_results(target.host, target.port))
      return open_stream(*at);
    auto self = shared_from_this();
    auto gen = generation;
    resolve_timer.expires_after(options.resolve_timeout);
    resolve_timer.async_wait([self, gen](beast::error_code ec) {
      if (!ec && gen == self->generation)
        self->lost("resolving " + self->target.host + " took longer than " +
                   ms(self->options.resolve_timeout));
    });
    resolver.async_resolve(
        target.host, std::to_string(target.port),
        [self, gen](beast::error_code ec, tcp::resolver::results_type results) {
          if (gen != self->generation)
            return;
          self->resolve_timer.cancel();
          if (ec)
            return self->lost("cannot resolve " + self->target.host + ": " +
                              ec.message());
          self->open_stream(results);
        });
  }

  void open_stream(const tcp::resolver::results_type& endpoints) {
    if (target.secure())
      open_stream(std::make_shared<ws_tls>(serial, *tls), endpoints);
    else
      open_stream(std::make_shared<ws_plain>(serial), endpoints);
  }

  template <class Stream>
  void open_stream(std::shared_ptr<Stream> ws,
                   const tcp::resolver::results_type& endpoints) {
    auto& tcp_layer = beast::get_lowest_layer(*ws);
    tcp_layer.expires_after(options.connect_timeout);
    auto self = shared_from_this();
    auto gen = generation;
    tcp_layer.async_connect(endpoints, [self, gen, ws](beast::error_code ec,
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
      offer_tls_session(tls_stream.native_handle(), target.host, target.port);
      beast::get_lowest_layer(*ws).expires_after(options.handshake_timeout);
      auto self = shared_from_this();
      auto gen = generation;
      tls_stream.async_handshake(
          ssl::stream_base::client, [self, gen, ws](beast::error_code ec) {
            if (gen != self->generation)
              return;
            if (ec)
              return self->lost("TLS handshake failed: " + ec.message());
            count_tls_handshake(ws->next_layer().native_handle());
            self->upgrade(ws);
          });
    } else {
      upgrade(ws);
    }
  }

  template <class Stream>
  void upgrade(std::shared_ptr<Stream> ws) {
    // Beast runs the WebSocket timeouts from here on (the handshake
    // timeout also bounds the closing handshake).
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options.handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws->set_option(timeouts);
    ws->read_message_max(options.max_message_bytes);
    // Beast keeps a write buffer per socket for masking once anything was
    // sent (4 KB by default), for the socket's life: at 10,000 rooms that
    // is 40 MB for a few chat lines each. A message goes out as one frame,
    // masked and written 1 KB at a time.
    ws->auto_fragment(false);
    ws->write_buffer_bytes(1024);
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
    current = phase::open;
    ++counters.opened;
    auto now = clock::now();
    retry.succeeded(now);
    heard(now);
    ws->control_callback(
        [self = shared_from_this()](websocket::frame_type, beast::string_view) {
          self->heard(clock::now());
        });
    if (refused_token && *refused_token != token_in_use.value) {
      refused_token.reset(); // the fresh token cures the refusal
      refusal_timer.cancel();
    }
    if (opened_before)
      resync();
    opened_before = true;
    arm_rotation();
    notify([&] {
      if (handlers.on_open)
        handlers.on_open();
    });
    if (current != phase::open)
      return; // stopped from on_open
    read(ws);
    pump();
    maybe_rotate();
  }

  /// racetime.gg does not replay what it broadcast while we were away.
  void resync() {
    own.push_back(
        own_frame(R"({"action":"getrace","data":{}})", action_kind::read_only));
    own.push_back(own_frame(json_text([&](json_writer& w) {
                              w.StartObject();
                              write_string(w, "action", "gethistory");
                              w.Key("data");
                              w.StartObject();
                              if (!last_chat_id.empty())
                                write_string(w, "last_message", last_chat_id);
                              w.EndObject();
                              w.EndObject();
                            }),
                            action_kind::read_only));
  }

  // --- reading ------------------------------------------------------------

  template <class Stream>
  void read(std::shared_ptr<Stream> ws) {
    auto self = shared_from_this();
    auto gen = generation;
    ws->async_read(buffer, [self, gen, ws](beast::error_code ec, std::size_t) {
      if (gen != self->generation)
        return;
      if (ec) {
        if (self->current == phase::closing)
          return; // the close handshake's handler carries on
        return self->lost(self->close_reason(*ws, ec));
      }
      self->heard(clock::now());
      auto text = beast::buffers_to_string(self->buffer.data());
      // A room's socket is silent most of the time: give the buffer back
      // rather than keep the largest frame's capacity for every room (one
      // allocation per frame costs less than the frame's parse).
      self->buffer.consume(self->buffer.size());
      self->buffer.shrink_to_fit();
      if (self->received(text))
        self->notify([&] {
          if (self->handlers.on_message)
            self->handlers.on_message(std::move(text));
        });
      if (gen == self->generation && self->current != phase::closing)
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

  /// Bookkeeping for a frame that arrived; false when it is the session's
  /// own business (a refusal it handles, the pong to its own ping).
  bool received(const std::string& text) {
    auto in = read_inbound(text);
    switch (in.what) {
      case inbound::kind::pong: {
        auto v = ledger.pong();
        apply(v, "");
        pump();
        maybe_finish_settling();
        return v.answers_owner;
      }
      case inbound::kind::refusal:
        if (!ledger.permission_denied())
          return true;
        refused();
        return false;
      case inbound::kind::chat:
        // A history reply may hold only older (pinned) messages.
        if (last_chat_id.empty() || in.chat_at >= last_chat_at) {
          last_chat_id = in.chat_id;
          last_chat_at = in.chat_at;
        }
        return true;
      case inbound::kind::other:
        break;
    }
    return true;
  }

  // --- writing ------------------------------------------------------------

  /// Writes the next frame, if one may go now: the session's own first,
  /// then frames sent again, then the queue; a ping after a burst of
  /// actions so they settle.
  void pump() {
    if (writing || (current != phase::open && current != phase::settling))
      return;
    std::optional<outgoing_frame> next;
    if (!own.empty()) {
      next = std::move(own.front());
      own.pop_front();
    } else if (current == phase::open && !holding()) {
      auto& from = again.empty() ? queue : again;
      if (!from.empty()) {
        next = std::move(from.front());
        from.pop_front();
      }
    }
    if (!next && ledger.needs_ping())
      next = own_frame(R"({"action":"ping","data":{}})", action_kind::ping);
    if (next)
      write(std::move(*next));
  }

  void write(outgoing_frame f) {
    if (f.first_written == steady_time{})
      f.first_written = clock::now();
    // The buffer belongs to the write until its handler runs, whatever
    // happens to the session's queues meanwhile.
    auto text = std::make_shared<const std::string>(f.text);
    ledger.written(std::move(f));
    writing = true;
    auto seq = ++write_seq;
    auto self = shared_from_this();
    auto gen = generation;
    write_timer.expires_after(options.write_timeout);
    write_timer.async_wait([self, gen, seq](beast::error_code ec) {
      if (!ec && gen == self->generation && self->writing &&
          seq == self->write_seq)
        self->lost("a write did not finish within " +
                   ms(self->options.write_timeout) +
                   ": the server stopped reading");
    });
    if (secure)
      write_on(secure, text, gen);
    else
      write_on(plain, text, gen);
  }

  template <class Stream>
  void write_on(std::shared_ptr<Stream> ws,
                std::shared_ptr<const std::string> text, std::uint64_t gen) {
    ws->text(true);
    auto self = shared_from_this();
    ws->async_write(net::buffer(*text),
                    [self, gen, ws, text](beast::error_code ec, std::size_t) {
                      if (gen != self->generation)
                        return;
                      if (ec)
                        return self->write_failed(ec);
                      self->write_timer.cancel();
                      self->writing = false;
                      self->pump();
                      self->maybe_finish_settling();
                    });
  }

  /// The read side learns of the same broken connection at once and may
  /// know more (the server's close frame, read just before a reset): it
  /// gets a moment to report first. Nothing is written meanwhile.
  void write_failed(beast::error_code ec) {
    auto self = shared_from_this();
    auto gen = generation;
    auto reason = "write failed: " + ec.message();
    write_timer.expires_after(milliseconds{100});
    write_timer.async_wait([self, gen, reason](beast::error_code e) {
      if (!e && gen == self->generation)
        self->lost(reason);
    });
  }

  void enqueue(std::string text) {
    if (queue.size() >= options.max_queue)
      return report({std::move(text), drop_reason::queue_full,
                     "the send queue is full (" +
                         std::to_string(options.max_queue) +
                         " frames): this frame was not queued"});
    outgoing_frame f;
    f.kind = classify_action(text);
    f.text = std::move(text);
    queue.push_back(std::move(f));
    pump();
  }

  /// Takes the ledger's verdict: frames to send again go before the queue
  /// (in order), the rest is reported.
  void apply(action_ledger::verdict& v, const std::string& why) {
    for (auto& f : v.resend) {
      ++counters.resent;
      again.push_back(std::move(f));
    }
    for (auto& f : v.refused)
      report({std::move(f.text), drop_reason::refused,
              "racetime.gg refused the token for this frame twice, the "
              "second time with a fresh token"});
    for (auto& f : v.unknown)
      report({std::move(f.text), drop_reason::outcome_unknown,
              "written, then the connection ended (" + why +
                  ") before racetime.gg could be seen to handle it: it may "
                  "or may not have taken effect"});
  }

  // --- tokens ---------------------------------------------------------------

  /// racetime.gg refused the token in use for an action we wrote.
  void refused() {
    ++counters.refusals;
    if (!holding()) {
      refused_token = token_in_use.value;
      tokens->refused(token_in_use.value);
      arm_refusal_wait();
    }
    pump(); // a ping settles what was written; nothing else goes out
    maybe_rotate();
  }

  /// Writes wait while the token in use is one racetime.gg refused.
  bool holding() const {
    return refused_token && *refused_token == token_in_use.value;
  }

  void arm_refusal_wait() {
    refusal_timer.expires_after(options.refusal_wait);
    auto self = shared_from_this();
    auto value = *refused_token;
    refusal_timer.async_wait([self, value](beast::error_code ec) {
      if (ec || self->current == phase::stopped || self->refused_token != value)
        return;
      self->give_up_refused();
    });
  }

  /// No fresh token came: report the refused frames, write again.
  void give_up_refused() {
    std::list<outgoing_frame> keep;
    for (auto& f : again) {
      if (f.refused)
        report({std::move(f.text), drop_reason::refused,
                "racetime.gg refused the token, and no fresh token came "
                "within " +
                    ms(options.refusal_wait)});
      else
        keep.push_back(std::move(f));
    }
    again = std::move(keep);
    refused_token.reset();
    pump();
  }

  void token_pushed() {
    if (current == phase::idle && (waiting_for_token || refused_token)) {
      retry_timer.cancel(); // the new token is what we waited for
      return connect();
    }
    maybe_rotate();
  }

  void arm_rotation() {
    auto due = token_in_use.expires_at - options.token_margin;
    auto now = clock::now();
    rotation_due = due <= now;
    if (rotation_due)
      return;
    // Re-armed hourly, so a far-off expiry cannot overflow the timer.
    rotation_timer.expires_after(
        std::min<clock::duration>(due - now, std::chrono::hours{1}));
    auto self = shared_from_this();
    auto gen = generation;
    rotation_timer.async_wait([self, gen](beast::error_code ec) {
      if (ec || gen != self->generation)
        return;
      self->arm_rotation();
      self->maybe_rotate();
    });
  }

  /// Moves to a fresh token when one is needed and the source has it.
  void maybe_rotate() {
    if (current != phase::open || (!rotation_due && !holding()))
      return;
    auto fresh = tokens->current();
    if (!fresh || fresh->value == token_in_use.value)
      return; // the source pushes the next one
    current = phase::settling;
    auto self = shared_from_this();
    auto gen = generation;
    settle_timer.expires_after(options.settle_timeout);
    settle_timer.async_wait([self, gen](beast::error_code ec) {
      if (!ec && gen == self->generation && self->current == phase::settling)
        self->lost("sent actions did not settle within " +
                   ms(self->options.settle_timeout) +
                   " before the move to a fresh token");
    });
    pump();
    maybe_finish_settling();
  }

  void maybe_finish_settling() {
    if (current != phase::settling || writing || !ledger.settled())
      return;
    settle_timer.cancel();
    current = phase::closing;
    own.clear(); // pings and resync requests start over on the new socket
    ++counters.rotations;
    if (secure)
      close_for_move(secure);
    else
      close_for_move(plain);
  }

  template <class Stream>
  void close_for_move(std::shared_ptr<Stream> ws) {
    auto self = shared_from_this();
    auto gen = generation;
    ws->async_close(websocket::close_code::normal,
                    [self, gen, ws](beast::error_code) {
                      if (gen != self->generation)
                        return;
                      auto v = self->ledger.ended(clock::now());
                      self->apply(v, "moved to a fresh token");
                      self->drop();
                      self->connect(); // no backoff: nothing failed
                    });
  }

  // --- liveness -------------------------------------------------------------

  /// Anything arrived: the next liveness check moves on.
  void heard(clock::time_point now) {
    alive.heard(now);
    check_due->set(alive.next_check());
  }

  /// The sweep found the check due (posted onto its executor).
  void check_liveness() {
    if (current != phase::open && current != phase::settling)
      return; // not connected: nothing to check until it opens
    switch (alive.check(clock::now())) {
      case liveness::verdict::dead:
        return lost("no data from the server for two ping intervals");
      case liveness::verdict::send_ping:
        own.push_back(
            own_frame(R"({"action":"ping","data":{}})", action_kind::ping));
        pump();
        break;
      case liveness::verdict::fine:
        break;
    }
    check_due->set(alive.next_check());
  }

  // --- callbacks ------------------------------------------------------------

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

  void report(dropped_frame d) {
    ++counters.dropped;
    notify([&] {
      if (handlers.on_dropped)
        handlers.on_dropped(d);
    });
  }

  // --- losing and stopping --------------------------------------------------

  /// Closes the current transport; handlers of its operations see a new
  /// generation and leave everything alone (a write in flight keeps its
  /// buffer until its handler runs).
  void drop() {
    ++generation;
    writing = false;
    for (auto* t :
         {&resolve_timer, &rotation_timer, &write_timer, &settle_timer})
      t->cancel();
    check_due->clear();
    resolver.cancel();
    if (plain)
      beast::get_lowest_layer(*plain).close();
    if (secure)
      beast::get_lowest_layer(*secure).close();
    plain.reset();
    secure.reset();
    buffer.consume(buffer.size());
    own.clear();
  }

  void lost(const std::string& reason) {
    if (current == phase::stopped)
      return;
    auto v = ledger.ended(clock::now());
    apply(v, reason);
    drop();
    current = phase::idle;
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
      if (!ec && self->current == phase::idle)
        self->connect();
    });
  }

  template <class Stream>
  static void close_politely(const std::shared_ptr<Stream>& ws) {
    if (!ws)
      return;
    if (!ws->is_open()) // closing already, or broken
      return beast::get_lowest_layer(*ws).close();
    // Beast lets a close run beside a write in flight.
    ws->async_close(websocket::close_code::normal, [ws](beast::error_code) {
      beast::get_lowest_layer(*ws).close();
    });
  }

  void stop() {
    current = phase::stopped;
    ++generation;
    subscription.reset();
    for (auto* t : {&resolve_timer, &retry_timer, &rotation_timer, &write_timer,
                    &settle_timer, &refusal_timer})
      t->cancel();
    check_due->clear();
    resolver.cancel();
    close_politely(plain);
    close_politely(secure);
    plain.reset();
    secure.reset();
    own.clear();
    again.clear();
    queue.clear();
    ledger = action_ledger{};
  }

  struct atomic_stats {
    std::atomic<std::uint64_t> opened{0}, rotations{0}, refusals{0}, resent{0},
        dropped{0};
  };

  /// Runs this session's handlers one at a time (serial_executor).
  net::any_io_executor serial;
  std::shared_ptr<ssl::context> tls;
  url target;
  std::shared_ptr<token_source> tokens;
  websocket_handlers handlers;
  websocket_options options;
  tcp::resolver resolver;
  net::steady_timer resolve_timer;
  net::steady_timer retry_timer;
  deadline_sweep& sweep;
  /// When the liveness check is next due; cleared while not connected.
  std::shared_ptr<deadline_sweep::entry> check_due =
      std::make_shared<deadline_sweep::entry>();
  net::steady_timer rotation_timer;
  net::steady_timer write_timer;
  net::steady_timer settle_timer;
  net::steady_timer refusal_timer;
  backoff retry;
  liveness alive;
  phase current = phase::idle;
  std::uint64_t generation = 0;
  bearer_token token_in_use;
  std::optional<std::string> refused_token; ///< a token racetime.gg refused
  bool rotation_due = false;
  bool waiting_for_token = false;
  bool opened_before = false;
  std::shared_ptr<void> subscription;
  std::shared_ptr<ws_plain> plain;
  std::shared_ptr<ws_tls> secure;
  beast::flat_buffer buffer;
  // Lists, not deques: an empty std::deque holds 576 bytes, and a daemon
  // keeps thousands of sockets whose queues are empty nearly always.
  std::list<outgoing_frame> own;   ///< pings and resync requests
  std::list<outgoing_frame> again; ///< to send again, before the queue
  std::list<outgoing_frame> queue; ///< the owner's, at most max_queue
  bool writing = false;
  std::uint64_t write_seq = 0;
  action_ledger ledger;
  std::string last_chat_id; ///< the newest chat message seen
  time_point last_chat_at{};
  atomic_stats counters;
  std::recursive_mutex callback_mtx;
  bool callbacks_enabled = true;
};

websocket_session::websocket_session(net::io_context& io,
                                     std::shared_ptr<ssl::context> tls,
                                     url target,
                                     std::shared_ptr<token_source> tokens,
                                     websocket_handlers handlers,
                                     websocket_options options)
    : impl_(std::make_shared<impl>(io, std::move(tls), std::move(target),
                                   std::move(tokens), std::move(handlers),
                                   std::move(options))) {
  if (!impl_->tokens)
    throw std::invalid_argument("websocket_session needs a token_source");
}

websocket_session::~websocket_session() {
  stop();
}

void websocket_session::start() {
  auto state = impl_;
  net::post(state->serial, [state] {
    if (state->current == impl::phase::idle && !state->subscription)
      state->begin();
  });
}

void websocket_session::send(std::string text) {
  auto state = impl_;
  net::post(state->serial, [state, text = std::move(text)]() mutable {
    if (state->current != impl::phase::stopped)
      state->enqueue(std::move(text));
  });
}

void websocket_session::stop() {
  impl_->disable_callbacks();
  auto state = impl_;
  net::post(state->serial, [state] {
    if (state->current != impl::phase::stopped)
      state->stop();
  });
}

websocket_stats websocket_session::stats() const {
  const auto& c = impl_->counters;
  return {c.opened.load(), c.rotations.load(), c.refusals.load(),
          c.resent.load(), c.dropped.load()};
}

} // namespace racecontrol::protocol
