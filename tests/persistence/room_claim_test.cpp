// What opening a match's room writes: one claim per match however many ask
// at once, attempts guarded by the claim's marker, a settle that stores the
// room, clears the reason and audits in one go (and only once), refusals
// that give the claim up, reasons audited once per change, and what the
// opener and the planners read.

#include <boost/test/unit_test.hpp>

#include "persistence/room_claim_repository.hpp"
#include "persistence/room_watch_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <cctype>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>

using namespace racecontrol;
using namespace racecontrol::persistence;
using namespace std::chrono_literals;

namespace {

/// A tournament with automatic rooms, its bot assigned to the organization,
/// and match 10 with two linked players and one who is not.
struct claim_fixture {
  test::scratch_database scratch;
  room_claim_repository repo{scratch.db()};

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  claim_fixture() {
    exec("INSERT INTO organizations (id, name) VALUES (1, 'League')");
    exec("INSERT INTO racetime_bots (id, category, name, client_id, "
         "client_secret) VALUES (1, 'alttpr', 'League bot', 'cid', "
         "'secret')");
    exec("INSERT INTO racetime_bot_organizations (bot_id, organization_id) "
         "VALUES (1, 1)");
    exec("INSERT INTO tournaments (id, organization_id, name, "
         "racetime_bot_id, racetime_auto_create_rooms, "
         "room_open_minutes_before, require_racetime_link, "
         "racetime_default_goal, discord_notification_channel_id) VALUES "
         "(1, 1, 'Spring Cup', 1, 1, 30, 1, 'All dungeons', "
         "123456789012345678)");
    exec("INSERT INTO matches (id, tournament_id, title, scheduled_at, "
         "updated_at) VALUES (10, 1, 'Final', '2026-12-01 20:00:00', "
         "'2026-11-30 10:00:00')");
    exec("INSERT INTO users (id, discord_id, display_name, racetime_id, "
         "racetime_name) VALUES (1, 11, 'Alice', 'rt-alice', 'AliceRT'), "
         "(2, 22, 'Bob', 'rt-bob', 'BobRT'), (3, 33, 'Carol', NULL, NULL)");
    exec("INSERT INTO match_players (match_id, user_id) VALUES (10, 1), "
         "(10, 2), (10, 3)");
  }

  room_claim claim_for(std::int32_t match_id, const std::string& marker,
                       const std::string& requested_by = "") {
    return {match_id, marker,       "alttpr",     1,
            "node-1", requested_by, std::nullopt, std::nullopt};
  }

  std::string audit_count(const std::string& action) {
    return scalar("SELECT COUNT(*) FROM audit_log WHERE action = '" + action +
                  "'");
  }

