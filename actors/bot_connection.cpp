#include "actors/bot_connection.hpp"

#include "actors/error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

using bot_pointer = bot_actor::stateful_pointer<bot_connection_state>;

std::chrono::system_clock::time_point
to_system(std::chrono::steady_clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             t - std::chrono::steady_clock::now());
}

// --- state
// --------------------------------------------------------------------

void write_state(bot_pointer self) {
  auto& st = self->state;
  if (st.writing || !st.unwritten)
    return;
  st.writing = true;
  auto change = *st.unwritten;
  self->request(st.db, std::chrono::seconds{60}, atom::put::value, change)
      .then(
          [self, change](atom::ok) {
            auto& st = self->state;
            st.writing = false;
            st.write_backoff.reset();
            if (st.unwritten && *st.unwritten == change)
              st.unwritten.reset();
            write_state(self); // a newer state may have come meanwhile
          },
          [self](caf::error& err) {
            auto& st = self->state;
            st.writing = false;
            auto delay = st.write_backoff.next_delay();
            spdlog::warn("{}: cannot record its state ({}); retrying in {} ms",
                         st.who, describe(err), delay.count());
            self->delayed_send(self, delay, atom::flush::value);
          });
}

/// Sets the bot's state; tells the supervisor and the database when it
/// changed.
void set_state(bot_pointer self, const std::string& status,
               const std::string& message) {
  auto& st = self->state;
  if (st.info.status == status && st.info.message == message)
    return;
  bool connected_now = status == "connected" && st.info.status != status;
  st.info.status = status;
  st.info.message = message;
  if (status == "connected")
    spdlog::info("{}: connected", st.who);
  else
    spdlog::warn("{}: {}{}{}", st.who, status, message.empty() ? "" : ": ",
                 message);
  self->send(st.supervisor, atom::state::value, st.info);
  st.unwritten = bot_state_change{st.bot.id, status, message, connected_now};
  write_state(self);
}

// --- category data
// ------------------------------------------------------------

void fetch_category(bot_pointer self) {
  auto& st = self->state;
  auto token = st.keeper ? st.keeper->current() : std::nullopt;
  if (st.fetching || !token)
    return;
  st.fetching = true;
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self->address());
  std::weak_ptr<protocol::token_source> source = st.keeper->source();
  st.io->api().category_data(
      st.bot.category, token->value,
      [weak, source, used = token->value](
          protocol::racetime_result<protocol::category_data> r) {
        // An expired or revoked token: renew it (the source does it once).
        if (!r && r.error().what == protocol::racetime_error::kind::http &&
            r.error().http.what == protocol::http_error::kind::unauthorized)
          if (auto s = source.lock())
            s->refused(used);
        auto owner = caf::actor_cast<bot_actor>(weak);
        if (!owner)
          return;
        if (r)
          caf::anon_send(owner, atom::fetched::value,
                         category_goals{std::move(r->goals)});
        else
          caf::anon_send(owner, atom::fetched::value,
                         fetch_failure{false, r.error().message});
      });
}

void on_goals(bot_pointer self, category_goals& g) {
  auto& st = self->state;
  st.fetching = false;
  st.fetch_backoff.reset();
  st.info.goals = std::move(g.goals);
  set_state(self, "connected", "");
  self->delayed_send(self, st.options.category_refresh, atom::fetch::value);
}

void on_fetch_failed(bot_pointer self, const fetch_failure& f) {
  auto& st = self->state;
  st.fetching = false;
  auto delay = st.fetch_backoff.next_delay();
  set_state(self, "connection_error",
            f.message + " (retrying in " + std::to_string(delay.count()) +
                " ms)");
  self->delayed_send(self, delay, atom::fetch::value);
}

// --- token
// --------------------------------------------------------------------

void on_keeper(bot_pointer self, const token_news& news) {
  auto& st = self->state;
  switch (news.what) {
    case token_news::kind::obtained: {
      auto token = st.keeper ? st.keeper->current() : std::nullopt;
      if (!token)
        return;
      st.info.has_token = true;
      spdlog::info("{}: new token", st.who);
      self->send(st.supervisor, atom::token::value,
                 token_grant{st.bot.category, config::secret{token->value},
                             to_system(token->expires_at)});
      fetch_category(self);
      break;
    }
    case token_news::kind::retrying:
      set_state(self, "connection_error", news.message);
      break;
    case token_news::kind::rejected:
      st.info.has_token = false;
      set_state(self, "auth_failed", news.message);
      break;
  }
}

void start_keeper(bot_pointer self) {
  auto& st = self->state;
  protocol::client_credentials creds{st.bot.client_id,
                                     st.bot.client_secret.reveal()};
  st.keeper = std::make_unique<protocol::token_keeper>(
      st.io->io(), st.io->api(), creds, st.options.keeper);
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self->address());
  st.keeper->start([weak](const protocol::token_event& e) {
    auto owner = caf::actor_cast<bot_actor>(weak);
    if (!owner)
      return;
    token_news news;
    news.message = e.message;
    news.retry_in_ms = e.retry_in.count();
    switch (e.what) {
      case protocol::token_event::kind::obtained:
        news.what = token_news::kind::obtained;
        break;
      case protocol::token_event::kind::retrying:
        news.what = token_news::kind::retrying;
        break;
      case protocol::token_event::kind::credentials_rejected:
        news.what = token_news::kind::rejected;
        break;
    }
    caf::anon_send(owner, atom::keeper::value, std::move(news));
  });
}

} // namespace

bot_actor::behavior_type bot_connection(bot_pointer self, bot_record bot,
                                        persistence_actor db,
                                        bot_supervisor_actor supervisor,
                                        protocol::io_runtime* io,
                                        bot_connection_options options) {
  auto& st = self->state;
  st.bot = std::move(bot);
  st.who = "bot " + st.bot.category + " (id " + std::to_string(st.bot.id) + ")";
  st.options = options;
  st.db = std::move(db);
  st.supervisor = std::move(supervisor);
  st.io = io;
  st.fetch_backoff = protocol::backoff{options.retry};
  st.write_backoff = protocol::backoff{options.retry};
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  st.info = {st.bot.id, st.bot.category, st.bot.name, "starting",
             "",        false,           {}};
  start_keeper(self);
  return {
      [self](atom::keeper, const token_news& news) {
        on_keeper(self, news);
      },
      [self](atom::fetched, category_goals& g) {
        on_goals(self, g);
      },
      [self](atom::fetched, const fetch_failure& f) {
        on_fetch_failed(self, f);
      },
      [self](atom::fetch) {
        fetch_category(self);
      },
      [self](atom::refused, const config::secret& value) {
        if (self->state.keeper)
          self->state.keeper->source()->refused(value.reveal());
      },
      [self](atom::flush) {
        write_state(self);
      },
      [self](atom::status) {
        return self->state.info;
      },
      // Placeholders until the bot sends startrace (the next commit).
      [self](atom::start,
             const start_race_request&) -> caf::result<start_race_outcome> {
        return make_error(ec::unspecified,
                          self->state.who + ": cannot open rooms yet");
      },
      [self](atom::fetch, atom::races) -> caf::result<category_races> {
        return make_error(ec::unspecified,
                          self->state.who + ": cannot list races yet");
      },
  };
}

} // namespace racecontrol
