#pragma once

// The Discord notifier's adapter to protocol::discord_api: renders a
// notification and posts it, turning Discord's answer into an
// outbox_result. No CAF here beyond the types: the notifier gets the result
// as a message.

#include "actors/discord_notifier.hpp"
#include "config/secret.hpp"
#include "protocol/discord_api.hpp"
#include "protocol/http_client.hpp"
#include "protocol/url.hpp"

#include <memory>
#include <string>

namespace racecontrol {

/// A sender posting to Discord's API at `api_base` with the bot token.
/// Without a token, or with one Discord refuses (401), every notification
/// waits (tried again every 5 minutes) and the log says why. A global 429
/// holds every channel's posts as long as Discord asks, and a burst is
/// kept under Discord's 50 requests a second.
discord_sender discord_link(protocol::http_client& http, protocol::url api_base,
                            config::secret bot_token,
                            std::string racetime_base);

/// What an answer means for the outbox row (exposed for tests).
outbox_result to_outbox_result(const protocol::discord_post_result& r);

} // namespace racecontrol