  std::string match_updated_at() {
    return scalar("SELECT updated_at FROM matches WHERE id = 10");
  }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  auto text = out.str();
  while (!text.empty() &&
         (text.back() == ';' ||
          std::isspace(static_cast<unsigned char>(text.back()))))
    text.pop_back();
  return text;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(room_claim, claim_fixture)

BOOST_AUTO_TEST_CASE(a_second_claim_finds_the_first) {
  auto first = repo.claim(claim_for(10, "racecontrol match 10 claim a"));
  BOOST_TEST(first.claimed);
  BOOST_TEST(first.row.claim_state == "creating");
  BOOST_TEST(first.row.marker == "racecontrol match 10 claim a");
  BOOST_TEST(first.row.startrace_attempts == 1);
  BOOST_TEST(first.row.last_attempt_at.has_value());
  BOOST_TEST(first.row.claimed_at.has_value());
  BOOST_TEST(!first.row.slug.has_value());
  auto second = repo.claim(claim_for(10, "racecontrol match 10 claim b"));
  BOOST_TEST(!second.claimed);
  BOOST_TEST((second.row == first.row));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_rooms") == "1");
}

BOOST_AUTO_TEST_CASE(eight_concurrent_claims_of_one_match_make_one_row) {
  std::vector<std::future<room_claim_result>> claims;
  for (int i = 0; i < 8; ++i)
    claims.push_back(std::async(std::launch::async, [this, i] {
      room_claim_repository own{scratch.db()};
      return own.claim(
          claim_for(10, "racecontrol match 10 claim " + std::to_string(i)));
    }));
  int claimed = 0;
  std::set<std::string> markers_seen;
  for (auto& f : claims) {
    auto r = f.get();
    claimed += r.claimed ? 1 : 0;
    markers_seen.insert(r.row.marker);
  }
  BOOST_TEST(claimed == 1);
  BOOST_TEST(markers_seen.size() == 1u);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_rooms") == "1");
}

// Claimants of one match wait for each other instead of deadlocking on
// the gap of racetime_rooms' match_id index until the transaction's
// retries run out (seen once in a dozen runs of the case above).
BOOST_AUTO_TEST_CASE(claims_at_once_never_run_out_of_retries) {
  for (int m = 100; m < 300; ++m) {
    exec("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
         "VALUES (" +
         std::to_string(m) + ", 1, 'Round', '2026-12-01 20:00:00')");
    std::vector<std::future<room_claim_result>> claims;
    for (int i = 0; i < 8; ++i)
      claims.push_back(std::async(std::launch::async, [this, m, i] {
        room_claim_repository own{scratch.db()};
        return own.claim(claim_for(m, "racecontrol match " + std::to_string(m) +
                                          " claim " + std::to_string(i)));
      }));
    int claimed = 0;
    for (auto& f : claims) {
      try {
        claimed += f.get().claimed ? 1 : 0;
      } catch (const std::exception& e) {
        BOOST_ERROR("match " << m << ": " << e.what());
      }
    }
    BOOST_TEST(claimed == 1, "match " << m);
  }
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_rooms") == "200");
}

BOOST_AUTO_TEST_CASE(claims_of_different_matches_at_once_never_deadlock) {
  // Rooms falling due together are claimed together. A claim that locked
  // the absent row of its match took a gap lock that the others shared, and
  // most of 20 concurrent claims died as deadlocks (retried, but slow).
  auto deadlocks = [this] {
    return std::stol(scalar("SELECT VARIABLE_VALUE FROM "
                            "information_schema.GLOBAL_STATUS WHERE "
                            "VARIABLE_NAME = 'INNODB_DEADLOCKS'"));
  };
  constexpr int matches = 24;
  for (int m = 400; m < 400 + matches; ++m)
    exec("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
         "VALUES (" +
         std::to_string(m) + ", 1, 'Round', '2026-12-01 20:00:00')");
  auto before = deadlocks();
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::future<room_claim_result>> claims;
  for (int m = 400; m < 400 + matches; ++m)
    claims.push_back(std::async(std::launch::async, [this, m, start] {
      room_claim_repository own{scratch.db()};
      auto c = claim_for(m, "racecontrol match " + std::to_string(m) + " a");
      start.wait();
      return own.claim(c);
    }));
  go.set_value();
  int claimed = 0;
  for (auto& f : claims)
    claimed += f.get().claimed ? 1 : 0;
  BOOST_TEST(claimed == matches);
  // The server-wide counter: another test's deadlock at this very moment
  // would show here too, which the suite's tests do not provoke.
  BOOST_TEST(deadlocks() - before == 0);
}

// A burst of due matches is read and claimed a batch at a time: one SELECT
// and one INSERT for them all, each answer its own match's.
BOOST_AUTO_TEST_CASE(matches_are_read_and_claimed_together) {
  exec("INSERT INTO matches (id, tournament_id, title, scheduled_at) VALUES "
       "(11, 1, 'Semi', '2026-12-01 19:00:00'), (12, 1, 'Bronze', "
       "'2026-12-01 18:00:00')");
  exec("INSERT INTO match_players (match_id, user_id) VALUES (12, 2)");
  auto found = repo.open_contexts({12, 99, 10, 11});
  BOOST_REQUIRE(found.size() == 3u); // 99 does not exist
  std::map<std::int32_t, match_open_context> by_id;
  for (auto& c : found)
    by_id[c.match_id] = c;
  BOOST_TEST(by_id.at(10).match_title == "Final");
  BOOST_TEST(by_id.at(10).players.size() == 3u);
  BOOST_TEST(by_id.at(12).match_title == "Bronze");
  BOOST_REQUIRE(by_id.at(12).players.size() == 1u);
  BOOST_TEST(by_id.at(12).players.front().display_name == "Bob");
  BOOST_TEST(by_id.at(11).players.empty());
  BOOST_TEST((by_id.at(11) == *repo.open_context(11)));

  auto claimed =
      repo.claim_all({claim_for(12, "racecontrol match 12 claim a"),
                      claim_for(10, "racecontrol match 10 claim a"),
                      claim_for(11, "racecontrol match 11 claim a")});
  BOOST_REQUIRE(claimed.has_value());
  BOOST_REQUIRE(claimed->size() == 3u);
  std::vector<std::int32_t> order;
  for (const auto& c : *claimed) {
    BOOST_TEST(c.claimed);
    BOOST_TEST(c.row.claim_state == "creating");
    BOOST_TEST(c.row.marker == "racecontrol match " +
                                   std::to_string(c.row.match_id) + " claim a");
    order.push_back(c.row.match_id);
  }
  BOOST_TEST((order == std::vector<std::int32_t>{12, 10, 11}));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_rooms") == "3");
  BOOST_TEST((repo.open_context(10)->room == (*claimed)[1].row));
}

// One match of the batch has its room already: nothing of the batch's
// INSERT is written, and each is for claim() on its own.
BOOST_AUTO_TEST_CASE(a_batch_with_a_claimed_match_writes_nothing) {
  exec("INSERT INTO matches (id, tournament_id, title, scheduled_at) VALUES "
       "(11, 1, 'Semi', '2026-12-01 19:00:00')");
  auto first = repo.claim(claim_for(10, "racecontrol match 10 claim a"));
  auto claimed =
      repo.claim_all({claim_for(11, "racecontrol match 11 claim b"),
                      claim_for(10, "racecontrol match 10 claim b")});
  BOOST_TEST(!claimed.has_value());
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_rooms") == "1");
  // A row too long for its column is refused the same way, not as the
  // whole batch's failure.
  auto too_long = claim_for(11, std::string(300, 'x'));
  BOOST_TEST(!repo.claim_all({too_long, claim_for(12, "m12")}).has_value());
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_rooms") == "1");
}

// Rooms created together are stored in one transaction, each answered
// with its own context; a claim not `creating` any more makes the batch
// write nothing.
BOOST_AUTO_TEST_CASE(created_rooms_are_settled_together) {
  exec("INSERT INTO matches (id, tournament_id, title, scheduled_at) VALUES "
       "(11, 1, 'Semi', '2026-12-01 19:00:00'), (12, 1, 'Bronze', "
       "'2026-12-01 18:00:00')");
  auto claimed =
      *repo.claim_all({claim_for(10, "racecontrol match 10 claim a"),
                       claim_for(11, "racecontrol match 11 claim a"),
                       claim_for(12, "racecontrol match 12 claim a")});
  auto settled_as = [&](std::size_t i, const std::string& slug) {
    return claim_settled{claimed[i].row.room_id,
                         claimed[i].row.marker,
                         slug,
                         "open",
                         false,
                         "{}"};
  };
  auto rooms = repo.settle_all(
      {settled_as(1, "alttpr/room-11"), settled_as(0, "alttpr/room-10")});
  BOOST_REQUIRE(rooms.has_value());
  BOOST_REQUIRE(rooms->size() == 2u);
  BOOST_TEST((*rooms)[0].room.slug == "alttpr/room-11");
  BOOST_TEST(((*rooms)[0].room.match_id == std::optional<std::int32_t>{11}));
  BOOST_TEST((*rooms)[1].room.slug == "alttpr/room-10");
  BOOST_TEST((*rooms)[1].players.size() == 3u);
  BOOST_TEST(audit_count("room_created") == "2");
  // One transaction: both rows carry its time.
  BOOST_TEST(scalar("SELECT COUNT(DISTINCT updated_at) FROM racetime_rooms "
                    "WHERE claim_state = 'created'") == "1");
  // Room 10 again (an answer lost) with room 12: nothing is written, each
  // is for settle() on its own.
  BOOST_TEST(!repo.settle_all({settled_as(0, "alttpr/room-10"),
                               settled_as(2, "alttpr/room-12")})
                  .has_value());
  BOOST_TEST(audit_count("room_created") == "2");
  BOOST_TEST(scalar("SELECT claim_state FROM racetime_rooms WHERE match_id "
                    "= 12") == "creating");
}

BOOST_AUTO_TEST_CASE(attempts_are_guarded_by_the_marker) {
  auto c = repo.claim(claim_for(10, "racecontrol match 10 claim a")).row;
  BOOST_TEST(repo.record_attempt({c.room_id, "racecontrol match 10 claim a"}));
  BOOST_TEST(!repo.record_attempt({c.room_id, "racecontrol match 10 claim x"}));
  BOOST_TEST(scalar("SELECT startrace_attempts FROM racetime_rooms") == "2");
  // Another opener's settle leaves a claim that is still being created.
  BOOST_TEST(!repo.settle({c.room_id, "racecontrol match 10 claim x",
                           "alttpr/other-room-0001", "open", false, "{}"}));
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', claim_state, slug IS NULL) FROM "
                    "racetime_rooms") == "creating,1");
  BOOST_TEST(audit_count("room_created") == "0");
  BOOST_REQUIRE(repo.settle({c.room_id, c.marker, "alttpr/cool-doge-1234",
                             "invitational", false, "{}"}));
  // The entry counts the attempts as the claim holds them.
  BOOST_TEST(scalar("SELECT JSON_EXTRACT(details, '$.startrace_attempts') "
                    "FROM audit_log WHERE action = 'room_created'") == "2");
  BOOST_TEST(!repo.record_attempt({c.room_id, c.marker}));
}

