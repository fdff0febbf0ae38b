#include "actors/persistence_worker.hpp"

#include "actors/error.hpp"
#include "actors/room_checks.hpp"

#include "persistence/api_bot_repository.hpp"
#include "persistence/api_repository.hpp"
#include "persistence/api_task_repository.hpp"
#include "persistence/api_token_repository.hpp"
#include "persistence/audit_repository.hpp"
#include "persistence/database_error.hpp"
#include "persistence/lease_repository.hpp"
#include "persistence/migrator.hpp"
#include "persistence/outbox_repository.hpp"
#include "persistence/racetime_bot_repository.hpp"
#include "persistence/racetime_link_repository.hpp"
#include "persistence/room_claim_repository.hpp"
#include "persistence/room_watch_repository.hpp"
#include "persistence/scheduled_task_repository.hpp"
#include "persistence/sql.hpp"

#include "protocol/metrics_registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

using worker_pointer =
    persistence_worker_actor::stateful_pointer<persistence_worker_state>;

caf::error to_error(const persistence::database_error& e) {
  using kind = persistence::database_error::kind;
  const char* label = e.what_kind() == kind::connection ||
                              e.what_kind() == kind::outcome_unknown
                          ? "connection"
                      : e.what_kind() == kind::constraint ? "constraint"
                                                          : "failure";
  protocol::metrics().add(protocol::metric::database_errors, {{"kind", label}});
  switch (e.what_kind()) {
    case kind::connection:
      return make_error(ec::database_unavailable, e.what());
    case kind::constraint:
      return make_error(ec::database_constraint, e.what());
    case kind::outcome_unknown:
      return make_error(ec::database_outcome_unknown, e.what());
    default:
      return make_error(ec::database_failure, e.what());
  }
}

/// Runs a database call and turns its exceptions into caf::error, so one
/// bad request never takes the worker down. The caller logs the failure
/// with its own context (which room, which bot); here it is only debug.
template <class F>
auto guarded(const char* what, F&& f) -> caf::result<decltype(f())> {
  try {
    return f();
  } catch (const persistence::database_error& e) {
    spdlog::debug("persistence: {} failed: {}", what, e.what());
    return to_error(e);
  } catch (const persistence::room_fenced& e) {
    return make_error(ec::fenced, e.what());
  } catch (const persistence::secret_failure& e) {
    // The message names the key id and the variable to set, never a value.
    return make_error(ec::refused, std::string{what} + ": " + e.what());
  } catch (const std::exception& e) {
    spdlog::error("persistence: {} failed unexpectedly: {}", what, e.what());
    protocol::metrics().add(protocol::metric::database_errors,
                            {{"kind", "failure"}});
    return make_error(ec::database_failure,
                      std::string{what} + " failed: " + e.what());
  }
}

persistence::room_claim_repository claims(worker_pointer self) {
  return persistence::room_claim_repository{*self->state.db};
}

/// The claims, in one INSERT when they can be (claim_all), else each on
/// its own; each with its own result or error.
std::vector<batch_reply<room_claim_result>>
claim_rooms(persistence::room_claim_repository& repo,
            const std::vector<room_claim>& claims) {
  std::vector<batch_reply<room_claim_result>> out(claims.size());
  std::optional<std::vector<room_claim_result>> together;
  auto failed = guarded("claiming matches' rooms", [&] {
    together = repo.claim_all(claims);
    return atom::ok::value;
  });
  for (std::size_t i = 0; i < claims.size(); ++i) {
    if (failed.err) {
      out[i].error = failed.err;
    } else if (together) {
      out[i].result = std::move((*together)[i]);
    } else {
      auto one = guarded("claiming a match's room", [&] {
        out[i].result = repo.claim(claims[i]);
        return atom::ok::value;
      });
      out[i].error = std::move(one.err);
    }
  }
  return out;
}

