#pragma once

// How a room actor reaches racetime.gg: it fetches its race over HTTP and
// holds the room's bot socket. Results never touch the actor's state: the
// link turns each protocol callback into a message to the actor (fetched,
// frame, socket), holding only a weak handle, so a callback that arrives
// after the actor is gone does nothing. Tests give rooms a scripted link.

#include "actors/interfaces.hpp"

#include "protocol/io_runtime.hpp"
#include "protocol/token_source.hpp"
#include "protocol/websocket_session.hpp"

#include <caf/actor_addr.hpp>

#include <functional>
#include <memory>
#include <string>

namespace racecontrol {

class room_link {
 public:
  virtual ~room_link() = default;

  /// Fetches the race ("category/slug"); the actor gets
  /// `(fetched, race_snapshot)` or `(fetched, fetch_failure)`.
  virtual void fetch(const std::string& race_name) = 0;

  /// Opens the room's bot socket and keeps it open (reconnects, token
  /// moves); the actor gets `(frame, text)` and `(socket, socket_event)`.
  /// A second call while open does nothing.
  virtual void connect(const std::string& slug) = 0;

  /// Sends a bot action (a serialized frame) on the socket, in order.
  virtual void send(std::string frame) = 0;

  /// Closes the socket; no message arrives after it returns.
  virtual void close() = 0;
};

/// Makes the link of one room actor (`owner`), its socket authenticated
/// with `tokens` (the node's relay of the category bot's token).
using room_link_factory = std::function<std::unique_ptr<room_link>(
    caf::actor_addr owner, const room_record& room,
    std::shared_ptr<protocol::token_source> tokens)>;

/// The links of the daemon: HTTP and WebSocket on `io`, each socket with
/// `socket` (ping interval and the other timeouts).
room_link_factory racetime_links(protocol::io_runtime& io,
                                 protocol::websocket_options socket = {});

} // namespace racecontrol
