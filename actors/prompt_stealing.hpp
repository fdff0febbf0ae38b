#pragma once

// CAF's work-stealing scheduler with one change: a sleeping worker is woken
// after the lock guarding its sleep is released. CAF 0.17 signals while it
// holds that lock, so the woken worker at once blocks on it and must be
// woken a second time: two futex calls and a context switch more for every
// message that finds the scheduler asleep, which on a virtual machine cost
// more than most handlers.

#include <caf/actor_system_config.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/resumable.hpp>

#include <mutex>

namespace racecontrol {

class prompt_stealing : public caf::policy::work_stealing {
 public:
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
    if (sleeping)
      data.waitdata.cv.notify_one();
  }
};

/// Makes the actor system of `cfg` schedule with prompt_stealing.
void use_prompt_stealing(caf::actor_system_config& cfg);

} // namespace racecontrol
