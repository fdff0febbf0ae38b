// The one timer that watches every bot socket's liveness deadline.

#include <boost/test/unit_test.hpp>

#include "protocol/deadline_sweep.hpp"

#include <boost/asio/io_context.hpp>

using namespace racecontrol::protocol;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(deadline_sweeps)

BOOST_AUTO_TEST_CASE(a_passed_deadline_is_reported_once_until_set_again) {
  boost::asio::io_context io;
  auto& sweep = boost::asio::use_service<deadline_sweep>(io);
  auto soon = std::make_shared<deadline_sweep::entry>();
  auto later = std::make_shared<deadline_sweep::entry>();
  auto unset = std::make_shared<deadline_sweep::entry>();
  int soon_due = 0, later_due = 0, unset_due = 0;
  auto now = deadline_sweep::clock::now();
  soon->set(now + 50ms);
  later->set(now + 10s);
  sweep.watch(
      soon,
      [&] {
        ++soon_due;
      },
      20ms);
  sweep.watch(
      later,
      [&] {
        ++later_due;
      },
      20ms);
  sweep.watch(
      unset,
      [&] {
        ++unset_due;
      },
      20ms);
  io.run_for(30ms);
  BOOST_TEST(soon_due == 0); // not yet
  io.run_for(200ms);
  BOOST_TEST(soon_due == 1); // once, although the sweep ran again
  BOOST_TEST(later_due == 0);
  BOOST_TEST(unset_due == 0);

  soon->set(deadline_sweep::clock::now()); // its owner moved it
  later->clear();
  io.run_for(100ms);
  BOOST_TEST(soon_due == 2);
  BOOST_TEST(later_due == 0);
}

BOOST_AUTO_TEST_CASE(an_owner_gone_leaves_the_sweep) {
  boost::asio::io_context io;
  auto& sweep = boost::asio::use_service<deadline_sweep>(io);
  auto kept = std::make_shared<deadline_sweep::entry>();
  int gone_due = 0;
  {
    auto gone = std::make_shared<deadline_sweep::entry>();
    gone->set(deadline_sweep::clock::now());
    sweep.watch(
        gone,
        [&] {
          ++gone_due;
        },
        10ms);
  }
  sweep.watch(
      kept, [] {}, 10ms);
  BOOST_TEST(sweep.watched() == 2u);
  io.run_for(50ms);
  BOOST_TEST(sweep.watched() == 1u);
  BOOST_TEST(gone_due == 0);
}

BOOST_AUTO_TEST_CASE(a_finer_precision_rearms_the_sweep_sooner) {
  boost::asio::io_context io;
  auto& sweep = boost::asio::use_service<deadline_sweep>(io);
  auto coarse = std::make_shared<deadline_sweep::entry>();
  auto fine = std::make_shared<deadline_sweep::entry>();
  sweep.watch(
      coarse, [] {}, 60s);
  int fine_due = 0;
  fine->set(deadline_sweep::clock::now() + 20ms);
  sweep.watch(
      fine,
      [&] {
        ++fine_due;
      },
      10ms);
  io.run_for(150ms);
  BOOST_TEST(fine_due == 1); // not a minute later
}

BOOST_AUTO_TEST_SUITE_END()
