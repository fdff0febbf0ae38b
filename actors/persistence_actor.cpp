#include "actors/persistence_actor.hpp"

#include "actors/error.hpp"
#include "actors/persistence_worker.hpp"

#include "persistence/migration_set.hpp"

#include <caf/actor_cast.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

using pool_pointer = persistence_actor::stateful_pointer<persistence_state>;

void publish_live(persistence_state& st) {
  st.live->clear();
  for (const auto& w : st.workers)
    st.live->push_back(w.handle);
}

void spawn_worker(pool_pointer self) {
  auto w = self->spawn<caf::detached>(
      persistence_worker, self->state.options.db,
      self->state.options.migrations, self->state.options.secrets,
      self->state.options.undo_window);
  self->monitor(w);
  self->state.workers.push_back({w, 0, {}});
  publish_live(self->state);
}

/// Whether `w` can take another request now: when idle, or below the
/// depth while its current request is young (one that runs long may be
/// stalled, e.g. in a lock wait; nothing more should wait behind it).
bool can_take(const persistence_state& st, const pooled_worker& w,
              std::chrono::steady_clock::time_point now) {
  if (w.in_flight == 0)
    return true;
  return w.in_flight < st.options.worker_depth &&
         now - w.busy_since < st.options.stall_after;
}

void queue_held_lanes(pool_pointer self);

/// Hands waiting requests to the least busy workers that can take one.
void pump(pool_pointer self) {
  queue_held_lanes(self);
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  while (!st.waiting.empty()) {
    pooled_worker* best = nullptr;
    for (auto& w : st.workers)
      if (can_take(st, w, now) &&
          (best == nullptr || w.in_flight < best->in_flight))
        best = &w;
    if (best == nullptr)
      return;
    if (best->in_flight++ == 0)
      best->busy_since = now;
    auto job = std::move(st.waiting.front());
    st.waiting.pop_front();
    job(best->handle);
  }
}

pooled_worker* find_worker(persistence_state& st,
                           const persistence_worker_actor& w) {
  auto it = std::find_if(st.workers.begin(), st.workers.end(),
                         [&](const pooled_worker& x) {
                           return x.handle == w;
                         });
  return it == st.workers.end() ? nullptr : &*it;
}

void release(pool_pointer self, const persistence_worker_actor& w) {
  // A worker that died meanwhile was replaced; its count went with it.
  auto* worker = find_worker(self->state, w);
  if (worker == nullptr)
    return;
  // Its next request, if it holds one, starts now.
  if (--worker->in_flight > 0)
    worker->busy_since = std::chrono::steady_clock::now();
  pump(self);
}

/// Forgets a worker whose request bounced unread (it ended; its down
/// message brings a replacement).
void forget_worker(persistence_state& st, const persistence_worker_actor& w) {
  if (auto* dead = find_worker(st, w)) {
    st.workers.erase(st.workers.begin() + (dead - st.workers.data()));
    publish_live(st);
  }
}

/// Queues a request for the next worker that can take it (`first`: ahead
/// of the others); the reply (or error) goes back to whoever asked, after
/// `seen` has looked at a reply.
template <class Result, class Seen, class... Ts>
void enqueue(pool_pointer self, caf::typed_response_promise<Result> rp,
             Seen seen, bool first, Ts... xs) {
  auto job = [self, rp, seen, xs...](persistence_worker_actor w) mutable {
    self->request(w, caf::infinite, xs...)
        .then(
            [self, rp, w, seen](Result& r) mutable {
              seen(r);
              rp.deliver(std::move(r));
              release(self, w);
            },
            [self, rp, w, seen, xs...](caf::error& err) mutable {
              if (err == caf::sec::request_receiver_down) {
                // Bounced unread by a worker that ended (its down message
                // replaces it): the request never ran, so another worker
                // takes it, first.
                forget_worker(self->state, w);
                enqueue<Result>(self, rp, seen, true, xs...);
                pump(self);
                return;
              }
              rp.deliver(std::move(err));
              release(self, w);
            });
  };
  if (first)
    self->state.waiting.emplace_front(std::move(job));
  else
    self->state.waiting.emplace_back(std::move(job));
}

