#include "actors/prompt_stealing.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduler/coordinator.hpp>

namespace racecontrol {

void use_prompt_stealing(caf::actor_system_config& cfg) {
  // A scheduler module loaded by the configuration replaces CAF's own.
  cfg.module_factories.push_back(
      [](caf::actor_system& sys) -> caf::actor_system::module* {
        return new caf::scheduler::coordinator<prompt_stealing>(sys);
      });
}

} // namespace racecontrol
