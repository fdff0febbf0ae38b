#pragma once

// What a startrace or a category read came to, in the terms the room
// opener decides on: racetime_api's results turned into the bot actor's
// answers. Pure functions, so every mapping is tested without a server.

#include "actors/messages.hpp"

#include "protocol/race_data.hpp"
#include "protocol/racetime_api.hpp"

#include <chrono>

namespace racecontrol {

/// When a 429 names no Retry-After: wait this long.
inline constexpr std::chrono::milliseconds default_retry_after{60000};

/// "created", "unknown", "not_sent", ... (for logs and reasons).
const char* to_string(start_race_outcome::kind k);

/// One startrace's result as an outcome. `created` and `unknown` are the
/// only kinds that may have made a room: an answer lost after sending (a
/// timeout, a reset, a 5xx, a 2xx without a usable Location) is unknown;
/// a failure before the request left is not_sent. A 401/403 comes out as
/// `forbidden` (the bot actor renews the token and tries once more before
/// it answers that).
start_race_outcome
to_start_outcome(const protocol::racetime_result<protocol::created_race>& r);

/// settings problems found before sending (validate()) as a refusal.
start_race_outcome refused_before_sending(const std::string& category,
                                          std::vector<std::string> problems);

/// A category's current races as the opener searches them.
category_races to_category_races(const protocol::category_data& data);

} // namespace racecontrol
