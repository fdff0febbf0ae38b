#pragma once

// The daemon's network side: one io_context, run by threads of its own or
// (with none) by a thread the daemon lends it, with the HTTP client and
// racetime.gg API every bot and room shares. Built
// before the actor system and stopped after it, so no callback ever runs
// into a destroyed client.

#include "protocol/http_client.hpp"
#include "protocol/racetime_api.hpp"
#include "protocol/url.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace racecontrol::protocol {

struct io_runtime_options {
  url racetime;              ///< racetime.gg's origin
  std::string extra_ca_file; ///< trusted besides the system store
  /// 0: none of its own; someone else runs io() (racecontrold: the actors'
  /// lone scheduler thread, see actors/prompt_stealing.hpp).
  std::size_t threads = 1;
  http_client_options http;
};

class io_runtime {
 public:
  /// Starts the threads (if any) at once. Throws std::runtime_error when the
  /// TLS context cannot be made (a bad CA file, named).
  explicit io_runtime(io_runtime_options options);
  /// Stops the threads; pending callbacks are dropped.
  ~io_runtime();

  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  boost::asio::io_context& io() noexcept { return io_; }
  std::shared_ptr<boost::asio::ssl::context> tls() const { return tls_; }
  http_client& http() noexcept { return *http_; }
  racetime_api& api() noexcept { return *api_; }
  const url& racetime() const noexcept { return options_.racetime; }

  /// The bot WebSocket URL of a race slug (`/ws/o/bot/<slug>` on
  /// racetime.gg's host, ws:// or wss:// as the origin is http or https).
  url bot_socket(const std::string& slug) const;

 private:
  io_runtime_options options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<http_client> http_;
  std::unique_ptr<racetime_api> api_;
  std::vector<std::thread> threads_;
};

} // namespace racecontrol::protocol
