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
#include <caf/send.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace racecontrol;

namespace {

/// Work stealing with prompt wake-ups on `threads` workers that, once idle,
/// sleep until woken (no timed look for work to steal).
caf::actor_system_config sleepy_workers(std::size_t threads) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", threads);
  cfg.set("work-stealing.moderate-poll-attempts", 0);
  cfg.set("work-stealing.relaxed-sleep-duration",
          caf::timespan{std::chrono::hours{1}});
  use_prompt_stealing(cfg);
  return cfg;
}

/// Asks an echo actor `n` times from this thread, 2 ms apart (long enough
/// for the workers to stop polling and sleep); the count answered right,
/// up to the first that was not.
int answered_after_sleeps(caf::actor_system& sys, int n) {
  auto echo = sys.spawn([]() -> caf::behavior {
    return {[](int x) {
      return x + 1;
    }};
  });
  caf::scoped_actor self{sys};
  int answered = 0;
  for (int i = 0; i < n; ++i) {
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
  return answered;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_message_from_outside_wakes_a_sleeping_worker) {
  auto cfg = sleepy_workers(2);
  caf::actor_system sys{cfg};
  BOOST_TEST((dynamic_cast<caf::scheduler::coordinator<prompt_stealing>*>(
                  &sys.scheduler()) != nullptr));
  BOOST_TEST(answered_after_sleeps(sys, 200) == 200);
}

BOOST_AUTO_TEST_CASE(a_lone_worker_runs_the_network_between_jobs) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  prompt_stealing::io = &io;
  {
    auto cfg = sleepy_workers(1);
    cfg.set("scheduler.max-throughput", std::size_t{100}); // as racecontrold
    caf::actor_system sys{cfg};
    // Messages from another thread wake the worker out of the network.
    BOOST_TEST(answered_after_sleeps(sys, 100) == 100);
    // A network callback runs on the worker's thread, and the message it
    // sends is read there too.
    std::promise<std::thread::id> network_thread, actor_thread;
    auto where = sys.spawn([&actor_thread]() -> caf::behavior {
      return {[&actor_thread](int) {
        actor_thread.set_value(std::this_thread::get_id());
      }};
    });
    boost::asio::post(io, [&] {
      network_thread.set_value(std::this_thread::get_id());
      caf::anon_send(where, 1);
    });
    auto net_id = network_thread.get_future().get();
    BOOST_TEST((net_id == actor_thread.get_future().get()));
    BOOST_TEST((net_id != std::this_thread::get_id()));
    // An actor that never lets the worker idle does not starve the network:
    // a timer due in 20 ms fires while it is still busy.
    std::atomic<bool> busy_done{false}, fired_while_busy{false};
    std::promise<void> chain_done;
    auto busy = sys.spawn([&](caf::event_based_actor* b) -> caf::behavior {
      return {[&, b](int n) {
        auto until =
            std::chrono::steady_clock::now() + std::chrono::microseconds{100};
        while (std::chrono::steady_clock::now() < until) {
        }
        if (n > 0) {
          b->send(b, n - 1);
        } else {
          busy_done = true;
          chain_done.set_value();
        }
      }};
    });
    boost::asio::steady_timer timer{io, std::chrono::milliseconds{20}};
    timer.async_wait([&](const boost::system::error_code&) {
      fired_while_busy = !busy_done;
    });
    caf::anon_send(busy, 3000); // about 300 ms of work
    chain_done.get_future().get();
    BOOST_TEST(fired_while_busy.load());
  }
  prompt_stealing::io = nullptr;
}
