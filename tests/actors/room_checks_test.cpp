// Seed 001's checks in its order, the window's edges, the room settings of
// its table, the claim marker that must find exactly its own room, and what
// an opener decides with all of them.

#define BOOST_TEST_MODULE actors_room_checks
#include <boost/test/unit_test.hpp>

#include "actors/match_room_settings.hpp"
#include "actors/room_checks.hpp"
#include "tests/support/ready_match.hpp"

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

const timestamp scheduled{std::chrono::seconds{1796155200}}; // 12-01 20:00 UTC
constexpr std::chrono::microseconds grace = 30min;

/// Due now: 10 minutes after its open time, 50 minutes before the match.
match_open_context ready_match() {
  return test::ready_match(scheduled);
}

using test::connected_bot;

const timestamp now = scheduled - 50min;

check_verdict run(const match_open_context& m,
                  open_mode mode = open_mode::automatic,
                  std::optional<bot_info> bot = connected_bot(),
                  timestamp at = now) {
  return check(m, bot ? &*bot : nullptr, at, grace, mode);
}

std::string code_of(const check_verdict& v) {
  return v.what == check_verdict::kind::blocked ? v.reason.code : "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(room_checks)

BOOST_AUTO_TEST_CASE(a_ready_match_opens) {
  BOOST_TEST((run(ready_match()).what == check_verdict::kind::open));
  BOOST_TEST((run(ready_match(), open_mode::manual).what ==
              check_verdict::kind::open));
}

BOOST_AUTO_TEST_CASE(each_check_alone_gives_its_code) {
  auto m = ready_match();
  m.tournament_auto_create = false;
  BOOST_TEST(code_of(run(m)) == "tournament_auto_create_off");
  BOOST_TEST(run(m).reason.message.find("Demo Cup") != std::string::npos);

  m = ready_match();
  m.bot_id.reset();
  BOOST_TEST(code_of(run(m)) == "no_bot");
  m = ready_match();
  m.bot_active = false;
  BOOST_TEST(code_of(run(m)) == "no_bot");
  m = ready_match();
  m.bot_assigned = false;
  BOOST_TEST(code_of(run(m)) == "no_bot");

  BOOST_TEST(code_of(run(ready_match(), open_mode::automatic, std::nullopt)) ==
             "bot_not_connected");
  auto failing = connected_bot();
  failing.status = "auth_failed";
  failing.message = "invalid_client";
  auto v = run(ready_match(), open_mode::automatic, failing);
  BOOST_TEST(code_of(v) == "bot_not_connected");
  BOOST_TEST(v.reason.message.find("invalid_client") != std::string::npos);
  auto starting = connected_bot();
  starting.status = "starting";
  starting.has_token = false;
  BOOST_TEST((run(ready_match(), open_mode::automatic, starting).what ==
              check_verdict::kind::wait));
  auto tokenless = connected_bot();
  tokenless.has_token = false;
  BOOST_TEST(code_of(run(ready_match(), open_mode::automatic, tokenless)) ==
             "bot_not_connected");

  m = ready_match();
  m.match_auto_create = false;
  BOOST_TEST(code_of(run(m)) == "match_auto_create_off");

  BOOST_TEST(code_of(run(ready_match(), open_mode::automatic, connected_bot(),
                         scheduled + grace)) == "window_passed");

  m = ready_match();
  m.room = room_claim_row{};
  BOOST_TEST((run(m).what == check_verdict::kind::has_room));

  m = ready_match();
  m.players.push_back({3, "Carol", std::nullopt, std::nullopt, std::nullopt});
  m.players.push_back({4, "Dave", "44", std::nullopt, std::nullopt});
  v = run(m);
  BOOST_TEST(code_of(v) == "players_not_linked");
  BOOST_TEST(v.reason.message.find("Carol, Dave") != std::string::npos);
  m.require_racetime_link = false;
  BOOST_TEST((run(m).what == check_verdict::kind::open));
}

BOOST_AUTO_TEST_CASE(the_first_failure_in_seed_order_wins) {
  auto m = ready_match();
  m.tournament_auto_create = false;
  m.bot_id.reset();
  m.match_auto_create = false;
  BOOST_TEST(code_of(run(m)) == "tournament_auto_create_off");
  m.tournament_auto_create = true;
  BOOST_TEST(code_of(run(m)) == "no_bot");
  m.bot_id = 3;
  BOOST_TEST(code_of(run(m, open_mode::automatic, std::nullopt)) ==
             "bot_not_connected");
  BOOST_TEST(code_of(run(m)) == "match_auto_create_off");
  m.match_auto_create = true;
  m.players.push_back({3, "Carol", std::nullopt, std::nullopt, std::nullopt});
  BOOST_TEST(code_of(run(m, open_mode::automatic, connected_bot(),
                         scheduled + grace)) == "window_passed");
  BOOST_TEST(code_of(run(m)) == "players_not_linked");
  m.room = room_claim_row{};
  BOOST_TEST((run(m).what == check_verdict::kind::has_room));
}

BOOST_AUTO_TEST_CASE(a_manual_open_skips_the_flags_and_the_window) {
  auto m = ready_match();
  m.tournament_auto_create = false;
  m.match_auto_create = false;
  m.scheduled_at.reset();
  BOOST_TEST((run(m, open_mode::manual).what == check_verdict::kind::open));
  BOOST_TEST((run(m, open_mode::manual, connected_bot(), scheduled + 5h).what ==
              check_verdict::kind::open));
  // ...not the bot or the links.
  BOOST_TEST(code_of(run(m, open_mode::manual, std::nullopt)) ==
             "bot_not_connected");
  m.players.push_back({3, "Carol", std::nullopt, std::nullopt, std::nullopt});
  BOOST_TEST(code_of(run(m, open_mode::manual)) == "players_not_linked");
}

BOOST_AUTO_TEST_CASE(the_window_has_exact_edges) {
  auto open_at = scheduled - 60min;
  BOOST_TEST(
      (window(scheduled, 60, grace, open_at - 1us) == window_state::not_yet));
  BOOST_TEST((window(scheduled, 60, grace, open_at) == window_state::due));
  BOOST_TEST((window(scheduled, 60, grace, scheduled + grace - 1us) ==
              window_state::due));
  BOOST_TEST((window(scheduled, 60, grace, scheduled + grace) ==
              window_state::past_grace));
  BOOST_TEST(
      (run(ready_match(), open_mode::automatic, connected_bot(), open_at - 1us)
           .what == check_verdict::kind::wait));
  BOOST_TEST((
      run(ready_match(), open_mode::automatic, connected_bot(), open_at).what ==
      check_verdict::kind::open));
  auto m = ready_match();
  m.finished_at = scheduled;
  BOOST_TEST(code_of(run(m, open_mode::manual)) == "match_finished");
}

BOOST_AUTO_TEST_CASE(settings_follow_seed_001s_table) {
  auto m = ready_match();
  auto s = match_room_settings(m, {}, "racecontrol match 7 claim 00ff");
  BOOST_TEST(s.goal == "Beat the game");
  m.tournament_goal = "All dungeons";
  BOOST_TEST(match_room_settings(m, {}, "x").goal == "All dungeons");
  m.match_goal = "Triforce pieces";
  BOOST_TEST(match_room_settings(m, {}, "x").goal == "Triforce pieces");
  BOOST_TEST(
      match_room_settings(m, {std::string{"100%"}, std::nullopt}, "x").goal ==
      "100%");
  BOOST_TEST(s.info_user ==
             "Demo Cup - Final - Scheduled: 2026-12-01 20:00 UTC");
  BOOST_TEST(s.info_bot == "racecontrol match 7 claim 00ff");
  BOOST_TEST(s.invitational);
  m.match_invitational = false;
  BOOST_TEST(!match_room_settings(m, {}, "x").invitational);
  BOOST_TEST(match_room_settings(m, {std::nullopt, true}, "x").invitational);
  m.match_title.clear();
  BOOST_TEST(match_room_settings(m, {}, "x").info_user ==
             "Demo Cup - Match 7 - Scheduled: 2026-12-01 20:00 UTC");
  BOOST_TEST(!s.unlisted);
  BOOST_TEST(s.start_delay == 15);
  BOOST_TEST(s.time_limit == 24);
  BOOST_TEST(s.streaming_required);
  BOOST_TEST(s.auto_start);
  BOOST_TEST(s.allow_comments);
  BOOST_TEST(s.hide_comments);
  BOOST_TEST(s.allow_prerace_chat);
  BOOST_TEST(s.allow_midrace_chat);
  BOOST_TEST(!s.allow_non_entrant_chat);
  BOOST_TEST(s.chat_message_delay == 0);
  BOOST_TEST(!s.team_race);
  BOOST_TEST(!s.require_even_teams);
  BOOST_TEST(protocol::validate(s).empty());
  // goal or custom_goal, by the category's goals.
  auto form = protocol::startrace_form(s, {"Beat the game"});
  auto has = [&](const std::string& key) {
    for (const auto& [k, v] : form)
      if (k == key)
        return true;
    return false;
  };
  BOOST_TEST(has("goal"));
  BOOST_TEST(!has("custom_goal"));
  form = protocol::startrace_form(s, {"Any%"});
  BOOST_TEST(has("custom_goal"));
}

BOOST_AUTO_TEST_CASE(a_marker_finds_its_room_and_no_other) {
  auto marker = make_marker(1);
  BOOST_TEST(marker.rfind("racecontrol match 1 claim ", 0) == 0u);
  BOOST_TEST(marker.size() ==
             std::string{"racecontrol match 1 claim "}.size() + 16);
  BOOST_TEST(make_marker(1) != marker);
  auto other = "racecontrol match 17 claim 0123456789abcdef";
  category_races races{
      {{"alttpr/a", "Demo Cup - Final\n" + marker, "open", std::nullopt},
       {"alttpr/b", std::string{"Demo Cup - Semi\n"} + other, "open",
        std::nullopt},
       {"alttpr/c", "Demo Cup\n" + marker + "x", "open", std::nullopt}}};
  auto found = find_marked(races, marker);
  BOOST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].name == "alttpr/a");
  BOOST_TEST(
      find_marked(races, "racecontrol match 1 claim 0123456789abcde").empty());
}

