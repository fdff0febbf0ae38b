#define BOOST_TEST_MODULE protocol_token_keeper
#include <boost/test/unit_test.hpp>

// token_keeper and racetime_error::credentials_rejected against racetime-sim
// over real sockets: backoff, rejected credentials, a proxy's 403, 429
// Retry-After, and tokens pushed to sessions.

#include "protocol/token_keeper.hpp"
#include "tests/support/sim_harness.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;

namespace {

/// A keeper whose events are recorded.
class recorded_keeper {
 public:
  recorded_keeper(test::sim_harness& sim, client_credentials creds,
                  token_keeper_options options)
      : keeper_(sim.client_io(), sim.api(), std::move(creds), options) {
    keeper_.start([this](const token_event& e) {
      std::lock_guard<std::mutex> g{mtx_};
      events_.push_back(e);
      cv_.notify_all();
    });
  }

  token_keeper& keeper() { return keeper_; }

  /// Waits for the `n`-th event (1-based) and returns the first `n`.
  std::vector<token_event> wait_events(std::size_t n,
                                       std::chrono::milliseconds limit = 5s) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, limit, [&] {
          return events_.size() >= n;
        }))
      BOOST_FAIL("only " << events_.size() << " of " << n << " events");
    return {events_.begin(), events_.begin() + n};
  }

  std::size_t count() {
    std::lock_guard<std::mutex> g{mtx_};
    return events_.size();
  }

 private:
  token_keeper keeper_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<token_event> events_;
};

/// Backoff without jitter: 50, 100, 200, ... ms.
token_keeper_options exact_backoff() {
  token_keeper_options o;
  o.retry.initial = 50ms;
  o.retry.jitter = 0;
  return o;
}

struct fixture {
  test::sim_harness sim;

  fixture() {
    sim.seed_defaults();
    sim.start();
  }

