#pragma once

// Cluster leases (issue 13): the row that says which coordinator is active.
// One transaction per call; MariaDB's clock decides expiry, so nodes whose
// clocks disagree still agree on who holds the lease.

#include "persistence/lease_records.hpp"

#include <odb/mysql/database.hxx>

namespace racecontrol::persistence {

class lease_repository {
 public:
  explicit lease_repository(odb::mysql::database& db) : db_(db) {}

  /// Takes or renews the lease (the row locked for the transaction): the
  /// claimant gets it when nobody holds it, when it has expired, or when
  /// it is the claimant's own (then only its expiry moves). A fresh take
  /// (not a renewal of a lease still running) bumps the epoch, and says
  /// whether the lapsed lease was the claimant's own (`retaken_own`).
  /// Otherwise nothing is written and the state names the other holder.
  lease_state acquire_or_renew(const lease_claim& c);

  /// Ends the holder's lease now (expires_at = NOW), so a standby takes it
  /// on its next try. False when the holder did not hold it (anymore).
  bool release(const lease_release& r);

  /// The lease as it stands (`held` false: nobody claims here); holder
  /// empty and epoch 0 when it was never taken.
  lease_state read(const std::string& name);

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
