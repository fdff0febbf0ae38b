#include "tools/discord-sim/discord_sim_server.hpp"

#include "tools/discord-sim/discord_routes.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace racecontrol::discord_sim {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// A connection the server closes when it stops.
struct closable {
  virtual ~closable() = default;
  virtual void close() = 0;
};

} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(net::io_context& io, server_options options)
      : io(io), options(std::move(options)), acceptor(io), control_acceptor(io),
        world(this->options.discord) {}

  void listen(tcp::acceptor& a, const std::string& address, std::uint16_t port,
              const char* what) {
    beast::error_code ec;
    tcp::endpoint ep{net::ip::make_address(address, ec), port};
    if (ec)
      throw std::runtime_error(std::string{"bad address for "} + what + ": " +
                               address);
    a.open(ep.protocol(), ec);
    if (!ec)
      a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
      a.bind(ep, ec);
    if (!ec)
      a.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error(std::string{"cannot listen on "} + what + " " +
                               address + ":" + std::to_string(port) + ": " +
                               ec.message());
  }

  void accept(tcp::acceptor& a, bool control);

  net::io_context& io;
  server_options options;
  tcp::acceptor acceptor;
  tcp::acceptor control_acceptor;
  state world;
  std::vector<std::weak_ptr<closable>> connections;
  bool stopping = false;
};

namespace {

using impl_ptr = std::shared_ptr<server::impl>;

/// One HTTP/1.1 connection: read a request, answer (maybe later, maybe
/// not at all), read the next.
class session : public closable, public std::enable_shared_from_this<session> {
 public:
  session(impl_ptr server, tcp::socket socket, bool control)
      : server_(std::move(server)), stream_(std::move(socket)),
        control_(control), timer_(server_->io) {}

  void start() { read(); }

  void close() override {
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(1024 * 1024);
    stream_.expires_after(std::chrono::seconds{120});
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return self->close();
          self->started_ = std::chrono::steady_clock::now();
          self->route(self->parser_->release());
        });
  }

  void route(request req) {
    if (control_)
      return respond(req, serve_control(server_->world, req));
    auto r = serve_api(server_->world, req);
    if (r.delay.count() <= 0)
      return finish(std::move(req), std::move(r.res));
    timer_.expires_after(r.delay);
    timer_.async_wait([self = shared_from_this(), req = std::move(req),
                       res = std::move(r.res)](beast::error_code ec) mutable {
      if (!ec)
        self->finish(std::move(req), std::move(res));
    });
  }

  void finish(request req, std::optional<response> res) {
    if (res)
      return respond(req, std::move(*res));
    log(req, 0);
    close(); // an answer that never comes
  }

  void log(const request& req, unsigned status) {
    // The path and status only: the Authorization header is a secret.
    std::string target{req.target()};
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started_)
                  .count();
    spdlog::info(
        "{}{} {} {} ({} ms)", control_ ? "control " : "",
        std::string{req.method_string()}, target.substr(0, target.find('?')),
        status == 0 ? std::string{"dropped"} : std::to_string(status), ms);
  }

  void respond(const request& req, response res) {
    log(req, res.result_int());
    auto msg = std::make_shared<response>(std::move(res));
    stream_.expires_after(std::chrono::seconds{30});
    http::async_write(
        stream_, *msg,
        [self = shared_from_this(), msg](beast::error_code ec, std::size_t) {
          if (ec || !msg->keep_alive())
            return self->close();
          self->read();
        });
  }

  impl_ptr server_;
  beast::tcp_stream stream_;
  bool control_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::chrono::steady_clock::time_point started_;
};

} // namespace

void server::impl::accept(tcp::acceptor& a, bool control) {
  a.async_accept(io, [self = shared_from_this(), &a,
                      control](beast::error_code ec, tcp::socket socket) {
    if (ec || self->stopping)
      return;
    socket.set_option(tcp::no_delay{true}, ec);
    auto s = std::make_shared<session>(self, std::move(socket), control);
    s->start();
    auto& list = self->connections;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [](const auto& w) {
                                return w.expired();
                              }),
               list.end());
    list.push_back(s);
    self->accept(a, control);
  });
}

server::server(net::io_context& io, server_options options)
    : impl_(std::make_shared<impl>(io, std::move(options))) {}

server::~server() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->control_acceptor.close(ignored);
}

void server::start() {
  const auto& o = impl_->options;
  impl_->listen(impl_->acceptor, o.address, o.port, "the API port");
  impl_->listen(impl_->control_acceptor, o.control_address, o.control_port,
                "the control port");
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
    for (auto& c : state->connections)
      if (auto conn = c.lock())
        conn->close();
    state->connections.clear();
  });
}

std::uint16_t server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::uint16_t server::control_port() const {
  return impl_->control_acceptor.local_endpoint().port();
}

state& server::world() {
  return impl_->world;
}

} // namespace racecontrol::discord_sim
