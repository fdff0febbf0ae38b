#pragma once

// The HTTP API actor and the bridge that brings it the HTTP server's
// requests. The server (protocol/http_server) is bound by racecontrold
// before the actor system starts, so a port in use stops the start with a
// clear line; it lives as long as the process and hands each request to
// whichever HTTP API actor runs at the time, found in an http_api_slot.
// For now the actor answers /healthz and /readyz.

#include "actors/interfaces.hpp"

#include "protocol/http_router.hpp"
#include "protocol/http_server.hpp"

#include <caf/actor_addr.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

namespace racecontrol {

/// Which HTTP API actor answers requests now: set by the actor when it
/// starts, cleared when it ends (a restarted one sets itself again).
/// Shared by the server's io threads and the actor.
class http_api_slot {
 public:
  void set(http_api_actor actor);
  /// Clears the slot if `actor` is still the one in it.
  void clear(const caf::actor_addr& actor);
  /// The current actor; invalid while none runs.
  http_api_actor get() const;

 private:
  mutable std::mutex mutex_;
  http_api_actor current_;
};

/// The HTTP server's handler: sends each request to the actor in `slot`
/// (as an http_exchange), or answers 503 "unavailable" while there is none
/// (racecontrold starting or stopping). A request whose actor ends before
/// answering gets the server's 500 "no_answer".
protocol::http_handler http_api_handler(std::shared_ptr<http_api_slot> slot);

struct http_api_options {
  /// How long /readyz waits for the database check before it says 503.
  std::chrono::milliseconds readiness_timeout{5000};
};

struct http_api_state {
  static constexpr const char* name = "http-api";

  protocol::http_router routes;
  /// What the last /readyz said (a change is logged once, not every probe).
  std::optional<bool> ready;
};

/// The HTTP API actor's behavior: registers itself in `slot` and routes
/// every request it is handed. `GET /healthz` answers 200
/// `{"status":"ok"}` while the actor system runs. `GET /readyz` asks `db`
/// for the database's status: 200 `{"status":"ready",...}` when MariaDB
/// answers and no migration is pending, else 503
/// `{"status":"not_ready","reason":...}` with what is wrong.
http_api_actor::behavior_type
http_api(http_api_actor::stateful_pointer<http_api_state> self,
         persistence_actor db, std::shared_ptr<http_api_slot> slot,
         http_api_options options);

} // namespace racecontrol
