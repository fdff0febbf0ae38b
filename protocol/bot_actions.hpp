#pragma once

// What a category bot sends on its race WebSocket (racetime-protocol.md
// §4): `{"action": "<name>", "data": {...}}`. Every action carries a `data`
// object, because racetime.gg closes the socket (1011) when it is missing.
// Actions are never acknowledged; their effect shows in later messages.

#include "protocol/expected.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace racecontrol::protocol {

/// `message`: chat as the bot. `guid` must be lower-case
/// (`^[0-9a-z\-]+$`); a guid seen in the last 300 s is silently dropped.
struct message_action {
  std::string message; ///< 1..1000 characters
  std::string guid;
  std::optional<std::string> direct_to; ///< user id: a DM
  std::string actions = "null";         ///< raw JSON object of up to 4 buttons
  std::optional<bool> pinned;
};

/// `pin_message` / `unpin_message`.
struct pin_action {
  std::string message_id;
  bool pin = true;
};

/// `setinfo`: only the keys present change. racetime.gg treats an empty
/// string as "not given" (§7), so setinfo cannot clear a field: serialize()
/// refuses "" rather than send something that looks like it worked. To
/// clear info_user send an edit (racetime_api::edit_race) with it empty, at
/// any time; info_bot the same way, but only before the race starts (after
/// that edits drop it).
struct setinfo_action {
  std::optional<std::string> info_bot;
  std::optional<std::string> info_user;
};

/// `setmeta`: merged into race.bot_meta (serialized ≤ 2048 characters).
struct setmeta_action {
  std::string meta = "{}"; ///< raw JSON object
};

/// Actions on one user (by racetime.gg id).
struct user_action {
  enum class kind {
    invite,
    accept_request,
    force_unready,
    remove_entrant,
    add_monitor,
    remove_monitor,
    override_stream,
  };
  kind what = kind::invite;
  std::string user;
};

/// Actions without parameters.
struct simple_action {
  enum class kind {
    make_open,
    make_invitational,
    begin,
    cancel,
    ping,
    getrace,
  };
  kind what = kind::ping;
};

/// `gethistory`: the last 100 messages and all pinned ones, or only those
/// newer than `last_message`.
struct gethistory_action {
  std::optional<std::string> last_message;
};

using bot_action =
    std::variant<message_action, pin_action, setinfo_action, setmeta_action,
                 user_action, simple_action, gethistory_action>;

/// The action's name on the wire ("invite", "pin_message", ...).
std::string_view action_name(const bot_action& a);

/// The frame to send. Guids are written lower-case. Throws json_error when
/// a setmeta_action's meta is not a JSON object, and when a setinfo_action
/// sets a field to "" (which racetime.gg would ignore).
std::string serialize(const bot_action& a);

/// Reads a frame this client wrote back into its model (round-trip tests
/// and fuzzing). The caller has checked that it is a JSON object with a
/// `data` object.
expected<bot_action> parse_bot_action(std::string_view json);

/// A fresh random guid for a message: lower-case UUID v4.
std::string make_guid();

/// Whether racetime.gg accepts `guid` (`^[0-9a-z\-]+$`).
bool valid_guid(std::string_view guid);

} // namespace racecontrol::protocol
