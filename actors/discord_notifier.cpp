#include "actors/discord_notifier.hpp"

#include "actors/error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

using notifier_pointer =
    discord_notifier_actor::stateful_pointer<discord_notifier_state>;

void post(notifier_pointer self, const outbox_item& item) {
  auto& st = self->state;
  st.in_flight[item.id] = item.channel_id;
  st.busy_channels.insert(item.channel_id);
  caf::weak_actor_ptr weak = self->ctrl();
  auto id = item.id;
  st.sender(item, [weak, id](outbox_result r) {
    r.id = id;
    if (auto owner = caf::actor_cast<discord_notifier_actor>(weak))
      caf::anon_send(owner, atom::sent::value, std::move(r));
  });
}

/// Reads the channels' heads and posts each whose channel is idle.
void read_outbox(notifier_pointer self) {
  auto& st = self->state;
  if (st.reading) {
    st.read_again = true;
    return;
  }
  st.reading = true;
  self->request(st.db, db_request_timeout, atom::get::value,
                atom::notify::value)
      .then(
          [self, stored = st.stored](std::vector<outbox_item>& items) {
            auto& st = self->state;
            st.reading = false;
            if (stored != st.stored) {
              // An outcome was stored meanwhile: this answer may list its
              // row as pending and post it again. Ask once more.
              st.read_again = false;
              read_outbox(self);
              return;
            }
            auto now = std::chrono::steady_clock::now();
            for (const auto& item : items) {
              auto held = st.held_until.find(item.channel_id);
              if (held != st.held_until.end() && held->second > now)
                continue;
              if (st.busy_channels.count(item.channel_id) == 0 &&
                  st.in_flight.count(item.id) == 0)
                post(self, item);
            }
            if (std::exchange(st.read_again, false))
              read_outbox(self);
          },
          [self](caf::error& err) {
            self->state.reading = false;
            spdlog::warn("discord: cannot read the outbox ({}); trying "
                         "again in {} ms",
                         describe(err),
                         self->state.options.poll_interval.count());
          });
}

/// Fills in the channel's backoff: a 5xx or a network failure waits
/// longer each time, a 429 at least as long as Discord asked.
void pace(notifier_pointer self, const std::string& channel, outbox_result& r) {
  auto& st = self->state;
  auto it = st.channel_backoff.find(channel);
  if (it == st.channel_backoff.end())
    it =
        st.channel_backoff.emplace(channel, protocol::backoff{st.options.retry})
            .first;
  if (r.what == outbox_result::kind::retry)
    r.retry_after_ms = std::max<std::int64_t>(r.retry_after_ms,
                                              it->second.next_delay().count());
  else
    it->second.reset();
}

void on_sent(notifier_pointer self, outbox_result r) {
  auto& st = self->state;
  auto it = st.in_flight.find(r.id);
  if (it == st.in_flight.end())
    return;
  auto channel = it->second;
  pace(self, channel, r);
  switch (r.what) {
    case outbox_result::kind::delivered:
      ++st.delivered;
      spdlog::info("discord: notification {} posted to channel {} "
                   "(message {})",
                   r.id, channel, r.message_id);
      break;
    case outbox_result::kind::retry:
      spdlog::warn("discord: notification {} to channel {} not posted "
                   "({}); trying again in {} ms",
                   r.id, channel, r.error, r.retry_after_ms);
      break;
    case outbox_result::kind::failed:
      spdlog::error("discord: notification {} to channel {} refused for "
                    "good: {}",
                    r.id, channel, r.error);
      break;
  }
  // The channel stays busy until the outcome is stored, so its next
  // message cannot overtake this one.
  self->request(st.db, db_request_timeout, atom::put::value, r)
      .then(
          [self, id = r.id, channel, what = r.what,
           wait = r.retry_after_ms](atom::ok) {
            ++self->state.stored;
            self->state.in_flight.erase(id);
            self->state.busy_channels.erase(channel);
            if (what == outbox_result::kind::delivered && wait > 0)
              // Delivered, and Discord said the bucket is spent.
              self->state.held_until[channel] =
                  std::chrono::steady_clock::now() +
                  std::chrono::milliseconds{wait};
            if (wait > 0)
              self->delayed_send(self, std::chrono::milliseconds{wait + 1},
                                 atom::notify::value);
            else
              read_outbox(self);
          },
          [self, r, channel](caf::error& err) {
            spdlog::warn("discord: cannot record notification {} ({}); "
                         "trying again in {} ms",
                         r.id, describe(err),
                         self->state.options.poll_interval.count());
            self->delayed_send(self, self->state.options.poll_interval,
                               atom::sent::value, r);
          });
}

} // namespace

discord_notifier_actor::behavior_type discord_notifier(
    discord_notifier_actor::stateful_pointer<discord_notifier_state> self,
    outbox_store_actor db, discord_sender sender,
    discord_notifier_options options) {
  auto& st = self->state;
  st.db = std::move(db);
  st.sender = std::move(sender);
  st.options = options;
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  self->send(self, atom::tick::value);
  return {
      [self](atom::notify) {
        read_outbox(self);
      },
      [self](atom::tick) {
        read_outbox(self);
        self->delayed_send(self, self->state.options.poll_interval,
                           atom::tick::value);
      },
      [self](atom::sent, outbox_result& r) {
        on_sent(self, std::move(r));
      },
  };
}

} // namespace racecontrol
