#pragma once

// Every column that holds a secret sealed by secret_box, and what is done
// to all of them at once: the daemon's start check, `racecontrol-migrate
// secrets encrypt` (seal legacy plaintext) and `secrets rotate` (re-seal
// under a new key). Each of those runs in one transaction, so a failure
// leaves every row as it was.

#include "persistence/secret_box.hpp"

#include <odb/mysql/database.hxx>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

struct secret_column {
  const char* table;
  const char* column;
};

/// racetime_bots.client_secret, users.racetime_access_token and
/// users.racetime_refresh_token.
const std::vector<secret_column>& secret_columns();

/// What the secret columns hold, by kind.
struct secret_census {
  std::size_t plaintext = 0;
  /// Sealed values whose key the box does not have, e.g. "1 value(s) in
  /// racetime_bots.client_secret with key id 0a1b2c3d".
  std::vector<std::string> unopenable;
  std::size_t sealed = 0;
};

secret_census count_secrets(odb::mysql::database& db, const secret_box& box);

/// The one line a daemon start fails with when stored secrets need a key
/// the box does not have; nullopt when every sealed value can be opened.
std::optional<std::string> secret_key_problem(odb::mysql::database& db,
                                              const secret_box& box);

/// Seals every legacy plaintext value under the box's current key, in one
/// transaction; returns how many. Sealed values are left alone.
std::size_t seal_plaintext_secrets(odb::mysql::database& db,
                                   const secret_box& box);

/// Opens every sealed value (with the current or the old key) and seals it
/// again under the current key, plaintext included, in one transaction;
/// returns how many values were written. Throws secret_failure (nothing
/// changed) when a value cannot be opened.
std::size_t rotate_secrets(odb::mysql::database& db, const secret_box& box);

} // namespace racecontrol::persistence