BOOST_AUTO_TEST_CASE(a_claim_is_watched_only_once_settled) {
  room_watch_repository watch{scratch.db()};
  auto c = repo.claim(claim_for(10, "racecontrol match 10 claim a")).row;
  BOOST_TEST(watch.rooms_to_watch(true).empty());
  auto marker = watch.changed_rooms(std::nullopt).marker;
  BOOST_TEST(watch.changed_rooms(marker - 1h).rooms.empty());
  auto room = repo.settle({c.room_id, c.marker, "alttpr/cool-doge-1234",
                           "invitational", false, "{}"});
  BOOST_REQUIRE(room);
  auto watched = watch.rooms_to_watch(false);
  BOOST_REQUIRE(watched.size() == 1u);
  BOOST_TEST((watched[0] == room->room));
  // The context settle gives is the one the watcher would load.
  auto loaded = watch.context(c.room_id);
  BOOST_REQUIRE(loaded);
  BOOST_TEST((loaded->room == room->room));
  BOOST_TEST(loaded->fingerprint == room->fingerprint);
  BOOST_TEST(loaded->players.size() == room->players.size());
  BOOST_TEST(loaded->match.has_value() == room->match.has_value());
}

BOOST_AUTO_TEST_CASE(settle_stores_the_room_clears_the_reason_and_audits_once) {
  repo.set_reason({10, "bot_not_connected", "bot is connecting"});
  auto before = match_updated_at();
  auto c = repo.claim(claim_for(10, "racecontrol match 10 claim a")).row;
  auto room =
      repo.settle({c.room_id, c.marker, "alttpr/cool-doge-1234", "invitational",
                   true, R"({"goal": "All dungeons"})"});
  BOOST_REQUIRE(room);
  BOOST_TEST(room->room.slug == "alttpr/cool-doge-1234");
  BOOST_TEST(room->room.room_name == "cool-doge-1234");
  BOOST_TEST(room->room.status == "invitational");
  BOOST_TEST(room->room.match_id.value_or(0) == 10);
  BOOST_REQUIRE(room->match.has_value());
  BOOST_TEST(room->match->id == 10);
  BOOST_TEST(room->match->discord_channel.value_or("") == "123456789012345678");
  BOOST_TEST(room->players.size() == 3u);
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', slug, room_name, status, "
                    "claim_state, adopted) FROM racetime_rooms") ==
             "alttpr/cool-doge-1234,cool-doge-1234,invitational,created,1");
  BOOST_TEST(scalar("SELECT room_reason IS NULL AND room_reason_since IS "
                    "NULL FROM matches WHERE id = 10") == "1");
  BOOST_TEST(match_updated_at() == before);
  BOOST_TEST(audit_count("room_created") == "1");
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', organization_id, entity_type, "
                    "entity_id, JSON_VALUE(details, '$.goal'), "
                    "JSON_VALUE(details, '$.slug'), JSON_EXTRACT(details, "
                    "'$.adopted')) FROM audit_log WHERE action = "
                    "'room_created'") ==
             "1,racetime_room," + std::to_string(c.room_id) +
                 ",All dungeons,alttpr/cool-doge-1234,true");
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', JSON_VALUE(details, "
                    "'$.players[0].name'), JSON_VALUE(details, "
                    "'$.players[0].discord_id'), JSON_VALUE(details, "
                    "'$.tournament'), JSON_VALUE(details, '$.scheduled_at')) "
                    "FROM audit_log WHERE action = 'room_created'") ==
             "Alice,11,Spring Cup,2026-12-01T20:00:00Z");
  // The tournament's Discord channel is told, once.
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', COUNT(*), MIN(channel_id), "
                    "MIN(event), MIN(state), MIN(LENGTH(nonce)), "
                    "MIN(JSON_VALUE(details, '$.slug'))) FROM discord_outbox "
                    "WHERE event = 'room_created'") ==
             "1,123456789012345678,room_created,pending,22,"
             "alttpr/cool-doge-1234");
  // Settled again (an answer that came twice): the same row, no new entry.
  auto again = repo.settle(
      {c.room_id, c.marker, "alttpr/cool-doge-1234", "open", true, "{}"});
  BOOST_REQUIRE(again);
  BOOST_TEST(again->room.slug == room->room.slug);
  BOOST_TEST(again->room.status == "invitational"); // the stored one
  BOOST_TEST(audit_count("room_created") == "1");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE event = "
                    "'room_created'") == "1");
  // Another marker, or another slug, is not this claim's.
  BOOST_TEST(!repo.settle({c.room_id, "racecontrol match 10 claim x",
                           "alttpr/other-room-0001", "open", false, "{}"}));
  BOOST_TEST(!repo.settle(
      {c.room_id, c.marker, "alttpr/other-room-0001", "open", false, "{}"}));
}

