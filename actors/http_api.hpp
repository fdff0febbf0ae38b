#pragma once

// The HTTP API actor and the bridge that brings it the HTTP server's
// requests. The server (protocol/http_server) is bound by racecontrold
// before the actor system starts, so a port in use stops the start with a
// clear line; it lives as long as the process and hands each request to
// whichever HTTP API actor runs at the time, found in an http_api_slot.
// The actor answers /healthz and /readyz (open to anyone) and the /api/
// endpoints (behind bearer tokens: actors/api_support.hpp lists the scopes;
// README.md's HTTP section every endpoint): tournaments, matches and rooms
// (actors/api_catalog.cpp), creating and changing matches and seed 001's
// two room endpoints (actors/api_matches.cpp), the audit log
// (actors/api_audit.cpp), scheduled tasks (actors/api_tasks.cpp), bots
// (actors/api_bots.cpp), /api/openapi.json (actors/api_openapi.cpp), and
// /metrics with the status page at / (actors/api_status.cpp,
// actors/status_page.hpp).

#include "actors/interfaces.hpp"

#include "config/secret.hpp"
#include "protocol/http_router.hpp"
#include "protocol/http_server.hpp"
#include "protocol/racetime_api.hpp"

#include <caf/actor_addr.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace racecontrol {

/// Which HTTP API actor answers requests now: set by the actor when it
/// starts, cleared when it ends (a restarted one sets itself again).
/// Shared by the server's io threads and the actor.
class http_api_slot {
 public:
  /// Also clears the reason given by set_unavailable.
  void set(http_api_actor actor);
  /// Why there is no actor until the first one is set (a standby
  /// coordinator); requests then get 503 with code "standby" and this.
  void set_unavailable(std::string reason);
  std::string unavailable() const;
  /// Clears the slot if `actor` is still the one in it.
  void clear(const caf::actor_addr& actor);
  /// The current actor; invalid while none runs.
  http_api_actor get() const;

 private:
  mutable std::mutex mutex_;
  http_api_actor current_;
  std::string unavailable_;
};

/// The HTTP server's handler: sends each request to the actor in `slot`
/// (as an http_exchange), or answers 503 "unavailable" while there is none
/// (racecontrold starting or stopping; "standby" on a standby
/// coordinator). A request whose actor ends before
/// answering gets the server's 500 "no_answer".
protocol::http_handler http_api_handler(std::shared_ptr<http_api_slot> slot);

struct http_api_options {
  /// How long /readyz waits for the database check before it says 503.
  std::chrono::milliseconds readiness_timeout{5000};
  /// How long an API request waits for the database.
  std::chrono::milliseconds db_timeout{10000};
  /// How long POST /api/matches/{id}/racetime-room waits for the room:
  /// below the server's handler_timeout (30 s), so the client hears why.
  /// With a slow token check and match read before it the whole request can
  /// pass 30 s; the server then answers the same 504 "timeout".
  std::chrono::milliseconds open_timeout{25000};
  /// How long a /metrics scrape or the status page waits for each actor it
  /// asks (the database, the bots): a slow one must not hang the scrape,
  /// which then answers what it has.
  std::chrono::milliseconds scrape_timeout{3000};
  /// racetime.gg's address, for room URLs (racetime.url).
  std::string racetime_url = "https://racetime.gg";
  /// RaceTime account linking ([link]); off while client_id is empty or
  /// `racetime` is null.
  std::string link_client_id;
  config::secret link_client_secret;
  /// Where browsers reach racecontrold, without a trailing slash.
  std::string link_public_url;
  /// racetime.gg's API on the daemon's io_context (code exchange and
  /// /o/userinfo); it outlives the actor system.
  protocol::racetime_api* racetime = nullptr;
  /// How long a link callback waits for racetime.gg and the database.
  std::chrono::milliseconds link_timeout{25000};
};

/// The actors the API asks.
struct http_api_peers {
  persistence_actor db;
  /// Opens rooms (manual_open) and hears of changed matches.
  tournament_supervisor_actor tournaments;
  /// The bots' live status; reloads after a bot is written.
  bot_supervisor_actor bots;
  /// Runs tasks now and reloads after a task is written (may be null: the
  /// task routes then answer 503).
  scheduler_actor scheduler;
  /// A coordinator's registry of worker nodes, for /metrics (null on a
  /// standalone node).
  cluster_registry_actor cluster{};
};

/// The link states whose callback is being completed now: a second
/// callback with the same state (the browser reloaded the page) would spend
/// racetime.gg's one-time code again and be told nothing was stored while
/// the first stores the link. Shared with the callbacks' own actors, which
/// end their entry when they end.
class link_flights {
 public:
  /// False when `state` is being completed already.
  bool begin(const std::string& state) {
    std::lock_guard<std::mutex> lock(mutex_);
    return states_.insert(state).second;
  }
  void end(const std::string& state) {
    std::lock_guard<std::mutex> lock(mutex_);
    states_.erase(state);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> states_;
};

struct http_api_state {
  static constexpr const char* name = "http-api";

  protocol::http_router routes;
  http_api_peers peers;
  http_api_options options;
  /// What the last /readyz said (a change is logged once, not every probe).
  std::optional<bool> ready;
  std::shared_ptr<link_flights> linking = std::make_shared<link_flights>();
};

using api_pointer = http_api_actor::stateful_pointer<http_api_state>;

/// Every route of the HTTP API, each handler bound to `self` (not touched
/// while the router is built: a test may pass null to list the routes).
protocol::http_router api_router(api_pointer self);

/// The OpenAPI 3 document served at /api/openapi.json.
const std::string& openapi_document();

/// The routes of the tournaments, rooms and bots (actors/api_catalog.cpp).
void add_catalog_routes(api_pointer self, protocol::http_router& routes);

/// The routes of matches and seed 001's room endpoints
/// (actors/api_matches.cpp).
void add_match_routes(api_pointer self, protocol::http_router& routes);

/// The routes of the audit log (actors/api_audit.cpp).
void add_audit_routes(api_pointer self, protocol::http_router& routes);

/// The routes of scheduled tasks (actors/api_tasks.cpp).
void add_task_routes(api_pointer self, protocol::http_router& routes);

/// The routes of bots (actors/api_bots.cpp).
void add_bot_routes(api_pointer self, protocol::http_router& routes);

/// GET /metrics (open like /readyz) and the status page at GET / (loopback
/// clients, or a token with rooms:read) (actors/api_status.cpp).
void add_status_routes(api_pointer self, protocol::http_router& routes);

/// The routes of RaceTime account linking (actors/api_links.cpp): the
/// token-protected POST/DELETE /api/users/{id}/racetime-link and the
/// browser's GET /link/racetime and /link/racetime/callback.
void add_link_routes(api_pointer self, protocol::http_router& routes);

/// The HTTP API actor's behavior: registers itself in `slot` and routes
/// every request it is handed. `GET /healthz` answers 200
/// `{"status":"ok"}` while the actor system runs. `GET /readyz` asks the
/// database for its status: 200 `{"status":"ready",...}` when MariaDB
/// answers and no migration is pending, else 503
/// `{"status":"not_ready","reason":...}` with what is wrong.
/// @param peers the persistence actor, tournament and bot supervisors
/// @param slot where the HTTP server finds the running API actor
http_api_actor::behavior_type http_api(api_pointer self, http_api_peers peers,
                                       std::shared_ptr<http_api_slot> slot,
                                       http_api_options options);

} // namespace racecontrol
