#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "protocol/backoff.hpp"
#include "protocol/url.hpp"

using namespace racecontrol::protocol;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(reconnect_policy)

BOOST_AUTO_TEST_CASE(doubles_from_one_second_to_five_minutes_with_jitter) {
  backoff b{{}, 42};
  std::vector<long> delays;
  for (int i = 0; i < 14; ++i)
    delays.push_back(static_cast<long>(b.next_delay().count()));
  // 1 s ±20 %, 2 s ±20 %, 4 s ±20 %, ...
  double base = 1000;
  for (int i = 0; i < 8; ++i, base *= 2) {
    BOOST_TEST(delays[i] >= base * 0.8 - 1, i << ": " << delays[i]);
    BOOST_TEST(delays[i] <= base * 1.2 + 1, i << ": " << delays[i]);
  }
  for (int i = 9; i < 14; ++i) {
    BOOST_TEST(delays[i] <= 300000);
    BOOST_TEST(delays[i] >= 240000);
  }
  // Jitter: two seeds give different sequences.
  backoff other{{}, 7};
  bool differs = false;
  backoff again{{}, 42};
  for (int i = 0; i < 5; ++i) {
    auto a = again.next_delay();
    differs |= a != other.next_delay();
    BOOST_TEST(a.count() == delays[i]); // same seed, same sequence
  }
  BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(jitter_covers_its_whole_range_in_a_small_object) {
  // Every room and socket holds several backoffs; a Mersenne Twister made
  // each 2.5 KB (a third of a room's memory at 10,000 rooms).
  static_assert(sizeof(backoff) <= 96, "a backoff stays small");
  backoff_options o;
  o.initial = 10000ms;
  o.max = 10000ms; // every delay is 10 s with jitter
  backoff b{o, 1};
  long low = 20000, high = 0;
  int buckets[10] = {};
  for (int i = 0; i < 10000; ++i) {
    long d = static_cast<long>(b.next_delay().count());
    BOOST_TEST_REQUIRE(d >= 8000);
    BOOST_TEST_REQUIRE(d <= 10000); // capped at max
    low = std::min(low, d);
    high = std::max(high, d);
    ++buckets[std::min(9L, (d - 8000) / 200)];
  }
  BOOST_TEST(low < 8010);
  BOOST_TEST(high == 10000);
  // Spread evenly below the cap: each 200 ms band of [8 s, 10 s) gets about
  // a tenth of the half that falls under 10 s.
  for (int i = 0; i < 9; ++i) {
    BOOST_TEST(buckets[i] > 350, i << ": " << buckets[i]);
    BOOST_TEST(buckets[i] < 650, i << ": " << buckets[i]);
  }
}

BOOST_AUTO_TEST_CASE(resets_only_after_a_stable_period) {
  backoff_options o;
  o.jitter = 0;
  o.stable_after = 60s;
  backoff b{o, 1};
  steady_time t0{};
  for (int i = 0; i < 4; ++i)
    b.next_delay(); // 1, 2, 4, 8 s
  // Up for 10 s, then dropped: keeps growing.
  b.succeeded(t0);
  b.failed(t0 + 10s);
  BOOST_TEST(b.next_delay().count() == 16000);
  // Up for 61 s: healthy, starts again at 1 s.
  b.succeeded(t0 + 20s);
  b.failed(t0 + 81s);
  BOOST_TEST(b.next_delay().count() == 1000);
  BOOST_TEST(b.next_delay().count() == 2000);
}

BOOST_AUTO_TEST_CASE(half_open_connection_is_noticed_within_two_intervals) {
  liveness l{20s};
  steady_time t0{};
  l.heard(t0);
  BOOST_TEST((l.check(t0 + 19s) == liveness::verdict::fine));
  BOOST_TEST((l.check(t0 + 20s) == liveness::verdict::send_ping));
  BOOST_TEST((l.check(t0 + 25s) == liveness::verdict::fine)); // one ping only
  BOOST_TEST((l.check(t0 + 39s) == liveness::verdict::fine));
  BOOST_TEST((l.check(t0 + 40s) == liveness::verdict::dead));
  // Any frame (the pong) keeps it alive.
  l.heard(t0 + 30s);
  BOOST_TEST((l.check(t0 + 45s) == liveness::verdict::fine));
  BOOST_TEST((l.check(t0 + 50s) == liveness::verdict::send_ping));
}

BOOST_AUTO_TEST_CASE(urls) {
  auto u = parse_url("https://racetime.gg");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->port == 443);
  BOOST_TEST(u->authority() == "racetime.gg");
  BOOST_TEST(with_path(*u, "/ws/o/bot/x", true).origin() ==
             "wss://racetime.gg");
  auto local = parse_url("http://127.0.0.1:8910/base");
  BOOST_REQUIRE(local);
  BOOST_TEST(local->port == 8910);
  BOOST_TEST(local->target == "/base");
  BOOST_TEST(local->authority() == "127.0.0.1:8910");
  BOOST_TEST(!parse_url("ftp://x"));
  BOOST_TEST(!parse_url("http://:80"));
  BOOST_TEST(!parse_url("http://host:99999"));
  BOOST_TEST(!parse_url("racetime.gg"));
}

BOOST_AUTO_TEST_SUITE_END()
