#pragma once

#include "actors/bot_connection.hpp"
#include "actors/child_index.hpp"
#include "actors/interfaces.hpp"
#include "actors/restart_budget.hpp"

#include <caf/actor_addr.hpp>

#include <map>
#include <string>
#include <vector>

namespace racecontrol {

struct bot_supervisor_options {
  bot_connection_options bot;
  /// Bots from the configuration file: their rows are created or updated
  /// at start (racetime_bots stays the source of truth).
  std::vector<bot_record> configured;
  /// A bot that dies is restarted after 1 s, doubling to 5 min, forever.
  restart_options restarts{
      {std::chrono::milliseconds{1000}, std::chrono::milliseconds{300000}},
      0,
      std::chrono::minutes{10}};
};

/// One bot actor and its restart record.
struct supervised_bot {
  bot_record bot;
  bot_actor handle; ///< invalid while waiting for a restart
  restart_budget restarts;
  bot_info info;
};

struct bot_supervisor_state {
  static constexpr const char* name = "bot-supervisor";

  bot_supervisor_options options;
  persistence_actor db;
  protocol::io_runtime* io = nullptr;
  std::map<std::int32_t, supervised_bot> bots;
  /// Bot ids by connection; its connections end with this actor.
  child_index<std::int32_t> by_address = make_child_index<std::int32_t>();
  /// The newest token of each category, for subscribers that come later.
  std::map<std::string, token_grant> tokens;
  std::vector<token_subscriber_actor> subscribers;
  /// Who hears of every change of a bot's state.
  std::vector<bot_state_subscriber_actor> state_subscribers;
  bool loaded = false;
  bool stopping = false;
  protocol::backoff load_backoff;
};

/// The bot supervisor's behavior: saves the configured bots, then starts a
/// bot actor per active racetime_bots row.
bot_supervisor_actor::behavior_type bot_supervisor(
    bot_supervisor_actor::stateful_pointer<bot_supervisor_state> self,
    persistence_actor db, protocol::io_runtime* io,
    bot_supervisor_options options);

} // namespace racecontrol
