#include "actors/bot_supervisor.hpp"

#include "actors/error.hpp"

#include <caf/actor_cast.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

using sup_pointer =
    bot_supervisor_actor::stateful_pointer<bot_supervisor_state>;

bool same_credentials(const bot_record& a, const bot_record& b) {
  return a.category == b.category && a.name == b.name &&
         a.client_id == b.client_id && a.client_secret == b.client_secret;
}

/// Tells every state subscriber how a bot is doing now.
void publish(sup_pointer self, const bot_info& info) {
  for (const auto& s : self->state.state_subscribers)
    self->send(s, atom::state::value, info);
}

void spawn_bot(sup_pointer self, supervised_bot& b) {
  auto& st = self->state;
  b.handle = self->spawn(bot_connection, b.bot, st.db,
                         caf::actor_cast<bot_supervisor_actor>(self), st.io,
                         st.options.bot);
  self->monitor(b.handle);
  (*st.by_address)[b.handle.address()] = b.bot.id;
  b.restarts.started(self->clock().now());
  b.info = {b.bot.id, b.bot.category, b.bot.name, "starting", "", false, {}};
  publish(self, b.info);
}

/// What to do with a running bot when it goes down.
enum class after_down { restart_on_failure, replace, retire };

/// Starts, replaces or retires bots to match the rows. With
/// `retry_rejected`, a bot whose credentials were rejected starts afresh
/// even if its row did not change (they may have been restored on
/// racetime.gg's side).
void reconcile(sup_pointer self, const std::vector<bot_record>& rows,
               bool retry_rejected) {
  auto& st = self->state;
  std::vector<std::int32_t> active;
  for (const auto& row : rows) {
    if (!row.is_active)
      continue;
    active.push_back(row.id);
    auto it = st.bots.find(row.id);
    if (it == st.bots.end()) {
      auto& b = st.bots
                    .emplace(row.id,
                             supervised_bot{row,
                                            bot_actor{},
                                            restart_budget{st.options.restarts},
                                            {}})
                    .first->second;
      spdlog::info("bot supervisor: starting bot {} (id {})", row.category,
                   row.id);
      spawn_bot(self, b);
      continue;
    }
    auto& b = it->second;
    bool rejected = b.info.status == "auth_failed";
    if (same_credentials(b.bot, row) && !(retry_rejected && rejected))
      continue;
    spdlog::info("bot supervisor: restarting bot {} (id {}) with {}",
                 row.category, row.id,
                 rejected ? "another try of its credentials"
                          : "its changed settings");
    b.bot = row;
    if (b.handle)
      self->send_exit(b.handle, caf::exit_reason::user_shutdown);
    else
      spawn_bot(self, b);
  }
  for (auto it = st.bots.begin(); it != st.bots.end();) {
    if (std::find(active.begin(), active.end(), it->first) != active.end()) {
      ++it;
      continue;
    }
    spdlog::info("bot supervisor: stopping bot {} (id {}): deactivated",
                 it->second.bot.category, it->first);
    if (it->second.handle) {
      st.by_address->erase(it->second.handle.address());
      self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
    }
    caf::anon_send(
        st.db, atom::put::value,
        bot_state_change{it->first, "disconnected", "deactivated", false});
    auto gone = it->second.info;
    gone.status = "disconnected";
    gone.message = "deactivated";
    gone.has_token = false;
    publish(self, gone);
    it = st.bots.erase(it);
  }
}

caf::result<atom::ok> load(sup_pointer self, bool retry_rejected) {
  auto rp = self->make_response_promise<atom::ok>();
  self->request(self->state.db, db_request_timeout, atom::get::value,
                atom::bots::value)
      .then(
          [self, rp, retry_rejected](std::vector<bot_record>& rows) mutable {
            self->state.loaded = true;
            reconcile(self, rows, retry_rejected);
            rp.deliver(atom::ok::value);
          },
          [self, rp](caf::error& err) mutable {
            spdlog::warn("bot supervisor: cannot read the bots ({})",
                         describe(err));
            rp.deliver(std::move(err));
          });
  return rp;
}

/// At start: the configured bots' rows first, then every active row. Both
/// are retried with backoff until the database answers.
void start(sup_pointer self, std::size_t next_configured) {
  auto& st = self->state;
  if (next_configured < st.options.configured.size()) {
    const auto& bot = st.options.configured[next_configured];
    self->request(st.db, db_request_timeout, atom::put::value, bot)
        .then(
            [self, next_configured](std::int32_t) {
              start(self, next_configured + 1);
            },
            [self, next_configured](caf::error& err) {
              auto delay = self->state.load_backoff.next_delay();
              spdlog::warn(
                  "bot supervisor: cannot save the configured bot "
                  "{} ({}); retrying in {} ms",
                  self->state.options.configured[next_configured].category,
                  describe(err), delay.count());
              self->delayed_send(
                  self, delay, atom::restart::value,
                  -1 - static_cast<std::int32_t>(next_configured));
            });
    return;
  }
  self->request(st.db, db_request_timeout, atom::get::value, atom::bots::value)
      .then(
          [self](std::vector<bot_record>& rows) {
            self->state.loaded = true;
            self->state.load_backoff.reset();
            reconcile(self, rows, false);
          },
          [self](caf::error& err) {
            auto delay = self->state.load_backoff.next_delay();
            spdlog::warn("bot supervisor: cannot read the bots ({}); "
                         "retrying in {} ms",
                         describe(err), delay.count());
            self->delayed_send(self, delay, atom::restart::value,
                               -1 - static_cast<std::int32_t>(
                                        self->state.options.configured.size()));
          });
}

