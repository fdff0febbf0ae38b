#include "protocol/line_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <type_traits>

namespace racecontrol::protocol {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using unix_socket = net::local::stream_protocol;
using error_code = boost::system::error_code;

void line_splitter::feed(std::string_view bytes, std::vector<event>& out) {
  for (char c : bytes) {
    if (c == '\n') {
      if (!discarding_) {
        if (!partial_.empty() && partial_.back() == '\r')
          partial_.pop_back();
        out.push_back({event::kind::line, std::move(partial_)});
      }
      partial_.clear();
      discarding_ = false;
      continue;
    }
    if (discarding_)
      continue;
    partial_.push_back(c);
    // One byte of slack for the '\r' of a CRLF line that is exactly at
    // the limit.
    if (partial_.size() > max_ + 1 ||
        (partial_.size() == max_ + 1 && c != '\r')) {
      out.push_back({event::kind::too_long, {}});
      partial_.clear();
      discarding_ = true;
    }
  }
}

namespace {

/// What stop() needs of a session, whatever its socket type.
class session_base {
 public:
  virtual ~session_base() = default;
  /// From any thread.
  virtual void close_later() = 0;
};

} // namespace

struct line_server::impl : std::enable_shared_from_this<line_server::impl> {
  impl(net::io_context& io, line_server_options options, line_handler handler)
      : io(io), options(std::move(options)), handler(std::move(handler)),
        tcp_acceptor(net::make_strand(io)),
        unix_acceptor(net::make_strand(io)) {}

  template <class Acceptor>
  void accept(Acceptor& acceptor);
  template <class Socket>
  void admit(Socket socket);

  net::io_context& io;
  const line_server_options options;
  const line_handler handler;
  tcp::acceptor tcp_acceptor;
  unix_socket::acceptor unix_acceptor;
  tcp::endpoint bound;
  bool unix_bound = false;
  std::atomic<std::uint64_t> next_id{0};
  std::atomic<std::size_t> live{0};
  /// Sessions of the unix socket, of `live`: each listener has its own
  /// max_sessions, so whoever can reach the TCP port (any local user, on
  /// loopback) cannot fill the places of the 0600 socket.
  std::atomic<std::size_t> live_unix{0};

