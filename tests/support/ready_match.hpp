#pragma once

// A match every check of room_checks lets through, and its connected bot:
// the start of the room checks' and the room opener's tests.

#include "actors/messages.hpp"

namespace racecontrol::test {

/// Match 7 "Final" of tournament 2 "Demo Cup" (automatic rooms, opened 60
/// minutes before, racetime.gg links required), bot 3 "League bot" of
/// alttpr, two linked players; due from `scheduled_at` - 60 minutes.
inline match_open_context ready_match(timestamp scheduled_at) {
  match_open_context m;
  m.match_id = 7;
  m.match_title = "Final";
  m.scheduled_at = scheduled_at;
  m.tournament_id = 2;
  m.organization_id = 1;
  m.tournament_name = "Demo Cup";
  m.tournament_auto_create = true;
  m.room_open_minutes_before = 60;
  m.require_racetime_link = true;
  m.bot_id = 3;
  m.bot_name = "League bot";
  m.bot_category = "alttpr";
  m.bot_active = true;
  m.bot_assigned = true;
  m.players = {{1, "Alice", "11", "u1", "alice"},
               {2, "Bob", "22", "u2", "bob"}};
  return m;
}

/// ready_match's bot, connected.
inline bot_info connected_bot() {
  return {3, "alttpr", "League bot", "connected", "", true, {"Beat the game"}};
}

} // namespace racecontrol::test
