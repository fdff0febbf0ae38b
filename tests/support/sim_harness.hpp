#pragma once

// racetime-sim running in-process on free ports, its own thread, and a
// client io_context on another thread, for tests that talk to it over real
// sockets. The control API is reached over HTTP like any test would.

#include "protocol/http_client.hpp"
#include "protocol/racetime_api.hpp"
#include "tools/racetime-sim/sim_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

namespace racecontrol::test {

struct sim_harness_options {
  double time_scale = 0.02;
  std::string tls_cert;
  std::string tls_key;
  std::chrono::milliseconds unknown_race_hang{0}; ///< 0: reset at once
  std::chrono::milliseconds bot_category_ttl{0};
  std::chrono::milliseconds ws_ping{20000}; ///< daphne's ping interval
  std::string extra_ca_file;                ///< for the client's TLS context
  /// racebot.py's cancel of a race fewer than two entrants joined.
  std::chrono::milliseconds low_entrants_limit{std::chrono::minutes{30}};
};

class sim_harness {
 public:
  explicit sim_harness(sim_harness_options options = {});
  ~sim_harness();

  /// Arrange the world before anything connects (not thread-safe later:
  /// use the control API then).
  sim::world& world();

  /// http(s)://127.0.0.1:<port>
  protocol::url base() const;
  std::uint16_t control_port() const;

  protocol::http_client& http() { return *http_; }
  protocol::racetime_api& api() { return *api_; }
  boost::asio::io_context& client_io() { return client_io_; }
  std::shared_ptr<boost::asio::ssl::context> tls() { return tls_; }

  /// Control API calls; fail the test on a transport error.
  protocol::http_response control_post(const std::string& path,
                                       const std::string& json = "{}");
  protocol::http_response control_get(const std::string& path);
  protocol::http_response control_delete(const std::string& path);

  /// Any request on the client, waited for.
  protocol::http_outcome send(protocol::http_request req);

  /// Starts an async call and waits for its callback's value.
  template <class T>
  static T await(const std::function<void(std::function<void(T)>)>& start,
                 std::chrono::seconds limit = std::chrono::seconds{20}) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    auto once = std::make_shared<std::once_flag>();
    start([promise, once](T value) {
      std::call_once(*once, [&] {
        promise->set_value(std::move(value));
      });
    });
    if (future.wait_for(limit) != std::future_status::ready)
      throw std::runtime_error("timed out waiting for a callback");
    return future.get();
  }

  /// A bot token for client `client_id`.
  std::string bot_token(const std::string& client_id,
                        const std::string& secret);

  /// Seeds: category "alttpr" with goal "Beat the game", bot
  /// ("bot-client", "bot-secret", "TestBot"), category "smz3" with its own
  /// bot ("other-client"), users u1..u4 (with Twitch), and an OAuth app
  /// ("link-app", "link-secret", http://localhost/callback).
  void seed_defaults();

 private:
  boost::asio::io_context sim_io_;
  std::unique_ptr<sim::server> server_;
  std::thread sim_thread_;
  boost::asio::io_context client_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      client_work_;
  std::thread client_thread_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<protocol::http_client> http_;
  std::unique_ptr<protocol::racetime_api> api_;
  bool secure_ = false;
  bool started_ = false;

 public:
  /// Starts the simulator's thread (the helpers above do it on first use).
  void start();
};

} // namespace racecontrol::test
