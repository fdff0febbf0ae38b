// What watching a room writes: progress only where it changed, the result
// exactly once (also when two writers race), closures with their reason,
// and which rooms are still to be watched.

#include <boost/test/unit_test.hpp>

#include "persistence/database_error.hpp"
#include "persistence/room_watch_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <future>

using namespace racecontrol;
using namespace racecontrol::persistence;
using namespace std::chrono_literals;

namespace {

/// A tournament match with three players (two linked to racetime.gg) and
/// its room.
struct room_fixture {
  test::scratch_database scratch;
  room_watch_repository repo{scratch.db()};
  std::int32_t room_id = 0;
  std::int32_t match_id = 0;

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  room_fixture() {
    exec("INSERT INTO organizations (id, name) VALUES (1, 'League')");
    exec("INSERT INTO racetime_bots (id, category, name, client_id, "
         "client_secret) VALUES (1, 'alttpr', 'bot', 'cid', 'secret')");
    exec("INSERT INTO tournaments (id, organization_id, name, "
         "racetime_bot_id) VALUES (1, 1, 'Spring Cup', 1)");
    exec("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
         "VALUES (10, 1, 'Final', '2026-12-01 20:00:00')");
    exec("INSERT INTO users (id, discord_id, display_name, racetime_id, "
         "racetime_name) VALUES (1, 11, 'Alice', 'rt-alice', 'AliceRT'), "
         "(2, 22, 'Bob', 'rt-bob', 'BobRT'), (3, 33, 'Carol', NULL, NULL)");
    exec("INSERT INTO match_players (match_id, user_id) VALUES (10, 1), "
         "(10, 2), (10, 3)");
    exec("INSERT INTO racetime_rooms (id, slug, category, room_name, "
         "status, match_id, bot_id) VALUES (5, 'alttpr/cool-doge-1234', "
         "'alttpr', 'cool-doge-1234', 'open', 10, 1)");
    room_id = 5;
    match_id = 10;
  }

  room_result result() {
    room_result r;
    r.room_id = room_id;
    r.match_id = match_id;
    r.entrants = {{"rt-alice", "done", 1, race_duration{3723456789}},
                  {"rt-bob", "dnf", std::nullopt, std::nullopt}};
    r.started_at = timestamp{std::chrono::seconds{1796150000}};
    r.ended_at = timestamp{std::chrono::seconds{1796153723}};
    return r;
  }

  /// The result of the same race reopened by Bob's undo and ended `later`
  /// than the first: Bob first now.
  room_result result_after_an_undo(std::chrono::seconds later) {
    auto r = result();
    r.entrants = {{"rt-alice", "done", 2, race_duration{3723456789}},
                  {"rt-bob", "done", 1, race_duration{3700000000}}};
    r.ended_at += later;
    return r;
  }

