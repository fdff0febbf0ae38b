#pragma once

// API bearer tokens (issue 12): each belongs to one organization and carries
// scopes. The token itself is shown once, when it is created; MariaDB keeps
// only its hex SHA-256 (`api_tokens.token_sha256`), so a copy of the
// database lets nobody call the API. One transaction per call.
//
// A token is `rc_` followed by 43 characters of unpadded base64url (RFC 4648
// §5): 32 bytes from OpenSSL's RAND_bytes. The prefix lets people and secret
// scanners recognise one; the alphabet needs no escaping in a header, a URL
// or a shell.

#include "config/secret.hpp"
#include "persistence/entities/timestamp.hxx"

#include <odb/mysql/database.hxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace racecontrol::persistence {

/// Every scope a token may carry, in the order listings show them.
const std::vector<std::string>& api_token_scopes();

/// Whether a token holding `granted` may do what needs `wanted`: it holds
/// `wanted` itself, or `admin`, which implies every scope.
bool scope_allows(const std::vector<std::string>& granted,
                  std::string_view wanted);

/// Whether `token` has a token's form (`rc_` + 43 base64url characters);
/// one that has not is refused without a look at the database.
bool api_token_well_formed(std::string_view token);

/// A token as listings show it; never its hash.
struct api_token_info {
  std::int32_t id = 0;
  std::int32_t organization_id = 0;
  std::string organization_name;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::int32_t> created_by_id;
  timestamp created_at;
  std::optional<timestamp> last_used_at;
  std::optional<timestamp> revoked_at;
};

/// A token just created: its row and the plaintext, which exists nowhere
/// else. Show it to whoever asked, once, and let it go.
struct api_token_created {
  api_token_info token;
  config::secret plaintext;
};

/// Why create() wrote nothing, in words a person can act on (which scope is
/// unknown and which exist, which organization is missing).
struct api_token_refused {
  std::string message;
};

/// Who presented a valid token.
struct api_token_identity {
  std::int32_t id = 0;
  std::int32_t organization_id = 0;
  std::string name;
  std::vector<std::string> scopes;

  /// scope_allows(scopes, wanted).
  bool allows(std::string_view wanted) const;
};

/// Why a presented token is not accepted.
enum class api_token_refusal {
  malformed, ///< empty, or not `rc_` + 43 base64url characters
  unknown,   ///< well formed, but no token has that hash
  revoked,   ///< the token exists and was revoked
};

/// "malformed", "unknown", "revoked".
const char* to_string(api_token_refusal r);

/// What authenticate() found.
using api_token_check = std::variant<api_token_identity, api_token_refusal>;

/// What revoke() did.
enum class api_token_revoke_outcome {
  revoked,         ///< revoked now
  already_revoked, ///< nothing changed: it was revoked before
  not_found,       ///< no token has that id
};

struct api_token_revoke_result {
  api_token_revoke_outcome outcome = api_token_revoke_outcome::not_found;
  std::optional<api_token_info> token; ///< as it is now, unless not_found
};

class api_token_repository {
 public:
  explicit api_token_repository(odb::mysql::database& db) : db_(db) {}

  /// Creates a token for an existing organization with the given scopes
  /// (from api_token_scopes(); duplicates are dropped, at least one is
  /// needed) and a name of 1 to 255 characters, stored verbatim. Refuses
  /// without writing anything when a scope, the organization or the
  /// creating user is unknown. Writes an `api_token_created` audit entry
  /// (without the token) in the same transaction. Throws database_error
  /// when MariaDB fails.
  std::variant<api_token_created, api_token_refused>
  create(std::int32_t organization_id, const std::string& name,
         const std::vector<std::string>& scopes,
         std::optional<std::int32_t> created_by = std::nullopt);

  /// The identity of `token`, or why it is refused. Records the use in
  /// `last_used_at`, at most once a minute per token: an API client sending
  /// many requests a second would otherwise turn every read into a write.
  api_token_check authenticate(std::string_view token);

  /// Every token of one organization, or of all when nullopt, by id.
  std::vector<api_token_info>
  list(std::optional<std::int32_t> organization_id = std::nullopt);

  /// Revokes a token for good; a revoked token never authenticates again.
  /// Idempotent: revoking twice changes nothing the second time. Writes an
  /// `api_token_revoked` audit entry when it revokes.
  api_token_revoke_result revoke(std::int32_t id);

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
