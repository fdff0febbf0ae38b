#pragma once

// A match's race room settings, exactly as seed 001's table gives them
// (with racetime-protocol.md's corrections: no `info` field, every setting
// sent), the claim marker that finds the room again when startrace's
// outcome is unknown, and the hash that keeps a refused form from being
// sent again unchanged.

#include "actors/messages.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racecontrol {

/// What a manual open may change.
struct open_overrides {
  std::optional<std::string> goal;
  std::optional<bool> invitational;
};

/// goal = override, else the match's, else the tournament's default, else
/// "Beat the game"; info_user = "<Tournament> - <Match title> - Scheduled:
/// <time UTC>"; info_bot = the marker; invitational = override, else the
/// match's; the rest from seed 001's table, each explicit.
race_settings match_room_settings(const match_open_context& m,
                                  const open_overrides& overrides,
                                  const std::string& marker);

/// A new claim's marker: "racecontrol match <id> claim <16 hex>", random,
/// so a room found by it is this claim's and no other's.
std::string make_marker(std::int32_t match_id);

/// The races whose info carries `marker` as a whole line or word run (a
/// marker is never a prefix of another: "claim" ends it with 16 hex).
std::vector<race_listing> find_marked(const category_races& races,
                                      const std::string& marker);

/// SHA-256 of the settings as hex, to tell a refused form from a changed
/// one.
std::string settings_hash(const race_settings& s);

} // namespace racecontrol
