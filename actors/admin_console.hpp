#pragma once

// The admin console actor (issue 12, point 6) and the bridge that brings it
// the line server's sessions. Like the HTTP server, the line server
// (protocol/line_server) is bound by racecontrold before the actor system
// starts, lives as long as the process, and hands every session event to
// whichever console actor runs at the time, found in a console_slot.
//
// A session logs in first (`login SECRET`: the password from
// RACECONTROL_CONSOLE_PASSWORD, or an API token with the admin scope); a
// refused login is answered after a delay, and the third closes the
// session; refusals from one host lengthen that host's delay (doubling
// every max_failures, up to 32 times), so reconnecting does not buy fresh
// fast tries, and a session not logged in within the line server's
// login_timeout is closed. Secrets are never echoed or logged. Then every
// command of
// console_commands() is a request to the component that knows (see
// admin_console_actor in interfaces.hpp), answered as aligned tables.

#include "actors/interfaces.hpp"

#include "config/secret.hpp"
#include "protocol/line_server.hpp"

#include <caf/actor_addr.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace racecontrol {

/// Which console actor serves sessions now: set by the actor when it
/// starts, cleared when it ends. Shared by the server's io threads and the
/// actor.
class console_slot {
 public:
  /// Also clears the reason given by set_unavailable.
  void set(admin_console_actor actor);
  /// Why there is no console until the first one is set (a standby
  /// coordinator); sessions are told this and closed.
  void set_unavailable(std::string reason);
  std::string unavailable() const;
  /// Clears the slot if `actor` is still the one in it.
  void clear(const caf::actor_addr& actor);
  /// The current actor; invalid while none runs.
  admin_console_actor get() const;

  /// Logged-in sessions, which the line server asks about at its login
  /// deadline (kept here, not in the actor, so that a restarted console
  /// does not get sessions that had logged in closed).
  void admit(std::uint64_t session);
  bool admitted(std::uint64_t session) const;
  void forget(std::uint64_t session);

 private:
  mutable std::mutex mutex_;
  admin_console_actor current_;
  std::string unavailable_;
  std::set<std::uint64_t> admitted_;
};

/// The line server's handler: sends every session event to the actor in
/// `slot`, or answers that the console is unavailable while there is none
/// (racecontrold starting, restarting the console, or stopping).
protocol::line_handler console_handler(std::shared_ptr<console_slot> slot);

/// The components a console command talks to.
struct admin_console_components {
  persistence_actor db;
  bot_supervisor_actor bots;
  room_supervisor_actor rooms;
  scheduler_actor scheduler;
  tournament_supervisor_actor tournaments;
  /// A coordinator's registry of worker nodes (`nodes`); null on a
  /// standalone node.
  cluster_registry_actor cluster{};
};

struct admin_console_options {
  std::string node_name;
  /// RACECONTROL_CONSOLE_PASSWORD; empty: only admin API tokens log in.
  config::secret password;
  /// How long a refused login waits before its answer.
  std::chrono::milliseconds refusal_delay{1000};
  /// Refused logins that close the session; also how many refusals from
  /// one host pass before its delay doubles.
  int max_failures = 3;
  /// How long a host's refusals are remembered after its last one.
  std::chrono::milliseconds refusal_memory{std::chrono::minutes{15}};
  /// How long a command waits for a component (open-room waits for
  /// startrace, so longer).
  std::chrono::milliseconds request_timeout{std::chrono::seconds{15}};
  std::chrono::milliseconds open_timeout{std::chrono::seconds{50}};
  /// What `shutdown` does: the node's orderly stop, the same as SIGTERM
  /// (racecontrold sends its main thread the signal message).
  std::function<void()> stop_node;
};

/// One console session as the actor knows it.
struct console_session {
  std::string peer;
  bool logged_in = false;
  std::string who; ///< "password" or "token 4 (name)", for the log and audit
  /// The API token the session logged in with (empty: the password),
  /// checked again before each command: revoking it ends the session.
  config::secret token;
  int failures = 0;
  /// The answer to a refused login, given after the delay.
  std::function<void(std::string, bool)> refusal;
  bool close_after_refusal = false;
};

/// Refused logins from one host (the peer without its port), across its
/// sessions.
struct host_refusals {
  int count = 0;
  std::chrono::steady_clock::time_point last;
};

struct admin_console_state {
  static constexpr const char* name = "admin-console";

  admin_console_options options;
  admin_console_components components;
  std::shared_ptr<console_slot> slot;
  std::map<std::uint64_t, console_session> sessions;
  std::map<std::string, host_refusals> refusals;
  std::chrono::steady_clock::time_point started;
  bool draining = false; ///< what the last `drain` set
};

/// The console actor's behavior: registers itself in `slot` and serves
/// every session the line server hands it.
admin_console_actor::behavior_type
admin_console(admin_console_actor::stateful_pointer<admin_console_state> self,
              admin_console_components components,
              std::shared_ptr<console_slot> slot,
              admin_console_options options);

} // namespace racecontrol
