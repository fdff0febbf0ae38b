// racecontrold as a real process opening tournament rooms in racetime-sim
// on time (issue 11): each match's room at its open time with seed 001's
// settings, linked players invited, the claim and the audit trail in
// MariaDB; a check that blocks a match stores its reason once and lets the
// room open once the cause is fixed.

#define BOOST_TEST_MODULE racecontrold_automation
#include <boost/test/unit_test.hpp>

#include "protocol/json.hpp"
#include "tests/support/race_world.hpp"

#include <signal.h>

#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::race_world;

namespace {

test::race_world_options no_room() {
  test::race_world_options o;
  o.premade_room = false;
  return o;
}

/// The demo tournament opens its rooms itself, a minute before each match;
/// its bot is assigned to the organization.
void automate(race_world& w) {
  w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
            "organization_id) VALUES (1, 1)");
  w.execute("UPDATE tournaments SET racetime_auto_create_rooms = 1, "
            "room_open_minutes_before = 1, racetime_default_goal = 'Beat the "
            "game' WHERE id = 1");
}

/// Match `id` of Alice and Bob, opening `open_in` from now (UTC).
void add_match(race_world& w, int id, std::chrono::seconds open_in,
               bool auto_create = true) {
  w.execute("INSERT INTO matches (id, tournament_id, title, scheduled_at, "
            "racetime_auto_create) VALUES (" +
            std::to_string(id) + ", 1, 'Round " + std::to_string(id) +
            "', UTC_TIMESTAMP(6) + INTERVAL " +
            std::to_string(60 + open_in.count()) + " SECOND, " +
            (auto_create ? "1" : "0") + ")");
  w.execute("INSERT INTO match_players (match_id, user_id) VALUES (" +
            std::to_string(id) + ", 1), (" + std::to_string(id) + ", 2)");
}

std::string room_of(race_world& w, int match_id) {
  return w.scalar("SELECT COALESCE(MAX(slug), '') FROM racetime_rooms WHERE "
                  "match_id = " +
                  std::to_string(match_id) + " AND claim_state = 'created'");
}

bool has_room(race_world& w, int match_id) {
  return !room_of(w, match_id).empty();
}

/// SIGHUP: racecontrold reads its task rows (and bots, tournaments) again.
void reload_rows(race_world& w) {
  w.daemon().signal(SIGHUP);
}

} // namespace

BOOST_AUTO_TEST_SUITE(automation)

BOOST_AUTO_TEST_CASE(rooms_open_on_time_with_the_seeds_settings) {
  race_world w{no_room()};
  automate(w);
  // Match 10 (Alice, Bob, Carol) is the world's; it opens in 8 s.
  w.execute("UPDATE matches SET scheduled_at = UTC_TIMESTAMP(6) + INTERVAL "
            "68 SECOND WHERE id = 10");
  add_match(w, 11, 11s);
  add_match(w, 12, 14s);
  w.start_daemon({"--automation.recheck_interval=1s"});
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return has_room(w, 10) && has_room(w, 11) &&
                                     has_room(w, 12);
                            },
                            40s),
                        w.daemon().output() << "\nsim log:\n"
                                            << w.sim_log());
  for (int id : {10, 11, 12}) {
    auto m = std::to_string(id);
    // Opened within 2 s of its open time, not before it.
    auto late_ms = w.count(
        "SELECT TIMESTAMPDIFF(MICROSECOND, m.scheduled_at - INTERVAL 1 "
        "MINUTE, r.claimed_at) DIV 1000 FROM racetime_rooms r JOIN matches m "
        "ON m.id = r.match_id WHERE r.match_id = " +
        m);
    BOOST_TEST_MESSAGE("match " << id << " claimed " << late_ms
                                << " ms after its open time");
    BOOST_TEST(late_ms >= 0);
    BOOST_TEST(late_ms <= 2000);
    BOOST_TEST(w.count("SELECT startrace_attempts FROM racetime_rooms WHERE "
                       "match_id = " +
                       m) == 1);
    // The room as racetime-sim has it: seed 001's settings.
    w.use_race(room_of(w, id));
    auto r = w.race();
    BOOST_TEST(r.goal.name == "Beat the game");
    BOOST_TEST(r.info_user.find("Spring Cup - ") == 0u);
    BOOST_TEST(r.info_user.find(" - Scheduled: ") != std::string::npos);
    BOOST_TEST(r.info_bot.find("racecontrol match " + m + " claim ") == 0u);
    BOOST_TEST(r.info_bot ==
               w.scalar("SELECT claim_marker FROM racetime_rooms WHERE "
                        "match_id = " +
                        m));
    BOOST_TEST(r.streaming_required);
    BOOST_TEST(r.auto_start);
    BOOST_TEST(r.allow_comments);
    BOOST_TEST(r.hide_comments);
    BOOST_TEST(r.allow_prerace_chat);
    BOOST_TEST(r.allow_midrace_chat);
    BOOST_TEST(!r.allow_non_entrant_chat);
    BOOST_TEST(!r.unlisted);
    BOOST_TEST(!r.team_race);
    BOOST_TEST((r.start_delay == 15s));
    BOOST_TEST((r.time_limit == 24h));
    BOOST_TEST(r.status_info.value == "invitational");
    // The linked players are invited, once each.
    BOOST_REQUIRE_MESSAGE(
        race_world::wait_until(
            [&] {
              auto now = w.race();
              return race_world::has_entrant(
                         now, "u1", protocol::entrant_status::invited) &&
                     race_world::has_entrant(now, "u2",
                                             protocol::entrant_status::invited);
            },
            20s),
        w.daemon().output());
    BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'room_created' AND JSON_VALUE(details, '$.match_id') "
                       "= " +
                       m) == 1);
  }
  // One startrace per room, and no room twice for a match.
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms") == 3);
}