/// Room openers' first step (see opening_request) for several at once, in
/// two round trips however many they are: the matches read together, the
/// claims of those whose checks pass written together (a blocked match's
/// reason is stored on its own). Each answer is its request's alone.
std::vector<opening_reply>
open_matches(persistence::room_claim_repository repo,
             const std::vector<opening_request>& asked) {
  std::vector<opening_reply> out(asked.size());
  std::vector<std::int32_t> ids;
  for (const auto& r : asked)
    ids.push_back(r.match_id);
  std::vector<match_open_context> found;
  auto read = guarded("opening matches' rooms", [&] {
    found = repo.open_contexts(ids);
    return atom::ok::value;
  });
  if (read.err) {
    for (auto& o : out)
      o.error = read.err;
    return out;
  }
  std::vector<room_claim> claims;
  std::vector<std::size_t> claimed_by;
  for (std::size_t i = 0; i < asked.size(); ++i) {
    const auto& r = asked[i];
    auto ctx = std::find_if(found.begin(), found.end(),
                            [&](const match_open_context& c) {
                              return c.match_id == r.match_id;
                            });
    if (ctx == found.end()) {
      out[i].error = make_error(ec::not_found, "no match has id " +
                                                   std::to_string(r.match_id));
      continue;
    }
    opening_result result;
    auto d = decide_open(*ctx, r);
    if (d.what == open_decision::kind::claim) {
      claims.push_back({r.match_id, r.marker, ctx->bot_category,
                        ctx->bot_id.value_or(0), r.owner, d.requested_by,
                        d.overrides.goal, d.overrides.invitational});
      claimed_by.push_back(i);
    } else if (d.what == open_decision::kind::blocked) {
      auto stored = guarded("storing a match's reason", [&] {
        result.reason_changed =
            repo.set_reason({r.match_id, d.reason.code, d.reason.message});
        return atom::ok::value;
      });
      if (stored.err) {
        out[i].error = stored.err;
        continue;
      }
    }
    result.context = *ctx;
    out[i].result = std::move(result);
  }
  auto rows = claim_rooms(repo, claims);
  for (std::size_t k = 0; k < claimed_by.size(); ++k) {
    auto& o = out[claimed_by[k]];
    if (rows[k].result) {
      o.result->claim = std::move(*rows[k].result);
    } else {
      o.result.reset();
      o.error = std::move(rows[k].error);
    }
  }
  return out;
}

/// Claimed rooms that exist: in one transaction when there are several
/// and all are still `creating` (settle_all), else each on its own; each
/// answer its own.
std::vector<settle_reply>
settle_rooms(persistence::room_claim_repository repo,
             const std::vector<claim_settled>& settled) {
  std::vector<settle_reply> out(settled.size());
  std::optional<std::vector<room_context>> together;
  caf::error failed;
  if (settled.size() > 1)
    failed = guarded("storing created rooms", [&] {
               together = repo.settle_all(settled);
               return atom::ok::value;
             }).err;
  for (std::size_t i = 0; i < settled.size(); ++i) {
    const auto& s = settled[i];
    if (failed) {
      out[i].error = failed;
      continue;
    }
    if (together) {
      out[i].result = std::move((*together)[i]);
      continue;
    }
    std::optional<room_context> room;
    auto one = guarded("storing a created room", [&] {
      room = repo.settle(s);
      return atom::ok::value;
    });
    if (one.err)
      out[i].error = std::move(one.err);
    else if (room)
      out[i].result = std::move(*room);
    else
      out[i].error = make_error(
          ec::not_found, "room " + std::to_string(s.room_id) +
                             " is no longer the claim '" + s.marker + "'");
  }
  return out;
}

/// Several rooms' updates in one transaction; when it is refused (a room's
/// write fenced because another node placed it since, a bad row), each list
/// on its own, so that only that room's fails. A lost connection is every
/// list's: the transaction may have committed (an outcome unknown), and
/// writing the lists again would audit twice.
std::vector<update_reply>
record_updates(persistence::room_watch_repository repo,
               const std::vector<std::vector<room_update>>& lists) {
  std::vector<update_reply> out(lists.size());
  auto record = [&](const std::vector<room_update>& updates) {
    return guarded("recording room updates", [&] {
      repo.record_updates(updates);
      return atom::ok::value;
    });
  };
  std::vector<room_update> all;
  for (const auto& l : lists)
    all.insert(all.end(), l.begin(), l.end());
  auto together = record(all);
  bool one_by_one = together.err && lists.size() > 1 &&
                    !is(together.err, ec::database_unavailable) &&
                    !is(together.err, ec::database_outcome_unknown);
  for (std::size_t i = 0; i < lists.size(); ++i) {
    auto done = one_by_one ? record(lists[i]) : together;
    if (done.err)
      out[i].error = std::move(done.err);
    else
      out[i].result = true;
  }
  return out;
}

persistence::api_repository api(worker_pointer self) {
  return persistence::api_repository{*self->state.db};
}