template <class Result, class Seen, class... Ts>
caf::result<Result> dispatch_seen(pool_pointer self, Seen seen, Ts... xs) {
  auto rp = self->make_response_promise<Result>();
  enqueue<Result>(self, rp, seen, false, xs...);
  pump(self);
  return rp;
}

template <class Result, class... Ts>
caf::result<Result> dispatch(pool_pointer self, Ts... xs) {
  return dispatch_seen<Result>(
      self, [](const Result&) {}, xs...);
}

// --- requests gathered for one worker ----------------------------------------

template <class Request, class Result>
using lane_of = gathered<Request, Result> persistence_state::*;

template <class Request, class Result>
void send_gathered(pool_pointer self, lane_of<Request, Result> lane,
                   persistence_worker_actor w);

/// Puts a job for the lane's gathered requests in the queue, unless one
/// waits there already or the lane has its most batches at workers and the
/// last went less than stall_after ago (one that runs longer may be
/// stalled: a request that comes after that goes on, with those waiting,
/// instead of waiting for it). `first`: ahead of the others.
template <class Request, class Result>
void queue_gathered(pool_pointer self, lane_of<Request, Result> lane,
                    bool first) {
  auto& g = self->state.*lane;
  if (g.queued || g.items.empty())
    return;
  if (g.in_flight >= g.max_in_flight &&
      std::chrono::steady_clock::now() - g.last_sent <
          self->state.options.stall_after)
    return;
  g.queued = true;
  auto job = [self, lane](persistence_worker_actor w) {
    send_gathered(self, lane, std::move(w));
  };
  if (first)
    self->state.waiting.emplace_front(std::move(job));
  else
    self->state.waiting.emplace_back(std::move(job));
}

/// What a worker's batch reply carries for a request answered with
/// `Result`: the result itself, or true for atom::ok (an atom has no value
/// on the wire).
template <class Result>
struct wire_of {
  using type = Result;
  static Result result(Result&& x) { return std::move(x); }
};

template <>
struct wire_of<atom::ok> {
  using type = bool;
  static atom::ok result(bool) { return atom::ok::value; }
};

template <class Result>
using reply_of = batch_reply<typename wire_of<Result>::type>;

/// Delivers each request of a batch its own reply (or error).
template <class Result, class Item>
void deliver_each(std::vector<Item>& batch,
                  std::vector<reply_of<Result>>& replies) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i < replies.size() && replies[i].result)
      batch[i].promise.deliver(
          wire_of<Result>::result(std::move(*replies[i].result)));
    else if (i < replies.size() && replies[i].error)
      batch[i].promise.deliver(std::move(replies[i].error));
    else
      batch[i].promise.deliver(
          make_error(ec::database_failure,
                     "a persistence worker answered a batch of " +
                         std::to_string(batch.size()) + " requests with " +
                         std::to_string(replies.size()) + " replies"));
  }
}

