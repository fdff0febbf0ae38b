#pragma once

// RaceTime account linking (issue 12, point 4) as the HTTP API asks the
// persistence actor: plain records, compared by the messages test.

#include "config/secret.hpp"
#include "persistence/entities/timestamp.hxx"

#include <cstdint>
#include <string>

namespace racecontrol::persistence {

/// Issue a one-time link for a user, or unlink the user; audited with
/// `actor`. The user must belong to the organization (a member, or a
/// player of one of its tournaments' matches).
struct link_order {
  enum class kind : std::uint8_t { issue, unlink };
  kind what = kind::issue;
  std::int32_t organization_id = 0;
  std::int32_t user_id = 0;
  std::string actor; ///< who asks, e.g. "api-token:results#3"
};

/// A browser came back with a link state: check it (`check_only`: is it
/// usable, whose is it) or store the racetime.gg account it linked (state
/// marked used, tokens sealed, audited). `refresh_token` empty: none.
struct link_callback {
  config::secret state;
  bool check_only = true;
  std::string racetime_id;
  std::string racetime_name;
  config::secret access_token;
  config::secret refresh_token;
  std::int64_t expires_in_s = 0; ///< the access token's lifetime, 0: unknown
};

/// What a link_order or link_callback did: the user, the state (only when
/// just issued: it is stored nowhere but as its SHA-256) and until when it
/// may be used, and the racetime.gg name when linked.
struct link_answer {
  std::int32_t user_id = 0;
  std::string user_name;
  config::secret state;
  timestamp expires_at{};
  std::string racetime_name;
};

inline bool operator==(const link_order& a, const link_order& b) {
  return a.what == b.what && a.organization_id == b.organization_id &&
         a.user_id == b.user_id && a.actor == b.actor;
}

inline bool operator==(const link_callback& a, const link_callback& b) {
  return a.state == b.state && a.check_only == b.check_only &&
         a.racetime_id == b.racetime_id && a.racetime_name == b.racetime_name &&
         a.access_token == b.access_token &&
         a.refresh_token == b.refresh_token && a.expires_in_s == b.expires_in_s;
}

inline bool operator==(const link_answer& a, const link_answer& b) {
  return a.user_id == b.user_id && a.user_name == b.user_name &&
         a.state == b.state && a.expires_at == b.expires_at &&
         a.racetime_name == b.racetime_name;
}

} // namespace racecontrol::persistence
