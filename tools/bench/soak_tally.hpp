#pragma once

// The counts automation_soak closes with: what racetime-sim, discord-sim
// and racecontrold's database hold once the soak is over, compared match by
// match. Every count says how many matches (or notifications) are as they
// must be and how many are not, so a wrong one names itself.

#include "tools/bench/bench_world.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace racecontrol::bench {

struct soak_tally {
  std::size_t matches = 0;

  // Rooms on racetime-sim, by the match id in their info_bot marker.
  std::size_t marker_none = 0, marker_one = 0, marker_many = 0;
  std::size_t sim_races = 0;
  std::size_t races_without_marker = 0;

  // racecontrold's rows.
  std::size_t rows_with_sim_slug = 0;   ///< created, slug = the marked race's
  std::size_t rows_with_sim_marker = 0; ///< claim_marker = its info_bot
  std::size_t rows_creating = 0;        ///< claims still unsettled
  std::size_t rows_missing = 0;         ///< matches without a row
  std::size_t adopted = 0;              ///< rooms found by marker
  std::size_t startrace_attempts = 0;   ///< sent under every claim

  // Results.
  std::size_t races_finished = 0;    ///< the marked race finished (sim)
  std::size_t races_cancelled = 0;   ///< every entrant forfeited (sim)
  std::size_t results_recorded = 0;  ///< every player as the sim says, room
                                     ///< finished, match finished_at
  std::size_t result_audits_one = 0; ///< one race_finished (or
                                     ///< race_cancelled) entry more than
                                     ///< race_reopened ones
  std::size_t races_reopened = 0;    ///< rooms with a race_reopened entry
  std::size_t reopenings = 0;        ///< race_reopened entries
  std::size_t players_wrong = 0;     ///< players whose row differs
  std::vector<std::string> result_examples; ///< the first few differences

  // Notifications.
  std::size_t outbox_rows = 0, outbox_delivered = 0, outbox_pending = 0,
              outbox_failed = 0;
  std::size_t delivered_once = 0;     ///< exactly one message for the nonce
  std::size_t delivered_never = 0;    ///< no message for the nonce
  std::size_t delivered_more = 0;     ///< more than one message
  std::size_t message_id_matches = 0; ///< the row keeps the message's id
  std::size_t messages = 0;           ///< in discord-sim
  std::size_t messages_without_row = 0;
  std::size_t nonces_posted_again = 0; ///< nonces POSTed more than once
  std::size_t posted_again_one_message = 0;
  std::map<std::string, std::size_t> rows_by_event;
  std::size_t matches_announced = 0; ///< room_created once, race_finished
                                     ///< (or race_cancelled) once more
                                     ///< than race_reopened
  std::size_t started_once = 0, started_more = 0;

  /// True when every count is as the soak requires.
  bool ok() const;
  /// The counts, one line per subject.
  void print() const;
};

/// Counts what `db`, racetime-sim's GET /races (`races_json`) and
/// discord-sim's GET /messages (`messages_json`) hold for matches
/// 1..`matches`.
soak_tally tally_soak(scratch& db, std::size_t matches,
                      const std::string& races_json,
                      const std::string& messages_json);

} // namespace racecontrol::bench