  std::mutex mutex; ///< guards what follows
  std::vector<std::weak_ptr<session_base>> sessions;
  bool stopped = false;
};

namespace {

using impl_ptr = std::shared_ptr<line_server::impl>;

template <class Socket>
std::string describe_peer(const Socket& s) {
  if constexpr (std::is_same_v<typename Socket::protocol_type, tcp>) {
    error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (ec)
      return "tcp (peer unknown)";
    auto a = ep.address().to_string();
    if (ep.address().is_v6())
      a = "[" + a + "]";
    return a + ":" + std::to_string(ep.port());
  } else {
    return "unix socket";
  }
}

/// One client: greet, then read a line, hand it to the handler, write its
/// answer, and read the next. Everything runs on the socket's strand.
template <class Socket>
class session : public session_base,
                public std::enable_shared_from_this<session<Socket>> {
 public:
  session(impl_ptr server, Socket socket, bool refuse)
      : server_(std::move(server)), socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        login_timer_(socket_.get_executor()),
        reply_timer_(socket_.get_executor()),
        write_timer_(socket_.get_executor()),
        splitter_(server_->options.max_line), refuse_(refuse),
        id_(++server_->next_id) {
    if (!refuse_) {
      server_->live++;
      if (on_unix)
        server_->live_unix++;
    }
    peer_ = describe_peer(socket_);
  }

  ~session() override {
    if (!refuse_) {
      server_->live--;
      if (on_unix)
        server_->live_unix--;
    }
  }

  static constexpr bool on_unix =
      std::is_same_v<typename Socket::protocol_type, unix_socket>;

  void start() {
    net::dispatch(socket_.get_executor(), [self = this->shared_from_this()] {
      self->begin();
    });
  }

  void close_later() override {
    net::post(socket_.get_executor(), [self = this->shared_from_this()] {
      self->close();
    });
  }

  /// Posted by a reply: the answer to request number `number`.
  void answer(std::uint64_t number, std::string text, bool close_after) {
    if (!awaiting_ || number != request_ || closed_)
      return;
    awaiting_ = false;
    reply_timer_.cancel();
    send(std::move(text));
    if (close_after)
      return finish();
    next();
  }

  net::any_io_executor executor() { return socket_.get_executor(); }

 private:
  const line_server_options& options() const { return server_->options; }

  void begin() {
    if (refuse_) {
      send("error: the console has its most sessions open (" +
           std::to_string(options().max_sessions) + "); try again later\n");
      return finish();
    }
    opened_ = true;
    if (server_->handler.admitted && options().login_timeout.count() > 0)
      arm_login_timer(options().login_timeout);
    ask([&](line_reply reply) {
      server_->handler.opened(id_, peer_, std::move(reply));
    });
  }

  void arm_login_timer(std::chrono::milliseconds after) {
    login_timer_.expires_after(after);
    login_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec || self->closed_ || self->server_->handler.admitted(self->id_))
        return;
      // A login being checked now may be the one that succeeds.
      if (self->awaiting_)
        return self->arm_login_timer(std::chrono::seconds{1});
      self->send("error: not logged in within " +
                 std::to_string(self->options().login_timeout.count() / 1000) +
                 " s; closing the session\n");
      self->finish();
    });
  }

  /// Hands one event to the handler and waits for its answer (or the
  /// reply timeout).
  template <class Call>
  void ask(Call&& call) {
    auto number = ++request_;
    awaiting_ = true;
    reply_timer_.expires_after(options().reply_timeout);
    // The pending wait also keeps this session alive while the handler
    // works: replies hold only a weak reference.
    reply_timer_.async_wait(
        [self = this->shared_from_this(), number](error_code ec) {
          if (ec)
            return;
          self->answer(
              number,
              "error: no answer within " +
                  std::to_string(self->options().reply_timeout.count() / 1000) +
                  " s; racecontrold may be busy, try again\n",
              false);
        });
    auto slot = std::make_shared<reply_slot>(this->weak_from_this(), number);
    try {
      call([slot](std::string text, bool close) {
        slot->give(std::move(text), close);
      });
    } catch (const std::exception& e) {
      slot->give(std::string{"error: the command failed: "} + e.what() + "\n",
                 false);
    }
  }

  /// Where a reply's answer goes: posted onto the session's strand once;
  /// a reply never given becomes an error line when its last copy is gone.
  struct reply_slot {
    reply_slot(std::weak_ptr<session> s, std::uint64_t n)
        : target(std::move(s)), number(n) {}
    ~reply_slot() {
      if (!used.exchange(true))
        post("error: the command was dropped without an answer\n", false);
    }
    void give(std::string text, bool close) {
      if (!used.exchange(true))
        post(std::move(text), close);
    }
    void post(std::string text, bool close) {
      auto s = target.lock();
      if (!s)
        return;
      net::post(s->executor(),
                [s, n = number, t = std::move(text), close]() mutable {
                  s->answer(n, std::move(t), close);
                });
    }
    std::weak_ptr<session> target;
    std::uint64_t number;
    std::atomic<bool> used{false};
  };

  /// The next buffered event, or more input when none is left.
  void next() {
    while (!closed_ && !awaiting_ && !events_.empty()) {
      auto e = std::move(events_.front());
      events_.pop_front();
      if (e.what == line_splitter::event::kind::too_long) {
        send("error: line longer than " + std::to_string(options().max_line) +
             " bytes; ignored\n");
        continue;
      }
      ask([&](line_reply reply) {
        server_->handler.line(id_, std::move(e.text), std::move(reply));
      });
    }
    if (!closed_ && !awaiting_ && !reading_)
      read();
  }

  void read() {
    reading_ = true;
    arm_idle_timer();
    socket_.async_read_some(
        net::buffer(input_),
        [self = this->shared_from_this()](error_code ec, std::size_t n) {
          self->reading_ = false;
          self->idle_timer_.cancel();
          // The client's end of input: answer what came before it, then
          // close once that is written (`nc` sends a script, then EOF).
          if (ec == net::error::eof)
            return self->finish();
          if (ec)
            return self->close();
          std::vector<line_splitter::event> got;
          self->splitter_.feed({self->input_.data(), n}, got);
          for (auto& e : got)
            self->events_.push_back(std::move(e));
          self->next();
        });
  }

  void arm_idle_timer() {
    idle_timer_.expires_after(options().idle_timeout);
    idle_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec || !self->reading_ || self->closed_)
        return;
      self->send("idle for " +
                 std::to_string(self->options().idle_timeout.count() / 1000) +
                 " s; closing the session\n");
      self->finish();
    });
  }

  void send(std::string text) {
    if (closed_ || text.empty())
      return;
    queued_ += text.size();
    if (queued_ > options().max_output)
      return close(); // the client reads nothing: give up on it
    outbox_.push_back(std::move(text));
    if (outbox_.size() == 1)
      write_front();
  }

  void write_front() {
    write_timer_.expires_after(options().write_timeout);
    write_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (!ec)
        self->close();
    });
    net::async_write(
        socket_, net::buffer(outbox_.front()),
        [self = this->shared_from_this()](error_code ec, std::size_t) {
          self->write_timer_.cancel();
          if (ec)
            return self->close();
          self->queued_ -= self->outbox_.front().size();
          self->outbox_.pop_front();
          if (!self->outbox_.empty())
            return self->write_front();
          if (self->finishing_)
            self->close();
        });
  }

  /// Closes once everything queued is written.
  void finish() {
    finishing_ = true;
    if (outbox_.empty())
      close();
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    awaiting_ = false;
    idle_timer_.cancel();
    login_timer_.cancel();
    reply_timer_.cancel();
    write_timer_.cancel();
    error_code ignored;
    socket_.shutdown(net::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
    if (opened_ && server_->handler.closed)
      server_->handler.closed(id_);
  }

  impl_ptr server_;
  Socket socket_;
  net::steady_timer idle_timer_;
  net::steady_timer login_timer_;
  net::steady_timer reply_timer_;
  net::steady_timer write_timer_;
  line_splitter splitter_;
  std::deque<line_splitter::event> events_;
  std::deque<std::string> outbox_;
  std::size_t queued_ = 0;
  std::array<char, 4096> input_{};
  std::string peer_;
  const bool refuse_;
  const std::uint64_t id_;
  std::uint64_t request_ = 0;
  bool opened_ = false;
  bool awaiting_ = false;
  bool reading_ = false;
  bool finishing_ = false;
  bool closed_ = false;
};

} // namespace

