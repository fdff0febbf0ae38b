#pragma once

// application/x-www-form-urlencoded as Django reads it (QueryDict: the last
// value of a repeated key wins, blank values kept, bad escapes left as they
// are) and as Python's urlencode writes it. The simulator's own, so the
// client's form encoder is checked against an independent reader.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace racecontrol::sim {

using form_fields = std::vector<std::pair<std::string, std::string>>;

/// "a=1&b=two+words" as decoded pairs, in order.
form_fields decode_form(std::string_view body);

/// The last value of `key`, or nullptr (QueryDict.get).
const std::string* form_value(const form_fields& fields, std::string_view key);

/// urllib.parse.urlencode: "code=abc&state=x+y".
std::string encode_form(const form_fields& fields);

} // namespace racecontrol::sim