BOOST_AUTO_TEST_CASE(the_settings_hash_ignores_only_the_marker) {
  auto m = ready_match();
  auto a = match_room_settings(m, {}, "racecontrol match 7 claim 1");
  auto b = match_room_settings(m, {}, "racecontrol match 7 claim 2");
  BOOST_TEST(settings_hash(a) == settings_hash(b));
  BOOST_TEST(settings_hash(a).size() == 64u);
  b.goal = "All dungeons";
  BOOST_TEST(settings_hash(a) != settings_hash(b));
  b = a;
  b.invitational = !a.invitational;
  BOOST_TEST(settings_hash(a) != settings_hash(b));
}

// --- decide_open: what the persistence worker and the opener both decide --

namespace {

open_decision decide(const match_open_context& m,
                     std::vector<bot_info> bots = {connected_bot()},
                     timestamp at = now, open_overrides overrides = {},
                     std::string requested_by = "") {
  return decide_open(m, bots, at, grace, open_mode::automatic,
                     std::move(overrides), std::move(requested_by));
}

room_claim_row earlier_claim(std::string state) {
  room_claim_row row;
  row.room_id = 4;
  row.match_id = 7;
  row.claim_state = std::move(state);
  row.marker = "racecontrol match 7 claim 0123456789abcdef";
  return row;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_ready_match_is_claimed_with_its_own_bots_state) {
  using kind = open_decision::kind;
  auto d = decide(ready_match());
  BOOST_TEST((d.what == kind::claim));
  BOOST_TEST(d.settings.goal == "Beat the game");
  BOOST_TEST(d.settings.info_bot.empty());
  // Another bot's connection says nothing about the match's bot.
  auto other = connected_bot();
  other.bot_id = 9;
  d = decide(ready_match(), {other});
  BOOST_TEST((d.what == kind::blocked));
  BOOST_TEST(d.reason.code == "bot_not_connected");
  d = decide(ready_match(), {other, connected_bot()});
  BOOST_TEST((d.what == kind::claim));
}

BOOST_AUTO_TEST_CASE(a_failing_check_or_an_early_time_decides_no_claim) {
  using kind = open_decision::kind;
  auto m = ready_match();
  m.players[1].racetime_id.reset();
  auto d = decide(m);
  BOOST_TEST((d.what == kind::blocked));
  BOOST_TEST(d.reason.code == "players_not_linked");
  BOOST_TEST((decide(ready_match(), {connected_bot()}, scheduled - 2h).what ==
              kind::wait));
}

BOOST_AUTO_TEST_CASE(an_earlier_claim_is_recovered_before_any_check) {
  using kind = open_decision::kind;
  auto m = ready_match();
  m.tournament_auto_create = false; // a check that would fail
  m.room = earlier_claim("creating");
  m.room->requested_by = "console: alice";
  m.room->requested_goal = "All dungeons";
  m.room->requested_invitational = false;
  auto d = decide(m, {});
  BOOST_TEST((d.what == kind::existing_room));
  // An earlier manual claim is asked for again as the organizer asked.
  BOOST_TEST(d.requested_by == "console: alice");
  BOOST_TEST(d.settings.goal == "All dungeons");
  BOOST_TEST(!d.settings.invitational);
  // A request of its own keeps its own overrides.
  d = decide(m, {}, now, {std::string{"Any%"}, std::nullopt}, "api: bob");
  BOOST_TEST(d.requested_by == "api: bob");
  BOOST_TEST(d.settings.goal == "Any%");
  // A created room is the match's room (check 6, after the first five).
  m = ready_match();
  m.room = earlier_claim("created");
  BOOST_TEST((decide(m).what == kind::existing_room));
}

BOOST_AUTO_TEST_CASE(a_manual_open_of_a_match_with_its_room_gets_that_room) {
  // The room opened at the open time; its bot dropped since (or the match
  // finished): an organizer asking for the room gets it, with the goal it
  // was opened with, not a refusal (stored, audited and announced).
  using kind = open_decision::kind;
  auto m = ready_match();
  m.room = earlier_claim("created");
  auto d = decide_open(m, {}, now, grace, open_mode::manual,
                       {std::string{"Finals"}, std::nullopt}, "api: bob");
  BOOST_TEST((d.what == kind::existing_room));
  BOOST_TEST(d.reason.code.empty());
  BOOST_TEST(d.settings.goal == "Beat the game");
  m.finished_at = now - 5min;
  BOOST_TEST((decide_open(m, {connected_bot()}, now, grace, open_mode::manual,
                          {}, "api: bob")
                  .what == kind::existing_room));
  // A room opened by hand with a goal of its own answers with that goal.
  m.room->requested_goal = "All dungeons";
  d = decide_open(m, {}, now, grace, open_mode::manual, {}, "api: bob");
  BOOST_TEST(d.settings.goal == "All dungeons");
}

BOOST_AUTO_TEST_CASE(settings_refused_before_are_not_sent_again) {
  using kind = open_decision::kind;
  auto m = ready_match();
  m.refused_settings = settings_hash(match_room_settings(m, {}, ""));
  BOOST_TEST((decide(m).what == kind::refused_before));
  // Changed settings (here by a manual override) may be tried.
  auto d = decide(m, {connected_bot()}, now, {std::string{"Any%"}, {}});
  BOOST_TEST((d.what == kind::claim));
}

BOOST_AUTO_TEST_SUITE_END()