  /// `r`, the new end of a race reopened after its first result, is
  /// recorded once as the match's result (ended at `finished_at`, Bob
  /// first) and announced after the first result and its withdrawal.
  void check_recorded_after_the_undo(const room_result& r,
                                     const std::string& finished_at) {
    BOOST_TEST((repo.record_result(r) == result_outcome::recorded));
    BOOST_TEST((repo.record_result(r) == result_outcome::already_recorded));
    BOOST_TEST(scalar("SELECT finished_at FROM matches WHERE id = 10") ==
               finished_at);
    BOOST_TEST(scalar("SELECT CONCAT(entrant_status, ' ', finish_place) FROM "
                      "match_players WHERE user_id = 2") == "done 1");
    BOOST_TEST(scalar("SELECT GROUP_CONCAT(event ORDER BY id) FROM "
                      "discord_outbox WHERE channel_id = 555") ==
               "race_finished,race_reopened,race_finished");
  }
};

std::vector<std::int32_t> ids(const room_changes& changes) {
  std::vector<std::int32_t> out;
  for (const auto& c : changes.rooms)
    out.push_back(c.room_id);
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(room_watch, room_fixture)

BOOST_AUTO_TEST_CASE(context_has_match_and_players) {
  auto ctx = repo.context(room_id);
  BOOST_REQUIRE(ctx);
  BOOST_TEST(ctx->room.slug == "alttpr/cool-doge-1234");
  BOOST_TEST(ctx->room.status == "open");
  BOOST_REQUIRE(ctx->match);
  BOOST_TEST(ctx->match->tournament_name == "Spring Cup");
  BOOST_TEST(ctx->match->title == "Final");
  BOOST_TEST(ctx->match->organization_id == 1);
  BOOST_TEST(ctx->match->scheduled_at.has_value());
  BOOST_TEST(!ctx->match->started_at.has_value());
  BOOST_TEST(!ctx->match->discord_channel.has_value()); // the cup has none
  BOOST_REQUIRE_EQUAL(ctx->players.size(), 3u);
  BOOST_TEST(ctx->players[0].racetime_id.value_or("") == "rt-alice");
  BOOST_TEST(!ctx->players[2].racetime_id.has_value());
  BOOST_TEST(ctx->players[2].display_name == "Carol");
  BOOST_TEST(!repo.context(999).has_value());
}

BOOST_AUTO_TEST_CASE(progress_writes_status_entrants_start_and_audit) {
  room_progress p;
  p.room_id = room_id;
  p.match_id = match_id;
  p.status = "in_progress";
  p.entrants = {{"rt-alice", "in_progress", std::nullopt, std::nullopt}};
  p.started_at = timestamp{std::chrono::seconds{1796150000}};
  repo.record_progress(p);
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "in_progress");
  BOOST_TEST(scalar("SELECT entrant_status FROM match_players WHERE "
                    "user_id = 1") == "in_progress");
  BOOST_TEST(scalar("SELECT entrant_status FROM match_players WHERE "
                    "user_id = 2") == "NULL");
  BOOST_TEST(scalar("SELECT started_at FROM matches WHERE id = 10") ==
             "2026-12-01 18:33:20.000000");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_started' AND entity_id = 5 AND "
                    "organization_id = 1 AND JSON_VALUE(details, '$.to') = "
                    "'in_progress'") == "1");
  // The same status again writes no second audit entry.
  repo.record_progress(p);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_started'") == "1");
}

BOOST_AUTO_TEST_CASE(queued_updates_commit_in_order_all_or_nothing) {
  auto invited = [&](const std::string& who) {
    audit_record a;
    a.organization_id = 1;
    a.action = "racetime_room.invited";
    a.entity_type = "racetime_room";
    a.entity_id = room_id;
    a.details_json = R"({"user":")" + who + R"("})";
    return a;
  };
  room_progress p;
  p.room_id = room_id;
  p.match_id = match_id;
  p.entrants = {{"rt-alice", "invited", std::nullopt, std::nullopt},
                {"rt-bob", "invited", std::nullopt, std::nullopt}};
  std::vector<room_update> batch{{std::nullopt, invited("rt-alice")},
                                 {std::nullopt, invited("rt-bob")},
                                 {p, std::nullopt}};
  repo.record_updates(batch);
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(JSON_VALUE(details, '$.user') "
                    "ORDER BY id) FROM audit_log WHERE action = "
                    "'racetime_room.invited'") == "rt-alice,rt-bob");
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(entrant_status ORDER BY user_id) "
                    "FROM match_players WHERE match_id = 10") ==
             "invited,invited");

  // One bad entry (details that are not JSON) and nothing of the batch is
  // written: the room keeps the whole batch and tries again.
  p.entrants = {{"rt-alice", "ready", std::nullopt, std::nullopt}};
  auto broken = invited("rt-carol");
  broken.details_json = "{not json";
  BOOST_CHECK_THROW(repo.record_updates({{p, std::nullopt},
                                         {std::nullopt, invited("rt-dan")},
                                         {std::nullopt, broken}}),
                    database_error);
  BOOST_TEST(scalar("SELECT entrant_status FROM match_players WHERE "
                    "user_id = 1") == "invited");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'racetime_room.invited'") == "2");
}

BOOST_AUTO_TEST_CASE(the_result_is_written_exactly_once) {
  BOOST_TEST((repo.record_result(result()) == result_outcome::recorded));
  BOOST_TEST(scalar("SELECT CONCAT(entrant_status, ' ', finish_place, ' ', "
                    "finish_time) FROM match_players WHERE user_id = 1") ==
             "done 1 01:02:03.456789");
  BOOST_TEST(scalar("SELECT CONCAT(entrant_status, ' ', "
                    "COALESCE(finish_place, '-'), ' ', "
                    "COALESCE(finish_time, '-')) FROM match_players WHERE "
                    "user_id = 2") == "dnf - -");
  BOOST_TEST(scalar("SELECT finished_at FROM matches WHERE id = 10") ==
             "2026-12-01 19:35:23.000000");
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "finished");
  BOOST_TEST(
      (repo.record_result(result()) == result_outcome::already_recorded));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_finished'") == "1");
  BOOST_TEST(repo.rooms_to_watch(true).empty());
}

