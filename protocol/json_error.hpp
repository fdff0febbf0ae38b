#pragma once

// What every JSON reader in protocol/ shares, apart from json.hpp so that a
// header can name it without including RapidJSON: the error and the size
// limit.

#include <cstddef>
#include <stdexcept>

namespace racecontrol::protocol {

/// Largest JSON document accepted by default (race data with many entrants
/// stays far below this).
inline constexpr std::size_t default_json_limit = 4 * 1024 * 1024;

/// A malformed or unexpected document; what() names the field.
class json_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

} // namespace racecontrol::protocol
