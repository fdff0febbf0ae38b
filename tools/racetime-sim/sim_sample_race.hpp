#pragma once

// A race.data frame of a race in progress, as racetime-sim writes it: the
// frame room_path_bench measures and race_snapshot_test holds the room's
// decoder to, made in one place so both keep seeing the same bytes.

#include <cstddef>
#include <string>

namespace racecontrol::sim {

/// `entrants` entrants with Twitch accounts, the first finished in 1st
/// place, the rest racing; about 3 KB with two.
std::string sample_race_frame(std::size_t entrants);

} // namespace racecontrol::sim
