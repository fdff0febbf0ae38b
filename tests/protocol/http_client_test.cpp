#define BOOST_TEST_MODULE protocol_http_client
#include <boost/test/unit_test.hpp>

// http_client and racetime_api against racetime-sim over real sockets: what
// may be sent twice and what may not.

#include "protocol/address_results.hpp"
#include "protocol/json.hpp"
#include "protocol/racetime_api.hpp"
#include "tests/support/sim_harness.hpp"

#include <thread>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
namespace http = boost::beast::http;

namespace {

struct fixture {
  test::sim_harness sim;
  std::string token;

  fixture() {
    sim.seed_defaults();
    token = sim.bot_token("bot-client", "bot-secret");
  }

  rapidjson::Document control_json(const std::string& path) {
    auto res = sim.control_get(path);
    BOOST_REQUIRE_EQUAL(res.status, 200u);
    return parse_json(res.body);
  }

  int connections() { return control_json("/stats")["connections"].GetInt(); }

  int rooms() { return static_cast<int>(control_json("/races").Size()); }

  void fault(const std::string& json) {
    BOOST_REQUIRE_EQUAL(sim.control_post("/faults", json).status, 200u);
  }

  racetime_result<created_race>
  start_race(std::chrono::milliseconds timeout = 0ms) {
    race_settings s;
    s.goal = "Beat the game";
    return test::sim_harness::await<racetime_result<created_race>>(
        [&](auto done) {
          sim.api().start_race("alttpr", s, {"Beat the game"}, token, timeout,
                               std::move(done));
        });
  }

  racetime_result<category_data> category() {
    return test::sim_harness::await<racetime_result<category_data>>(
        [&](auto done) {
          sim.api().category_data("alttpr", std::nullopt, std::move(done));
        });
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_client_io, fixture)

BOOST_AUTO_TEST_CASE(startrace_is_never_sent_twice) {
  // A kept-alive connection exists (the token request and this GET).
  BOOST_REQUIRE(category());
  auto before = rooms();
  // The server creates the room, then the connection dies unanswered.
  fault(R"({"path_prefix": "/o/alttpr/startrace", "drop_connection": true})");
  auto created = start_race();
  BOOST_REQUIRE(!created);
  BOOST_TEST((created.error().http.what == http_error::kind::outcome_unknown));
  BOOST_TEST(!created.error().transient());
  BOOST_TEST(created.error().message.find("POST /o/alttpr/startrace") !=
                 std::string::npos,
             created.error().message);
  BOOST_TEST(created.error().message.find("may or may not have taken effect") !=
                 std::string::npos,
             created.error().message);
  BOOST_TEST(rooms() == before + 1); // one room, not two
}

BOOST_AUTO_TEST_CASE(a_slow_startrace_past_its_timeout_is_unknown) {
  // The client's own limit is 30 s; this request allows 300 ms. The server
  // takes 1.5 s, then creates the room and answers.
  BOOST_REQUIRE(category());
  auto before = rooms();
  fault(R"({"path_prefix": "/o/alttpr/startrace", "delay_ms": 1500})");
  auto started = std::chrono::steady_clock::now();
  auto created = start_race(300ms);
  auto waited = std::chrono::steady_clock::now() - started;
  BOOST_REQUIRE(!created);
  BOOST_TEST((created.error().http.what == http_error::kind::outcome_unknown));
  BOOST_TEST(created.error().message.find("timed out") != std::string::npos,
             created.error().message);
  BOOST_TEST((waited < 1500ms)); // it did not wait for the answer
  // It had been sent: the room appears once the server gets to it.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (rooms() == before && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  BOOST_TEST(rooms() == before + 1);
}

BOOST_AUTO_TEST_CASE(a_post_takes_a_connection_of_its_own) {
  BOOST_REQUIRE(category());
  auto before = connections();
  BOOST_REQUIRE(start_race());
  BOOST_TEST(connections() == before + 1);
  // GETs reuse kept-alive connections (the POST's one included).
  BOOST_REQUIRE(category());
  BOOST_REQUIRE(category());
  BOOST_TEST(connections() == before + 1);
}

BOOST_AUTO_TEST_CASE(a_get_on_a_closed_kept_alive_connection_goes_again) {
  BOOST_REQUIRE(category());
  auto before = connections();
  fault(R"({"path_prefix": "/alttpr/data", "drop_connection": true})");
  auto data = category();
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(data),
                        (data ? "" : data.error().message));
  BOOST_TEST(connections() == before + 1); // once more, on a new one
}

BOOST_AUTO_TEST_CASE(a_client_credentials_request_may_go_again) {
  BOOST_REQUIRE(category());
  fault(R"({"path_prefix": "/o/token", "drop_connection": true})");
  auto t =
      test::sim_harness::await<racetime_result<token_response>>([&](auto done) {
        sim.api().client_credentials_token({"bot-client", "bot-secret"},
                                           std::move(done));
      });
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(t), (t ? "" : t.error().message));
  BOOST_TEST(!t->access_token.empty());
}

BOOST_AUTO_TEST_CASE(a_429_says_when_to_come_back) {
  fault(R"({"path_prefix": "/alttpr/data", "status": 429, "retry_after": 7})");
  auto data = category();
  BOOST_REQUIRE(!data);
  BOOST_TEST((data.error().http.what == http_error::kind::rate_limited));
  BOOST_TEST(data.error().transient());
  BOOST_REQUIRE(data.error().http.retry_after.has_value());
  BOOST_TEST(data.error().http.retry_after->count() == 7);
}

BOOST_AUTO_TEST_CASE(a_host_name_is_still_resolved) {
  // The address of racetime-sim is used as is (address_results); a name
  // goes through Asio's resolver and reaches the same server.
  auto target = with_path(sim.base(), "/alttpr/data");
  target.host = "localhost";
  http_request req;
  req.target = target;
  auto out = test::sim_harness::await<http_outcome>([&](auto done) {
    sim.http().request(req, std::move(done));
  });
  BOOST_REQUIRE_MESSAGE(out, (out ? "" : out.error().message));
  BOOST_TEST(out->status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(only_an_address_skips_the_resolver) {
  auto v4 = address_results("127.0.0.1", 8080);
  BOOST_REQUIRE(v4);
  BOOST_TEST(v4->size() == 1u);
  BOOST_TEST(v4->begin()->endpoint().port() == 8080u);
  BOOST_TEST(v4->begin()->endpoint().address().to_string() == "127.0.0.1");
  auto v6 = address_results("::1", 443);
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->begin()->endpoint().address().is_v6());
  BOOST_TEST(!address_results("localhost", 80));
  BOOST_TEST(!address_results("racetime.gg", 443));
  BOOST_TEST(!address_results("127.0.0.1.example", 80));
}
