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
  /// Held, taken afresh from the claimant's own lapsed lease: it was still
  /// the holder's row when it ran out, so nobody held it between (a lapse
  /// by MariaDB's clock alone, as when the machine was paused or its wall
  /// clock stepped forward).
  bool retaken_own = false;
};

inline bool operator==(const lease_claim& a, const lease_claim& b) {
  return a.name == b.name && a.holder == b.holder && a.lease_ms == b.lease_ms;
}

inline bool operator==(const lease_release& a, const lease_release& b) {
  return a.name == b.name && a.holder == b.holder;
}

inline bool operator==(const lease_state& a, const lease_state& b) {
  return a.name == b.name && a.holder == b.holder && a.epoch == b.epoch &&
         a.held == b.held && a.expires_in_ms == b.expires_in_ms &&
         a.retaken_own == b.retaken_own;
}

} // namespace racecontrol::persistence