/// A match written, or the refusal as an error the API maps to a status.
caf::result<match_view> write_match(worker_pointer self, const match_write& w) {
  std::optional<std::variant<match_view, persistence::api_refusal>> out;
  auto failed = guarded("writing a match", [&] {
    out = api(self).write_match(w);
    return atom::ok::value;
  });
  if (!out)
    return std::move(failed.err);
  if (auto* refused = std::get_if<persistence::api_refusal>(&*out))
    return make_refusal(refused->code, refused->message, refused->field);
  return std::get<match_view>(std::move(*out));
}

/// A refused write of the HTTP API as an error it maps to a status.
template <class T, class F>
caf::result<T> refusable(const char* what, F&& f) {
  std::optional<std::variant<T, persistence::api_refusal>> out;
  auto failed = guarded(what, [&] {
    out = f();
    return atom::ok::value;
  });
  if (!out)
    return std::move(failed.err);
  if (auto* refused = std::get_if<persistence::api_refusal>(&*out))
    return make_refusal(refused->code, refused->message, refused->field);
  return std::get<T>(std::move(*out));
}

/// A racetime_link_repository call; refusals become make_refusal errors.
template <class F>
caf::result<link_answer> run_link(worker_pointer self, const char* what,
                                  F&& f) {
  return refusable<link_answer>(what, [&] {
    persistence::racetime_link_repository repo{*self->state.db,
                                               *self->state.secrets};
    return f(repo);
  });
}

database_status read_status(worker_pointer self) {
  auto& db = *self->state.db;
  database_status st;
  {
    auto conn = db.connection();
    st.server_version =
        persistence::sql_scalar(*conn, "SELECT VERSION()").value_or("");
    // A connection outlives a dropped database; say so instead of
    // reporting an empty schema.
    if (persistence::sql_scalar(
            *conn, "SELECT COUNT(*) FROM information_schema.schemata WHERE "
                   "schema_name = " +
                       persistence::sql_quote(*conn, db.db())) != "1")
      throw persistence::database_error(
          persistence::database_error::kind::connection,
          "database " + std::string{db.db()} + " does not exist on the server");
  }
  st.database = db.db();
  st.location = db.socket() != nullptr && *db.socket() != '\0'
                    ? std::string{db.socket()}
                    : std::string{db.host()} + ":" + std::to_string(db.port());
  if (self->state.migrations != nullptr) {
    persistence::migrator m{db, *self->state.migrations};
    auto applied = m.applied();
    st.schema_version = applied.empty() ? "" : applied.back().version;
    st.pending_migrations = static_cast<std::uint32_t>(m.pending().size());
  }
  return st;
}

/// The bot as the runtime uses it, its client secret opened.
bot_record to_record(const entities::racetime_bot& b,
                     const persistence::secret_box& secrets) {
  std::string secret;
  try {
    secret = secrets.open_or_throw(b.client_secret);
  } catch (const persistence::secret_failure& e) {
    throw persistence::secret_failure(
        {e.error().what, "bot " + b.name + " (category " + b.category +
                             "): its client secret: " + e.what()});
  }
  return {b.id,
          b.category,
          b.name,
          b.client_id,
          config::secret{std::move(secret)},
          b.is_active};
}

persistence::racetime_bot_repository bots(worker_pointer self) {
  return persistence::racetime_bot_repository{*self->state.db,
                                              *self->state.secrets};
}

std::optional<entities::bot_status> parse_bot_status(const std::string& s) {
  for (auto st :
       {entities::bot_status::unknown, entities::bot_status::connected,
        entities::bot_status::auth_failed,
        entities::bot_status::connection_error,
        entities::bot_status::disconnected})
    if (s == persistence::to_string(st))
      return st;
  return std::nullopt;
}

api_token_row to_row(const persistence::api_token_info& t) {
  return {t.id,     t.organization_id, t.organization_name, t.name,
          t.scopes, t.created_at,      t.last_used_at,      t.revoked_at};
}

/// Checks a token a console login presents. The three refusals read the
/// same, so a guesser learns nothing about which tokens exist.
caf::result<api_token_row> check_login(worker_pointer self,
                                       const config::secret& token) {
  std::optional<persistence::api_token_check> check;
  auto failed = guarded("checking a console login", [&] {
    check = persistence::api_token_repository{*self->state.db}.authenticate(
        token.reveal());
    return atom::ok::value;
  });
  if (!check)
    return std::move(failed.err);
  auto* who = std::get_if<persistence::api_token_identity>(&*check);
  if (who == nullptr)
    return make_error(ec::refused, "the token is not valid");
  api_token_row row;
  row.id = who->id;
  row.organization_id = who->organization_id;
  row.name = who->name;
  row.scopes = who->scopes;
  return row;
}

