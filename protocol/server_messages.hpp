#pragma once

// What racetime.gg sends on a race WebSocket (racetime-protocol.md §4):
// `{"type": "<type>", "date": "<isoformat>", ...}`.

#include "protocol/expected.hpp"
#include "protocol/race_data.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace racecontrol::protocol {

/// A chat message (`models/chat.py`).
struct chat_message {
  std::string id;
  std::optional<user_summary> user; ///< null for bot and system messages
  std::optional<std::string> bot;   ///< bot name for bot messages
  std::optional<user_summary> direct_to;
  time_point posted_at;
  std::string message;
  std::string message_plain;
  bool highlight = false;
  bool is_dm = false;
  bool is_bot = false;
  std::optional<bool> is_monitor; ///< null for bot and system messages
  bool is_system = false;
  bool is_pinned = false;
  /// Whole seconds (racetime.gg sends a number, not an ISO-8601 duration):
  /// the race's chat delay for users' messages, 0 for bots and the system.
  std::chrono::seconds delay{0};
  std::string actions = "{}"; ///< raw JSON object of buttons, {} for none
};

/// A user as chat.dm names sender and recipient.
struct dm_user {
  std::string id;
  std::string full_name;
  std::string name;
  std::optional<std::string> discriminator;
};

struct race_data_message {
  race_data race;
  std::optional<std::int64_t> version;
};

struct race_renders_message {
  std::string renders = "{}"; ///< raw JSON of HTML fragments
  std::optional<std::int64_t> version;
};

struct chat_message_message {
  chat_message message;
};

struct chat_history_message {
  std::vector<chat_message> messages;
};

/// Only the id travels; the text is for the recipient's session.
struct chat_dm_message {
  std::string message_id;
  std::optional<dm_user> from_user;
  std::optional<std::string> from_bot;
  dm_user to;
};

struct chat_pin_message {
  chat_message message;
  bool pinned = true; ///< false: chat.unpin
};

struct chat_delete_message {
  std::string id;
  std::optional<user_summary> user;
  std::optional<std::string> bot;
  bool is_bot = false;
  std::optional<user_summary> deleted_by;
};

struct chat_purge_message {
  std::optional<user_summary> user;
  std::optional<user_summary> purged_by;
};

struct race_split_message {
  std::string split_name;
  std::string split_time = "null"; ///< raw JSON
  bool is_undo = false;
  bool is_finish = false;
  std::string user_id;
};

struct error_message {
  std::vector<std::string> errors;
};

struct pong_message {};

struct authenticated_message {
  user_summary user;
};

/// A type this build does not know; kept so callers can log it.
struct unknown_message {
  std::string type;
};

using server_message_body =
    std::variant<race_data_message, race_renders_message, chat_message_message,
                 chat_history_message, chat_dm_message, chat_pin_message,
                 chat_delete_message, chat_purge_message, race_split_message,
                 error_message, pong_message, authenticated_message,
                 unknown_message>;

struct server_message {
  std::string type;
  std::optional<time_point> date;
  server_message_body body;
};

/// Parses one WebSocket text frame; errors name the field.
expected<server_message>
parse_server_message(std::string_view json,
                     std::size_t limit = default_json_limit);

/// The frame racetime.gg would send (used by racetime-sim). `type` is
/// derived from the body.
std::string serialize(const server_message_body& body, time_point date);

chat_message read_chat_message(const json_object& o);
void write_chat_message(json_writer& w, const chat_message& m);

} // namespace racecontrol::protocol
