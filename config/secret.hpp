#pragma once

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

  const std::string& reveal() const noexcept { return value_; }

  bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const secret& a, const secret& b) {
    return a.value_ == b.value_;
  }

 private:
  std::string value_;
};

std::ostream& operator<<(std::ostream& out, const secret&);

/// Registers a secret value that did not come through `secret` (a token
/// received at run time). Values shorter than 4 characters are ignored: they
/// would scrub ordinary text.
void register_secret(std::string_view value);

/// Replaces every registered secret value in `text` with "***".
std::string scrub_secrets(std::string_view text);

} // namespace racecontrol::config