caf::result<api_token_issued> create_token(worker_pointer self,
                                           const api_token_order& order) {
  std::optional<std::variant<persistence::api_token_created,
                             persistence::api_token_refused>>
      made;
  auto failed = guarded("creating an API token", [&] {
    made = persistence::api_token_repository{*self->state.db}.create(
        order.organization_id, order.name, order.scopes);
    return atom::ok::value;
  });
  if (!made)
    return std::move(failed.err);
  if (auto* refused = std::get_if<persistence::api_token_refused>(&*made))
    return make_error(ec::refused, refused->message);
  auto& created = std::get<persistence::api_token_created>(*made);
  return api_token_issued{to_row(created.token), created.plaintext};
}

caf::result<api_token_row> revoke_token(worker_pointer self,
                                        const api_token_revocation& r) {
  std::optional<persistence::api_token_revoke_result> done;
  auto failed = guarded("revoking an API token", [&] {
    done = persistence::api_token_repository{*self->state.db}.revoke(r.id);
    return atom::ok::value;
  });
  if (!done)
    return std::move(failed.err);
  if (!done->token)
    return make_error(ec::not_found, "no API token has id " +
                                         std::to_string(r.id) +
                                         "; `token list` shows them");
  return to_row(*done->token);
}

} // namespace

persistence_worker_actor::behavior_type
persistence_worker(worker_pointer self,
                   std::shared_ptr<odb::mysql::database> db,
                   const persistence::migration_set* migrations,
                   std::shared_ptr<const persistence::secret_box> secrets,
                   std::chrono::milliseconds undo_window) {
  self->state.db = std::move(db);
  self->state.migrations = migrations;
  self->state.undo_window = undo_window;
  self->state.secrets = secrets
                            ? std::move(secrets)
                            : std::make_shared<const persistence::secret_box>();
  return {
      [self](atom::status) -> caf::result<database_status> {
        return guarded("status", [&] {
          return read_status(self);
        });
      },
      [self](atom::get, atom::bots) -> caf::result<std::vector<bot_record>> {
        return guarded("loading bots", [&] {
          auto repo = bots(self);
          std::vector<bot_record> out;
          for (const auto& b : repo.all())
            out.push_back(to_record(b, *self->state.secrets));
          return out;
        });
      },
      [self](atom::put, const bot_record& bot) -> caf::result<std::int32_t> {
        return guarded("saving a configured bot", [&] {
          auto repo = bots(self);
          return repo.save_configured(bot.category, bot.name, bot.client_id,
                                      bot.client_secret.reveal());
        });
      },
      [self](atom::put,
             const bot_state_change& change) -> caf::result<atom::ok> {
        auto status = parse_bot_status(change.status);
        if (!status)
          return make_error(ec::database_failure,
                            "unknown bot status '" + change.status + "'");
        return guarded("recording a bot's state", [&] {
          auto repo = bots(self);
          std::optional<std::string> message;
          if (!change.message.empty())
            message = change.message;
          std::optional<timestamp> connected;
          if (change.connected_now)
            connected = now_us();
          repo.set_status(change.bot_id, *status, message, connected);
          return atom::ok::value;
        });
      },
      [self](atom::get, atom::rooms,
             bool include_parked) -> caf::result<std::vector<room_record>> {
        return guarded("loading rooms to watch", [&] {
          persistence::room_watch_repository repo{*self->state.db};
          return repo.rooms_to_watch(include_parked, self->state.undo_window);
        });
      },
      [self](atom::get, atom::room,
             std::int32_t room_id) -> caf::result<room_context> {
        persistence::room_watch_repository repo{*self->state.db};
        std::optional<room_context> ctx;
        auto failed = guarded("loading a room", [&] {
          ctx = repo.context(room_id);
          return atom::ok::value;
        });
        if (!ctx) {
          if (failed.err)
            return std::move(failed.err);
          return make_error(ec::not_found, "no racetime_rooms row has id " +
                                               std::to_string(room_id));
        }
        return std::move(*ctx);
      },
      [self](atom::get, const room_changes& last) -> caf::result<room_changes> {
        return guarded("looking for rooms whose match changed", [&] {
          std::optional<timestamp> since;
          if (last.marker != timestamp{})
            since = last.marker;
          return persistence::room_watch_repository{*self->state.db}
              .changed_rooms(since);
        });
      },
      [self](atom::put, const room_progress& p) -> caf::result<atom::ok> {
        return guarded("recording room progress", [&] {
          persistence::room_watch_repository{*self->state.db}.record_progress(
              p);
          return atom::ok::value;
        });
      },
      [self](atom::put, const std::vector<std::vector<room_update>>& lists)
          -> std::vector<update_reply> {
        return record_updates(
            persistence::room_watch_repository{*self->state.db}, lists);
      },
      [self](atom::put, const room_result& r) -> caf::result<result_outcome> {
        return guarded("recording a race result", [&] {
          return persistence::room_watch_repository{*self->state.db}
              .record_result(r);
        });
      },
      [self](atom::put, const room_closure& c) -> caf::result<atom::ok> {
        return guarded("closing a room", [&] {
          persistence::room_watch_repository{*self->state.db}.close(c);
          return atom::ok::value;
        });
      },
      [self](atom::put, const room_assignment& a) -> caf::result<room_record> {
        std::optional<room_record> placed;
        auto failed = guarded("placing a room", [&] {
          placed =
              persistence::room_watch_repository{*self->state.db}.assign(a);
          return atom::ok::value;
        });
        if (placed)
          return std::move(*placed);
        if (failed.err)
          return std::move(failed.err);
        return make_error(ec::not_found, "cannot place room " +
                                             std::to_string(a.room_id) +
                                             ": no racetime_rooms row has it");
      },
      [self](atom::put, const audit_record& a) -> caf::result<atom::ok> {
        return guarded("writing an audit entry", [&] {
          persistence::audit_repository{*self->state.db}.append(a);
          return atom::ok::value;
        });
      },
      // --- the scheduler's ---
      [self](atom::get, atom::tasks) -> caf::result<std::vector<task_record>> {
        return guarded("loading scheduled tasks", [&] {
          return persistence::scheduled_task_repository{*self->state.db}
              .tasks_to_schedule();
        });
      },
      [self](atom::put, const task_schedule& s) -> caf::result<bool> {
        return guarded("scheduling a task", [&] {
          return persistence::scheduled_task_repository{*self->state.db}
              .schedule(s);
        });
      },
      [self](atom::put, const task_claim& c) -> caf::result<claim_outcome> {
        return guarded("claiming a task's run", [&] {
          return persistence::scheduled_task_repository{*self->state.db}.claim(
              c);
        });
      },
      [self](atom::put, const task_finish& f) -> caf::result<bool> {
        return guarded("recording a task's run", [&] {
          return persistence::scheduled_task_repository{*self->state.db}.finish(
              f);
        });
      },
      [self](atom::put, const task_invalid& x) -> caf::result<atom::ok> {
        return guarded("recording a task's invalid schedule", [&] {
          persistence::scheduled_task_repository{*self->state.db}
              .record_invalid(x);
          return atom::ok::value;
        });
      },
      // --- the room automation's ---
      [self](atom::put, const std::vector<opening_request>& asked)
          -> std::vector<opening_reply> {
        return open_matches(claims(self), asked);
      },
      [self](atom::put, const claim_attempt& a) -> caf::result<bool> {
        return guarded("recording a startrace attempt", [&] {
          return claims(self).record_attempt(a);
        });
      },
      [self](atom::put, const std::vector<claim_settled>& settled)
          -> std::vector<settle_reply> {
        return settle_rooms(claims(self), settled);
      },
      [self](atom::put, const claim_refused& r) -> caf::result<bool> {
        return guarded("giving up a refused room claim", [&] {
          return claims(self).refuse(r);
        });
      },
      [self](atom::put, const match_reason& r) -> caf::result<bool> {
        return guarded("storing why a match has no room", [&] {
          return claims(self).set_reason(r);
        });
      },
      [self](atom::get,
             atom::claims) -> caf::result<std::vector<room_claim_row>> {
        return guarded("loading unfinished room claims", [&] {
          return claims(self).creating();
        });
      },
      [self](atom::get, atom::notify) -> caf::result<std::vector<outbox_item>> {
        return guarded("reading the Discord outbox", [&] {
          return persistence::outbox_repository{*self->state.db}.due();
        });
      },
      [self](atom::put, const outbox_result& r) -> caf::result<atom::ok> {
        return guarded("recording a Discord delivery", [&] {
          persistence::outbox_repository{*self->state.db}.record(r);
          return atom::ok::value;
        });
      },
      [self](atom::get,
             const plan_query& q) -> caf::result<std::vector<tournament_plan>> {
        return guarded("loading tournaments' matches", [&] {
          return claims(self).plans(q);
        });
      },
      // --- the HTTP API's ---
      [self](atom::get, const api_credentials& c) -> caf::result<api_identity> {
        return guarded("checking an API token", [&] {
          return api(self).identify(c.token);
        });
      },
      [self](atom::get, const tournament_query& q)
          -> caf::result<std::vector<tournament_view>> {
        return guarded("listing tournaments", [&] {
          return api(self).tournaments(q);
        });
      },
      [self](atom::get,
             const match_query& q) -> caf::result<std::vector<match_view>> {
        return guarded("listing matches", [&] {
          return api(self).matches(q);
        });
      },
      [self](atom::get,
             const room_query& q) -> caf::result<std::vector<room_view>> {
        return guarded("listing rooms", [&] {
          return api(self).rooms(q);
        });
      },
      [self](atom::get, const overview_query& q) -> caf::result<overview_view> {
        return guarded("reading the status page's rows", [&] {
          return api(self).overview(q);
        });
      },
      [self](atom::get, atom::metrics) -> caf::result<database_gauges> {
        return guarded("reading the metrics' gauges", [&] {
          return api(self).gauges();
        });
      },
      [self](atom::put, const lease_claim& c) -> caf::result<lease_state> {
        return guarded("claiming the coordinator lease", [&] {
          return persistence::lease_repository{*self->state.db}
              .acquire_or_renew(c);
        });
      },
      [self](atom::put, const lease_release& r) -> caf::result<bool> {
        return guarded("releasing the coordinator lease", [&] {
          return persistence::lease_repository{*self->state.db}.release(r);
        });
      },
      [self](atom::put, const match_write& w) -> caf::result<match_view> {
        return write_match(self, w);
      },
      [self](atom::get,
             const task_query& q) -> caf::result<std::vector<task_record>> {
        return guarded("listing scheduled tasks", [&] {
          return persistence::api_task_repository{*self->state.db}.tasks(q);
        });
      },
      [self](atom::put, const task_write& w) -> caf::result<task_record> {
        return refusable<task_record>("writing a scheduled task", [&] {
          return persistence::api_task_repository{*self->state.db}.write(w);
        });
      },
      [self](atom::get,
             const bot_query& q) -> caf::result<std::vector<bot_view>> {
        return guarded("listing bots", [&] {
          return persistence::api_bot_repository{*self->state.db,
                                                 *self->state.secrets}
              .bots(q);
        });
      },
      [self](atom::put, const bot_write& w) -> caf::result<bot_view> {
        return refusable<bot_view>("writing a bot", [&] {
          return persistence::api_bot_repository{*self->state.db,
                                                 *self->state.secrets}
              .write(w);
        });
      },
      // --- RaceTime account linking ---
      [self](atom::put, const link_order& o) -> caf::result<link_answer> {
        return run_link(self, "a RaceTime link request", [&](auto& repo) {
          return repo.run(o);
        });
      },
      [self](atom::put, const link_callback& c) -> caf::result<link_answer> {
        return run_link(self, "a RaceTime link callback", [&](auto& repo) {
          return c.check_only ? repo.check(c.state.reveal()) : repo.complete(c);
        });
      },
      // --- the admin console's ---
      [self](atom::get,
             const audit_query& q) -> caf::result<std::vector<audit_entry>> {
        return guarded("listing audit entries", [&] {
          return persistence::audit_repository{*self->state.db}.list(q);
        });
      },
      [self](atom::get,
             atom::token) -> caf::result<std::vector<api_token_row>> {
        return guarded("listing API tokens", [&] {
          std::vector<api_token_row> out;
          for (const auto& t :
               persistence::api_token_repository{*self->state.db}.list())
            out.push_back(to_row(t));
          return out;
        });
      },
      [self](atom::put,
             const api_token_order& order) -> caf::result<api_token_issued> {
        return create_token(self, order);
      },
      [self](atom::put,
             const api_token_revocation& r) -> caf::result<api_token_row> {
        return revoke_token(self, r);
      },
      [self](atom::login,
             const config::secret& token) -> caf::result<api_token_row> {
        return check_login(self, token);
      },
  };
}

} // namespace racecontrol
