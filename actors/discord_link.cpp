#include "actors/discord_link.hpp"

#include "actors/event_message.hpp"
#include "protocol/discord_api.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace racecontrol {

namespace {

struct link_state {
  protocol::discord_api api;
  config::secret token;
  std::string racetime_base;
  std::atomic<bool> told_no_token{false};

  link_state(protocol::http_client& http, protocol::url base, config::secret t,
             std::string racetime)
      : api(http, std::move(base)), token(std::move(t)),
        racetime_base(std::move(racetime)) {}
};

/// Without a token nothing can be posted: the rows wait, and are sent once
/// racecontrold runs with one.
constexpr std::int64_t no_token_retry_ms = 5 * 60 * 1000;

} // namespace

outbox_result to_outbox_result(const protocol::discord_post_result& r) {
  outbox_result out;
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, protocol::discord_delivered>) {
          out.what = outbox_result::kind::delivered;
          out.message_id = o.message_id;
        } else if constexpr (std::is_same_v<T,
                                            protocol::discord_rate_limited>) {
          out.what = outbox_result::kind::retry;
          out.retry_after_ms = o.retry_after.count();
          out.error =
              "429 " + std::string{o.global ? "(global) " : ""} + o.message;
        } else if constexpr (std::is_same_v<T, protocol::discord_transient>) {
          out.what = outbox_result::kind::retry;
          out.error = o.message;
        } else {
          out.what = outbox_result::kind::failed;
          out.error = o.message;
        }
      },
      r.outcome);
  // A bucket at Remaining=0 is held until it resets, before Discord has to
  // refuse the next one.
  if (out.what == outbox_result::kind::delivered && r.limits.exhausted() &&
      r.limits.reset_after)
    out.retry_after_ms = r.limits.reset_after->count();
  return out;
}

discord_sender discord_link(protocol::io_runtime& io, protocol::url api_base,
                            config::secret bot_token,
                            std::string racetime_base) {
  auto state = std::make_shared<link_state>(io.http(), std::move(api_base),
                                            std::move(bot_token),
                                            std::move(racetime_base));
  return [state](const outbox_item& item,
                 std::function<void(outbox_result)> done) {
    if (state->token.reveal().empty()) {
      if (!state->told_no_token.exchange(true))
        spdlog::warn("discord: notifications wait in the outbox: set "
                     "RACECONTROL_DISCORD_BOT_TOKEN to post them");
      outbox_result r;
      r.what = outbox_result::kind::retry;
      r.error = "no Discord bot token (RACECONTROL_DISCORD_BOT_TOKEN)";
      r.retry_after_ms = no_token_retry_ms;
      done(std::move(r));
      return;
    }
    state->api.post_message(
        item.channel_id, render_event(item, state->racetime_base), state->token,
        [done = std::move(done)](protocol::discord_post_result r) {
          done(to_outbox_result(r));
        });
  };
}

} // namespace racecontrol
