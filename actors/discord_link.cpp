#include "actors/discord_link.hpp"

#include "actors/event_message.hpp"
#include "protocol/discord_api.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

namespace racecontrol {

namespace {

using steady = std::chrono::steady_clock;

/// Without a token nothing can be posted: the rows wait, and are sent once
/// racecontrold runs with one. A refused token waits as long.
constexpr std::int64_t no_token_retry_ms = 5 * 60 * 1000;
/// Discord allows a bot 50 requests a second over all channels; a burst
/// (many tournaments' rooms opening at once) stays below.
constexpr int posts_per_second = 40;

outbox_result retry_in(std::int64_t ms, std::string why) {
  outbox_result r;
  r.what = outbox_result::kind::retry;
  r.retry_after_ms = ms;
  r.error = std::move(why);
  return r;
}

struct link_state {
  protocol::discord_api api;
  config::secret token;
  std::string racetime_base;
  std::atomic<bool> told_no_token{false};

  link_state(protocol::http_client& http, protocol::url base, config::secret t,
             std::string racetime)
      : api(http, std::move(base)), token(std::move(t)),
        racetime_base(std::move(racetime)) {}

  /// Whether a post must wait (what for, and how long): a hold over every
  /// channel (a global 429, a refused token) or the second's posts spent.
  /// Otherwise the post counts in this second.
  std::optional<outbox_result> held(steady::time_point now) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (now < held_until_)
      return retry_in(ms_until(held_until_, now), held_why_);
    if (now - window_start_ >= std::chrono::seconds{1}) {
      window_start_ = now;
      window_posts_ = 0;
    }
    if (window_posts_ >= posts_per_second)
      return retry_in(ms_until(window_start_ + std::chrono::seconds{1}, now),
                      "held back: at most " + std::to_string(posts_per_second) +
                          " posts a second (Discord's limit for a bot is 50)");
    ++window_posts_;
    return std::nullopt;
  }

  /// What an answer says about every channel: a global 429 holds all posts
  /// as long as Discord asks; a refused token (401) holds them and keeps
  /// the row waiting (all would be refused alike: not given up for good).
  void learn(const protocol::discord_post_result& answer, outbox_result& r) {
    auto now = steady::now();
    if (auto* limited =
            std::get_if<protocol::discord_rate_limited>(&answer.outcome);
        limited != nullptr && limited->global) {
      hold(now + limited->retry_after,
           "waiting out Discord's global rate limit: " + r.error);
      return;
    }
    auto* refused = std::get_if<protocol::discord_permanent>(&answer.outcome);
    if (refused == nullptr || refused->status != 401)
      return;
    r = retry_in(no_token_retry_ms,
                 refused->message + " (the notifications wait in the outbox)");
    if (hold(now + std::chrono::milliseconds{no_token_retry_ms}, r.error))
      spdlog::error("discord: the bot token was refused (401); every "
                    "notification waits in the outbox and is tried again "
                    "in 5 minutes: set a valid RACECONTROL_DISCORD_BOT_TOKEN "
                    "and restart racecontrold");
  }

 private:
  static std::int64_t ms_until(steady::time_point t, steady::time_point now) {
    return std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  }

  /// True when no hold was on already.
  bool hold(steady::time_point until, std::string why) {
    std::lock_guard<std::mutex> guard{mtx_};
    bool fresh = steady::now() >= held_until_;
    if (until > held_until_) {
      held_until_ = until;
      held_why_ = std::move(why);
    }
    return fresh;
  }

  std::mutex mtx_;
  steady::time_point held_until_{};
  std::string held_why_;
  steady::time_point window_start_{};
  int window_posts_ = 0;
};

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

discord_sender discord_link(protocol::http_client& http, protocol::url api_base,
                            config::secret bot_token,
                            std::string racetime_base) {
  auto state = std::make_shared<link_state>(http, std::move(api_base),
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
    if (auto wait = state->held(steady::now())) {
      done(std::move(*wait));
      return;
    }
    state->api.post_message(
        item.channel_id, render_event(item, state->racetime_base), state->token,
        [state, done = std::move(done)](protocol::discord_post_result answer) {
          auto r = to_outbox_result(answer);
          state->learn(answer, r);
          done(std::move(r));
        });
  };
}

} // namespace racecontrol
