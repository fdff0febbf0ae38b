#pragma once

// Unpadded base64url (RFC 4648 §5): the text form of the random secrets
// racecontrol hands out (API tokens, link states).

#include <cstddef>
#include <string>
#include <string_view>

namespace racecontrol::persistence {

/// `size` bytes as unpadded base64url.
std::string base64url(const unsigned char* data, std::size_t size);

/// Whether every character of `text` is one of base64url's.
bool is_base64url(std::string_view text);

} // namespace racecontrol::persistence
