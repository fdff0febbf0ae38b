#pragma once

// Discord's REST API as racecontrol's notifier uses it: POST
// /channels/{id}/messages with a bot token. One call is one request; its
// result arrives as a value saying what to do next (done, wait, retry,
// give up), together with the rate-limit headers of the answer so the
// caller can hold a bucket before Discord has to refuse. The bot token
// never appears in a result or a log line.

#include "config/secret.hpp"
#include "protocol/discord_message.hpp"
#include "protocol/http_client.hpp"
#include "protocol/url.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace racecontrol::protocol {

/// The X-RateLimit-* headers of one answer (any status). Absent headers
/// stay empty: a global 429 carries no per-route ones.
struct discord_rate_limit {
  std::optional<std::int64_t> limit;     ///< X-RateLimit-Limit
  std::optional<std::int64_t> remaining; ///< X-RateLimit-Remaining
  /// X-RateLimit-Reset-After (float seconds), rounded up to milliseconds.
  std::optional<std::chrono::milliseconds> reset_after;
  std::string bucket;  ///< X-RateLimit-Bucket: shared by routes, not channels
  bool global = false; ///< X-RateLimit-Global (429 only)
  std::string scope;   ///< X-RateLimit-Scope: user, global or shared (429)

  /// Remaining is 0: hold the bucket (this channel) until reset_after.
  bool exhausted() const { return remaining && *remaining == 0; }
};

/// 2xx: Discord created the message (or, with enforce_nonce and a nonce it
/// saw recently, answered the one it created before).
struct discord_delivered {
  std::string message_id;
};

/// 429: wait `retry_after` before the next request (to this bucket, or to
/// any route at all when `global`).
struct discord_rate_limited {
  std::chrono::milliseconds retry_after{0};
  bool global = false;
  std::string bucket;
  std::string scope;
  std::string message;
};

/// Retry later: 5xx, a network error or timeout, an answer that cannot be
/// read. With `maybe_sent` the request went out and the answer was lost:
/// the message may exist, and only the nonce keeps a retry from repeating
/// it.
struct discord_transient {
  std::string message;
  bool maybe_sent = false;
};

/// Retrying will not help: 400 (refused body), 401 (token), 403 (no
/// permission), 404 (unknown channel), other 4xx, or refused before
/// sending (status 0: an invalid message or channel id).
struct discord_permanent {
  unsigned status = 0;
  /// Discord's JSON error code (10003 Unknown Channel, 50001 Missing
  /// Access, 50035 Invalid Form Body, 0 for a 401, ...), when it sent one.
  std::optional<std::int64_t> code;
  /// For a person: what failed, Discord's message and field errors, and
  /// what to fix.
  std::string message;
};

using discord_outcome = std::variant<discord_delivered, discord_rate_limited,
                                     discord_transient, discord_permanent>;

struct discord_post_result {
  discord_outcome outcome;
  discord_rate_limit limits; ///< of the answer; empty without one
};

class discord_api {
 public:
  using callback = std::function<void(discord_post_result)>;

  /// `base` is the API root with its version, e.g.
  /// https://discord.com/api/v10 (tests: the stand-in's URL). Every
  /// request is bounded by `http`'s timeouts (connect, and request_timeout
  /// for writing and reading): give Discord an http_client of its own with
  /// a short request_timeout (a few seconds), so a slow Discord is noticed
  /// quickly and never shares a limit with racetime.gg's calls. Past the
  /// timeout the result is transient with maybe_sent.
  discord_api(http_client& http, url base);

  /// POST {base}/channels/{channel_id}/messages with `Authorization: Bot
  /// <token>`. A message validate() refuses, or a channel id that is not a
  /// Discord id, is not sent (permanent, status 0). With a nonce and
  /// enforce_nonce the request counts as idempotent (Discord answers a
  /// repeat with the first message), so the HTTP client may send it again
  /// on a fresh connection when a kept-alive one was closed. `done` runs
  /// exactly once: on the HTTP client's strand, or for a message refused
  /// before sending at once, in the caller's thread.
  void post_message(const std::string& channel_id,
                    const discord_message& message,
                    const config::secret& bot_token, callback done);

  const url& base() const noexcept { return base_; }

 private:
  http_client& http_;
  url base_;
};

/// The rate-limit headers of a response.
discord_rate_limit parse_discord_rate_limit(const http_response& response);

/// What an answer to POST /channels/{id}/messages means (`what` names the
/// request in messages).
discord_outcome classify_discord_answer(const http_response& response,
                                        const discord_rate_limit& limits,
                                        const std::string& what);

/// "discord_delivered", "discord_rate_limited", ... for logs.
const char* outcome_name(const discord_outcome& outcome);

} // namespace racecontrol::protocol