template <class Acceptor>
void line_server::impl::accept(Acceptor& acceptor) {
  acceptor.async_accept(
      net::make_strand(io),
      [self = shared_from_this(), &acceptor](error_code ec, auto socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open())
          return;
        if (!ec) {
          self->admit(std::move(socket));
          return self->accept(acceptor);
        }
        // Out of file descriptors, say: do not spin; try again shortly.
        auto retry = std::make_shared<net::steady_timer>(
            acceptor.get_executor(), std::chrono::milliseconds{100});
        retry->async_wait([self, &acceptor, retry](error_code e) {
          if (!e)
            self->accept(acceptor);
        });
      });
}

template <class Socket>
void line_server::impl::admit(Socket socket) {
  auto unix_live = live_unix.load();
  auto own = std::is_same_v<typename Socket::protocol_type, unix_socket>
                 ? unix_live
                 : live.load() - unix_live;
  bool refuse = own >= options.max_sessions;
  auto s = std::make_shared<session<Socket>>(shared_from_this(),
                                             std::move(socket), refuse);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopped)
      return;
    if (sessions.size() > 2 * live.load() + 16)
      sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                    [](const std::weak_ptr<session_base>& w) {
                                      return w.expired();
                                    }),
                     sessions.end());
    sessions.push_back(s);
  }
  s->start();
}

