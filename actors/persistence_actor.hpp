#pragma once

#include "actors/interfaces.hpp"

#include "persistence/migration_set.hpp"
#include "persistence/secret_box.hpp"

#include <caf/typed_response_promise.hpp>

#include <odb/mysql/database.hxx>

#include <chrono>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace racecontrol {

struct persistence_options {
  std::shared_ptr<odb::mysql::database> db;
  const persistence::migration_set* migrations = nullptr;
  /// Workers, each a thread with its own connection at a time.
  std::size_t workers = 4;
  /// How often to check that MariaDB answers.
  std::chrono::milliseconds health_interval{10000};
  /// Last, so positional initializers of the fields above keep working.
  /// Seals and opens stored secrets; null: a box without keys (legacy
  /// plaintext only).
  std::shared_ptr<const persistence::secret_box> secrets{};
  /// How long an accepted API token's identity is answered from memory
  /// instead of MariaDB (each API request checks its token; a revocation
  /// through this actor drops every cached identity at once). 0: never.
  std::chrono::milliseconds token_cache_ttl{5000};
  /// Requests a worker may hold at once: the one it runs and those waiting
  /// in its mailbox. Above 1, a busy worker finds its next request when it
  /// finishes instead of going to sleep and being woken for it (each a
  /// thread switch on both sides, most of a burst's hand-offs); a request
  /// then waits for one worker rather than the first free one.
  std::size_t worker_depth = 2;
  /// A worker whose current request has run this long takes no more until
  /// it finishes: it may be stalled (a lock wait), and a request queued
  /// behind it would wait as long, whatever its own timeout.
  std::chrono::milliseconds stall_after{50};
  /// Finished or cancelled rooms whose race ended within this are still
  /// rooms to watch (an undo may reopen the race); 0: only rooms whose race
  /// has not ended.
  std::chrono::milliseconds undo_window{0};
  /// Most requests of one kind (room openers' first steps, settles) one
  /// worker takes at once.
  std::size_t max_batch = 64;
};

/// Requests of one kind that wait together for a worker, which answers
/// them in one request (a batch): a burst of rooms costs a round trip per
/// batch instead of one per room.
template <class Request, class Result>
struct gathered {
  struct item {
    Request request;
    caf::typed_response_promise<Result> promise;
  };
  /// Oldest first; a job for them waits in `waiting` while `queued`.
  std::vector<item> items;
  bool queued = false;
  /// Batches at workers, and how many may be: above that the requests wait
  /// for one to return, however many workers are idle (so that they gather
  /// even when they come one by one).
  std::size_t in_flight = 0;
  std::size_t max_in_flight = std::numeric_limits<std::size_t>::max();
  /// When the last batch went to a worker.
  std::chrono::steady_clock::time_point last_sent{};
};

/// An accepted API token's identity, answered without a worker until
/// `expires`.
struct cached_identity {
  api_identity identity;
  std::chrono::steady_clock::time_point expires;
};

/// A worker of the pool and how many of its requests are unanswered.
struct pooled_worker {
  persistence_worker_actor handle;
  std::size_t in_flight = 0;
  /// When its current request started (meaningful while in_flight > 0).
  std::chrono::steady_clock::time_point busy_since;
};

struct persistence_state {
  static constexpr const char* name = "persistence";

  persistence_options options;
  std::vector<pooled_worker> workers;
  /// The same handles, shared with the functor that stops them when the
  /// pool ends.
  std::shared_ptr<std::vector<persistence_worker_actor>> live =
      std::make_shared<std::vector<persistence_worker_actor>>();
  /// Requests no worker can take yet, oldest first; each hands its request
  /// to the worker it is given.
  std::deque<std::function<void(persistence_worker_actor)>> waiting;
  /// Room openers' first steps: they come together when matches fall due
  /// together, and wait together while the workers are busy.
  gathered<opening_request, opening_result> openings;
  /// Settles of created rooms come one by one as racetime.gg answers: one
  /// batch at a worker at a time, the next ones gathering meanwhile (a
  /// round trip later at most).
  gathered<claim_settled, room_context> settles{{}, false, 0, 1, {}};
  /// Rooms' progress and audit entries, gathered like the settles (a room
  /// has one write at a time, so its writes keep their order).
  gathered<std::vector<room_update>, atom::ok> updates{{}, false, 0, 1, {}};
  /// Whether the last health check got an answer (changes are logged once).
  bool answering = true;
  /// A health check is queued or running: while MariaDB stalls, one more
  /// every health_interval would pile up ahead of the rooms' writes.
  bool checking = false;
  /// Accepted tokens' identities by the token's SHA-256 (never the token).
  std::unordered_map<std::string, cached_identity> identities;
  /// Bumped by every revocation: an identity read before it is not cached.
  std::uint64_t token_generation = 0;
};

/// The persistence actor's behavior: spawns `options.workers` detached
/// workers (persistence_worker) and hands each request to the least busy
/// one (an idle one first; at most `options.worker_depth` each, none
/// behind a request running longer than `options.stall_after`),
/// replacing a worker that dies. (Named with a suffix because
/// `racecontrol::persistence` is the library's namespace.)
persistence_actor::behavior_type persistence_behavior(
    persistence_actor::stateful_pointer<persistence_state> self,
    persistence_options options);

} // namespace racecontrol
