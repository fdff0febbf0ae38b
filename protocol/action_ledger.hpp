#pragma once

// What became of the frames a bot wrote on one WebSocket connection, and
// which of them go out again. Plain bookkeeping without sockets, so the
// re-send rule is tested on its own (websocket_session uses it).
//
// racetime.gg never acknowledges an action, and its refusal of an expired
// or revoked token ("Permission denied. Check your authorization token.")
// names no action. But it handles one socket's frames in order and answers
// every `ping` with a `pong`. So a ping written after some actions is a
// settle point: when its pong arrives, every error about those actions has
// arrived before it. A token that stopped working never works again, so
// the refused actions are the last ones before the ping, as many as there
// were refusals.
//
// The re-send rule:
//  - Refused (proved by a pong): sent once more, on a connection with a
//    fresh token. Refused again: dropped and reported (`refused`).
//  - In doubt (written, then the connection ended before a pong settled
//    it; the frame in flight is one of these):
//      `message` with a guid: sent again while less than `guid_window`
//      has passed since it first went out (racetime.gg silently drops a
//      guid it saw in the last 300 s), else reported `outcome_unknown`;
//      `getrace`, `gethistory` and the owner's `ping`: sent again once
//      (asking twice does no harm);
//      every other action: never sent again, reported `outcome_unknown`
//      (an invite or `force_unready` sent twice may act twice): the owner
//      looks at the next race.data and decides.
//  - Settled without refusal: done.
//  - Frames the session writes for itself (pings, resync requests) are
//    never sent again by this rule and never reported.

#include "protocol/backoff.hpp"

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::protocol {

/// What an outgoing frame is, as far as the re-send rule cares.
enum class action_kind {
  ping,      ///< `ping`: answered by `pong`, so a settle point
  read_only, ///< `getrace`, `gethistory`: no token needed, harmless twice
  message,   ///< `message` with a guid: a repeat within 300 s is dropped
  action,    ///< any other bot action: checked against the token
  unknown,   ///< not JSON, or not an action racetime.gg knows
};

/// Reads the action name (and for `message` the guid) of a frame.
action_kind classify_action(std::string_view text);

struct outgoing_frame {
  std::string text;
  action_kind kind = action_kind::unknown;
  bool own = false;      ///< the session's own ping or resync request
  bool repeated = false; ///< sent again once already
  bool refused = false;  ///< racetime.gg refused it once
  steady_time first_written{};
};

/// Why a frame the owner handed over will not (or may not) take effect.
enum class drop_reason {
  queue_full,      ///< never sent: the send queue was full
  refused,         ///< racetime.gg refused the token, and no fresh token
                   ///< helped (refused twice, or none came in time)
  outcome_unknown, ///< written, then the connection ended unsettled
};

const char* to_string(drop_reason r);

class action_ledger {
 public:
  /// racetime.gg's duplicate-guid memory is 300 s; stay well inside it.
  static constexpr std::chrono::seconds guid_window{240};

  /// What to do with frames the ledger let go of.
  struct verdict {
    std::vector<outgoing_frame> resend; ///< in their original order
    std::vector<outgoing_frame> refused;
    std::vector<outgoing_frame> unknown;
    bool answers_owner = true; ///< (pong) the owner's ping, not ours
  };

  /// `f` is being written now (with `f.first_written` set).
  void written(outgoing_frame f);

  /// Actions went out after the last ping: a ping would settle them.
  bool needs_ping() const;

  /// No written action waits for a pong.
  bool settled() const;

  /// A "Permission denied" error arrived. False when no written action
  /// can account for it (the owner's raw frames, say): not ours then.
  bool permission_denied();

  /// A pong arrived: settles the oldest ping's actions.
  verdict pong();

  /// The connection ended: everything unsettled is refused or in doubt.
  verdict ended(steady_time now);

 private:
  struct window {
    std::vector<outgoing_frame> frames;
    std::size_t actions = 0; ///< frames that need the token
    std::size_t denied = 0;  ///< "Permission denied" errors counted
    bool closed = false;     ///< a ping was written after these
    bool own_ping = false;   ///< ... by the session
  };

  /// Sorts the frames of `w` into `v`: its last `w.denied` actions are
  /// refused; the rest are settled (pong) or in doubt (`ended` given).
  static void release(window& w, verdict& v, const steady_time* ended);

  std::list<window> windows_; ///< a list: an empty deque is 576 bytes
};

} // namespace racecontrol::protocol
