#pragma once

// Cluster leases (issue 13) as the coordinator lease actor asks the
// persistence actor: plain records, compared by the messages test.

#include <cstdint>
#include <string>

namespace racecontrol::persistence {

/// Take the lease `name` for `holder` when it is free, expired or already
/// the holder's, and (re)new it for `lease_ms` from MariaDB's clock.
struct lease_claim {
  std::string name;
  std::string holder;
  std::int64_t lease_ms = 5000;
};

/// Give the lease up at once, if `holder` still has it.
struct lease_release {
  std::string name;
  std::string holder;
};

/// The lease as it stands after a claim: who holds it, its epoch (grows on
/// each fresh take), whether the claimant holds it, and how long until it
/// runs out by MariaDB's clock.
struct lease_state {
  std::string name;
  std::string holder;
  std::uint64_t epoch = 0;
  bool held = false;
  std::int64_t expires_in_ms = 0;
};

inline bool operator==(const lease_claim& a, const lease_claim& b) {
  return a.name == b.name && a.holder == b.holder && a.lease_ms == b.lease_ms;
}

inline bool operator==(const lease_release& a, const lease_release& b) {
  return a.name == b.name && a.holder == b.holder;
}

inline bool operator==(const lease_state& a, const lease_state& b) {
  return a.name == b.name && a.holder == b.holder && a.epoch == b.epoch &&
         a.held == b.held && a.expires_in_ms == b.expires_in_ms;
}

} // namespace racecontrol::persistence