BOOST_AUTO_TEST_CASE(race_events_reach_the_discord_channel_once_each) {
  exec("UPDATE tournaments SET discord_notification_channel_id = 555 WHERE "
       "id = 1");
  room_progress p;
  p.room_id = room_id;
  p.match_id = match_id;
  p.status = "in_progress";
  repo.record_progress(p);
  repo.record_progress(p);
  repo.record_result(result());
  repo.record_result(result());
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(event ORDER BY id) FROM "
                    "discord_outbox WHERE channel_id = 555") ==
             "race_started,race_finished");
  // The results by place, with the names and Discord ids to mention.
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', JSON_VALUE(details, "
                    "'$.results[0].name'), JSON_VALUE(details, "
                    "'$.results[0].place'), JSON_VALUE(details, "
                    "'$.results[0].discord_id'), JSON_VALUE(details, "
                    "'$.results[1].name'), JSON_VALUE(details, "
                    "'$.results[1].status'), JSON_VALUE(details, '$.slug')) "
                    "FROM discord_outbox WHERE event = 'race_finished'") ==
             "Alice,1,11,Bob,dnf,alttpr/cool-doge-1234");
  // A cancelled race of another room is announced too.
  exec("INSERT INTO matches (id, tournament_id, title) VALUES (11, 1, "
       "'Semi')");
  exec("INSERT INTO racetime_rooms (id, slug, category, room_name, status, "
       "match_id, bot_id) VALUES (6, 'alttpr/other-room-0001', 'alttpr', "
       "'other-room-0001', 'open', 11, 1)");
  repo.close({6, "cancelled", "the race was cancelled", false});
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE event = "
                    "'race_cancelled' AND JSON_VALUE(details, '$.slug') = "
                    "'alttpr/other-room-0001'") == "1");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_cancelled' AND entity_id = 6") == "1");
}

BOOST_AUTO_TEST_CASE(a_reopened_race_withdraws_its_result_until_it_ends_again) {
  exec("UPDATE tournaments SET discord_notification_channel_id = 555 WHERE "
       "id = 1");
  BOOST_TEST((repo.record_result(result()) == result_outcome::recorded));
  BOOST_TEST(repo.rooms_to_watch(true).empty());
  // Bob undid his finish within racetime.gg's ten minutes: running again.
  room_progress p;
  p.room_id = room_id;
  p.match_id = match_id;
  p.status = "in_progress";
  p.entrants = {{"rt-bob", "in_progress", std::nullopt, std::nullopt}};
  repo.record_progress(p);
  repo.record_progress(p); // a retried write changes nothing more
  BOOST_TEST(scalar("SELECT COALESCE(finished_at, 'running') FROM matches "
                    "WHERE id = 10") == "running");
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "in_progress");
  BOOST_TEST(scalar("SELECT entrant_status FROM match_players WHERE "
                    "user_id = 2") == "in_progress");
  BOOST_TEST(repo.rooms_to_watch(true).size() == 1u);
  // Heard of once, not as a second start.
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(action ORDER BY id) FROM audit_log "
                    "WHERE action IN ('race_started', 'race_finished', "
                    "'race_reopened')") == "race_finished,race_reopened");
  // It ends again: the new result is recorded and announced.
  check_recorded_after_the_undo(result_after_an_undo(std::chrono::seconds{277}),
                                "2026-12-01 19:40:00.000000");
  BOOST_TEST(scalar("SELECT JSON_VALUE(details, '$.results[0].name') FROM "
                    "discord_outbox WHERE event = 'race_finished' ORDER BY id "
                    "DESC LIMIT 1") == "Bob");
  // A second undo is announced again.
  repo.record_progress(p);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE event = "
                    "'race_reopened'") == "2");
}

