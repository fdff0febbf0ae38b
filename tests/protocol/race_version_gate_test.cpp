#include <boost/test/unit_test.hpp>

// race_version_gate: which race.data a consumer applies (§7: version N can
// arrive after N+1 on the same socket).

#include "protocol/race_version_gate.hpp"
#include "tests/support/real_frames.hpp"

using namespace racecontrol::protocol;
namespace real = racecontrol::test::real;

namespace {

race_data_message message(std::int64_t version, race_status status) {
  auto r = parse_race_data(real::race_data);
  BOOST_REQUIRE(r);
  r->version = version;
  r->status = status;
  return {*r, version};
}

} // namespace

BOOST_AUTO_TEST_SUITE(race_version_gate_rules)

BOOST_AUTO_TEST_CASE(the_stale_in_progress_after_finished_is_dropped) {
  // What every full race on the real server showed (§7).
  race_version_gate gate;
  std::vector<race_data_message> arrived{
      message(5, race_status::in_progress), message(7, race_status::finished),
      message(6, race_status::in_progress), // ~200 ms late, from racebot
  };
  std::vector<race_status> applied;
  for (const auto& m : arrived)
    if (gate.admit(m))
      applied.push_back(m.race.status);
  BOOST_TEST((applied == std::vector<race_status>{race_status::in_progress,
                                                  race_status::finished}));
  BOOST_TEST(gate.last().value() == 7);
}

BOOST_AUTO_TEST_CASE(first_any_then_only_newer) {
  race_version_gate gate;
  BOOST_TEST(!gate.last());
  BOOST_TEST(gate.admit(12));
  BOOST_TEST(!gate.admit(12)); // the same version again (getrace, reconnect)
  BOOST_TEST(!gate.admit(11));
  BOOST_TEST(gate.admit(14)); // gaps are normal: setmeta bumps silently
  BOOST_TEST(gate.last().value() == 14);
  gate.reset();
  BOOST_TEST(gate.admit(1));
}

BOOST_AUTO_TEST_CASE(the_frame_version_counts_else_the_races) {
  race_version_gate gate;
  auto m = message(3, race_status::open);
  BOOST_TEST(gate.admit(m));
  m.version.reset(); // a frame without its own version: the race's
  m.race.version = 3;
  BOOST_TEST(!gate.admit(m));
  m.race.version = 4;
  BOOST_TEST(gate.admit(m));
}

BOOST_AUTO_TEST_SUITE_END()
