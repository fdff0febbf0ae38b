#pragma once

// discord-sim running in-process on free ports and its own thread, with a
// client io_context, HTTP client and discord_api on another, for tests
// that talk to it over real sockets. The control API is reached over HTTP
// like any test (or racecontrold) would.

#include "config/secret.hpp"
#include "protocol/discord_api.hpp"
#include "protocol/http_client.hpp"
#include "tools/discord-sim/discord_sim_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace racecontrol::test {

struct discord_harness_options {
  /// The bot token the stand-in accepts (and post() sends).
  std::string token = "harness-bot-token-5f0c9e2a";
  std::vector<std::string> channels = {"100000000000000001"};
  std::chrono::milliseconds nonce_window{300000};
  int bucket_limit = 5;
  std::chrono::milliseconds bucket_window{5000};
  /// The HTTP client's request_timeout (writing and reading one request).
  std::chrono::milliseconds client_timeout{5000};
};

class discord_harness {
 public:
  explicit discord_harness(discord_harness_options options = {});
  ~discord_harness();

  discord_harness(const discord_harness&) = delete;
  discord_harness& operator=(const discord_harness&) = delete;

  /// http://127.0.0.1:<port>/api/v10, what racecontrol's setting holds.
  protocol::url api_base() const;
  std::uint16_t port() const;
  std::uint16_t control_port() const;
  const config::secret& token() const { return token_; }

  protocol::http_client& http() { return *http_; }
  protocol::discord_api& api() { return *api_; }

  /// post_message with the harness's token (or another), waited for.
  protocol::discord_post_result post(const std::string& channel_id,
                                     const protocol::discord_message& message);
  protocol::discord_post_result post(const std::string& channel_id,
                                     const protocol::discord_message& message,
                                     const config::secret& token);

  /// Any request on the client, waited for.
  protocol::http_outcome send(protocol::http_request req);

  /// Control API calls; fail the test on a transport error.
  protocol::http_response control_post(const std::string& path,
                                       const std::string& json = "{}");
  protocol::http_response control_get(const std::string& path);
  protocol::http_response control_delete(const std::string& path);

 private:
  config::secret token_;
  boost::asio::io_context sim_io_;
  std::unique_ptr<discord_sim::server> server_;
  std::thread sim_thread_;
  boost::asio::io_context client_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      client_work_;
  std::thread client_thread_;
  std::unique_ptr<protocol::http_client> http_;
  std::unique_ptr<protocol::discord_api> api_;
};

} // namespace racecontrol::test