  void fault(const std::string& json) {
    BOOST_REQUIRE_EQUAL(sim.control_post("/faults", json).status, 200u);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(token_keeper_io, fixture)

BOOST_AUTO_TEST_CASE(server_errors_are_retried_with_growing_backoff) {
  fault(R"({"path_prefix": "/o/token", "status": 503, "count": 3})");
  recorded_keeper k{sim, {"bot-client", "bot-secret"}, exact_backoff()};
  auto events = k.wait_events(4);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST((events[i].what == token_event::kind::retrying));
    BOOST_TEST(events[i].retry_in.count() == 50 << i);
    BOOST_TEST(events[i].message.find("HTTP 503") != std::string::npos,
               events[i].message);
  }
  BOOST_TEST((events[3].what == token_event::kind::obtained));
  BOOST_TEST(k.keeper().current().has_value());
}

BOOST_AUTO_TEST_CASE(rejected_credentials_stop_the_keeper) {
  recorded_keeper k{sim, {"bot-client", "wrong"}, exact_backoff()};
  auto events = k.wait_events(1);
  BOOST_TEST((events[0].what == token_event::kind::credentials_rejected));
  BOOST_TEST(events[0].message.find("invalid_client") != std::string::npos);
  BOOST_TEST(events[0].message.find("wrong") == std::string::npos);
  // A retrying keeper would have reported again within 50 ms.
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(k.count() == 1u);
  BOOST_TEST(!k.keeper().current().has_value());
  // A refusal reported by a socket does not restart it either.
  k.keeper().source()->refused("anything");
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(k.count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_403_without_an_oauth_body_is_retried) {
  // A proxy's block page, not racetime.gg's verdict on the client.
  fault(R"({"path_prefix": "/o/token", "status": 403, "count": 2})");
  recorded_keeper k{sim, {"bot-client", "bot-secret"}, exact_backoff()};
  auto events = k.wait_events(3);
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST((events[i].what == token_event::kind::retrying));
    BOOST_TEST(events[i].message.find("without an OAuth error body") !=
                   std::string::npos,
               events[i].message);
  }
  BOOST_TEST((events[2].what == token_event::kind::obtained));
}

BOOST_AUTO_TEST_CASE(a_429_waits_as_long_as_retry_after_asks) {
  fault(R"({"path_prefix": "/o/token", "status": 429, "retry_after": 1})");
  recorded_keeper k{sim, {"bot-client", "bot-secret"}, exact_backoff()};
  auto events = k.wait_events(2);
  BOOST_TEST((events[0].what == token_event::kind::retrying));
  BOOST_TEST(events[0].retry_in.count() == 1000); // not the 50 ms backoff
  BOOST_TEST((events[1].what == token_event::kind::obtained));
}

BOOST_AUTO_TEST_CASE(credentials_are_rejected_only_at_the_token_endpoint) {
  auto& api = sim.api();
  auto wrong =
      test::sim_harness::await<racetime_result<token_response>>([&](auto done) {
        api.client_credentials_token({"bot-client", "wrong"}, std::move(done));
      });
  BOOST_REQUIRE(!wrong);
  BOOST_TEST(wrong.error().credentials_rejected());
  // 403 on /o/userinfo for a bot token, and for a token that expired:
  // renew or relink, not "fix the client secret".
  auto bot = sim.bot_token("bot-client", "bot-secret");
  auto me =
      test::sim_harness::await<racetime_result<user_info>>([&](auto done) {
        api.user_info(bot, std::move(done));
      });
  BOOST_REQUIRE(!me);
  BOOST_TEST(me.error().http.status == 403u);
  BOOST_TEST(!me.error().credentials_rejected());
  BOOST_TEST(me.error().message.find("renew it") != std::string::npos,
             me.error().message);
  sim.control_post("/tokens/expire", R"({"client_id": "bot-client"})");
  auto data =
      test::sim_harness::await<racetime_result<category_data>>([&](auto done) {
        api.category_data("alttpr", bot, std::move(done));
      });
  BOOST_REQUIRE(!data);
  BOOST_TEST(data.error().http.status == 403u);
  BOOST_TEST(!data.error().credentials_rejected());
  // And a 401 from /o/token without an OAuth body is not racetime.gg's.
  fault(R"({"path_prefix": "/o/token", "status": 401})");
  auto proxied = test::sim_harness::await<
      racetime_result<token_response>>([&](auto done) {
    api.client_credentials_token({"bot-client", "bot-secret"}, std::move(done));
  });
  BOOST_REQUIRE(!proxied);
  BOOST_TEST(!proxied.error().credentials_rejected());
}

BOOST_AUTO_TEST_CASE(a_refused_token_is_renewed_once_and_pushed) {
  recorded_keeper k{sim, {"bot-client", "bot-secret"}, exact_backoff()};
  k.wait_events(1);
  auto source = k.keeper().source();
  std::mutex mtx;
  std::condition_variable cv;
  int pushed = 0;
  auto subscription = source->subscribe([&] {
    std::lock_guard<std::mutex> g{mtx};
    ++pushed;
    cv.notify_all();
  });
  auto old = source->current()->value;
  // Many rooms' sessions report the same token at once.
  std::vector<std::thread> rooms;
  for (int i = 0; i < 8; ++i)
    rooms.emplace_back([&] {
      source->refused(old);
    });
  for (auto& t : rooms)
    t.join();
  {
    std::unique_lock<std::mutex> lock{mtx};
    BOOST_REQUIRE(cv.wait_for(lock, 5s, [&] {
      return pushed >= 1;
    }));
  }
  BOOST_TEST(source->current()->value != old);
  // A late report of the old token changes nothing.
  source->refused(old);
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(k.count() == 2u); // the first token and one renewal
  {
    std::lock_guard<std::mutex> g{mtx};
    BOOST_TEST(pushed == 1);
  }
  // Dropping the handle unsubscribes.
  subscription.reset();
  source->refused(source->current()->value);
  k.wait_events(3);
  std::this_thread::sleep_for(100ms);
  std::lock_guard<std::mutex> g{mtx};
  BOOST_TEST(pushed == 1);
}

BOOST_AUTO_TEST_SUITE_END()
