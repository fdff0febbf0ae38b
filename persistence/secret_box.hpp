#pragma once

// Secrets at rest: bot client secrets and users' racetime.gg tokens are
// stored sealed with AES-256-GCM under a key from the environment, so a
// database dump or backup alone does not hand out credentials.
//
// Stored form: "v1:<key id>:<base64(nonce | ciphertext | tag)>", a fresh
// random 96-bit nonce per value; the "v1:<key id>" prefix is authenticated
// too (GCM additional data), so it cannot be edited to point at another
// key. The key id is the first 8 hex digits of SHA-256(key): it names a key
// without revealing it, and tells an operator which key a row needs.
//
// Keys: RACECONTROL_SECRET_KEY (32 bytes, base64) seals and opens;
// RACECONTROL_SECRET_KEY_OLD, set only while rotating, opens values sealed
// under the previous key. Values that do not start with "v1:" are legacy
// plaintext from before encryption: open() passes them through (until
// `racecontrol-migrate secrets encrypt` seals them).

#include "protocol/expected.hpp"

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace racecontrol::persistence {

/// Why a secret could not be sealed or opened. The message says what to
/// set or run; it never contains the secret.
struct secret_error {
  enum class kind {
    no_key,      ///< no (usable) key configured
    bad_key,     ///< a configured key is not 32 bytes of base64
    unknown_key, ///< sealed under a key that is not configured
    tampered,    ///< authentication failed: edited, truncated or corrupt
  };
  kind what = kind::no_key;
  std::string message;
};

template <class T>
using secret_result = protocol::expected<T, secret_error>;

/// A secret_error thrown inside repositories (they report database errors
/// as exceptions; the persistence actor and the tools turn both into
/// values).
class secret_failure : public std::runtime_error {
 public:
  explicit secret_failure(secret_error e)
      : std::runtime_error(e.message), error_(std::move(e)) {}
  const secret_error& error() const noexcept { return error_; }

 private:
  secret_error error_;
};

class secret_box {
 public:
  static constexpr const char* key_variable = "RACECONTROL_SECRET_KEY";
  static constexpr const char* old_key_variable = "RACECONTROL_SECRET_KEY_OLD";

  /// A box without keys: opens legacy plaintext only, seals nothing.
  secret_box() = default;

  /// Keys from base64 text (32 bytes each once decoded); `old_key` may be
  /// empty. Fails with bad_key naming `origin` (e.g. the variable).
  static secret_result<secret_box> from_keys(std::string_view key,
                                             std::string_view old_key = {});

  /// The keys in RACECONTROL_SECRET_KEY and RACECONTROL_SECRET_KEY_OLD.
  /// Neither set: a box without keys. A malformed one: bad_key.
  static secret_result<secret_box> from_environment();

  /// A new random key, base64 (for `racecontrol-migrate secrets keygen`,
  /// scripts and tests).
  static std::string generate_key();

  /// Seals under the current key (no_key without one).
  secret_result<std::string> seal(std::string_view plaintext) const;

  /// Opens a sealed value with whichever configured key it names; legacy
  /// plaintext comes back unchanged.
  secret_result<std::string> open(std::string_view stored) const;

  /// seal()/open() that throw secret_failure, for repositories.
  std::string seal_or_throw(std::string_view plaintext) const;
  std::string open_or_throw(std::string_view stored) const;

  /// True for the stored form ("v1:..."), false for legacy plaintext.
  static bool is_sealed(std::string_view stored);

  /// The key id a sealed value names ("" for plaintext).
  static std::string key_id_of(std::string_view stored);

  bool has_key() const noexcept { return current_.has_value(); }
  /// Whether values sealed under key `id` can be opened.
  bool can_open(std::string_view id) const { return find(id) != nullptr; }
  /// The current key's id ("" without one).
  std::string key_id() const { return current_ ? current_->id : ""; }

 private:
  struct key {
    std::array<unsigned char, 32> bytes{};
    std::string id;
  };
  static secret_result<key> decode_key(std::string_view base64,
                                       const char* variable);
  const key* find(std::string_view id) const;

  std::optional<key> current_;
  std::optional<key> old_;
};

} // namespace racecontrol::persistence
