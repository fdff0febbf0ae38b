// The scheduler racecontrold runs its actors on: CAF's work stealing, but a
// sleeping worker is woken after its lock is released. A wake-up lost that
// way would leave a message unread until the worker's relaxed timeout,
// which this test sets to an hour: the request below would time out.

#define BOOST_TEST_MODULE actors_prompt_stealing
#include <boost/test/unit_test.hpp>

#include "actors/prompt_stealing.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <thread>

using namespace racecontrol;

BOOST_AUTO_TEST_CASE(every_message_from_outside_wakes_a_sleeping_worker) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.set("work-stealing.moderate-poll-attempts", 0);
  cfg.set("work-stealing.relaxed-sleep-duration",
          caf::timespan{std::chrono::hours{1}});
  use_prompt_stealing(cfg);
  caf::actor_system sys{cfg};
  BOOST_TEST((dynamic_cast<caf::scheduler::coordinator<prompt_stealing>*>(
                  &sys.scheduler()) != nullptr));
  auto echo = sys.spawn([]() -> caf::behavior {
    return {[](int x) {
      return x + 1;
    }};
  });
  caf::scoped_actor self{sys};
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    // Long enough for both workers to stop polling and sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
    self->request(echo, std::chrono::seconds{10}, i)
        .receive(
            [&](int y) {
              if (y == i + 1)
                ++answered;
            },
            [&](caf::error& err) {
              BOOST_ERROR("request " << i << " failed: " << to_string(err));
            });
    if (answered != i + 1)
      break;
  }
  BOOST_TEST(answered == 200);
}
