#pragma once

// The Discord notifier's adapter to protocol::discord_api: renders a
// notification and posts it, turning Discord's answer into an
// outbox_result. No CAF here beyond the types: the notifier gets the result
// as a message.

#include "actors/discord_notifier.hpp"
#include "config/secret.hpp"
#include "protocol/io_runtime.hpp"
#include "protocol/url.hpp"

#include <memory>
#include <string>

namespace racecontrol {

/// A sender posting to Discord's API at `api_base` with the bot token.
/// Without a token every notification waits (retried every `idle_retry`)
/// and the log says once why.
discord_sender discord_link(protocol::io_runtime& io, protocol::url api_base,
                            config::secret bot_token,
                            std::string racetime_base);

/// What an answer means for the outbox row (exposed for tests).
outbox_result to_outbox_result(const protocol::discord_post_result& r);

} // namespace racecontrol
