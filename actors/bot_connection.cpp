#include "actors/bot_connection.hpp"

#include "actors/error.hpp"
#include "actors/start_outcome.hpp"

#include "protocol/metrics_registry.hpp"

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
  self->request(st.db, db_request_timeout, atom::put::value, change)
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

/// An expired or revoked token: renew it (the source does it once).
template <class Result>
void renew_if_refused(const Result& r,
                      const std::weak_ptr<protocol::token_source>& source,
                      const std::string& used) {
  if (!r && r.error().what == protocol::racetime_error::kind::http &&
      r.error().http.what == protocol::http_error::kind::unauthorized)
    if (auto s = source.lock())
      s->refused(used);
}

void fetch_category(bot_pointer self) {
  auto& st = self->state;
  auto token = st.keeper ? st.keeper->current() : std::nullopt;
  if (st.fetching || !token || st.credentials_rejected)
    return;
  st.fetching = true;
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self->address());
  std::weak_ptr<protocol::token_source> source = st.keeper->source();
  st.io->api().category_data(
      st.bot.category, token->value,
      [weak, source, used = token->value](
          protocol::racetime_result<protocol::category_data> r) {
        renew_if_refused(r, source, used);
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

/// The next read `delay` from now; a timer armed before for another time
/// is recognised as stale when it fires.
void arm_fetch(bot_pointer self, std::chrono::milliseconds delay) {
  self->state.next_fetch = self->clock().now() + delay;
  self->delayed_send(self, delay, atom::fetch::value);
}

void on_goals(bot_pointer self, category_goals& g) {
  auto& st = self->state;
  st.fetching = false;
  st.fetch_backoff.reset();
  st.info.goals = std::move(g.goals);
  st.goals_loaded = true;
  if (st.credentials_rejected) {
    // A read with the last token, answered after the rejection.
    set_state(self, "auth_failed", *st.credentials_rejected);
    return;
  }
  // Reading the category needs no scope: it does not undo a refusal to
  // open rooms.
  if (st.start_forbidden)
    set_state(self, "auth_failed", *st.start_forbidden);
  else
    set_state(self, "connected", "");
  st.retry_armed = false;
  arm_fetch(self, st.options.category_refresh);
}

void on_fetch_failed(bot_pointer self, const fetch_failure& f) {
  auto& st = self->state;
  st.fetching = false;
  if (st.credentials_rejected)
    return; // nothing to retry: no token will come

  auto delay = st.fetch_backoff.next_delay();
  set_state(self, "connection_error",
            f.message + " (retrying in " + std::to_string(delay.count()) +
                " ms)");
  st.retry_armed = true;
  arm_fetch(self, delay);
}

// --- startrace
// ----------------------------------------------------------------

/// One line per startrace request, whatever became of it (never the
/// token: outcome messages do not carry it).
void log_outcome(bot_pointer self, const std::string& marker,
                 const start_race_outcome& out, int attempts,
                 std::chrono::steady_clock::duration took) {
  protocol::metrics().add(protocol::metric::startrace_outcomes,
                          {{"category", self->state.bot.category},
                           {"outcome", to_string(out.what)}});
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  // A room created at the first attempt is the opener's "opened" line
  // already (the busiest path: a line fewer per room); anything else is
  // worth an operator's look.
  auto level = out.what != start_race_outcome::kind::created
                   ? spdlog::level::warn
               : attempts == 1 ? spdlog::level::debug
                               : spdlog::level::info;
  spdlog::log(level,
              "{}: startrace for marker {}: {}{}{} ({} attempt{}, {} ms)",
              self->state.who, marker, to_string(out.what),
              out.race_name.empty() ? "" : " " + out.race_name,
              out.message.empty() ? "" : ": " + out.message, attempts,
              attempts == 1 ? "" : "s", ms);
}

start_race_outcome outcome(start_race_outcome::kind what, std::string message) {
  start_race_outcome out;
  out.what = what;
  out.message = std::move(message);
  return out;
}

start_race_outcome not_sent(std::string message) {
  return outcome(start_race_outcome::kind::not_sent, std::move(message));
}

/// Answers request `id` and forgets it.
void finish_start(bot_pointer self, std::uint64_t id, start_race_outcome out) {
  auto& st = self->state;
  auto it = st.starts.find(id);
  if (it == st.starts.end())
    return;
  auto& p = it->second;
  log_outcome(self, p.request.marker, out, p.attempts,
              std::chrono::steady_clock::now() - p.started);
  p.promise.deliver(std::move(out));
  st.starts.erase(it);
}

void send_attempt(bot_pointer self, std::uint64_t id, std::string token) {
  auto& st = self->state;
  auto& p = st.starts.at(id);
  p.token = std::move(token);
  p.awaiting_token = false;
  ++p.attempts;
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self->address());
  st.io->api().start_race(
      st.bot.category, p.request.settings, st.info.goals, p.token,
      st.options.startrace_timeout,
      [weak, id](protocol::racetime_result<protocol::created_race> r) {
        if (auto owner = caf::actor_cast<bot_actor>(weak))
          caf::anon_send(owner, atom::start::value, id, to_start_outcome(r));
      });
}

/// After a 403: the second attempt goes with a token newer than the
/// refused one, now if the keeper has it, else when it comes (or the
/// request gives up after startrace_timeout).
void retry_with_new_token(bot_pointer self, std::uint64_t id) {
  auto& st = self->state;
  auto& p = st.starts.at(id);
  auto token = st.keeper ? st.keeper->current() : std::nullopt;
  if (token && token->value != p.token)
    return send_attempt(self, id, token->value);
  if (p.awaiting_token)
    return;
  p.awaiting_token = true;
  self->delayed_send(self, st.options.startrace_timeout, atom::token::value,
                     id);
}

caf::result<start_race_outcome> start_race(bot_pointer self,
                                           start_race_request& request) {
  auto& st = self->state;
  auto answer_now = [&](start_race_outcome out) {
    log_outcome(self, request.marker, out, 0, {});
    return out;
  };
  auto problems = protocol::validate(request.settings);
  if (!problems.empty())
    return answer_now(
        refused_before_sending(st.bot.category, std::move(problems)));
  auto token = st.keeper ? st.keeper->current() : std::nullopt;
  if (!token)
    return answer_now(
        not_sent(st.who + " has no racetime.gg token (it is " + st.info.status +
                 (st.info.message.empty() ? "" : ": " + st.info.message) +
                 "): nothing was sent"));
  if (!st.goals_loaded)
    // Which goal is the category's and which is custom is not known yet.
    return answer_now(not_sent(st.who +
                               " has not read its category's goals yet (it "
                               "is " +
                               st.info.status + "): nothing was sent"));
  auto id = ++st.next_request;
  auto& p = st.starts[id];
  p.request = std::move(request);
  p.promise = self->make_response_promise<start_race_outcome>();
  p.started = std::chrono::steady_clock::now();
  auto promise = p.promise;
  send_attempt(self, id, token->value);
  return promise;
}

void forbid_starts(bot_pointer self, start_race_outcome& out) {
  auto& st = self->state;
  std::string name = st.bot.name.empty() ? st.who : "bot " + st.bot.name;
  out.message = "racetime.gg refused " + name +
                " permission to open rooms in category " + st.bot.category +
                " (403) with a fresh token: check on racetime.gg that the bot "
                "is active in the category and its application has the scope "
                "create_race";
  st.start_forbidden = out.message;
  set_state(self, "auth_failed", out.message);
}

void on_attempt(bot_pointer self, std::uint64_t id, start_race_outcome& out) {
  auto& st = self->state;
  auto it = st.starts.find(id);
  if (it == st.starts.end())
    return;
  auto& p = it->second;
  using kind = start_race_outcome::kind;
  if (out.what == kind::forbidden && p.attempts == 1) {
    // An expired or revoked token: nothing was created, so one more try
    // with a new token cannot make a second room.
    spdlog::info("{}: startrace for marker {} refused (403): renewing the "
                 "token to try once more",
                 st.who, p.request.marker);
    if (st.keeper)
      st.keeper->source()->refused(p.token);
    return retry_with_new_token(self, id);
  }
  if (out.what == kind::forbidden)
    forbid_starts(self, out);
  if (out.what == kind::created && st.start_forbidden) {
    st.start_forbidden.reset();
    if (st.goals_loaded)
      set_state(self, "connected", "");
  }
  finish_start(self, id, std::move(out));
}

void on_token_wait_over(bot_pointer self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.starts.find(id);
  if (it == st.starts.end() || !it->second.awaiting_token)
    return;
  finish_start(
      self, id,
      not_sent("racetime.gg refused startrace with " + st.who +
               "'s token (403) and no renewed token came within " +
               std::to_string(st.options.startrace_timeout.count()) +
               " ms (the bot is " + st.info.status +
               (st.info.message.empty() ? "" : ": " + st.info.message) +
               "): no room was made"));
}

/// A new token: requests refused with the old one try again.
void resume_starts(bot_pointer self) {
  std::vector<std::uint64_t> waiting;
  for (const auto& [id, p] : self->state.starts)
    if (p.awaiting_token)
      waiting.push_back(id);
  for (auto id : waiting)
    retry_with_new_token(self, id);
}

/// The credentials were rejected: no renewed token will come.
void abandon_starts(bot_pointer self, const std::string& why) {
  std::vector<std::uint64_t> waiting;
  for (const auto& [id, p] : self->state.starts)
    if (p.awaiting_token)
      waiting.push_back(id);
  for (auto id : waiting)
    finish_start(self, id,
                 not_sent("racetime.gg refused startrace with " +
                          self->state.who +
                          "'s token (403) and its credentials were then "
                          "rejected (" +
                          why + "): no room was made"));
}

// --- the category's races
// ------------------------------------------------------

caf::result<category_races> list_races(bot_pointer self) {
  auto& st = self->state;
  auto token = st.keeper ? st.keeper->current() : std::nullopt;
  if (!token)
    return make_error(
        ec::unspecified,
        st.who +
            " cannot list its category's races: it has no "
            "racetime.gg token (it is " +
            st.info.status +
            (st.info.message.empty() ? "" : ": " + st.info.message) + ")");
  auto id = ++st.next_request;
  auto promise = self->make_response_promise<category_races>();
  st.listings[id] = promise;
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self->address());
  std::weak_ptr<protocol::token_source> source = st.keeper->source();
  st.io->api().category_data(
      st.bot.category, token->value,
      [weak, source, id, used = token->value](
          protocol::racetime_result<protocol::category_data> r) {
        renew_if_refused(r, source, used);
        auto owner = caf::actor_cast<bot_actor>(weak);
        if (!owner)
          return;
        if (r)
          caf::anon_send(owner, atom::fetched::value, id,
                         to_category_races(*r));
        else
          caf::anon_send(owner, atom::fetched::value, id,
                         fetch_failure{false, r.error().message});
      });
  return promise;
}

