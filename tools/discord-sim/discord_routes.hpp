#pragma once

// discord-sim's HTTP answers, as functions from a request to a response:
// Discord's POST /api/v10/channels/{id}/messages (with its faults) and the
// control API tests use to create channels, arrange faults and read back
// what was posted.

#include "tools/discord-sim/discord_state.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <optional>

namespace racecontrol::discord_sim {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

/// An answer on the API port: `res` after `delay`, or without `res` the
/// connection closed after `delay` (no answer at all).
struct reply {
  std::optional<response> res;
  std::chrono::milliseconds delay{0};
};

/// Serves Discord's API paths (every answer is counted in the stats).
reply serve_api(state& s, const request& req);

/// Serves the control API.
response serve_control(state& s, const request& req);

} // namespace racecontrol::discord_sim