BOOST_AUTO_TEST_CASE(a_manual_claim_keeps_its_overrides_for_a_recovery) {
  auto manual = claim_for(10, "racecontrol match 10 claim a", "api: token 4");
  manual.requested_goal = "Any% NMG'; DROP TABLE matches; --";
  manual.requested_invitational = false;
  auto c = repo.claim(manual).row;
  BOOST_TEST((c.requested_goal == manual.requested_goal));
  BOOST_TEST((c.requested_invitational == std::optional<bool>{false}));
  // What a restarted racecontrold reads back before it sends startrace
  // again under the same claim.
  auto recovered = repo.open_context(10);
  BOOST_REQUIRE(recovered && recovered->room);
  BOOST_TEST((recovered->room->requested_goal == manual.requested_goal));
  BOOST_TEST(
      (recovered->room->requested_invitational == std::optional<bool>{false}));
  // An automatic claim has none.
  exec("INSERT INTO matches (id, tournament_id, scheduled_at) VALUES (11, 1, "
       "'2026-12-01 21:00:00')");
  auto automatic = repo.claim(claim_for(11, "racecontrol match 11 claim b"));
  BOOST_TEST(!automatic.row.requested_goal.has_value());
  BOOST_TEST(!automatic.row.requested_invitational.has_value());
}

