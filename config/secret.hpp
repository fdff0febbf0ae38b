#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>

namespace racecontrol::config {

/// A value that must never reach a log: client secrets, tokens, passwords.
/// Printing it yields "***"; the raw value is only available through
/// reveal(), at the point where it goes on the wire. Every value is also
/// registered with the log scrubber, which replaces it in any log line that
/// might still contain it.
class secret {
 public:
  secret() = default;
  explicit secret(std::string value);

  /// A value that stops mattering at `forget_after` (a token that expires, a
  /// value a request brought): the scrubber forgets it then, and keeps at
  /// most a few thousand such values, so input from outside cannot grow
  /// the registry for ever.
  secret(std::string value, std::chrono::system_clock::time_point forget_after);

  /// For a value a request brought: kept by the scrubber for an hour.
  static secret from_request(std::string value) {
    return secret{std::move(value),
                  std::chrono::system_clock::now() + std::chrono::hours{1}};
  }

  const std::string& reveal() const noexcept { return value_; }

  bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const secret& a, const secret& b) {
    return a.value_ == b.value_;
  }

  friend bool operator!=(const secret& a, const secret& b) { return !(a == b); }

 private:
  std::string value_;
};

std::ostream& operator<<(std::ostream& out, const secret&);

/// Registers a secret value for the life of the process (configured
/// credentials). Values shorter than 4 characters are ignored: they would
/// scrub ordinary text.
void register_secret(std::string_view value);

/// Registers a value that stops mattering at `forget_after` (a token that
/// expires): the scrubber forgets it then, so the registry does not grow
/// with every renewal. Registering a known value again extends its time.
void register_secret(std::string_view value,
                     std::chrono::system_clock::time_point forget_after);

/// Replaces every registered secret value in `text` with "***". Lock-free
/// for readers: it scans an immutable snapshot of the registry.
std::string scrub_secrets(std::string_view text);

/// How many values the scrubber currently knows (for tests and metrics).
std::size_t registered_secret_count();

} // namespace racecontrol::config