BOOST_AUTO_TEST_CASE(a_blocked_match_is_reported_once_and_opens_when_fixed) {
  race_world w{no_room()};
  automate(w);
  w.execute("DELETE FROM match_players WHERE match_id = 10");
  w.execute("DELETE FROM matches WHERE id = 10");
  add_match(w, 20, 0s, /*auto_create=*/false);
  w.start_daemon({"--automation.recheck_interval=1s"});
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return w.scalar("SELECT COALESCE(room_reason, "
                                              "'') FROM matches WHERE id = "
                                              "20") == "match_auto_create_off";
                            },
                            20s),
                        w.daemon().output());
  // Several rechecks later: still one audit entry, no room.
  std::this_thread::sleep_for(4s);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'room_not_opened' AND entity_id = 20") == 1);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms") == 0);
  BOOST_TEST(w.scalar("SELECT room_reason_message FROM matches WHERE id = "
                      "20")
                 .find("match 20 'Round 20'") != std::string::npos);
  // Fixed: the room opens at the next recheck, and the reason is gone.
  w.execute("UPDATE matches SET racetime_auto_create = 1 WHERE id = 20");
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return has_room(w, 20);
                            },
                            20s),
                        w.daemon().output());
  BOOST_TEST(w.scalar("SELECT COALESCE(room_reason, 'none') FROM matches "
                      "WHERE id = 20") == "none");
}

BOOST_AUTO_TEST_CASE(an_unlinked_player_blocks_a_tournament_that_requires_it) {
  race_world w{no_room()};
  automate(w);
  w.execute("UPDATE tournaments SET require_racetime_link = 1 WHERE id = 1");
  // Match 10 has Carol, who is not linked; it is due now.
  w.execute("UPDATE matches SET scheduled_at = UTC_TIMESTAMP(6) + INTERVAL "
            "50 SECOND WHERE id = 10");
  w.start_daemon({"--automation.recheck_interval=1s"});
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return w.scalar("SELECT COALESCE(room_reason, "
                                              "'') FROM matches WHERE id = "
                                              "10") == "players_not_linked";
                            },
                            20s),
                        w.daemon().output());
  BOOST_TEST(w.scalar("SELECT room_reason_message FROM matches WHERE id = 10")
                 .find("Carol") != std::string::npos);
  // She links: the room opens and all three are invited.
  w.execute("UPDATE users SET racetime_id = 'u3', racetime_name = 'Racer3' "
            "WHERE id = 3");
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return has_room(w, 10);
                            },
                            20s),
                        w.daemon().output());
  w.use_race(room_of(w, 10));
  BOOST_TEST(race_world::wait_until(
      [&] {
        return race_world::has_entrant(w.race(), "u3",
                                       protocol::entrant_status::invited);
      },
      20s));
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'room_not_opened'") == 1);
}

