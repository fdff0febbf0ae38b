#pragma once

// An actor system on CAF's test coordinator, the base of the actor tests'
// fixtures: nothing runs until the test calls sched->run(), and time moves
// only when it calls sched->advance_time().

#include "actors/messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <memory>

namespace racecontrol::test {

struct deterministic_actor_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  deterministic_actor_system() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }
};

} // namespace racecontrol::test
