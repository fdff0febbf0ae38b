#pragma once

// application/x-www-form-urlencoded bodies and query strings, the only
// encoding racetime.gg's /o/token, startrace and edit accept.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace racecontrol::protocol {

using form_fields = std::vector<std::pair<std::string, std::string>>;

/// Percent-encodes for a form value or query parameter (space as '+').
std::string form_encode(std::string_view text);

/// Decodes percent escapes and '+'; malformed escapes stay as they are.
std::string form_decode(std::string_view text);

/// "a=1&b=two+words".
std::string encode_form(const form_fields& fields);

/// Splits "a=1&b=two+words" into decoded pairs, in order.
form_fields decode_form(std::string_view body);

/// The last value of `key`, or nullptr.
const std::string* form_value(const form_fields& fields, std::string_view key);

} // namespace racecontrol::protocol
