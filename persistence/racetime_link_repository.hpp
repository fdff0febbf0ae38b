#pragma once

// RaceTime account linking (issue 12, point 4; seed 001 "RaceTime Account
// Linking"): one-time link states, the racetime.gg account stored under
// one, and unlinking. A state is 32 random bytes (base64url) that only the
// link carries; racetime_link_states keeps its SHA-256, the user, and when
// it expires (15 minutes) and was used. Every call is one transaction.

#include "persistence/api_records.hpp"
#include "persistence/link_records.hpp"
#include "persistence/secret_box.hpp"

#include <odb/mysql/database.hxx>

#include <chrono>
#include <variant>

namespace racecontrol::persistence {

/// A link_answer, or why not: api_refusal codes not_found, forbidden,
/// link_unknown, link_used, link_expired, racetime_taken.
using link_result = std::variant<link_answer, api_refusal>;

/// Whether `state` has the shape of a state issue() makes (43 base64url
/// characters): anything else is refused before it is looked up or kept.
bool link_state_well_formed(std::string_view state);

class racetime_link_repository {
 public:
  /// How long a link may be opened and completed.
  static constexpr std::chrono::minutes lifetime{15};

  racetime_link_repository(odb::mysql::database& db, const secret_box& secrets);

  /// A new state for a user of the organization (audited); the answer
  /// holds the state, the only copy. The user's earlier links not used yet
  /// end (a link sent to the wrong place is revoked by issuing another).
  link_result issue(const link_order& order);

  /// Forgets the user's racetime.gg account and tokens (audited when there
  /// was one) and ends the user's links not used yet; the answer names the
  /// account that was linked, if any.
  link_result unlink(const link_order& order);

  /// Whether `state` may still be used, and whose it is.
  link_result check(const std::string& state);

  /// Stores the racetime.gg account under `c.state`: the user's
  /// racetime_id, racetime_name and sealed tokens, the state marked used,
  /// an audit entry (naming the account it replaced, if any). Nothing is
  /// stored when the state is not usable or the account is linked to
  /// another user. Throws secret_failure without a
  /// key.
  link_result complete(const link_callback& c);

  /// issue() or unlink(), as `order.what` says.
  link_result run(const link_order& order) {
    return order.what == link_order::kind::issue ? issue(order) : unlink(order);
  }

 private:
  odb::mysql::database& db_;
  const secret_box& secrets_;
};

} // namespace racecontrol::persistence