BOOST_AUTO_TEST_CASE(a_finished_room_is_watched_while_an_undo_may_reopen_it) {
  auto r = result();
  r.ended_at = std::chrono::system_clock::now() - std::chrono::minutes{2};
  BOOST_TEST((repo.record_result(r) == result_outcome::recorded));
  BOOST_TEST(repo.rooms_to_watch(true).empty());
  BOOST_TEST(repo.rooms_to_watch(true, std::chrono::minutes{11}).size() == 1u);
  BOOST_TEST(repo.rooms_to_watch(false, std::chrono::minutes{1}).empty());
  exec("UPDATE racetime_rooms SET race_ended_at = UTC_TIMESTAMP(6) - "
       "INTERVAL 12 MINUTE WHERE id = 5");
  BOOST_TEST(repo.rooms_to_watch(true, std::chrono::minutes{11}).empty());
  // A row that ended before racetime_rooms.race_ended_at existed counts
  // from its match's end.
  exec("UPDATE racetime_rooms SET race_ended_at = NULL WHERE id = 5");
  exec("UPDATE matches SET finished_at = UTC_TIMESTAMP(6) - INTERVAL 2 "
       "MINUTE WHERE id = 10");
  BOOST_TEST(repo.rooms_to_watch(true, std::chrono::minutes{11}).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_later_end_no_watcher_saw_coming_replaces_the_result) {
  exec("UPDATE tournaments SET discord_notification_channel_id = 555 WHERE "
       "id = 1");
  BOOST_TEST((repo.record_result(result()) == result_outcome::recorded));
  // The same end again, or an earlier one: nothing changes.
  BOOST_TEST(
      (repo.record_result(result()) == result_outcome::already_recorded));
  auto earlier = result();
  earlier.ended_at -= std::chrono::minutes{1};
  BOOST_TEST((repo.record_result(earlier) == result_outcome::already_recorded));
  // Reopened and ended again while racecontrold was down: a watcher
  // started since sees only the new end.
  check_recorded_after_the_undo(result_after_an_undo(std::chrono::minutes{5}),
                                "2026-12-01 19:40:23.000000");
}

BOOST_AUTO_TEST_CASE(a_result_changed_after_the_end_replaces_the_recorded_one) {
  // A monitor disqualified Alice after the finish: racetime.gg keeps the
  // race finished at the same end, Alice dq without a place, Bob first.
  exec("UPDATE tournaments SET discord_notification_channel_id = 555 WHERE "
       "id = 1");
  BOOST_TEST((repo.record_result(result()) == result_outcome::recorded));
  auto changed = result();
  changed.entrants = {{"rt-alice", "dq", std::nullopt, std::nullopt},
                      {"rt-bob", "done", 1, race_duration{3800000000}}};
  BOOST_TEST((repo.record_result(changed) == result_outcome::recorded));
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(CONCAT(entrant_status, ' ', "
                    "COALESCE(finish_place, '-')) ORDER BY user_id) FROM "
                    "match_players WHERE match_id = 10") == "dq -,done 1");
  BOOST_TEST(scalar("SELECT finished_at FROM matches WHERE id = 10") ==
             "2026-12-01 19:35:23.000000");
  // Written once, announced once, with the new results first.
  BOOST_TEST((repo.record_result(changed) == result_outcome::already_recorded));
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(event ORDER BY id) FROM "
                    "discord_outbox WHERE channel_id = 555") ==
             "race_finished,race_result_changed");
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', JSON_VALUE(details, "
                    "'$.results[0].name'), JSON_VALUE(details, "
                    "'$.results[0].place'), JSON_VALUE(details, "
                    "'$.results[1].status')) FROM discord_outbox WHERE event "
                    "= 'race_result_changed'") == "Bob,1,dq");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_result_changed'") == "1");
  // A result with an earlier end (from before an undo) changes nothing.
  auto stale = result();
  stale.ended_at -= std::chrono::minutes{1};
  BOOST_TEST((repo.record_result(stale) == result_outcome::already_recorded));
  BOOST_TEST(scalar("SELECT entrant_status FROM match_players WHERE "
                    "user_id = 1") == "dq");
}

