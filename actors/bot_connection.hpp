#pragma once

#include "actors/interfaces.hpp"

#include "protocol/backoff.hpp"
#include "protocol/io_runtime.hpp"
#include "protocol/token_keeper.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace racecontrol {

struct bot_connection_options {
  /// How often the category's data (its goals) is fetched again.
  std::chrono::milliseconds category_refresh{std::chrono::minutes{10}};
  protocol::token_keeper_options keeper;
  /// Retries of the category fetch and of state writes.
  protocol::backoff_options retry{std::chrono::milliseconds{1000},
                                  std::chrono::milliseconds{300000}};
  /// The longest wait for startrace's answer (past it, once sent, the
  /// outcome is unknown), and for a renewed token after a 403.
  std::chrono::milliseconds startrace_timeout{10000};
};

/// A startrace request being answered.
struct pending_start {
  start_race_request request;
  caf::typed_response_promise<start_race_outcome> promise;
  std::string token; ///< the last attempt's: a secret, never logged
  int attempts = 0;
  /// A 403 asked the keeper for a new token; the second attempt waits.
  bool awaiting_token = false;
  std::chrono::steady_clock::time_point started;
};

struct bot_connection_state {
  static constexpr const char* name = "bot";

  /// Answers every request still pending: CAF 0.17 drops a promise that
  /// is never delivered, and the opener waits for its startrace without a
  /// timer of its own (one clock wake-up fewer per room).
  ~bot_connection_state();

  bot_record bot;
  std::string who; ///< "bot alttpr (id 3)"
  bot_connection_options options;
  persistence_actor db;
  bot_supervisor_actor supervisor;
  protocol::io_runtime* io = nullptr;
  /// Stopped when the state goes, however the actor ends; its callbacks
  /// only message this actor through a weak handle.
  std::unique_ptr<protocol::token_keeper> keeper;

  bot_info info;
  /// The state the database should show, and whether it does.
  std::optional<bot_state_change> unwritten;
  bool writing = false;
  bool fetching = false;
  /// When the next category read is due: a read's timer that fires before
  /// it was superseded (a success re-arms the refresh), so there is one
  /// cycle of reads however many tokens came.
  caf::actor_clock::time_point next_fetch{};
  /// A failed read's retry is armed: a new token leaves the reading to it
  /// (reading at once on a data endpoint that refuses every token renewed
  /// the token and read again at the speed of the round trips).
  bool retry_armed = false;
  /// The category's goals have been read (info.goals may be empty).
  bool goals_loaded = false;
  /// Set when racetime.gg refused startrace with a fresh token: the bot
  /// shows auth_failed with this message until a startrace succeeds or the
  /// supervisor restarts it (a reload after the operator fixed the bot).
  std::optional<std::string> start_forbidden;
  /// racetime.gg rejected the credentials: the keeper stopped and the bot
  /// shows auth_failed with this message until the supervisor restarts it
  /// (a reload); no category read (with the last token) may say otherwise.
  std::optional<std::string> credentials_rejected;
  std::map<std::uint64_t, pending_start> starts;
  std::map<std::uint64_t, caf::typed_response_promise<category_races>> listings;
  std::uint64_t next_request = 0;
  protocol::backoff fetch_backoff;
  protocol::backoff write_backoff;
};

/// A racetime.gg category bot's actor: keeps its token fresh and its
/// category's goals loaded, reports tokens and state to the supervisor and
/// racetime_bots.status to the database (connected once a token works for
/// the category's data; auth_failed, with racetime.gg's reason, when the
/// credentials are rejected — then it stops retrying — or when startrace is
/// refused even with a fresh token). Opens rooms (startrace, never sent
/// twice for one request except once more after a 403 with a renewed
/// token) and lists the category's current races.
/// @param bot the racetime_bots row
/// @param io the daemon's network side
bot_actor::behavior_type
bot_connection(bot_actor::stateful_pointer<bot_connection_state> self,
               bot_record bot, persistence_actor db,
               bot_supervisor_actor supervisor, protocol::io_runtime* io,
               bot_connection_options options);

} // namespace racecontrol
