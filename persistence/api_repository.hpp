#pragma once

// The HTTP API's reads and writes (issue 12): tournaments, matches with
// their players, room and reason, rooms with their results, and match
// creation and changes. One transaction per call; values reach SQL only
// through persistence/sql.hpp's quoting, so text is stored verbatim.

#include "persistence/api_records.hpp"

#include <odb/mysql/database.hxx>

#include <string>
#include <variant>
#include <vector>

namespace racecontrol::persistence {

class api_repository {
 public:
  explicit api_repository(odb::mysql::database& db) : db_(db) {}

  /// Checks a bearer token (api_token_repository::authenticate).
  api_identity identify(const config::secret& token);

  /// By ascending id; the one with q.id whatever its organization.
  std::vector<tournament_view> tournaments(const tournament_query& q);

  /// By ascending id, each with its players and room. `upcoming`: not
  /// finished, scheduled, and scheduled at most an hour ago.
  std::vector<match_view> matches(const match_query& q);

  /// Rooms whose match belongs to the organization, by ascending id, each
  /// with its match's players and their results.
  std::vector<room_view> rooms(const room_query& q);

  /// Creates or changes a match with an audit entry, in one transaction,
  /// and answers the match as it is now. Refused, writing nothing, when the
  /// match or tournament is another organization's (forbidden), does not
  /// exist, a user id is unknown, or the tournament requires linked
  /// RaceTime accounts and the write leaves the match scheduled with a
  /// player who has none (players_not_linked, naming them). Checked when
  /// the write sets the schedule or the players.
  std::variant<match_view, api_refusal> write_match(const match_write& w);

  /// The status page's lists (see overview_view), read in one
  /// transaction with the same row readers as matches() and rooms().
  overview_view overview(const overview_query& q);

  /// Rooms by status and the Discord outbox's waiting rows, for /metrics.
  database_gauges gauges();

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