BOOST_AUTO_TEST_CASE(
    a_cancelled_race_reopened_is_announced_and_cancelled_anew) {
  exec("UPDATE tournaments SET discord_notification_channel_id = 555 WHERE "
       "id = 1");
  room_closure cancel{room_id, "cancelled", "the race was cancelled", false};
  cancel.ended_at = std::chrono::system_clock::now() - std::chrono::minutes{3};
  exec("UPDATE racetime_rooms SET parked_at = UTC_TIMESTAMP(6) WHERE id = 5");
  repo.close(cancel);
  BOOST_TEST(scalar("SELECT parked_at IS NULL FROM racetime_rooms WHERE id = "
                    "5") == "1");
  repo.close(cancel); // written and announced once
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_cancelled'") == "1");
  // Listed again after a restart while an un-forfeit may reopen it: the
  // window counts from racetime.gg's cancel time, kept on the row.
  BOOST_TEST(repo.rooms_to_watch(true, std::chrono::minutes{11}).size() == 1u);
  BOOST_TEST(repo.rooms_to_watch(true, std::chrono::minutes{2}).empty());
  // Reopened and cancelled again while no watcher saw it: not announced
  // again, but the window counts from the later cancel.
  auto again = cancel;
  again.ended_at = std::chrono::system_clock::now() - std::chrono::minutes{1};
  repo.close(again);
  repo.close(cancel);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_cancelled'") == "1");
  BOOST_TEST(repo.rooms_to_watch(true, std::chrono::minutes{2}).size() == 1u);
  // An entrant un-forfeits within ten minutes: running again.
  room_progress p;
  p.room_id = room_id;
  p.match_id = match_id;
  p.status = "in_progress";
  repo.record_progress(p);
  repo.record_progress(p);
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "in_progress");
  BOOST_TEST(scalar("SELECT COALESCE(race_ended_at, 'none') FROM "
                    "racetime_rooms WHERE id = 5") == "none");
  // Cancelled again: announced again.
  repo.close(cancel);
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(event ORDER BY id) FROM "
                    "discord_outbox WHERE channel_id = 555") ==
             "race_cancelled,race_reopened,race_cancelled");
  // Reopened and finished while no watcher saw it: the result is recorded
  // as the reopened race's.
  BOOST_TEST((repo.record_result(result()) == result_outcome::recorded));
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(event ORDER BY id) FROM "
                    "discord_outbox WHERE channel_id = 555") ==
             "race_cancelled,race_reopened,race_cancelled,race_reopened,"
             "race_finished");
  BOOST_TEST(scalar("SELECT race_ended_at FROM racetime_rooms WHERE id = "
                    "5") == "2026-12-01 19:35:23.000000");
  // And a result later seen cancelled (reopened, then cancelled, unseen) is
  // withdrawn: the match has no result.
  repo.close(cancel);
  BOOST_TEST(scalar("SELECT COALESCE(finished_at, 'none') FROM matches "
                    "WHERE id = 10") == "none");
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "cancelled");
  BOOST_TEST(repo.rooms_to_watch(true, std::chrono::minutes{11}).size() == 1u);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE event = "
                    "'race_reopened'") == "3");
}

BOOST_AUTO_TEST_CASE(two_writers_of_one_result_record_it_once) {
  auto a = std::async(std::launch::async, [&] {
    room_watch_repository r{scratch.db()};
    return r.record_result(result());
  });
  auto b = std::async(std::launch::async, [&] {
    room_watch_repository r{scratch.db()};
    return r.record_result(result());
  });
  int recorded = (a.get() == result_outcome::recorded) +
                 (b.get() == result_outcome::recorded);
  BOOST_TEST(recorded == 1);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_finished'") == "1");
}

BOOST_AUTO_TEST_CASE(parked_rooms_wait_for_an_operator) {
  BOOST_TEST(repo.rooms_to_watch(false).size() == 1u);
  repo.close({room_id, "", "watcher failed 5 times: boom", true});
  BOOST_TEST(repo.rooms_to_watch(false).empty());
  auto all = repo.rooms_to_watch(true);
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].parked);
  BOOST_TEST(scalar("SELECT status_message FROM racetime_rooms WHERE id = "
                    "5") == "watcher failed 5 times: boom");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'racetime_room.parked'") == "1");
  // Progress after a restart clears the parked state and its message.
  room_progress p;
  p.room_id = room_id;
  p.status = "in_progress";
  repo.record_progress(p);
  BOOST_TEST(repo.rooms_to_watch(false).size() == 1u);
  BOOST_TEST(scalar("SELECT status_message FROM racetime_rooms WHERE id = "
                    "5") == "NULL");
}