BOOST_AUTO_TEST_CASE(a_manual_claim_is_audited_as_opened_manually) {
  auto c = repo.claim(claim_for(10, "racecontrol match 10 claim a",
                                "console: alice"))
               .row;
  BOOST_TEST(c.requested_by == "console: alice");
  BOOST_REQUIRE(repo.settle(
      {c.room_id, c.marker, "alttpr/cool-doge-1234", "open", false, "{}"}));
  BOOST_TEST(audit_count("room_created") == "0");
  BOOST_TEST(audit_count("room_opened_manually") == "1");
  BOOST_TEST(scalar("SELECT JSON_VALUE(details, '$.requested_by') FROM "
                    "audit_log WHERE action = 'room_opened_manually'") ==
             "console: alice");
}

BOOST_AUTO_TEST_CASE(a_refusal_gives_the_claim_up_and_keeps_the_reason) {
  auto c = repo.claim(claim_for(10, "racecontrol match 10 claim a")).row;
  auto hash = std::string(64, 'f');
  BOOST_TEST(repo.refuse({c.room_id, c.marker, "startrace_refused",
                          "goal: Select a valid choice", hash}));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_rooms") == "0");
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', room_reason, "
                    "room_refused_settings) FROM matches WHERE id = 10") ==
             "startrace_refused," + hash);
  BOOST_TEST(audit_count("room_not_opened") == "1");
  BOOST_TEST(
      !repo.refuse({c.room_id, c.marker, "startrace_refused", "again", hash}));
  // The match can be claimed again (after its settings change).
  BOOST_TEST(repo.claim(claim_for(10, "racecontrol match 10 claim b")).claimed);
}

