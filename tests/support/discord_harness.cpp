#include "tests/support/discord_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <future>
#include <mutex>

namespace racecontrol::test {

namespace {

/// Starts an async call and waits for its callback's value.
template <class T, class Start>
T await(Start&& start, std::chrono::seconds limit = std::chrono::seconds{20}) {
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

/// Lets an io_context finish its work (so sockets and timers end inside
/// it, not while it is destroyed), then stops it if it does not.
void wind_down(boost::asio::io_context& io, std::thread& thread) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{3};
  while (!io.stopped() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  io.stop();
  if (thread.joinable())
    thread.join();
}

} // namespace

discord_harness::discord_harness(discord_harness_options options)
    : token_(options.token),
      client_work_(boost::asio::make_work_guard(client_io_)) {
  discord_sim::server_options so;
  so.port = 0;
  so.control_port = 0;
  so.discord.token = options.token;
  so.discord.nonce_window = options.nonce_window;
  so.discord.bucket_limit = options.bucket_limit;
  so.discord.bucket_window = options.bucket_window;
  server_ = std::make_unique<discord_sim::server>(sim_io_, so);
  for (const auto& id : options.channels)
    BOOST_REQUIRE_MESSAGE(server_->world().add_channel(id),
                          "not a channel id: " << id);
  server_->start();
  sim_thread_ = std::thread([this] {
    sim_io_.run();
  });
  protocol::http_client_options ho;
  ho.request_timeout = options.client_timeout; // Discord's own client
  http_ = std::make_unique<protocol::http_client>(
      client_io_, protocol::make_client_tls_context(), ho);
  api_ = std::make_unique<protocol::discord_api>(*http_, api_base());
  client_thread_ = std::thread([this] {
    client_io_.run();
  });
}

discord_harness::~discord_harness() {
  api_.reset();
  http_.reset();
  client_work_.reset();
  wind_down(client_io_, client_thread_);
  server_->stop();
  wind_down(sim_io_, sim_thread_);
}

protocol::url discord_harness::api_base() const {
  return *protocol::parse_url(
      "http://127.0.0.1:" + std::to_string(server_->port()) + "/api/v10");
}

std::uint16_t discord_harness::port() const {
  return server_->port();
}

std::uint16_t discord_harness::control_port() const {
  return server_->control_port();
}

protocol::discord_post_result
discord_harness::post(const std::string& channel_id,
                      const protocol::discord_message& message) {
  return post(channel_id, message, token_);
}

protocol::discord_post_result
discord_harness::post(const std::string& channel_id,
                      const protocol::discord_message& message,
                      const config::secret& token) {
  return await<protocol::discord_post_result>([&](auto done) {
    api_->post_message(channel_id, message, token, std::move(done));
  });
}

protocol::http_outcome discord_harness::send(protocol::http_request req) {
  return await<protocol::http_outcome>([&](auto done) {
    http_->request(std::move(req), std::move(done));
  });
}

protocol::http_response discord_harness::control_post(const std::string& path,
                                                      const std::string& json) {
  protocol::http_request req;
  req.method = boost::beast::http::verb::post;
  req.target = *protocol::parse_url(
      "http://127.0.0.1:" + std::to_string(control_port()) + path);
  req.body = json;
  req.content_type = "application/json";
  auto outcome = send(std::move(req));
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome),
                        "control " << path << ": "
                                   << (outcome ? "" : outcome.error().message));
  return *outcome;
}

protocol::http_response discord_harness::control_get(const std::string& path) {
  protocol::http_request req;
  req.target = *protocol::parse_url(
      "http://127.0.0.1:" + std::to_string(control_port()) + path);
  auto outcome = send(std::move(req));
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome), "control " << path);
  return *outcome;
}

protocol::http_response
discord_harness::control_delete(const std::string& path) {
  protocol::http_request req;
  req.method = boost::beast::http::verb::delete_;
  req.target = *protocol::parse_url(
      "http://127.0.0.1:" + std::to_string(control_port()) + path);
  auto outcome = send(std::move(req));
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome), "control " << path);
  return *outcome;
}

} // namespace racecontrol::test