BOOST_AUTO_TEST_CASE(rooms_whose_match_players_or_users_changed_are_listed) {
  // A second room whose match has only Bob.
  exec("INSERT INTO matches (id, tournament_id, title) VALUES (11, 1, 'Semi')");
  exec("INSERT INTO match_players (match_id, user_id) VALUES (11, 2)");
  exec("INSERT INTO racetime_rooms (id, slug, category, room_name, status, "
       "match_id) VALUES (6, 'alttpr/odd-egg-0001', 'alttpr', "
       "'odd-egg-0001', 'open', 11)");
  for (auto table : {"users", "matches", "match_players", "racetime_rooms"})
    exec(std::string{"UPDATE "} + table +
         " SET updated_at = '2026-01-01 00:00:00'");
  auto first = repo.changed_rooms(std::nullopt);
  BOOST_TEST(first.rooms.empty()); // the first call only sets the marker
  BOOST_TEST((first.marker > timestamp{std::chrono::seconds{1767225600}}));
  BOOST_TEST(repo.changed_rooms(first.marker).rooms.empty());

  // Carol links her account (ON UPDATE stamps the row): her match's room.
  exec("UPDATE users SET racetime_id = 'rt-carol' WHERE id = 3");
  auto changed = repo.changed_rooms(first.marker);
  BOOST_TEST(ids(changed) == std::vector<std::int32_t>{5},
             boost::test_tools::per_element());
  // Bob plays in both matches.
  exec("UPDATE users SET racetime_name = 'BobRT2' WHERE id = 2");
  changed = repo.changed_rooms(first.marker);
  BOOST_TEST(ids(changed) == (std::vector<std::int32_t>{5, 6}),
             boost::test_tools::per_element());
  // A match's own change, and a player row's.
  exec("UPDATE users SET updated_at = '2026-01-01 00:00:00'");
  exec("UPDATE matches SET title = 'Semi 2' WHERE id = 11");
  BOOST_TEST(ids(repo.changed_rooms(first.marker)) ==
                 std::vector<std::int32_t>{6},
             boost::test_tools::per_element());
  // A writer in another time zone (the web app's session at UTC-5):
  // its ON UPDATE stamp lies five hours behind UTC, and still counts.
  exec("UPDATE matches SET updated_at = '2026-01-01 00:00:00'");
  auto marker = repo.changed_rooms(first.marker).marker;
  exec("UPDATE users SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 5 HOUR, "
       "racetime_name = 'CarolRT' WHERE id = 3");
  BOOST_TEST(ids(repo.changed_rooms(marker)) == std::vector<std::int32_t>{5},
             boost::test_tools::per_element());
  exec("UPDATE users SET updated_at = '2026-01-01 00:00:00'");
  // A room whose race ended is not watched, changed or not.
  exec("UPDATE racetime_rooms SET status = 'finished' WHERE id = 6");
  BOOST_TEST(repo.changed_rooms(first.marker).rooms.empty());
}

BOOST_AUTO_TEST_CASE(
    a_rooms_own_writes_leave_its_fingerprint_others_change_it) {
  auto loaded = repo.context(room_id);
  BOOST_REQUIRE(loaded);
  BOOST_TEST(loaded->fingerprint != 0u);
  for (auto table : {"users", "matches", "match_players", "racetime_rooms"})
    exec(std::string{"UPDATE "} + table +
         " SET updated_at = '2026-01-01 00:00:00'");
  auto first = repo.changed_rooms(std::nullopt);

  // The room's own writes: status, entrant states, the start, a closure.
  room_progress p;
  p.room_id = room_id;
  p.match_id = 10;
  p.status = "in_progress";
  p.entrants = {{"rt-alice", "in_progress", std::nullopt, std::nullopt}};
  p.started_at = timestamp{std::chrono::seconds{1796150000}};
  repo.record_progress(p);
  auto changed = repo.changed_rooms(first.marker);
  BOOST_REQUIRE(changed.rooms.size() == 1u); // the rows were stamped
  BOOST_TEST(changed.rooms[0].room_id == room_id);
  BOOST_TEST(changed.rooms[0].fingerprint == loaded->fingerprint);
  BOOST_TEST(repo.context(room_id)->fingerprint == loaded->fingerprint);

  // What others change: a player's account, the match's title or time, a
  // player added, the room's bot.
  exec("INSERT INTO users (id, discord_id, display_name) VALUES (4, 44, "
       "'Dave')");
  std::uint64_t last = loaded->fingerprint;
  for (auto sql :
       {"UPDATE users SET racetime_id = 'rt-carol' WHERE id = 3",
        "UPDATE users SET racetime_name = NULL WHERE id = 2",
        "UPDATE matches SET title = 'Final 2' WHERE id = 10",
        "UPDATE matches SET scheduled_at = scheduled_at + INTERVAL 1 HOUR "
        "WHERE id = 10",
        "INSERT INTO match_players (match_id, user_id) VALUES (10, 4)",
        "UPDATE racetime_rooms SET bot_id = NULL WHERE id = 5"}) {
    exec(sql);
    changed = repo.changed_rooms(first.marker);
    BOOST_REQUIRE(changed.rooms.size() == 1u);
    BOOST_TEST(changed.rooms[0].fingerprint != last, sql);
    BOOST_TEST(repo.context(room_id)->fingerprint ==
                   changed.rooms[0].fingerprint,
               sql);
    last = changed.rooms[0].fingerprint;
  }
}

