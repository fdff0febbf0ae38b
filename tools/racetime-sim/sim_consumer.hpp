#pragma once

// One bot WebSocket as racetime.gg's BotRaceConsumer handles it
// (consumers.py, race_bot_actions.py; racetime-protocol.md §4 and §7): the
// race loaded at connect, frames read as racetime.gg reads them (ping,
// getrace and gethistory for anyone; every other action checks the token
// each time, scopes ignored), no acknowledgements, errors as `error`
// frames, and the 1011 close when an action that needs `data` gets none.
// It keeps its own copy of the race (what getrace answers), replaced by
// every race.update it delivers, as the real consumer does. No sockets:
// sim_server feeds it frames and sends what it returns.

#include "tools/racetime-sim/sim_world.hpp"

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::sim {

class bot_consumer {
 public:
  /// `peer`: the bot's IP address, recorded with its actions.
  bot_consumer(world& w, std::string slug, std::string token,
               std::string peer = "");

  /// The frames sent on connect (race.data and race.renders, from the
  /// database); empty when no race has this slug (the connection is not
  /// accepted then).
  std::vector<std::string> connect();

  struct reply {
    std::vector<std::string> frames; ///< for this socket only
    bool crash = false;              ///< close with 1011
  };
  /// A text frame from the bot.
  reply receive(std::string_view text);

  /// A race.update event: race.data then race.renders, and remembered.
  std::vector<std::string> update(const race_update& u);
  /// Any other event (chat.message, chat.dm, ...).
  std::string event(const std::string& type, const std::string& payload) const;

  const std::string& slug() const { return slug_; }

 private:
  std::vector<std::string> race_frames() const;
  std::string error(const std::vector<std::string>& messages) const;
  reply bot_action(const std::string& name, const rapidjson::Value* data,
                   std::string_view text);
  std::optional<action_error> dispatch(race& r, const application& bot,
                                       const std::string& name,
                                       const rapidjson::Value* data);

  world& w_;
  std::string slug_;
  std::string token_;
  std::string peer_;
  race_update last_; ///< the consumer's copy of the race
};

} // namespace racecontrol::sim