BOOST_AUTO_TEST_CASE(a_reason_is_audited_once_per_change_of_code) {
  auto before = match_updated_at();
  BOOST_TEST(
      repo.set_reason({10, "players_not_linked", "Carol is not linked"}));
  BOOST_TEST(
      !repo.set_reason({10, "players_not_linked", "Carol is not linked"}));
  BOOST_TEST(!repo.set_reason(
      {10, "players_not_linked", "Carol and Dave are not linked"}));
  BOOST_TEST(audit_count("room_not_opened") == "1");
  BOOST_TEST(scalar("SELECT room_reason_message FROM matches WHERE id = 10") ==
             "Carol and Dave are not linked");
  auto since = scalar("SELECT room_reason_since FROM matches WHERE id = 10");
  BOOST_TEST(since != "NULL");
  BOOST_TEST(repo.set_reason({10, "bot_not_connected", "bot is down"}));
  BOOST_TEST(audit_count("room_not_opened") == "2");
  // Back to the first reason: audited again, but Discord heard of it once.
  BOOST_TEST(
      repo.set_reason({10, "players_not_linked", "Carol is not linked"}));
  BOOST_TEST(repo.set_reason({10, "bot_not_connected", "bot is down"}));
  BOOST_TEST(audit_count("room_not_opened") == "4");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE event = "
                    "'room_not_opened'") == "2");
  BOOST_TEST(scalar("SELECT JSON_VALUE(details, '$.previous') FROM audit_log "
                    "WHERE action = 'room_not_opened' ORDER BY id DESC "
                    "LIMIT 1") == "players_not_linked");
  BOOST_TEST(repo.set_reason({10, "", ""}));
  BOOST_TEST(scalar("SELECT room_reason IS NULL FROM matches WHERE id = 10") ==
             "1");
  BOOST_TEST(audit_count("room_not_opened") == "4");
  BOOST_TEST(match_updated_at() == before);
}

BOOST_AUTO_TEST_CASE(the_open_context_has_everything_the_checks_need) {
  auto c = repo.open_context(10);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->match_title == "Final");
  BOOST_TEST(c->scheduled_at.has_value());
  BOOST_TEST(c->match_invitational);
  BOOST_TEST(c->match_auto_create);
  BOOST_TEST(c->tournament_name == "Spring Cup");
  BOOST_TEST(c->organization_id == 1);
  BOOST_TEST(c->tournament_auto_create);
  BOOST_TEST(c->room_open_minutes_before == 30);
  BOOST_TEST(c->require_racetime_link);
  BOOST_TEST(c->tournament_goal.value_or("") == "All dungeons");
  BOOST_TEST(c->discord_channel_id.value_or("") == "123456789012345678");
  BOOST_TEST(c->bot_id.value_or(0) == 1);
  BOOST_TEST(c->bot_category == "alttpr");
  BOOST_TEST(c->bot_active);
  BOOST_TEST(c->bot_assigned);
  BOOST_REQUIRE(c->players.size() == 3u);
  BOOST_TEST(c->players[0].display_name == "Alice");
  BOOST_TEST(c->players[0].discord_id.value_or("") == "11");
  BOOST_TEST(c->players[0].racetime_id.value_or("") == "rt-alice");
  BOOST_TEST(!c->players[2].racetime_id.has_value());
  BOOST_TEST(!c->room.has_value());
  exec("UPDATE racetime_bot_organizations SET is_active = 0");
  auto claimed = repo.claim(claim_for(10, "racecontrol match 10 claim a"));
  auto again = repo.open_context(10);
  BOOST_REQUIRE(again);
  BOOST_TEST(!again->bot_assigned);
  BOOST_TEST((again->room == std::optional<room_claim_row>{claimed.row}));
  BOOST_TEST(!repo.open_context(999).has_value());
}

