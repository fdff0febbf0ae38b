#include "tests/support/sim_harness.hpp"

#include <boost/test/unit_test.hpp>

namespace racecontrol::test {

sim_harness::sim_harness(sim_harness_options options)
    : client_work_(boost::asio::make_work_guard(client_io_)) {
  sim::server_options so;
  so.port = 0;
  so.control_port = 0;
  so.tls_cert = options.tls_cert;
  so.tls_key = options.tls_key;
  so.unknown_race_hang = options.unknown_race_hang;
  so.bot_category_ttl = options.bot_category_ttl;
  so.ws_ping = options.ws_ping;
  so.low_entrants_limit = options.low_entrants_limit;
  secure_ = !options.tls_cert.empty();
  server_ = std::make_unique<sim::server>(sim_io_, options.time_scale, so);
  server_->start();
  tls_ = protocol::make_client_tls_context(options.extra_ca_file);
  protocol::http_client_options ho;
  ho.request_timeout = std::chrono::milliseconds{5000};
  http_ = std::make_unique<protocol::http_client>(client_io_, tls_, ho);
  api_ = std::make_unique<protocol::racetime_api>(client_io_, *http_, base());
  client_thread_ = std::thread([this] {
    client_io_.run();
  });
}

namespace {

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

sim_harness::~sim_harness() {
  api_.reset();
  http_.reset();
  client_work_.reset();
  wind_down(client_io_, client_thread_);
  server_->stop();
  if (started_)
    wind_down(sim_io_, sim_thread_);
}

void sim_harness::start() {
  if (!started_) {
    started_ = true;
    sim_thread_ = std::thread([this] {
      sim_io_.run();
    });
  }
}

sim::world& sim_harness::world() {
  BOOST_REQUIRE_MESSAGE(!started_, "arrange the world before using the sim");
  return server_->state();
}

protocol::url sim_harness::base() const {
  auto u = protocol::parse_url(
      (secure_ ? "https://localhost:" : "http://127.0.0.1:") +
      std::to_string(server_->port()));
  return *u;
}

std::uint16_t sim_harness::control_port() const {
  return server_->control_port();
}

protocol::http_outcome sim_harness::send(protocol::http_request req) {
  start();
  return await<protocol::http_outcome>(
      [&](std::function<void(protocol::http_outcome)> done) {
        http_->request(std::move(req), std::move(done));
      });
}

protocol::http_response sim_harness::control_post(const std::string& path,
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

protocol::http_response sim_harness::control_delete(const std::string& path) {
  protocol::http_request req;
  req.method = boost::beast::http::verb::delete_;
  req.target = *protocol::parse_url(
      "http://127.0.0.1:" + std::to_string(control_port()) + path);
  auto outcome = send(std::move(req));
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome), "control " << path);
  return *outcome;
}

protocol::http_response sim_harness::control_get(const std::string& path) {
  protocol::http_request req;
  req.target = *protocol::parse_url(
      "http://127.0.0.1:" + std::to_string(control_port()) + path);
  auto outcome = send(std::move(req));
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome), "control " << path);
  return *outcome;
}

std::string sim_harness::bot_token(const std::string& client_id,
                                   const std::string& secret) {
  start();
  auto result = await<protocol::racetime_result<protocol::token_response>>(
      [&](auto done) {
        api_->client_credentials_token({client_id, secret}, std::move(done));
      });
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(result),
                        (result ? "" : result.error().message));
  return result->access_token;
}

void sim_harness::seed_defaults() {
  auto& w = world();
  w.add_category({"alttpr",
                  "A Link to the Past Randomizer",
                  "ALTTPR",
                  {"Beat the game", "Any% NMG"},
                  false,
                  false,
                  false});
  w.add_category(
      {"smz3", "SMZ3", "SMZ3", {"Beat the games"}, false, false, false});
  w.oauth().add_application({"bot-client",
                             "bot-secret",
                             "TestBot",
                             sim::application::grant::client_credentials,
                             "alttpr",
                             true,
                             {}});
  w.oauth().add_application({"other-client",
                             "other-secret",
                             "OtherBot",
                             sim::application::grant::client_credentials,
                             "smz3",
                             true,
                             {}});
  w.oauth().add_application({"link-app",
                             "link-secret",
                             "racecontrol",
                             sim::application::grant::authorization_code,
                             "",
                             true,
                             {"http://localhost/callback"}});
  for (int i = 1; i <= 4; ++i)
    w.add_user({"u" + std::to_string(i), "Racer" + std::to_string(i), "0000",
                std::string{"racer"} + std::to_string(i), false});
  w.oauth().set_session("u1");
}

} // namespace racecontrol::test