void on_bot_down(sup_pointer self, std::int32_t id, const caf::error& reason) {
  auto& st = self->state;
  auto it = st.bots.find(id);
  if (it == st.bots.end())
    return; // retired
  auto& b = it->second;
  b.handle = bot_actor{};
  if (st.stopping)
    return;
  if (!reason || reason == caf::exit_reason::user_shutdown) {
    // Stopped by reconcile() to start again with its new row.
    spawn_bot(self, b);
    return;
  }
  auto delay = b.restarts.failed(self->clock().now());
  b.info.status = "restarting";
  b.info.message = describe(reason);
  b.info.has_token = false;
  publish(self, b.info);
  spdlog::error("bot {} (id {}) failed: {}; restarting it in {} ms",
                b.bot.category, id, describe(reason), delay->count());
  self->delayed_send(self, *delay, atom::restart::value, id);
}

void on_down(sup_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto a = st.by_address->find(msg.source);
  if (a == st.by_address->end()) {
    auto from_source = [&](const auto& s) {
      return s.address() == msg.source;
    };
    auto& subs = st.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(), from_source),
               subs.end());
    auto& watchers = st.state_subscribers;
    watchers.erase(
        std::remove_if(watchers.begin(), watchers.end(), from_source),
        watchers.end());
  } else {
    auto id = a->second;
    st.by_address->erase(a);
    on_bot_down(self, id, msg.reason);
  }
  if (st.stopping && st.by_address->empty())
    self->quit();
}

void begin_stop(sup_pointer self, const caf::exit_msg& msg) {
  auto& st = self->state;
  if (st.stopping) {
    self->quit(msg.reason);
    return;
  }
  st.stopping = true;
  for (auto& [id, b] : st.bots) {
    if (b.handle)
      self->send_exit(b.handle, caf::exit_reason::user_shutdown);
    // Operators see that no racecontrol holds the bot now.
    caf::anon_send(
        st.db, atom::put::value,
        bot_state_change{id, "disconnected", "racecontrold stopped", false});
  }
  if (st.by_address->empty())
    self->quit();
}

/// The running bot actor of `bot_id`, or why there is none.
caf::expected<bot_actor> running_bot(sup_pointer self, std::int32_t bot_id) {
  auto it = self->state.bots.find(bot_id);
  if (it == self->state.bots.end())
    return make_error(ec::not_found,
                      "bot " + std::to_string(bot_id) +
                          " is not running here: it is inactive, unknown, "
                          "or its row could not be read yet");
  if (!it->second.handle)
    return make_error(
        ec::not_found,
        "bot " + it->second.bot.category + " (id " + std::to_string(bot_id) +
            ") is restarting after a failure: " + it->second.info.message);
  return it->second.handle;
}

std::vector<bot_info> status(sup_pointer self) {
  std::vector<bot_info> out;
  for (const auto& [id, b] : self->state.bots)
    out.push_back(b.info);
  return out;
}

} // namespace

bot_supervisor_actor::behavior_type
bot_supervisor(sup_pointer self, persistence_actor db, protocol::io_runtime* io,
               bot_supervisor_options options) {
  auto& st = self->state;
  st.db = std::move(db);
  st.io = io;
  st.options = std::move(options);
  st.load_backoff = protocol::backoff{st.options.bot.retry};
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  self->set_down_handler([self](caf::down_msg& msg) {
    on_down(self, msg);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    begin_stop(self, msg);
  });
  stop_children_at_exit(self, st.by_address);
  start(self, 0);
  return {
      [self](atom::reload) {
        return load(self, true);
      },
      [self](atom::status) {
        return status(self);
      },
      [self](atom::subscribe, const token_subscriber_actor& who) {
        self->monitor(who);
        self->state.subscribers.push_back(who);
        for (const auto& [category, grant] : self->state.tokens)
          self->send(who, atom::token::value, grant);
      },
      [self](atom::refused, const std::string& category,
             const config::secret& value) {
        for (auto& [id, b] : self->state.bots)
          if (b.bot.category == category && b.handle)
            self->send(b.handle, atom::refused::value, value);
      },
      [self](atom::token, const token_grant& grant) {
        self->state.tokens[grant.category] = grant;
        for (const auto& s : self->state.subscribers)
          self->send(s, atom::token::value, grant);
      },
      [self](atom::state, const bot_info& info) {
        auto it = self->state.bots.find(info.bot_id);
        if (it == self->state.bots.end())
          return;
        bool news = !(it->second.info == info);
        it->second.info = info;
        if (news)
          publish(self, info);
      },
      [self](atom::subscribe, const bot_state_subscriber_actor& who) {
        self->monitor(who);
        self->state.state_subscribers.push_back(who);
        for (const auto& [id, b] : self->state.bots)
          self->send(who, atom::state::value, b.info);
      },
      [self](atom::start,
             start_race_request& request) -> caf::result<start_race_outcome> {
        auto bot = running_bot(self, request.bot_id);
        if (!bot)
          return std::move(bot.error());
        return self->delegate(*bot, atom::start::value, std::move(request));
      },
      [self](atom::fetch, atom::races,
             std::int32_t bot_id) -> caf::result<category_races> {
        auto bot = running_bot(self, bot_id);
        if (!bot)
          return std::move(bot.error());
        return self->delegate(*bot, atom::fetch::value, atom::races::value);
      },
      [self](atom::restart, std::int32_t id) {
        // Negative: a start step to retry (see start()).
        if (id < 0) {
          start(self, static_cast<std::size_t>(-1 - id));
          return;
        }
        auto it = self->state.bots.find(id);
        if (it != self->state.bots.end() && !it->second.handle &&
            !self->state.stopping)
          spawn_bot(self, it->second);
      },
  };
}

} // namespace racecontrol