/// Hands the lane's gathered requests (at most max_batch) to `w` as one
/// request; each asker gets its own reply or error.
template <class Request, class Result>
void send_gathered(pool_pointer self, lane_of<Request, Result> lane,
                   persistence_worker_actor w) {
  using item = typename gathered<Request, Result>::item;
  auto& g = self->state.*lane;
  g.queued = false;
  auto n = std::min(g.items.size(),
                    std::max<std::size_t>(1, self->state.options.max_batch));
  std::vector<item> batch(std::make_move_iterator(g.items.begin()),
                          std::make_move_iterator(g.items.begin() + n));
  g.items.erase(g.items.begin(), g.items.begin() + n);
  ++g.in_flight;
  g.last_sent = std::chrono::steady_clock::now();
  queue_gathered(self, lane, false); // the rest wait behind the others
  std::vector<Request> asked;
  for (const auto& x : batch)
    asked.push_back(x.request);
  self->request(w, caf::infinite, atom::put::value, std::move(asked))
      .then(
          [self, lane, batch,
           w](std::vector<reply_of<Result>>& replies) mutable {
            deliver_each<Result>(batch, replies);
            --(self->state.*lane).in_flight;
            queue_gathered(self, lane, false);
            release(self, w);
          },
          [self, lane, batch, w](caf::error& err) mutable {
            auto& g = self->state.*lane;
            --g.in_flight;
            if (err == caf::sec::request_receiver_down) {
              // Never ran (see enqueue): another worker takes them, first.
              forget_worker(self->state, w);
              g.items.insert(g.items.begin(),
                             std::make_move_iterator(batch.begin()),
                             std::make_move_iterator(batch.end()));
              queue_gathered(self, lane, true);
              pump(self);
              return;
            }
            for (auto& x : batch)
              x.promise.deliver(err);
            queue_gathered(self, lane, false);
            release(self, w);
          });
}

/// Requests a lane held back while its batch ran go on once that batch has
/// run past stall_after: looked at whenever the pool moves (any request or
/// reply, and the health check every health_interval).
void queue_held_lanes(pool_pointer self) {
  queue_gathered(self, &persistence_state::openings, false);
  queue_gathered(self, &persistence_state::settles, false);
  queue_gathered(self, &persistence_state::updates, false);
}

/// A request that waits with others of its kind for a worker, which answers
/// them together.
template <class Request, class Result>
caf::result<Result> gather(pool_pointer self, lane_of<Request, Result> lane,
                           const Request& x) {
  auto rp = self->make_response_promise<Result>();
  (self->state.*lane).items.push_back({x, rp});
  queue_gathered(self, lane, false);
  pump(self);
  return rp;
}

/// An API token's identity: from memory while a recent check accepted it,
/// else from a worker (which also records the token's use, so last_used_at
/// lags by at most token_cache_ttl). Refusals are not kept: unknown tokens
/// must not fill memory.
caf::result<api_identity> identify(pool_pointer self,
                                   const api_credentials& c) {
  auto& st = self->state;
  auto ttl = st.options.token_cache_ttl;
  if (ttl.count() <= 0)
    return dispatch<api_identity>(self, atom::get::value, c);
  auto key = persistence::sha256_hex(c.token.reveal());
  auto now = std::chrono::steady_clock::now();
  if (auto it = st.identities.find(key); it != st.identities.end()) {
    if (it->second.expires > now)
      return it->second.identity;
    st.identities.erase(it);
  }
  auto remember = [self, key, ttl,
                   generation = st.token_generation](const api_identity& who) {
    auto& st = self->state;
    if (!who.accepted || generation != st.token_generation)
      return;
    if (st.identities.size() >= 4096)
      st.identities.clear();
    st.identities[key] = {who, std::chrono::steady_clock::now() + ttl};
  };
  return dispatch_seen<api_identity>(self, remember, atom::get::value, c);
}

/// A revocation: no identity read before it answers from memory again.
caf::result<api_token_row> revoke(pool_pointer self,
                                  const api_token_revocation& r) {
  auto forget = [self](const api_token_row&) {
    self->state.identities.clear();
    ++self->state.token_generation;
  };
  forget({});
  return dispatch_seen<api_token_row>(self, forget, atom::put::value, r);
}

void on_worker_down(pool_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto is_source = [&](const pooled_worker& w) {
    return w.handle.address() == msg.source;
  };
  st.workers.erase(
      std::remove_if(st.workers.begin(), st.workers.end(), is_source),
      st.workers.end());
  publish_live(st);
  spdlog::error("persistence: a worker died ({}); starting another",
                describe(msg.reason));
  spawn_worker(self);
  pump(self);
}

