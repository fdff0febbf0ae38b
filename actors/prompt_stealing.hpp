#pragma once

// CAF's work-stealing scheduler with one change: a sleeping worker is woken
// after the lock guarding its sleep is released. CAF 0.17 signals while it
// holds that lock, so the woken worker at once blocks on it and must be
// woken a second time: two futex calls and a context switch more for every
// message that finds the scheduler asleep, which on a virtual machine cost
// more than most handlers.
//
// With racetime.io_threads = 0 the lone worker also runs the daemon's
// io_context whenever it has no job: the network's callbacks and the actors
// share one thread, and the hand-offs between them (every frame a room
// reads, every send, every startrace) wake no other thread (automation_bench,
// 1,000 rooms: about 6 sleeps per room fewer).

#include <caf/actor_system_config.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/resumable.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <mutex>

namespace racecontrol {

class prompt_stealing : public caf::policy::work_stealing {
 public:
  /// When set, the scheduler's only worker runs this io_context whenever
  /// it has no job, instead of sleeping on its condition variable: the
  /// network's callbacks and the actors then share one thread, and a frame
  /// handed to an actor (or a send handed to the network) wakes nobody.
  static inline boost::asio::io_context* io = nullptr;

  /// A job from outside the worker (another thread, an adapter).
  template <class Worker>
  void external_enqueue(Worker* self, caf::resumable* job) {
    auto& data = d(self);
    data.queue.append(job);
    // The worker sets `sleeping` and tests its queue under the lock before
    // it waits, so either it sees the job or this sees it sleeping.
    bool sleeping = false;
    {
      std::lock_guard<std::mutex> guard(data.waitdata.lock);
      sleeping = data.waitdata.sleeping;
    }
    if (!sleeping)
      return;
    // A network callback running on the worker itself needs no wake-up: the
    // worker reads its queue when run_one() returns.
    if (io == nullptr)
      data.waitdata.cv.notify_one();
    else if (!on_io_worker)
      boost::asio::post(*io, [] {}); // returns the worker from run_one()
  }

  template <class Worker>
  caf::resumable* dequeue(Worker* self) {
    if (io == nullptr || io->stopped())
      return work_stealing::dequeue(self);
    on_io_worker = true;
    auto& data = d(self);
    for (;;) {
      if (auto* job = data.queue.take_head()) {
        poll_if_due();
        return job;
      }
      set_sleeping(data, true);
      if (!data.queue.empty()) {
        set_sleeping(data, false);
        continue;
      }
      io->run_one();
      last_poll_ = std::chrono::steady_clock::now();
      set_sleeping(data, false);
      if (io->stopped())
        return work_stealing::dequeue(self);
    }
  }

 private:
  static void set_sleeping(worker_data& data, bool value) {
    std::lock_guard<std::mutex> guard(data.waitdata.lock);
    data.waitdata.sleeping = value;
  }

  /// While jobs keep coming the network is looked at every millisecond.
  void poll_if_due() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_poll_ < std::chrono::milliseconds{1})
      return;
    last_poll_ = now;
    io->poll();
  }

  std::chrono::steady_clock::time_point last_poll_{};
  /// This thread is the worker that runs `io`.
  static inline thread_local bool on_io_worker = false;
};

/// Makes the actor system of `cfg` schedule with prompt_stealing.
void use_prompt_stealing(caf::actor_system_config& cfg);

} // namespace racecontrol