BOOST_AUTO_TEST_CASE(a_vanished_race_closes_its_room) {
  repo.close({room_id, "gone",
              "racetime.gg has no race "
              "alttpr/cool-doge-1234 (404)",
              false});
  BOOST_TEST(repo.rooms_to_watch(true).empty());
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "gone");
}

BOOST_AUTO_TEST_CASE(a_partitioned_race_closes_its_room_for_good) {
  repo.close({room_id, "partitioned", "split into partition races", false});
  BOOST_TEST(repo.rooms_to_watch(true).empty());
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "partitioned");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'racetime_room.closed'") == "1");
}

BOOST_AUTO_TEST_CASE(a_room_cancelled_before_two_joined_gives_its_match_up) {
  exec("UPDATE tournaments SET discord_notification_channel_id = '42' WHERE "
       "id = 1");
  room_closure c{room_id, "cancelled", "cancelled before two players joined",
                 false};
  c.release_match = true;
  repo.close(c);
  repo.close(c); // a retried write changes nothing more
  BOOST_TEST(scalar("SELECT CONCAT(status, ' ', COALESCE(match_id, 'none'), "
                    "' ', released_match_id) FROM racetime_rooms WHERE id = "
                    "5") == "cancelled none 10");
  // The event still names the match's organization and reaches its
  // channel: it was written before the room let the match go.
  BOOST_TEST(scalar("SELECT CONCAT(organization_id, ' ', "
                    "JSON_EXTRACT(details, '$.new_room'), ' ', "
                    "JSON_VALUE(details, '$.match_id')) FROM audit_log WHERE "
                    "action = 'race_cancelled'") == "1 true 10");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE event = "
                    "'race_cancelled' AND channel_id = '42'") == "1");
  // The match may be claimed again: its new room.
  exec("INSERT INTO racetime_rooms (slug, category, room_name, status, "
       "match_id, bot_id) VALUES ('alttpr/new-room-1', 'alttpr', "
       "'new-room-1', 'open', 10, 1)");
  BOOST_TEST(scalar("SELECT slug FROM racetime_rooms WHERE match_id = 10") ==
             "alttpr/new-room-1");
}

BOOST_AUTO_TEST_CASE(
    a_room_cancelled_before_the_release_existed_lets_go_when_seen) {
  // Recorded as cancelled by an earlier build (which kept the match): a
  // watcher that sees it again lets the match go, announcing nothing new.
  exec("UPDATE racetime_rooms SET status = 'cancelled' WHERE id = 5");
  room_closure c{room_id, "cancelled", "cancelled before two players joined",
                 false};
  c.release_match = true;
  repo.close(c);
  BOOST_TEST(scalar("SELECT CONCAT(COALESCE(match_id, 'none'), ' ', "
                    "released_match_id) FROM racetime_rooms WHERE id = 5") ==
             "none 10");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log") == "0");
}

BOOST_AUTO_TEST_CASE(a_cancelled_room_keeps_its_match_unless_released) {
  repo.close({room_id, "cancelled", "the race was cancelled", false});
  BOOST_TEST(scalar("SELECT CONCAT(COALESCE(match_id, 'none'), ' ', "
                    "COALESCE(released_match_id, 'none')) FROM "
                    "racetime_rooms WHERE id = 5") == "10 none");
}