BOOST_AUTO_TEST_CASE(two_manual_opens_at_once_make_one_room) {
  race_world w{no_room()};
  // Manual opens need no automatic rooms (nor a due match): only a bot
  // assigned and connected, and linked players when the tournament asks.
  w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
            "organization_id) VALUES (1, 1)");
  for (auto name : {"open the final", "open it again"})
    w.execute("INSERT INTO scheduled_tasks (name, task_type, "
              "schedule_type, run_at, config) VALUES ('" +
              std::string{name} +
              "', 'RACETIME_OPEN_ROOM', 'ONE_TIME', UTC_TIMESTAMP(6) + "
              "INTERVAL 3 SECOND, '{\"match_id\": 10, \"goal\": \"All "
              "dungeons\", \"invitational\": false}')");
  w.start_daemon();
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return w.count("SELECT COUNT(*) FROM "
                                             "scheduled_tasks WHERE "
                                             "last_run_status = "
                                             "'succeeded'") == 2;
                            },
                            30s),
                        w.daemon().output());
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms") == 1);
  BOOST_TEST(w.count("SELECT startrace_attempts FROM racetime_rooms") == 1);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'room_opened_manually'") == 1);
  BOOST_TEST(w.scalar("SELECT requested_by FROM racetime_rooms")
                 .find("scheduled task ") == 0u);
  // The overrides reached racetime-sim: the goal, and an open room.
  w.use_race(room_of(w, 10));
  auto r = w.race();
  BOOST_TEST(r.goal.name == "All dungeons");
  BOOST_TEST(r.status_info.value == "open");
  // Asked again for a match with a room: that room, nothing new.
  w.execute("INSERT INTO scheduled_tasks (name, task_type, schedule_type, "
            "run_at, config) VALUES ('once more', 'RACETIME_OPEN_ROOM', "
            "'ONE_TIME', UTC_TIMESTAMP(6), '{\"match_id\": 10}')");
  reload_rows(w);
  BOOST_REQUIRE_MESSAGE(w.daemon().wait_for_output("(it existed)", 30s),
                        w.daemon().output());
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms") == 1);
}

BOOST_AUTO_TEST_CASE(startrace_failing_in_every_way_never_makes_a_second_room) {
  auto o = no_room();
  o.bot_category_ttl = 2s; // racetime.gg caches its bot race list (60 s)
  race_world w{o};
  automate(w);
  w.execute("DELETE FROM match_players WHERE match_id = 10");
  w.execute("DELETE FROM matches WHERE id = 10");
  for (int i = 0; i < 5; ++i)
    add_match(w, 30 + i, std::chrono::seconds{6 + i});
  // The next four startrace requests fail: 503 before creating anything,
  // created then answered 503, created then the connection dropped, and
  // created but answered after the client gave up.
  for (auto fault :
       {R"({"status": 503})", R"({"status": 503, "serve_first": true})",
        R"({"drop_connection": true})",
        R"({"serve_first": true, "delay_ms": 2500})"}) {
    auto body = std::string{R"({"path_prefix": "/o/", "path_suffix": )"
                            R"("/startrace", "count": 1, )"} +
                (fault + 1);
    BOOST_REQUIRE(w.sim().control_post("/faults", body).status == 200);
  }
  w.start_daemon(
      {"--automation.recheck_interval=1s", "--automation.startrace_timeout=1s",
       "--automation.search_after=4s", "--automation.search_interval=500ms"});
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return w.count("SELECT COUNT(*) FROM "
                                             "racetime_rooms WHERE "
                                             "claim_state = 'created'") == 5;
                            },
                            60s),
                        w.daemon().output());
  // racetime-sim has exactly one race per match's marker, and each match's
  // row holds that race.
  auto races = protocol::parse_json(w.sim().control_get("/races").body);
  for (int i = 0; i < 5; ++i) {
    auto m = std::to_string(30 + i);
    auto marker = w.scalar(
        "SELECT claim_marker FROM racetime_rooms WHERE match_id = " + m);
    int found = 0;
    std::string name;
    for (const auto& r : races.GetArray())
      if (r["info_bot"].IsString() && r["info_bot"].GetString() == marker) {
        ++found;
        name = r["name"].GetString();
      }
    BOOST_TEST(found == 1, "match " << m);
    BOOST_TEST(room_of(w, 30 + i) == name, "match " << m);
  }
  BOOST_TEST(races.GetArray().Size() == 5u);
  // The rooms made before an error were found, not made again; the one
  // refused before anything was made was sent again under its claim.
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms WHERE adopted = "
                     "1") == 3);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms WHERE "
                     "startrace_attempts = 2 AND adopted = 0") == 1);
}

