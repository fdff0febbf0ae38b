// The coordinator lease (issue 13): two nodes claim it, only one holds it;
// it is renewed without a new epoch, taken afresh (new epoch) once it runs
// out by MariaDB's clock, and released at once for the other to take.

#include <boost/test/unit_test.hpp>

#include "persistence/lease_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <future>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::persistence;
using namespace std::chrono_literals;

namespace {

struct lease_fixture {
  test::scratch_database scratch;
  lease_repository repo{scratch.db()};

  lease_state claim(const std::string& holder, std::int64_t ms = 5000) {
    return repo.acquire_or_renew({"coordinator", holder, ms});
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(leases, lease_fixture)

BOOST_AUTO_TEST_CASE(first_claim_takes_a_lease_never_taken) {
  BOOST_TEST(repo.read("coordinator").holder == "");
  auto a = claim("node-a");
  BOOST_TEST(a.held);
  BOOST_TEST(a.holder == "node-a");
  BOOST_TEST(a.epoch == 1u);
  BOOST_TEST(a.expires_in_ms > 4000);
  BOOST_TEST(a.expires_in_ms <= 5000);
  BOOST_TEST(!a.retaken_own);
}

BOOST_AUTO_TEST_CASE(second_holder_is_refused_while_it_runs) {
  claim("node-a");
  auto b = claim("node-b");
  BOOST_TEST(!b.held);
  BOOST_TEST(b.holder == "node-a");
  BOOST_TEST(b.epoch == 1u);
  BOOST_TEST(b.expires_in_ms > 0);
}

BOOST_AUTO_TEST_CASE(renewal_keeps_the_epoch_and_moves_the_expiry) {
  claim("node-a", 1000);
  std::this_thread::sleep_for(300ms);
  auto again = claim("node-a", 5000);
  BOOST_TEST(again.held);
  BOOST_TEST(again.epoch == 1u);
  BOOST_TEST(again.expires_in_ms > 4000);
  BOOST_TEST(!again.retaken_own); // renewed, not taken afresh
}

BOOST_AUTO_TEST_CASE(an_expired_lease_goes_to_the_next_claimant) {
  claim("node-a", 300);
  BOOST_TEST(!claim("node-b").held);
  std::this_thread::sleep_for(450ms);
  auto b = claim("node-b");
  BOOST_TEST(b.held);
  BOOST_TEST(b.holder == "node-b");
  BOOST_TEST(b.epoch == 2u);
  BOOST_TEST(!b.retaken_own); // node-a's lease, not node-b's
  // The old holder comes back too late: refused, it must not act.
  auto a = claim("node-a");
  BOOST_TEST(!a.held);
  BOOST_TEST(a.holder == "node-b");
}

BOOST_AUTO_TEST_CASE(own_expired_lease_taken_again_gets_a_new_epoch) {
  claim("node-a", 200);
  std::this_thread::sleep_for(350ms);
  auto a = claim("node-a");
  BOOST_TEST(a.held);
  BOOST_TEST(a.epoch == 2u);
  // Nobody held it between: node-a may go on (a pause, not a takeover).
  BOOST_TEST(a.retaken_own);
}

BOOST_AUTO_TEST_CASE(release_frees_it_at_once_for_the_holder_only) {
  claim("node-a");
  BOOST_TEST(!repo.release({"coordinator", "node-b"}));
  BOOST_TEST(!claim("node-b").held);
  BOOST_TEST(repo.release({"coordinator", "node-a"}));
  BOOST_TEST(!repo.release({"coordinator", "node-a"})); // once
  auto b = claim("node-b");
  BOOST_TEST(b.held);
  BOOST_TEST(b.epoch == 2u);
}

BOOST_AUTO_TEST_CASE(concurrent_claims_give_one_holder) {
  // Both race to make the row and take it: the lock decides.
  for (int round = 0; round < 5; ++round) {
    std::string name = "race-" + std::to_string(round);
    auto one = std::async(std::launch::async, [&] {
      return repo.acquire_or_renew({name, "node-a", 5000});
    });
    auto two = std::async(std::launch::async, [&] {
      return repo.acquire_or_renew({name, "node-b", 5000});
    });
    auto x = one.get();
    auto y = two.get();
    BOOST_TEST(x.held != y.held);
    BOOST_TEST(x.holder == y.holder);
    BOOST_TEST(x.epoch == 1u);
    BOOST_TEST(y.epoch == 1u);
  }
}

BOOST_AUTO_TEST_CASE(leases_by_name_are_independent) {
  BOOST_TEST(claim("node-a").held);
  BOOST_TEST(repo.acquire_or_renew({"other", "node-b", 5000}).held);
}

BOOST_AUTO_TEST_SUITE_END()