BOOST_AUTO_TEST_CASE(a_placement_fences_the_writes_of_the_one_before) {
  // Standalone: epoch 0 on both sides, every write goes through.
  room_progress p;
  p.room_id = room_id;
  p.match_id = match_id;
  p.status = "open";
  repo.record_progress(p);

  auto first = repo.assign({room_id, "w1"});
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->owner_node == "w1");
  BOOST_TEST(first->owner_epoch == 1u);
  auto second = repo.assign({room_id, "w2"});
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(second->owner_node == "w2");
  BOOST_TEST(second->owner_epoch == 2u);
  BOOST_TEST(!repo.assign({999, "w1"}).has_value());
  auto listed = repo.rooms_to_watch(false);
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].owner_epoch == 2u);
  BOOST_TEST(repo.context(room_id)->room.owner_node == "w2");

  // Every write of the old placement (epoch 1) is refused and changes
  // nothing.
  auto audits = scalar("SELECT COUNT(*) FROM audit_log");
  p.owner_epoch = 1;
  p.status = "in_progress";
  BOOST_CHECK_THROW(repo.record_progress(p), room_fenced);
  room_update u{p, std::nullopt, room_id, 1};
  BOOST_CHECK_THROW(repo.record_updates({u}), room_fenced);
  auto r = result();
  r.owner_epoch = 1;
  BOOST_CHECK_THROW(repo.record_result(r), room_fenced);
  BOOST_CHECK_THROW(repo.close({room_id, "gone", "404", false, 1}),
                    room_fenced);
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "open");
  BOOST_TEST(scalar("SELECT finished_at IS NULL FROM matches WHERE id = 10") ==
             "1");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log") == audits);
  // Entrants and an audit entry only: the check travels with the writes
  // and the COMMIT as one statement, and still stops them.
  room_progress invited;
  invited.room_id = room_id;
  invited.match_id = match_id;
  invited.entrants = {{"rt-alice", "invited", std::nullopt, std::nullopt}};
  audit_record entry;
  entry.action = "racetime_room.invited";
  entry.entity_type = "racetime_room";
  entry.entity_id = room_id;
  try {
    repo.record_updates({{invited, std::nullopt, room_id, 1},
                         {std::nullopt, entry, room_id, 1}});
    BOOST_FAIL("the old placement's entrant write should be refused");
  } catch (const room_fenced& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("room 5: this watcher's placement (epoch 1)") !=
                   std::string::npos,
               what);
  }
  BOOST_TEST(scalar("SELECT entrant_status FROM match_players WHERE "
                    "user_id = 1") == "NULL");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log") == audits);
  // The same writes from the new placement go through.
  repo.record_updates(
      {{invited, std::nullopt, room_id, 2}, {std::nullopt, entry, room_id, 2}});
  BOOST_TEST(scalar("SELECT entrant_status FROM match_players WHERE "
                    "user_id = 1") == "invited");

  // The new placement's writes are accepted.
  p.owner_epoch = 2;
  u = room_update{p, std::nullopt, room_id, 2};
  repo.record_updates({u});
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "in_progress");
  r.owner_epoch = 2;
  BOOST_TEST((repo.record_result(r) == result_outcome::recorded));
  BOOST_TEST(scalar("SELECT finished_at IS NULL FROM matches WHERE id = 10") ==
             "0");
}

BOOST_AUTO_TEST_CASE(a_result_racing_a_placement_is_written_by_one_epoch) {
  // The placement and the old owner's result take the row lock in turn:
  // either the result (epoch 1) lands before the placement, or it is
  // refused; never both a refusal and a written result.
  repo.assign({room_id, "w1"});
  auto r = result();
  r.owner_epoch = 1;
  room_watch_repository other{scratch.db()};
  auto placing = std::async(std::launch::async, [&] {
    return other.assign({room_id, "w2"});
  });
  bool fenced = false;
  try {
    repo.record_result(r);
  } catch (const room_fenced&) {
    fenced = true;
  }
  BOOST_TEST(placing.get()->owner_epoch == 2u);
  BOOST_TEST(scalar("SELECT finished_at IS NULL FROM matches WHERE id = 10") ==
             (fenced ? "1" : "0"));
}

BOOST_AUTO_TEST_SUITE_END()
