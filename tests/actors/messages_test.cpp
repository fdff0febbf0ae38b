// Every message type survives CAF's serialization (as it must before any
// actor moves to another node), and racecontrol's errors keep their code
// and message.

#define BOOST_TEST_MODULE actors_messages
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include <typeinfo>

using namespace racecontrol;

namespace {

// One sample per message type, every field set to something that is not
// its default, so a field that inspect() forgets cannot come back equal.
template <class T>
T sample();

template <>
database_status sample<database_status>() {
  return {"10.11.6-MariaDB", "127.0.0.1:3306", "racecontrol", "20261122_000030",
          3};
}

template <>
node_status sample<node_status>() {
  return {"node-1", {"persistence", "bots"}, sample<database_status>()};
}

const timestamp t0{std::chrono::microseconds{1796135522600412}};

template <>
bot_record sample<bot_record>() {
  return {7,
          "alttpr",
          "racecontrol",
          "client-id",
          config::secret{"client-secret-value"},
          false};
}

template <>
std::vector<bot_record> sample<std::vector<bot_record>>() {
  return {sample<bot_record>(), sample<bot_record>()};
}

template <>
bot_state_change sample<bot_state_change>() {
  return {7, "auth_failed", "invalid_client", true};
}

template <>
room_record sample<room_record>() {
  return {3,
          "alttpr/cool-doge-1234",
          "alttpr",
          "cool-doge-1234",
          "in_progress",
          17,
          7,
          true,
          "w2",
          41};
}

template <>
std::vector<room_record> sample<std::vector<room_record>>() {
  return {sample<room_record>()};
}

template <>
room_context sample<room_context>() {
  persistence::match_summary m{17,
                               2,
                               1,
                               "League",
                               "Final",
                               t0,
                               t0 + std::chrono::hours{1},
                               std::nullopt,
                               std::string{"1048576000000000001"}};
  persistence::match_player_info p{
      5,      "Racer", std::string{"4BlRneEk9jxN6Qka"}, std::string{"RacerOne"},
      "done", 1,       race_duration{4512345678}};
  return {sample<room_record>(), m, {p, p}, 0xfeedfacecafebeefu};
}

template <>
poll_summary sample<poll_summary>() {
  return {12, 9, 2, 1};
}

template <>
room_watch_info sample<room_watch_info>() {
  return {3, "alttpr/cool-doge-1234",    "in_progress", "restarting",
          2, "racetime.gg answered 503", "w1"};
}

template <>
std::vector<room_watch_info> sample<std::vector<room_watch_info>>() {
  return {sample<room_watch_info>()};
}

entrant_state sample_entrant() {
  return {"4BlRneEk9jxN6Qka", "done", 2, race_duration{12216595}};
}

template <>
room_progress sample<room_progress>() {
  return {3, 17, std::string{"in_progress"}, {sample_entrant()}, t0, 41};
}

template <>
room_result sample<room_result>() {
  return {3,
          17,
          {sample_entrant(), {"x", "dnf", std::nullopt, std::nullopt}},
          t0,
          t0 + std::chrono::minutes{90},
          41};
}

template <>
result_outcome sample<result_outcome>() {
  return result_outcome::already_recorded;
}

template <>
room_closure sample<room_closure>() {
  return {3,
          "cancelled",
          "the race was cancelled on racetime.gg",
          false,
          41,
          std::chrono::system_clock::time_point{
              std::chrono::microseconds{1795311654396000}}};
}

template <>
room_changes sample<room_changes>() {
  return {std::chrono::system_clock::time_point{
              std::chrono::microseconds{1795311654396000}},
          {{3, 0x8000000000000001u}, {5, 0}, {8, 42}}};
}

template <>
audit_record sample<audit_record>() {
  return {1, "racetime_room.invited", "racetime_room", 3,
          R"({"user":"4BlRneEk9jxN6Qka"})"};
}

template <>
room_update sample<room_update>() {
  return {sample<room_progress>(), std::nullopt, 3, 41};
}

template <>
room_assignment sample<room_assignment>() {
  return {3, "w2"};
}

template <>
std::vector<room_update> sample<std::vector<room_update>>() {
  return {sample<room_update>(), {std::nullopt, sample<audit_record>()}};
}

template <>
protocol::race_snapshot sample<protocol::race_snapshot>() {
  protocol::race_snapshot r;
  r.name = "alttpr/cool-doge-1234";
  r.version = 12;
  r.status = "in_progress";
  r.opened_at = 1796135522600412;
  r.started_at = 1796135622600412;
  r.goal = "Beat the game";
  r.info_bot = "League - Final";
  r.entrants = {{"4BlRneEk9jxN6Qka", "Racer#1234", "done", 1,
                 std::chrono::microseconds{4512345678}},
                {"x", "Other#0001", "in_progress", std::nullopt, std::nullopt}};
  return r;
}

template <>
fetch_failure sample<fetch_failure>() {
  return {true, "GET /alttpr/cool-doge-1234/data: HTTP 404"};
}

template <>
socket_event sample<socket_event>() {
  return {socket_event::kind::dropped, "queue full: invite"};
}

template <>
token_grant sample<token_grant>() {
  return {
      "alttpr", config::secret{"token-value"},
      std::chrono::system_clock::time_point{std::chrono::seconds{1796135522}}};
}

template <>
token_news sample<token_news>() {
  return {token_news::kind::retrying, "POST /o/token: HTTP 503", 4000};
}

template <>
category_goals sample<category_goals>() {
  return {{"Beat the game", "Any% NMG"}};
}

template <>
bot_info sample<bot_info>() {
  return {
      7,    "alttpr",         "racecontrol", "auth_failed", "invalid_client",
      true, {"Beat the game"}};
}

template <>
std::vector<bot_info> sample<std::vector<bot_info>>() {
  return {sample<bot_info>(), sample<bot_info>()};
}

// --- the room automation's ---

template <>
race_settings sample<race_settings>() {
  race_settings s;
  s.goal = "Beat the game";
  s.team_race = true;
  s.invitational = true;
  s.ranked = false;
  s.unlisted = true;
  s.info_user = "Demo Cup - Final - Scheduled: 2026-12-02 20:00 UTC";
  s.info_bot = "racecontrol match 7 claim 0123456789abcdef";
  s.require_even_teams = true;
  s.start_delay = 30;
  s.time_limit = 12;
  s.time_limit_auto_complete = true;
  s.streaming_required = false;
  s.auto_start = false;
  s.allow_comments = false;
  s.hide_comments = true;
  s.allow_prerace_chat = false;
  s.allow_midrace_chat = false;
  s.allow_non_entrant_chat = false;
  s.chat_message_delay = 5;
  s.partitionable = true;
  s.hide_entrants = false;
  return s;
}

template <>
start_race_request sample<start_race_request>() {
  return {7, sample<race_settings>(), "match 7 claim 0123456789abcdef"};
}

template <>
start_race_outcome sample<start_race_outcome>() {
  return {start_race_outcome::kind::refused,
          "alttpr/cool-doge-1234",
          "racetime.gg refused the settings",
          {"goal: required"},
          1500};
}

template <>
race_listing sample<race_listing>() {
  return {"alttpr/cool-doge-1234", "Demo Cup\nracecontrol match 7",
          "invitational",
          std::chrono::system_clock::time_point{std::chrono::seconds{1}}};
}

template <>
category_races sample<category_races>() {
  return {{sample<race_listing>(), sample<race_listing>()}};
}

template <>
room_claim_row sample<room_claim_row>() {
  room_claim_row r;
  r.room_id = 11;
  r.match_id = 7;
  r.claim_state = "creating";
  r.marker = "racecontrol match 7 claim 0123456789abcdef";
  r.slug = "alttpr/cool-doge-1234";
  r.category = "alttpr";
  r.bot_id = 3;
  r.status = "open";
  r.claimed_at = racecontrol::timestamp{std::chrono::seconds{1700000000}};
  r.claim_owner = "node-1";
  r.startrace_attempts = 2;
  r.last_attempt_at = racecontrol::timestamp{std::chrono::seconds{1700000090}};
  r.requested_by = "console: alice";
  r.requested_goal = "All Dungeons";
  r.requested_invitational = false;
  r.adopted = true;
  r.created_at = racecontrol::timestamp{std::chrono::seconds{1700000100}};
  return r;
}

template <>
std::vector<room_claim_row> sample<std::vector<room_claim_row>>() {
  return {sample<room_claim_row>(), sample<room_claim_row>()};
}

template <>
match_open_context sample<match_open_context>() {
  match_open_context c;
  c.match_id = 7;
  c.match_title = "Final";
  c.scheduled_at = racecontrol::timestamp{std::chrono::seconds{1700003600}};
  c.finished_at = racecontrol::timestamp{std::chrono::seconds{1700009000}};
  c.match_goal = "Beat the game";
  c.match_invitational = false;
  c.match_auto_create = false;
  c.tournament_id = 2;
  c.organization_id = 1;
  c.tournament_name = "Demo Cup";
  c.tournament_active = false;
  c.tournament_auto_create = true;
  c.room_open_minutes_before = 30;
  c.require_racetime_link = true;
  c.tournament_goal = "All dungeons";
  c.discord_channel_id = "123456789012345678";
  c.bot_id = 3;
  c.bot_name = "racecontrol";
  c.bot_category = "alttpr";
  c.bot_active = true;
  c.bot_assigned = true;
  c.players = {{5, "Alice", "111", "u1", "alice"},
               {6, "Bob", std::nullopt, std::nullopt, std::nullopt}};
  c.room = sample<room_claim_row>();
  c.reason_code = "players_not_linked";
  c.refused_settings = std::string(64, 'a');
  return c;
}

template <>
room_claim_result sample<room_claim_result>() {
  return {true, sample<room_claim_row>()};
}

template <>
claim_attempt sample<claim_attempt>() {
  return {11, "racecontrol match 7 claim 0123456789abcdef"};
}

template <>
claim_settled sample<claim_settled>() {
  return {11,
          "racecontrol match 7 claim 0123456789abcdef",
          "alttpr/cool-doge-1234",
          "invitational",
          true,
          R"({"goal":"Beat the game"})"};
}

template <>
claim_refused sample<claim_refused>() {
  return {11, "racecontrol match 7 claim 0123456789abcdef", "startrace_refused",
          "goal: required", std::string(64, 'b')};
}

template <>
match_reason sample<match_reason>() {
  return {7, "players_not_linked", "Bob has not linked a racetime.gg account"};
}

template <>
plan_query sample<plan_query>() {
  return {1, 2, racecontrol::timestamp{std::chrono::seconds{1700000000}},
          racecontrol::timestamp{std::chrono::seconds{1700086400}}};
}

template <>
tournament_plan sample<tournament_plan>() {
  tournament_plan p;
  p.tournament_id = 2;
  p.organization_id = 1;
  p.name = "Demo Cup";
  p.auto_create = true;
  p.active = false;
  p.room_open_minutes_before = 15;
  p.matches = {{7, racecontrol::timestamp{std::chrono::seconds{1700003600}},
                false, true, std::string{"window_passed"}},
               {8, std::nullopt, true, false, std::nullopt}};
  return p;
}

template <>
std::vector<tournament_plan> sample<std::vector<tournament_plan>>() {
  return {sample<tournament_plan>()};
}

template <>
manual_open sample<manual_open>() {
  return {7, std::string{"All dungeons"}, false, "console: alice"};
}

template <>
opening_request sample<opening_request>() {
  return {7,
          true,
          "racecontrol match 7 claim 0123456789abcdef",
          "node-1",
          "console: alice",
          std::string{"Any% \"NMG\""},
          false,
          {sample<bot_info>()},
          timestamp{std::chrono::microseconds{1764700000123456}},
          1800000000};
}

template <>
opening_result sample<opening_result>() {
  return {sample<match_open_context>(), sample<room_claim_result>(), true};
}

template <>
std::vector<opening_request> sample<std::vector<opening_request>>() {
  auto second = sample<opening_request>();
  second.match_id = 8;
  second.goal.reset();
  return {sample<opening_request>(), second};
}

template <>
opening_reply sample<opening_reply>() {
  return {sample<opening_result>(), caf::error{}};
}

template <>
std::vector<opening_reply> sample<std::vector<opening_reply>>() {
  return {sample<opening_reply>(),
          {std::nullopt, make_error(ec::not_found, "no match has id 8")}};
}

template <>
std::vector<claim_settled> sample<std::vector<claim_settled>>() {
  auto second = sample<claim_settled>();
  second.room_id += 1;
  second.adopted = !second.adopted;
  return {sample<claim_settled>(), second};
}

template <>
settle_reply sample<settle_reply>() {
  return {sample<room_context>(), caf::error{}};
}

template <>
std::vector<settle_reply> sample<std::vector<settle_reply>>() {
  return {sample<settle_reply>(),
          {std::nullopt, make_error(ec::database_unavailable, "lost")}};
}

template <>
std::vector<std::vector<room_update>>
sample<std::vector<std::vector<room_update>>>() {
  return {sample<std::vector<room_update>>(), {sample<room_update>()}};
}

template <>
update_reply sample<update_reply>() {
  return {true, caf::error{}};
}

template <>
std::vector<update_reply> sample<std::vector<update_reply>>() {
  return {sample<update_reply>(),
          {std::nullopt, make_error(ec::fenced, "room 4 placed again")}};
}

template <>
room_answer sample<room_answer>() {
  return {"alttpr/cool-doge-1234", "https://racetime.gg/alttpr/cool-doge-1234",
          2, "All dungeons", true};
}

template <>
match_outcome sample<match_outcome>() {
  return {7, 2, true, "window_passed"};
}

template <>
open_pass sample<open_pass>() {
  return {std::optional<std::int32_t>{4}};
}

template <>
open_pass_summary sample<open_pass_summary>() {
  return {3, 5, 2, 1, 4};
}

template <>
automation_change sample<automation_change>() {
  return {automation_change::kind::tournament, 9};
}

template <>
outbox_item sample<outbox_item>() {
  return {42,
          "123456789012345678",
          "race_finished",
          R"({"slug":"a/b"})",
          "rc0123456789abcdef0123",
          3};
}

template <>
std::vector<outbox_item> sample<std::vector<outbox_item>>() {
  return {sample<outbox_item>()};
}

template <>
outbox_result sample<outbox_result>() {
  return {42, outbox_result::kind::retry, "1122334455", "429: slow down", 2500};
}

// --- the scheduler's ---

template <>
task_record sample<task_record>() {
  task_record t;
  t.id = 9;
  t.organization_id = 2;
  t.name = "poll open rooms";
  t.task_type = "RACETIME_POLL_OPEN_ROOMS";
  t.schedule_type = "CRON";
  t.interval_seconds = 60;
  t.cron_expression = std::string{"*/5 * * * *"};
  t.run_at = t0;
  t.config_json = R"({"category":"alttpr"})";
  t.is_active = false;
  t.next_run_at = t0 + std::chrono::minutes{5};
  t.last_run_at = t0 - std::chrono::minutes{5};
  t.last_run_status = "failed";
  t.last_run_error = "no room supervisor on this node";
  t.run_started_at = t0;
  t.run_owner = "node-1";
  return t;
}

template <>
std::vector<task_record> sample<std::vector<task_record>>() {
  return {sample<task_record>(), sample<task_record>()};
}

template <>
task_schedule sample<task_schedule>() {
  return {9, t0, t0 + std::chrono::minutes{5}};
}

template <>
task_claim sample<task_claim>() {
  return {9, t0, t0 + std::chrono::minutes{5}, "node-1", t0, true};
}

template <>
claim_outcome sample<claim_outcome>() {
  return claim_outcome::busy;
}

template <>
task_finish sample<task_finish>() {
  return {9, "node-1", t0, "failed", "the room supervisor failed"};
}

template <>
task_invalid sample<task_invalid>() {
  return {9, "invalid schedule: cron '61 * * * *': minute 61 is out of range "
             "0-59"};
}

// --- the HTTP API's ---

persistence::match_player_info api_player() {
  return {5,
          "Racer \"Quote\"",
          std::string{"4BlRneEk9jxN6Qka"},
          std::string{"RacerOne"},
          "done",
          1,
          race_duration{4512345678}};
}

template <>
api_credentials sample<api_credentials>() {
  return {config::secret{"rc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}};
}

template <>
api_identity sample<api_identity>() {
  return {
      true,         "", 4, 2, "results bot", {"rooms:read", "matches:write"},
      "203.0.113.7"};
}

template <>
tournament_query sample<tournament_query>() {
  return {2, std::optional<std::int32_t>{9}, api_page{40, 51}};
}

template <>
tournament_view sample<tournament_view>() {
  return {9,
          2,
          "League",
          std::string{"Season 3"},
          true,
          std::optional<std::int32_t>{1},
          true,
          45,
          true,
          std::string{"Beat the game"},
          std::string{"100000000000000042"}};
}

template <>
std::vector<tournament_view> sample<std::vector<tournament_view>>() {
  return {sample<tournament_view>()};
}

template <>
room_view sample<room_view>() {
  return {5,
          std::optional<std::int32_t>{2},
          std::string{"alttpr/cool-doge-1234"},
          "alttpr",
          "finished",
          "created",
          "race ended",
          std::optional<std::int32_t>{10},
          std::optional<std::int32_t>{1},
          t0,
          true,
          "api-token:results bot#4",
          {api_player()}};
}

template <>
std::vector<room_view> sample<std::vector<room_view>>() {
  return {sample<room_view>()};
}

template <>
room_query sample<room_query>() {
  return {2, std::nullopt, std::string{"in_progress"}, api_page{3, 11}};
}

template <>
match_view sample<match_view>() {
  return {10,
          9,
          2,
          "Final",
          t0,
          t0 + std::chrono::hours{1},
          std::nullopt,
          std::string{"All dungeons"},
          false,
          true,
          std::string{"players_not_linked"},
          std::string{"Racer has not linked"},
          {api_player(), api_player()},
          sample<room_view>()};
}

template <>
std::vector<match_view> sample<std::vector<match_view>>() {
  return {sample<match_view>()};
}

template <>
match_query sample<match_query>() {
  return {2, std::nullopt, std::optional<std::int32_t>{9}, true,
          api_page{0, 21}};
}

template <>
overview_query sample<overview_query>() {
  return {std::optional<std::int32_t>{2}, 25};
}

template <>
overview_view sample<overview_view>() {
  return {{sample<match_view>()}, {sample<room_view>()}, {}};
}

template <>
database_gauges sample<database_gauges>() {
  return {{{"in_progress", 3}, {"", 1}}, 2, 7};
}

template <>
match_write sample<match_write>() {
  match_write w;
  w.match_id = 10;
  w.organization_id = 2;
  w.actor = "api-token:results bot#4";
  w.title = "Final'; DROP TABLE matches; --";
  w.scheduled_at = t0;
  w.clear_goal = true;
  w.invitational = false;
  w.players = std::vector<std::int32_t>{3, 4};
  return w;
}

template <>
task_query sample<task_query>() {
  return {2, std::optional<std::int32_t>{8}, api_page{5, 11}};
}

template <>
task_write sample<task_write>() {
  return {sample<task_record>(), 2, "api-token:ops#4", true};
}

template <>
bot_query sample<bot_query>() {
  return {2, std::optional<std::int32_t>{3}};
}

template <>
bot_view sample<bot_view>() {
  return {3,    "alttpr",      "ALTTPR \"bot\"", "client-id", false,
          true, "auth_failed", "invalid_client", t0};
}

template <>
std::vector<bot_view> sample<std::vector<bot_view>>() {
  return {sample<bot_view>(), sample<bot_view>()};
}

template <>
bot_write sample<bot_write>() {
  bot_write w;
  w.bot_id = 3;
  w.organization_id = 2;
  w.actor = "api-token:ops#4";
  w.category = "smz3";
  w.name = "x'; DROP TABLE racetime_bots; --";
  w.client_id = "cid";
  w.client_secret = config::secret{"client-secret-value"};
  w.is_active = false;
  return w;
}

// the admin console's

template <>
audit_query sample<audit_query>() {
  return {3,  std::string{"match"},      17, t0, std::int64_t{900},
          20, t0 + std::chrono::hours{1}};
}

template <>
audit_entry sample<audit_entry>() {
  return {0x1234567890ll,
          3,
          5,
          "racetime_room.created",
          "racetime_room",
          7,
          R"({"slug":"cool-doge-1234"})",
          t0};
}

template <>
std::vector<audit_entry> sample<std::vector<audit_entry>>() {
  return {sample<audit_entry>(), sample<audit_entry>()};
}

template <>
api_token_row sample<api_token_row>() {
  return {4,
          3,
          "Org \"A\"",
          "results bot",
          {"rooms:read", "admin"},
          t0,
          t0 + std::chrono::minutes{1},
          t0 + std::chrono::hours{1}};
}

template <>
std::vector<api_token_row> sample<std::vector<api_token_row>>() {
  return {sample<api_token_row>()};
}

template <>
api_token_order sample<api_token_order>() {
  return {3, "results bot", {"rooms:read", "matches:read"}};
}

template <>
api_token_issued sample<api_token_issued>() {
  return {sample<api_token_row>(), config::secret{"rc_plaintext-token"}};
}

template <>
api_token_revocation sample<api_token_revocation>() {
  return {4};
}

template <>
link_order sample<link_order>() {
  return {link_order::kind::unlink, 3, 7, "api-token:links \"x\"#4"};
}

template <>
link_callback sample<link_callback>() {
  return {config::secret{"state-abc"},
          false,
          "4BlRneEk9jxN6Qka",
          "RacerOne",
          config::secret{"access-1"},
          config::secret{"refresh-1"},
          36000};
}

template <>
link_answer sample<link_answer>() {
  return {7, "Carol", config::secret{"state-abc"}, t0, "Racer3"};
}

template <>
lease_claim sample<lease_claim>() {
  return {"coordinator", "coord-a", 5000};
}

template <>
lease_release sample<lease_release>() {
  return {"coordinator", "coord-a"};
}

template <>
lease_state sample<lease_state>() {
  return {"coordinator", "coord-b", 7, true, 4321};
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  fixture() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  caf::message round_trip(const caf::message& in) {
    std::vector<char> buf;
    caf::binary_serializer sink{*sys, buf};
    auto err = sink(const_cast<caf::message&>(in));
    BOOST_REQUIRE_MESSAGE(!err, "serialize: " << sys->render(err));
    caf::message out;
    caf::binary_deserializer source{*sys, buf};
    err = source(out);
    BOOST_REQUIRE_MESSAGE(!err, "deserialize: " << sys->render(err));
    return out;
  }

  template <class T>
  void check_type() {
    BOOST_TEST_CONTEXT(typeid(T).name()) {
      BOOST_TEST(cfg.type_names_by_rtti.count(std::type_index{typeid(T)}) == 1u,
                 "not registered in register_message_types");
      T value = sample<T>();
      auto back = round_trip(caf::make_message(value));
      BOOST_REQUIRE(back.template match_element<T>(0));
      BOOST_TEST((back.template get_as<T>(0) == value),
                 caf::deep_to_string(back.template get_as<T>(0)));
      BOOST_TEST(!(T{} == value), "the sample must differ from a default");
    }
  }

  template <class... Ts>
  void check_all(caf::detail::type_list<Ts...>) {
    (check_type<Ts>(), ...);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(message_serialization, fixture)

BOOST_AUTO_TEST_CASE(every_message_type_round_trips) {
  check_all(message_types{});
}

BOOST_AUTO_TEST_CASE(secrets_cross_but_never_print) {
  auto bot = sample<bot_record>();
  BOOST_TEST(caf::deep_to_string(bot).find("client-secret-value") ==
                 std::string::npos,
             caf::deep_to_string(bot));
  BOOST_TEST(caf::deep_to_string(bot).find("***") != std::string::npos);
  auto back = round_trip(caf::make_message(bot));
  BOOST_TEST(back.get_as<bot_record>(0).client_secret.reveal() ==
             "client-secret-value");
}

BOOST_AUTO_TEST_CASE(errors_keep_code_and_message) {
  auto err = make_error(ec::component_failed, "bots failed 6 times");
  auto back = round_trip(caf::make_message(err));
  BOOST_REQUIRE(back.match_element<caf::error>(0));
  const auto& e = back.get_as<caf::error>(0);
  BOOST_TEST(e.code() == static_cast<std::uint8_t>(ec::component_failed));
  BOOST_TEST(describe(e) == "component_failed: bots failed 6 times");
}

BOOST_AUTO_TEST_SUITE_END()
