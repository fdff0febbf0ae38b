#include "protocol/race_version_gate.hpp"

namespace racecontrol::protocol {

bool race_version_gate::admit(std::int64_t version) noexcept {
  if (last_ && version <= *last_)
    return false;
  last_ = version;
  return true;
}

bool race_version_gate::admit(const race_data_message& message) noexcept {
  return admit(message.version.value_or(message.race.version));
}

} // namespace racecontrol::protocol
