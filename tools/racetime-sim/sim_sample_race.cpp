#include "tools/racetime-sim/sim_sample_race.hpp"

#include "tools/racetime-sim/sim_documents.hpp"

#include <chrono>

namespace racecontrol::sim {

namespace {

time_point at(int seconds_after) {
  // 2026-11-22T01:40:54.396Z, the real example's opened_at.
  return time_point{std::chrono::microseconds{1795311654396000}} +
         std::chrono::seconds{seconds_after};
}

} // namespace

std::string sample_race_frame(std::size_t entrants) {
  category c{"alttpr", "A Link to the Past Randomizer",
             "ALTTPR", {"Beat the game - Spring Cup Final"},
             false,    false,
             false};
  user_table users;
  race r;
  r.category = "alttpr";
  r.slug = "crafty-vivi-7962";
  r.state = race_state::in_progress;
  r.version = 12;
  r.settings.goal = "Beat the game - Spring Cup Final";
  r.settings.invitational = true;
  r.settings.info_user = "Spring Cup - Final - Scheduled: 2026-11-22 20:00 UTC";
  r.settings.info_bot = "Seed: https://alttpr.com/h/Ab3dE6gH9j";
  r.opened_at = at(0);
  r.started_at = at(600);
  r.opened_by_bot = "racecontrol";
  r.bot_meta = R"({"match_id":4711,"tournament":"spring-cup"})";
  for (std::size_t i = 0; i < entrants; ++i) {
    auto id = "4BlRneEk9jxN6Qk" + std::string(1, static_cast<char>('a' + i));
    auto name = "RacerNumber" + std::to_string(i + 1);
    users[id] = user{id, name, "47" + std::to_string(10 + i),
                     "racer_on_twitch_" + std::to_string(i + 1)};
    entrant e;
    e.user_id = id;
    e.ready = true;
    e.stream_live = true;
    if (i == 0) {
      e.finish_time = std::chrono::microseconds{5'412'216'595};
      e.place = 1;
    }
    r.entrants.push_back(e);
  }
  auto data = race_json(r, c, users, at(6100));
  return frame("race.data", at(6100),
               payload({{"race", data}, {"version", "12"}}));
}

} // namespace racecontrol::sim