BOOST_AUTO_TEST_CASE(plans_list_the_matches_in_the_window) {
  exec("INSERT INTO matches (id, tournament_id, title, scheduled_at, "
       "finished_at) VALUES (11, 1, 'Done', '2026-12-01 19:00:00', "
       "'2026-12-01 19:30:00'), (12, 1, 'Later', '2026-12-03 20:00:00', "
       "NULL), (13, 1, 'Semi', '2026-12-01 18:00:00', NULL)");
  exec("INSERT INTO tournaments (id, organization_id, name) VALUES (2, 1, "
       "'Manual Cup'), (3, 1, 'Quiet Cup')");
  exec("INSERT INTO matches (id, tournament_id, scheduled_at) VALUES (20, 2, "
       "'2026-12-01 20:30:00')");
  repo.claim(claim_for(13, "racecontrol match 13 claim a"));
  plan_query q;
  q.from = timestamp{std::chrono::seconds{1796083200}}; // 2026-12-01 00:00
  q.to = q.from + 24h;
  auto plans = repo.plans(q);
  BOOST_REQUIRE(plans.size() == 2u);
  BOOST_TEST(plans[0].name == "Spring Cup");
  BOOST_TEST(plans[0].auto_create);
  BOOST_TEST(plans[0].room_open_minutes_before == 30);
  BOOST_REQUIRE(plans[0].matches.size() == 2u);
  BOOST_TEST(plans[0].matches[0].match_id == 13);
  BOOST_TEST(plans[0].matches[0].has_room);
  BOOST_TEST(plans[0].matches[1].match_id == 10);
  BOOST_TEST(!plans[0].matches[1].has_room);
  BOOST_TEST(plans[1].name == "Manual Cup");
  BOOST_TEST(!plans[1].auto_create);
  q.tournament_id = 2;
  BOOST_TEST(repo.plans(q).size() == 1u);
  q.tournament_id.reset();
  q.organization_id = 2;
  BOOST_TEST(repo.plans(q).empty());
  // An empty window: the automatic tournaments alone, without matches.
  q.organization_id.reset();
  q.to = q.from - std::chrono::microseconds{1};
  plans = repo.plans(q);
  BOOST_REQUIRE(plans.size() == 1u);
  BOOST_TEST(plans[0].name == "Spring Cup");
  BOOST_TEST(plans[0].matches.empty());
}

BOOST_AUTO_TEST_CASE(creating_claims_are_listed_oldest_first) {
  exec("INSERT INTO matches (id, tournament_id, scheduled_at) VALUES (11, 1, "
       "'2026-12-01 21:00:00')");
  auto a = repo.claim(claim_for(10, "racecontrol match 10 claim a")).row;
  auto b = repo.claim(claim_for(11, "racecontrol match 11 claim b")).row;
  repo.settle(
      {a.room_id, a.marker, "alttpr/cool-doge-1234", "open", false, "{}"});
  auto open = repo.creating();
  BOOST_REQUIRE(open.size() == 1u);
  BOOST_TEST((open[0] == b));
}

BOOST_AUTO_TEST_CASE(the_claims_verification_finds_half_made_rows) {
  auto verify = read_text(std::string{RACECONTROL_SOURCE_DIR} +
                          "/migrations/20261202_000042_add_room_claims."
                          "verify.sql");
  BOOST_REQUIRE(!verify.empty());
  repo.claim(claim_for(10, "racecontrol match 10 claim a"));
  BOOST_TEST(scalar(verify) == "0");
  exec("INSERT INTO racetime_rooms (category, match_id, claim_state) VALUES "
       "('alttpr', NULL, 'created')");
  BOOST_TEST(scalar(verify) == "1");
}

BOOST_AUTO_TEST_SUITE_END()