BOOST_AUTO_TEST_CASE(killed_between_claim_and_answer_the_room_is_adopted) {
  race_world w{no_room()};
  automate(w);
  w.execute("UPDATE matches SET scheduled_at = UTC_TIMESTAMP(6) + INTERVAL "
            "62 SECOND WHERE id = 10");
  // racetime.gg makes the room at once but answers only after 5 s.
  BOOST_REQUIRE(w.sim()
                    .control_post("/faults",
                                  R"({"path_prefix": "/o/", "path_suffix": )"
                                  R"("/startrace", "count": 1, )"
                                  R"("serve_first": true, "delay_ms": 5000})")
                    .status == 200);
  w.start_daemon({"--automation.recheck_interval=1s",
                  "--automation.search_after=4s",
                  "--automation.search_interval=500ms"});
  BOOST_REQUIRE_MESSAGE(w.daemon().wait_for_output("startrace attempt 1", 20s),
                        w.daemon().output());
  std::this_thread::sleep_for(300ms);
  w.kill_daemon();
  BOOST_TEST(w.scalar("SELECT claim_state FROM racetime_rooms WHERE "
                      "match_id = 10") == "creating");
  w.start_daemon({"--automation.recheck_interval=1s",
                  "--automation.search_after=4s",
                  "--automation.search_interval=500ms"});
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return has_room(w, 10);
                            },
                            30s),
                        w.daemon().output());
  BOOST_TEST(w.count("SELECT adopted FROM racetime_rooms") == 1);
  BOOST_TEST(w.count("SELECT startrace_attempts FROM racetime_rooms") == 1);
  auto races = protocol::parse_json(w.sim().control_get("/races").body);
  BOOST_TEST(races.GetArray().Size() == 1u);
  // The adopted room is watched: its players are invited.
  w.use_race(room_of(w, 10));
  BOOST_TEST(race_world::wait_until(
      [&] {
        return race_world::has_entrant(w.race(), "u1",
                                       protocol::entrant_status::invited);
      },
      20s));
}

BOOST_AUTO_TEST_CASE(late_within_grace_opens_past_grace_is_reported) {
  race_world w{no_room()};
  automate(w);
  w.execute("DELETE FROM match_players WHERE match_id = 10");
  w.execute("DELETE FROM matches WHERE id = 10");
  // While racecontrold was down: match 40's open time passed 6 minutes ago
  // (scheduled 5 minutes ago, grace 30), match 41's 41 minutes ago.
  add_match(w, 40, -6min);
  add_match(w, 41, -41min);
  w.start_daemon({"--automation.recheck_interval=1s"});
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return has_room(w, 40);
                            },
                            20s),
                        w.daemon().output());
  BOOST_TEST(w.count("SELECT TIMESTAMPDIFF(SECOND, m.scheduled_at - "
                     "INTERVAL 1 MINUTE, r.claimed_at) FROM racetime_rooms r "
                     "JOIN matches m ON m.id = r.match_id WHERE r.match_id = "
                     "40") >= 359);
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return w.scalar("SELECT COALESCE(room_reason, "
                                              "'') FROM matches WHERE id = "
                                              "41") == "window_passed";
                            },
                            20s),
                        w.daemon().output());
  std::this_thread::sleep_for(3s);
  BOOST_TEST(!has_room(w, 41));
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms WHERE match_id = "
                     "41") == 0);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'room_not_opened' AND entity_id = 41") == 1);
  BOOST_TEST(w.scalar("SELECT room_reason_message FROM matches WHERE id = 41")
                 .find("open it by hand") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_room_opened_then_raced_to_its_result) {
  race_world w{no_room()};
  automate(w);
  w.execute("UPDATE matches SET scheduled_at = UTC_TIMESTAMP(6) + INTERVAL "
            "61 SECOND WHERE id = 10");
  w.execute("UPDATE users SET racetime_id = 'u3', racetime_name = 'Racer3' "
            "WHERE id = 3");
  w.start_daemon({"--automation.recheck_interval=1s"});
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return has_room(w, 10);
                            },
                            20s),
                        w.daemon().output());
  w.use_race(room_of(w, 10));
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        auto r = w.race();
        return race_world::has_entrant(r, "u1",
                                       protocol::entrant_status::invited) &&
               race_world::has_entrant(r, "u2",
                                       protocol::entrant_status::invited) &&
               race_world::has_entrant(r, "u3",
                                       protocol::entrant_status::invited);
      },
      20s));
  for (auto u : {"u1", "u2", "u3"})
    w.user(u, "accept_invite");
  w.run_race();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 30s),
      w.daemon().output());
  w.check_result();
}

BOOST_AUTO_TEST_SUITE_END()