line_server::line_server(net::io_context& io, line_server_options options,
                         line_handler handler)
    : impl_(
          std::make_shared<impl>(io, std::move(options), std::move(handler))) {}

line_server::~line_server() {
  stop();
}

namespace {

void listen_tcp(tcp::acceptor& a, const line_server_options& o) {
  auto where = o.address + ":" + std::to_string(o.port);
  error_code ec;
  auto address = net::ip::make_address(o.address, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + where + ": '" + o.address +
                             "' is not an IP address");
  tcp::endpoint ep{address, o.port};
  a.open(ep.protocol(), ec);
  if (!ec)
    a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    a.bind(ep, ec);
  if (!ec)
    a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    a.close(ignored);
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  }
}

/// A socket file left by a daemon that died is removed; one that a live
/// process answers on is not taken over.
void remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0)
    return;
  if (!S_ISSOCK(st.st_mode))
    throw std::runtime_error("cannot listen on " + path +
                             ": the path exists and is not a socket");
  net::io_context probe_io;
  unix_socket::socket probe{probe_io};
  error_code ec;
  probe.connect(unix_socket::endpoint{path}, ec);
  if (!ec)
    throw std::runtime_error("cannot listen on " + path +
                             ": another process is listening there");
  ::unlink(path.c_str());
}

void listen_unix(unix_socket::acceptor& a, const std::string& path) {
  remove_stale_socket(path);
  error_code ec;
  unix_socket::endpoint ep{path};
  a.open(ep.protocol(), ec);
  if (!ec)
    a.bind(ep, ec);
  // Only the daemon's own user may connect: the login is the second lock,
  // not the only one.
  if (!ec && ::chmod(path.c_str(), 0600) != 0)
    ec = error_code{errno, boost::system::system_category()};
  if (!ec)
    a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    a.close(ignored);
    throw std::runtime_error("cannot listen on " + path + ": " + ec.message());
  }
}

} // namespace

void line_server::start() {
  auto& o = impl_->options;
  if (!o.address.empty()) {
    listen_tcp(impl_->tcp_acceptor, o);
    impl_->bound = impl_->tcp_acceptor.local_endpoint();
  }
  if (!o.unix_path.empty()) {
    try {
      listen_unix(impl_->unix_acceptor, o.unix_path);
    } catch (...) {
      error_code ignored;
      impl_->tcp_acceptor.close(ignored);
      throw;
    }
    impl_->unix_bound = true;
  }
  if (impl_->tcp_acceptor.is_open())
    net::dispatch(impl_->tcp_acceptor.get_executor(), [self = impl_] {
      self->accept(self->tcp_acceptor);
    });
  if (impl_->unix_bound)
    net::dispatch(impl_->unix_acceptor.get_executor(), [self = impl_] {
      self->accept(self->unix_acceptor);
    });
}

void line_server::stop() {
  std::vector<std::weak_ptr<session_base>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped)
      return;
    impl_->stopped = true;
    open.swap(impl_->sessions);
  }
  net::post(impl_->tcp_acceptor.get_executor(), [self = impl_] {
    error_code ignored;
    self->tcp_acceptor.close(ignored);
  });
  net::post(impl_->unix_acceptor.get_executor(), [self = impl_] {
    error_code ignored;
    self->unix_acceptor.close(ignored);
  });
  if (impl_->unix_bound)
    ::unlink(impl_->options.unix_path.c_str());
  for (auto& w : open)
    if (auto s = w.lock())
      s->close_later();
}

std::uint16_t line_server::bound_port() const {
  return impl_->bound.port();
}

std::string line_server::bound_address() const {
  std::string out;
  if (impl_->bound.port() != 0) {
    const auto& b = impl_->bound;
    auto a = b.address().to_string();
    if (b.address().is_v6())
      a = "[" + a + "]";
    out = a + ":" + std::to_string(b.port());
  }
  if (impl_->unix_bound)
    out += (out.empty() ? "" : " and ") + impl_->options.unix_path;
  return out;
}

std::size_t line_server::sessions() const {
  return impl_->live.load();
}

} // namespace racecontrol::protocol