void check_health(pool_pointer self) {
  self->delayed_send(self, self->state.options.health_interval,
                     atom::tick::value);
  if (self->state.checking)
    return;
  self->state.checking = true;
  self->request(caf::actor_cast<persistence_actor>(self), caf::infinite,
                atom::status::value)
      .then(
          [self](database_status&) {
            self->state.checking = false;
            if (!self->state.answering)
              spdlog::info("persistence: MariaDB answers again");
            self->state.answering = true;
          },
          [self](caf::error& err) {
            self->state.checking = false;
            if (self->state.answering)
              spdlog::warn("persistence: MariaDB does not answer: {}",
                           describe(err));
            self->state.answering = false;
          });
}

} // namespace

persistence_actor::behavior_type
persistence_behavior(pool_pointer self, persistence_options options) {
  self->state.options = std::move(options);
  for (std::size_t i = 0;
       i < std::max<std::size_t>(1, self->state.options.workers); ++i)
    spawn_worker(self);
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  self->set_down_handler([self](caf::down_msg& msg) {
    on_worker_down(self, msg);
  });
  // Workers are stopped with the pool (and killed if the pool is killed),
  // so none keeps the process alive.
  self->attach_functor([live = self->state.live](const caf::error&) {
    for (const auto& w : *live)
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  });
  self->send(self, atom::tick::value);
  return {
      [self](atom::tick) {
        check_health(self);
      },
      [self](atom::status) {
        return dispatch<database_status>(self, atom::status::value);
      },
      [self](atom::get, atom::bots) {
        return dispatch<std::vector<bot_record>>(self, atom::get::value,
                                                 atom::bots::value);
      },
      [self](atom::put, const bot_record& x) {
        return dispatch<std::int32_t>(self, atom::put::value, x);
      },
      [self](atom::put, const bot_state_change& x) {
        return dispatch<atom::ok>(self, atom::put::value, x);
      },
      [self](atom::get, atom::rooms, bool include_parked) {
        return dispatch<std::vector<room_record>>(
            self, atom::get::value, atom::rooms::value, include_parked);
      },
      [self](atom::get, atom::room, std::int32_t id) {
        return dispatch<room_context>(self, atom::get::value, atom::room::value,
                                      id);
      },
      [self](atom::get, const room_changes& x) {
        return dispatch<room_changes>(self, atom::get::value, x);
      },
      [self](atom::put, const room_progress& x) {
        return dispatch<atom::ok>(self, atom::put::value, x);
      },
      [self](atom::put, const std::vector<room_update>& x) {
        return gather(self, &persistence_state::updates, x);
      },
      [self](atom::put, const std::vector<std::vector<room_update>>& x) {
        return dispatch<std::vector<update_reply>>(self, atom::put::value, x);
      },
      [self](atom::put, const room_result& x) {
        return dispatch<result_outcome>(self, atom::put::value, x);
      },
      [self](atom::put, const room_closure& x) {
        return dispatch<atom::ok>(self, atom::put::value, x);
      },
      [self](atom::put, const room_assignment& x) {
        return dispatch<room_record>(self, atom::put::value, x);
      },
      [self](atom::put, const audit_record& x) {
        return dispatch<atom::ok>(self, atom::put::value, x);
      },
      // --- the scheduler's ---
      [self](atom::get, atom::tasks) {
        return dispatch<std::vector<task_record>>(self, atom::get::value,
                                                  atom::tasks::value);
      },
      [self](atom::put, const task_schedule& x) {
        return dispatch<bool>(self, atom::put::value, x);
      },
      [self](atom::put, const task_claim& x) {
        return dispatch<claim_outcome>(self, atom::put::value, x);
      },
      [self](atom::put, const task_finish& x) {
        return dispatch<bool>(self, atom::put::value, x);
      },
      [self](atom::put, const task_invalid& x) {
        return dispatch<atom::ok>(self, atom::put::value, x);
      },
      // --- the room automation's ---
      [self](atom::put, const opening_request& x) {
        return gather(self, &persistence_state::openings, x);
      },
      [self](atom::put, const std::vector<opening_request>& x) {
        return dispatch<std::vector<opening_reply>>(self, atom::put::value, x);
      },
      [self](atom::put, const claim_attempt& x) {
        return dispatch<bool>(self, atom::put::value, x);
      },
      [self](atom::put, const claim_settled& x) {
        return gather(self, &persistence_state::settles, x);
      },
      [self](atom::put, const std::vector<claim_settled>& x) {
        return dispatch<std::vector<settle_reply>>(self, atom::put::value, x);
      },
      [self](atom::put, const claim_refused& x) {
        return dispatch<bool>(self, atom::put::value, x);
      },
      [self](atom::put, const match_reason& x) {
        return dispatch<bool>(self, atom::put::value, x);
      },
      [self](atom::get, atom::claims) {
        return dispatch<std::vector<room_claim_row>>(self, atom::get::value,
                                                     atom::claims::value);
      },
      [self](atom::get, atom::notify) {
        return dispatch<std::vector<outbox_item>>(self, atom::get::value,
                                                  atom::notify::value);
      },
      [self](atom::put, const outbox_result& x) {
        return dispatch<atom::ok>(self, atom::put::value, x);
      },
      [self](atom::get, const plan_query& x) {
        return dispatch<std::vector<tournament_plan>>(self, atom::get::value,
                                                      x);
      },
      // --- the HTTP API's ---
      [self](atom::get, const api_credentials& x) {
        return identify(self, x);
      },
      [self](atom::get, const tournament_query& x) {
        return dispatch<std::vector<tournament_view>>(self, atom::get::value,
                                                      x);
      },
      [self](atom::get, const match_query& x) {
        return dispatch<std::vector<match_view>>(self, atom::get::value, x);
      },
      [self](atom::get, const room_query& x) {
        return dispatch<std::vector<room_view>>(self, atom::get::value, x);
      },
      [self](atom::put, const match_write& x) {
        return dispatch<match_view>(self, atom::put::value, x);
      },
      [self](atom::get, const task_query& x) {
        return dispatch<std::vector<task_record>>(self, atom::get::value, x);
      },
      [self](atom::put, const task_write& x) {
        return dispatch<task_record>(self, atom::put::value, x);
      },
      [self](atom::get, const bot_query& x) {
        return dispatch<std::vector<bot_view>>(self, atom::get::value, x);
      },
      [self](atom::put, const bot_write& x) {
        return dispatch<bot_view>(self, atom::put::value, x);
      },
      [self](atom::get, const overview_query& x) {
        return dispatch<overview_view>(self, atom::get::value, x);
      },
      [self](atom::get, atom::metrics) {
        return dispatch<database_gauges>(self, atom::get::value,
                                         atom::metrics::value);
      },
      // --- the coordinator lease ---
      [self](atom::put, const lease_claim& x) {
        return dispatch<lease_state>(self, atom::put::value, x);
      },
      [self](atom::put, const lease_release& x) {
        return dispatch<bool>(self, atom::put::value, x);
      },
      // --- RaceTime account linking ---
      [self](atom::put, const link_order& x) {
        return dispatch<link_answer>(self, atom::put::value, x);
      },
      [self](atom::put, const link_callback& x) {
        return dispatch<link_answer>(self, atom::put::value, x);
      },
      // --- the admin console's ---
      [self](atom::get, const audit_query& x) {
        return dispatch<std::vector<audit_entry>>(self, atom::get::value, x);
      },
      [self](atom::get, atom::token) {
        return dispatch<std::vector<api_token_row>>(self, atom::get::value,
                                                    atom::token::value);
      },
      [self](atom::put, const api_token_order& x) {
        return dispatch<api_token_issued>(self, atom::put::value, x);
      },
      [self](atom::put, const api_token_revocation& x) {
        return revoke(self, x);
      },
      [self](atom::login, const config::secret& x) {
        return dispatch<api_token_row>(self, atom::login::value, x);
      },
  };
}

} // namespace racecontrol