void on_races(bot_pointer self, std::uint64_t id, category_races& races) {
  auto it = self->state.listings.find(id);
  if (it == self->state.listings.end())
    return;
  it->second.deliver(std::move(races));
  self->state.listings.erase(it);
}

void on_races_failed(bot_pointer self, std::uint64_t id,
                     const fetch_failure& f) {
  auto it = self->state.listings.find(id);
  if (it == self->state.listings.end())
    return;
  it->second.deliver(make_error(
      ec::unspecified,
      self->state.who + " cannot list its category's races: " + f.message));
  self->state.listings.erase(it);
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
      // A new token reads the category at once (the bot shows connected
      // again after its token was out of reach), unless a failed read's
      // retry is armed: then the retry reads, after its backoff.
      if (!st.retry_armed)
        fetch_category(self);
      resume_starts(self);
      break;
    }
    case token_news::kind::retrying: {
      // A renewal at the token's half-life that failed leaves the token
      // working for the other half: rooms still open meanwhile. The
      // category read due when it expires tells if no new one came.
      auto token = st.keeper ? st.keeper->usable() : std::nullopt;
      if (token && st.info.status == "connected") {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            token->expires_at - std::chrono::steady_clock::now());
        spdlog::warn("{}: cannot renew its token ({}); the current one "
                     "works {} s more",
                     st.who, news.message, left.count() / 1000);
        if (self->clock().now() + left < st.next_fetch)
          arm_fetch(self, left + std::chrono::seconds{1});
        break;
      }
      set_state(self, "connection_error", news.message);
      break;
    }
    case token_news::kind::rejected:
      st.info.has_token = false;
      st.credentials_rejected = news.message;
      set_state(self, "auth_failed", news.message);
      abandon_starts(self, news.message);
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

bot_connection_state::~bot_connection_state() {
  for (auto& [id, p] : starts) {
    // After a 403 the next attempt was still waiting for a token: nothing
    // is in flight. Otherwise racetime.gg may have made the room.
    auto out = p.awaiting_token
                   ? not_sent(who + " stopped before it could try again")
                   : outcome(start_race_outcome::kind::unknown,
                             who + " stopped before racetime.gg answered "
                                   "startrace: the room may exist");
    spdlog::warn("{}: startrace for marker {}: {}", who, p.request.marker,
                 out.message);
    p.promise.deliver(std::move(out));
  }
  for (auto& [id, promise] : listings)
    promise.deliver(make_error(ec::component_failed,
                               who + " stopped before racetime.gg listed the "
                                     "category's races"));
}

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
        auto& st = self->state;
        if (self->clock().now() < st.next_fetch)
          return; // superseded by a later arming
        st.retry_armed = false;
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
      [self](atom::start,
             start_race_request& request) -> caf::result<start_race_outcome> {
        return start_race(self, request);
      },
      [self](atom::start, std::uint64_t id, start_race_outcome& out) {
        on_attempt(self, id, out);
      },
      [self](atom::token, std::uint64_t id) {
        on_token_wait_over(self, id);
      },
      [self](atom::fetch, atom::races) -> caf::result<category_races> {
        return list_races(self);
      },
      [self](atom::fetched, std::uint64_t id, category_races& races) {
        on_races(self, id, races);
      },
      [self](atom::fetched, std::uint64_t id, const fetch_failure& f) {
        on_races_failed(self, id, f);
      },
  };
}

} // namespace racecontrol
