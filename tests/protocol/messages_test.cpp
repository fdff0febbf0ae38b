#define BOOST_TEST_MODULE protocol_messages
#include <boost/test/unit_test.hpp>

#include "protocol/bot_actions.hpp"
#include "protocol/json.hpp"
#include "protocol/oauth_messages.hpp"
#include "protocol/race_data.hpp"
#include "protocol/race_settings.hpp"
#include "protocol/server_messages.hpp"

#include <algorithm>

using namespace racecontrol::protocol;
using namespace std::chrono_literals;

namespace {

// Real shapes, from racetime-protocol.md (checked against the server).
const std::string race_json =
    R"({"version": 1, "name": "testcat/crafty-vivi-7962", "slug": "crafty-vivi-7962",
 "status": {"value": "open", "verbose_value": "Open", "help_text": "Anyone may join this race"},
 "url": "/testcat/crafty-vivi-7962", "data_url": "/testcat/crafty-vivi-7962/data",
 "websocket_url": "/ws/race/crafty-vivi-7962", "websocket_bot_url": "/ws/o/bot/crafty-vivi-7962",
 "websocket_oauth_url": "/ws/o/race/crafty-vivi-7962",
 "category": {"name": "Test Category", "short_name": "TEST", "slug": "testcat", "url": "/testcat", "data_url": "/testcat/data", "image": null},
 "goal": {"name": "Any%", "custom": false}, "info": "", "info_bot": "", "info_user": "", "team_race": false,
 "entrants_count": 1, "entrants_count_finished": 1, "entrants_count_inactive": 0, "entrants": [
  {"user": {"id": "4BlRneEk9jxN6Qka", "full_name": "RacerOne#4755", "name": "RacerOne", "discriminator": "4755",
    "url": "/user/4BlRneEk9jxN6Qka/racerone", "avatar": null, "pronouns": null, "flair": "",
    "twitch_name": null, "twitch_display_name": null, "twitch_channel": null, "can_moderate": false},
   "team": null, "status": {"value": "done", "verbose_value": "Finished", "help_text": "Finished the race."},
   "finish_time": "P0DT00H00M12.216595S", "finished_at": "2026-11-22T01:44:46.815Z", "place": 1, "place_ordinal": "1st",
   "score": null, "score_change": null, "comment": null, "has_comment": false, "stream_live": false,
   "stream_override": false, "actions": ["add_comment", "undone"]}],
 "opened_at": "2026-11-22T01:40:54.396Z", "start_delay": "P0DT00H00M15S", "started_at": null, "ended_at": null,
 "cancelled_at": null, "ranked": true, "unlisted": false, "time_limit": "P1DT00H00M00S",
 "time_limit_auto_complete": false, "require_even_teams": false, "streaming_required": false, "auto_start": true,
 "opened_by": null, "opened_by_bot": "TestBot", "monitors": [], "recordable": true, "recorded": false,
 "recorded_by": null, "disqualify_unready": false, "allow_comments": true, "hide_comments": false,
 "hide_entrants": false, "chat_restricted": false, "allow_prerace_chat": true, "allow_midrace_chat": true,
 "allow_non_entrant_chat": false, "chat_message_delay": "P0DT00H00M00S", "bot_meta": {"seed": "abc"},
 "some_future_field": [1, 2, 3]})";

std::string error_of(const std::string& json) {
  auto r = parse_race_data(json);
  BOOST_REQUIRE(!r);
  return r.error().message;
}

std::string replace(std::string text, const std::string& from,
                    const std::string& to) {
  auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

} // namespace

BOOST_AUTO_TEST_CASE(valid_utf8_takes_every_form_and_refuses_the_malformed) {
  for (const char* good : {"", "plain", "Fin\xc3\xa4le", "\xe2\x82\xac",
                           "\xf0\x9f\x8f\x81 flag", "\xf4\x8f\xbf\xbf"})
    BOOST_TEST(valid_utf8(good), good);
  for (const char* bad : {"Fin\xe4le",             // Latin-1
                          "\x80",                  // a continuation byte first
                          "\xc3",                  // cut short
                          "\xc0\xaf",              // overlong '/'
                          "\xe0\x80\xaf",          // overlong, three bytes
                          "\xed\xa0\x80",          // a surrogate
                          "\xf4\x90\x80\x80",      // past U+10FFFF
                          "\xf8\x88\x80\x80\x80"}) // five bytes
    BOOST_TEST(!valid_utf8(bad), bad);
}

BOOST_AUTO_TEST_SUITE(race_documents)

BOOST_AUTO_TEST_CASE(race_data_from_the_protocol_document) {
  auto r = parse_race_data(race_json);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(r), (r ? "" : r.error().message));
  BOOST_TEST(r->name == "testcat/crafty-vivi-7962");
  BOOST_TEST((r->status == race_status::open));
  BOOST_TEST(r->websocket_bot_url == "/ws/o/bot/crafty-vivi-7962");
  BOOST_TEST(r->category.slug == "testcat");
  BOOST_TEST(r->goal.name == "Any%");
  BOOST_TEST(!r->goal.custom);
  BOOST_TEST(r->start_delay.count() == 15000000);
  BOOST_TEST(r->time_limit.count() == 86400000000LL);
  BOOST_TEST(r->opened_by_bot.value() == "TestBot");
  BOOST_TEST(!r->opened_by);
  BOOST_TEST(r->bot_meta == R"({"seed":"abc"})");
  BOOST_REQUIRE_EQUAL(r->entrants.size(), 1u);
  const auto& e = r->entrants[0];
  BOOST_TEST(e.user.id == "4BlRneEk9jxN6Qka");
  BOOST_TEST(e.user.discriminator.value() == "4755");
  BOOST_TEST((e.status == entrant_status::done));
  BOOST_TEST(e.finish_time->count() == 12216595);
  BOOST_TEST(e.place.value() == 1);
  BOOST_TEST(e.actions.size() == 2u);
  BOOST_TEST(e.team == "null");
}

BOOST_AUTO_TEST_CASE(serialize_then_parse_keeps_every_field) {
  auto r = parse_race_data(race_json);
  BOOST_REQUIRE(r);
  r->status = race_status::in_progress;
  r->status_info.value = "in_progress";
  r->started_at = r->opened_at;
  auto again = parse_race_data(serialize(*r));
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(again),
                        (again ? "" : again.error().message));
  BOOST_TEST(serialize(*again) == serialize(*r));
  BOOST_TEST((again->status == race_status::in_progress));
  BOOST_TEST((again->started_at == r->opened_at));
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  BOOST_TEST(
      error_of(replace(race_json, R"("version": 1)", R"("version": "1")")) ==
      "version: expected a whole number, got a string");
  BOOST_TEST(error_of(replace(race_json, R"("id": "4BlRneEk9jxN6Qka", )",
                              "")) == "entrants[0].user.id: missing");
  BOOST_TEST(
      error_of(replace(race_json, R"("place": 1,)", R"("place": "first",)")) ==
      "entrants[0].place: expected a whole number, got a string");
  BOOST_TEST(error_of(replace(race_json, R"("start_delay": "P0DT00H00M15S")",
                              R"("start_delay": "fifteen")")) ==
             "start_delay: 'fifteen' is not an ISO-8601 duration");
  BOOST_TEST(
      error_of(replace(race_json, R"("opened_at": "2026-11-22T01:40:54.396Z")",
                       R"("opened_at": 1234)")) ==
      "opened_at: expected a string, got a number");
  BOOST_TEST(
      error_of(replace(race_json, R"("entrants": [)", R"("entrants": {"x": [)"))
          .rfind("malformed JSON", 0) == 0u);
  BOOST_TEST(error_of("[]") == "document: expected an object, got an array");
}

BOOST_AUTO_TEST_CASE(unknown_status_values_are_kept_not_fatal) {
  auto r = parse_race_data(
      replace(race_json, R"("value": "open")", R"("value": "on_hold")"));
  BOOST_REQUIRE(r);
  BOOST_TEST((r->status == race_status::unknown));
  BOOST_TEST(r->status_info.value == "on_hold");
}

BOOST_AUTO_TEST_CASE(malformed_input_never_crashes) {
  // Truncated at every length.
  for (std::size_t n = 0; n < race_json.size(); n += 7)
    BOOST_TEST(!parse_race_data(race_json.substr(0, n)));
  // Deep nesting: the parser is iterative.
  std::string deep(200000, '[');
  BOOST_TEST(!parse_race_data(deep));
  std::string deep_object = "{\"bot_meta\":" + std::string(100000, '[') +
                            std::string(100000, ']') + "}";
  BOOST_TEST(!parse_race_data(deep_object));
  // Over the size limit: refused before parsing.
  std::string huge = "{\"name\":\"" + std::string(5 * 1024 * 1024, 'x') + "\"}";
  auto big = parse_race_data(huge);
  BOOST_REQUIRE(!big);
  BOOST_TEST(big.error().message.find("exceeds the limit") !=
             std::string::npos);
  // Strings that are not UTF-8, NUL bytes, numbers out of range.
  BOOST_TEST(!parse_race_data(std::string("{\"version\": 1\0}", 15)));
  BOOST_TEST(error_of(replace(race_json, R"("version": 1)",
                              R"("version": 99999999999999999999999)")) ==
             "version: expected a whole number, got a number");
  BOOST_TEST(!parse_race_data("{\"version\": NaN}"));
}

BOOST_AUTO_TEST_CASE(category_data_with_and_without_races) {
  std::string json =
      R"({"name": "ALttPR", "short_name": "ALTTPR", "slug": "alttpr", "url": "/alttpr",
    "data_url": "/alttpr/data", "image": null, "info": null, "streaming_required": true, "owners": [],
    "moderators": [], "goals": ["Beat the game", "Any% NMG"], "current_races": [
    {"name": "alttpr/cool-doge-1234", "status": {"value": "pending", "verbose_value": "Starting", "help_text": ""},
     "url": "/alttpr/cool-doge-1234", "data_url": "/alttpr/cool-doge-1234/data",
     "goal": {"name": "Beat the game", "custom": false}, "info": "", "entrants_count": 2,
     "entrants_count_finished": 0, "entrants_count_inactive": 0, "opened_at": "2026-11-22T01:40:54.396Z",
     "started_at": "2026-11-22T01:50:54Z", "time_limit": "P1DT00H00M00S", "opened_by_bot": "Saha"}],
    "emotes": {}})";
  auto c = parse_category_data(json);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(c), (c ? "" : c.error().message));
  BOOST_TEST(c->goals.size() == 2u);
  BOOST_REQUIRE_EQUAL(c->current_races.size(), 1u);
  BOOST_TEST((c->current_races[0].status == race_status::pending));
  auto again = parse_category_data(serialize(*c));
  BOOST_REQUIRE(again);
  BOOST_TEST(serialize(*again) == serialize(*c));
  auto bad = parse_category_data(
      replace(json, R"("goals": ["Beat the game", "Any% NMG"])",
              R"("goals": ["Beat the game", 7])"));
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().message ==
             "goals[1]: expected a string, got a number");
}

BOOST_AUTO_TEST_CASE(category_data_of_twelve_thousand_open_races) {
  // A node watching 10,000 rooms of one category: the bot's category
  // refresh read 4.9 MB (racetime.gg's spacing) and failed on the 4 MiB
  // document limit, and the bot row said connection_error (rooms_bench at
  // 10,000 rooms). 12,000 races written compactly are as large.
  category_data c;
  c.name = "ALttPR";
  c.slug = "alttpr";
  c.goals = {"Beat the game"};
  race_summary r;
  r.status = race_status::open;
  r.goal.name = "Beat the game";
  r.info = "Bench Cup - Match 1\nmatch:1";
  for (int i = 0; i < 12000; ++i) {
    r.name = "alttpr/clever-kirby-" + std::to_string(1000 + i);
    r.url = "/" + r.name;
    r.data_url = r.url + "/data";
    c.current_races.push_back(r);
  }
  auto text = serialize(c);
  BOOST_TEST(text.size() > 4u * 1024 * 1024);
  auto parsed = parse_category_data(text);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(parsed),
                        (parsed ? "" : parsed.error().message));
  BOOST_TEST(parsed->current_races.size() == 12000u);
  BOOST_TEST(parsed->current_races.back().name == "alttpr/clever-kirby-12999");
  // Still bounded.
  auto huge = "{\"name\":\"" + std::string(category_data_limit, 'x') + "\"}";
  auto refused = parse_category_data(huge);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().message.find("exceeds the limit") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(oauth_documents)

BOOST_AUTO_TEST_CASE(token_response_and_errors) {
  auto t = parse_token_response(
      R"({"access_token": "dVnfPdpCdHRII6OZlwNcWxPxAK3Imn", "expires_in": 36000, "token_type": "Bearer",
        "scope": "read chat_message race_action create_race"})");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->expires_in == 36000);
  BOOST_TEST(!t->refresh_token);
  auto user = parse_token_response(
      R"({"access_token": "a", "expires_in": 36000, "token_type": "Bearer", "scope": "read", "refresh_token": "r"})");
  BOOST_TEST(user->refresh_token.value() == "r");
  BOOST_TEST(
      parse_token_response(
          R"({"access_token": "a", "expires_in": 0, "token_type": "Bearer"})")
          .error()
          .message == "expires_in: must be positive, got 0");
  BOOST_TEST(
      parse_token_response(R"({"expires_in": 1, "token_type": "Bearer"})")
          .error()
          .message == "access_token: missing");
  auto e = parse_oauth_error(R"({"error": "invalid_client"})");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->error == "invalid_client");
  BOOST_TEST(parse_oauth_error(serialize(*e))->error == "invalid_client");
}

BOOST_AUTO_TEST_CASE(userinfo) {
  auto u = parse_user_info(
      R"({"id": "4BlRneEk9jxN6Qka", "full_name": "RacerOne#4755", "name": "RacerOne",
    "discriminator": "4755", "url": "/user/4BlRneEk9jxN6Qka/racerone", "avatar": null, "pronouns": null, "flair": "",
    "twitch_name": null, "twitch_display_name": null, "twitch_channel": null, "can_moderate": false,
    "active_race": "alttpr/cool-doge-1234"})");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->user.name == "RacerOne");
  BOOST_TEST(u->active_race.value() == "alttpr/cool-doge-1234");
  auto again = parse_user_info(serialize(*u));
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(again),
                        (again ? "" : again.error().message));
  BOOST_TEST(again->active_race.value() == "alttpr/cool-doge-1234");
  BOOST_TEST(again->user.full_name == "RacerOne#4755");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket_messages)

BOOST_AUTO_TEST_CASE(every_server_message_type_round_trips) {
  auto race = parse_race_data(race_json);
  BOOST_REQUIRE(race);
  chat_message chat;
  chat.id = "Yx1qA";
  chat.bot = "TestBot";
  chat.is_bot = true;
  chat.is_monitor = false;
  chat.posted_at = *parse_iso8601_time("2026-11-22T01:44:16.149828+00:00");
  chat.message = "##good##Hello##";
  chat.message_plain = "Hello";
  chat.actions = R"({"Roll":{"message":"!roll"}})";
  dm_user to{"4BlRneEk9jxN6Qka", "RacerOne#4755", "RacerOne", "4755"};
  std::vector<server_message_body> bodies{
      race_data_message{*race, 3},
      race_renders_message{R"({"entrants":"<div></div>"})", 3},
      chat_message_message{chat},
      chat_history_message{{chat, chat}},
      chat_dm_message{"abc", std::nullopt, "TestBot", to},
      chat_pin_message{chat, true},
      chat_pin_message{chat, false},
      chat_delete_message{"Yx1qA", std::nullopt, "TestBot", true, std::nullopt},
      chat_purge_message{race->entrants[0].user, std::nullopt},
      race_split_message{"Split 1", R"("P0DT00H01M00S")", false, false,
                         "4BlRneEk9jxN6Qka"},
      error_message{{"Permission denied. Check your authorization token."}},
      pong_message{},
      authenticated_message{race->entrants[0].user},
  };
  const char* types[] = {
      "race.data", "race.renders", "chat.message", "chat.history", "chat.dm",
      "chat.pin",  "chat.unpin",   "chat.delete",  "chat.purge",   "race.split",
      "error",     "pong",         "authenticated"};
  auto date = *parse_iso8601_time("2026-11-22T01:44:16.149828+00:00");
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    auto frame = serialize(bodies[i], date);
    auto parsed = parse_server_message(frame);
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(parsed),
                          types[i] << ": "
                                   << (parsed ? "" : parsed.error().message));
    BOOST_TEST(parsed->type == types[i]);
    BOOST_TEST(parsed->body.index() == bodies[i].index(), types[i]);
    BOOST_TEST((parsed->date == date));
    BOOST_TEST(serialize(parsed->body, date) == frame, types[i]);
  }
  auto history = parse_server_message(serialize(bodies[3], date));
  BOOST_TEST(std::get<chat_history_message>(history->body).messages.size() ==
             2u);
}

BOOST_AUTO_TEST_CASE(frames_as_racetime_sends_them) {
  auto pong = parse_server_message(
      R"({"type": "pong", "date": "2026-11-22T01:44:16.149828+00:00"})");
  BOOST_REQUIRE(pong);
  BOOST_TEST(std::holds_alternative<pong_message>(pong->body));
  auto error = parse_server_message(
      R"({"type": "error", "errors": ["Permission denied. Check your authorization token."], "date": "2026-11-22T01:44:16.149828+00:00"})");
  BOOST_REQUIRE(error);
  BOOST_TEST(std::get<error_message>(error->body)
                 .errors.at(0)
                 .find("Permission denied") == 0u);
  auto dm = parse_server_message(
      R"({"type": "chat.dm", "message": "xyz", "from_user": null, "from_bot": "TestBot",
        "to": {"id": "u1", "full_name": "A", "name": "A", "discriminator": null}, "date": "2026-11-22T01:44:16+00:00"})");
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(dm), (dm ? "" : dm.error().message));
  BOOST_TEST(std::get<chat_dm_message>(dm->body).from_bot.value() == "TestBot");
  auto future = parse_server_message(R"({"type": "race.hologram", "x": 1})");
  BOOST_REQUIRE(future);
  BOOST_TEST(std::get<unknown_message>(future->body).type == "race.hologram");
  auto missing = parse_server_message(
      R"({"type": "chat.message", "message": {"id": "1"}})");
  BOOST_REQUIRE(!missing);
  BOOST_TEST(missing.error().message == "message.posted_at: missing");
  BOOST_TEST(parse_server_message(R"({"date": "x"})").error().message ==
             "type: missing");
  BOOST_TEST(!parse_server_message("not json at all"));
}

BOOST_AUTO_TEST_CASE(every_bot_action_has_a_data_object) {
  std::vector<bot_action> actions{
      message_action{"Good luck!", "6F1B-ABCD", std::nullopt, "null",
                     std::nullopt},
      message_action{"psst", "dm-1", std::string{"4BlRneEk9jxN6Qka"}, "null",
                     std::nullopt},
      message_action{"Roll?", "act-1", std::nullopt,
                     R"({"Roll":{"message":"!roll"}})", true},
      pin_action{"Yx1qA", true},
      pin_action{"Yx1qA", false},
      setinfo_action{std::string{"bot info"}, std::nullopt},
      setmeta_action{R"({"seed":"abc","n":2})"},
      user_action{user_action::kind::invite, "u1"},
      user_action{user_action::kind::accept_request, "u1"},
      user_action{user_action::kind::force_unready, "u1"},
      user_action{user_action::kind::remove_entrant, "u1"},
      user_action{user_action::kind::add_monitor, "u1"},
      user_action{user_action::kind::remove_monitor, "u1"},
      user_action{user_action::kind::override_stream, "u1"},
      simple_action{simple_action::kind::make_open},
      simple_action{simple_action::kind::make_invitational},
      simple_action{simple_action::kind::begin},
      simple_action{simple_action::kind::cancel},
      simple_action{simple_action::kind::ping},
      simple_action{simple_action::kind::getrace},
      gethistory_action{std::nullopt},
      gethistory_action{std::string{"Yx1qA"}},
  };
  const char* names[] = {"message",        "message",
                         "message",        "pin_message",
                         "unpin_message",  "setinfo",
                         "setmeta",        "invite",
                         "accept_request", "force_unready",
                         "remove_entrant", "add_monitor",
                         "remove_monitor", "override_stream",
                         "make_open",      "make_invitational",
                         "begin",          "cancel",
                         "ping",           "getrace",
                         "gethistory",     "gethistory"};
  for (std::size_t i = 0; i < actions.size(); ++i) {
    auto frame = serialize(actions[i]);
    BOOST_TEST(frame.find(std::string{"{\"action\":\""} + names[i] +
                          "\",\"data\":{") == 0u,
               frame);
    auto back = parse_bot_action(frame);
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(back), frame);
    BOOST_TEST(action_name(*back) == names[i]);
    BOOST_TEST(serialize(*back) == frame);
  }
  // Guids go out lower-case, as racetime.gg demands.
  BOOST_TEST(serialize(actions[0]).find("\"guid\":\"6f1b-abcd\"") !=
             std::string::npos);
  BOOST_TEST(serialize(actions[6]) ==
             R"({"action":"setmeta","data":{"seed":"abc","n":2}})");
  BOOST_TEST(serialize(actions[7]) ==
             R"({"action":"invite","data":{"user":"u1"}})");
  BOOST_TEST(serialize(actions[18]) == R"({"action":"ping","data":{}})");
}

BOOST_AUTO_TEST_CASE(guids) {
  for (int i = 0; i < 100; ++i) {
    auto g = make_guid();
    BOOST_TEST(valid_guid(g), g);
    BOOST_TEST(g.size() == 36u);
  }
  BOOST_TEST(make_guid() != make_guid());
  BOOST_TEST(!valid_guid("ABC-123"));
  BOOST_TEST(!valid_guid(""));
  BOOST_TEST(!valid_guid("a b"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(startrace_forms)

BOOST_AUTO_TEST_CASE(every_setting_is_sent_explicitly) {
  race_settings s;
  s.goal = "Beat the game";
  s.invitational = true;
  s.info_user = "Spring Cup - Final - Scheduled: 2024-11-05 20:00 UTC";
  s.hide_comments = true;
  s.allow_non_entrant_chat = false;
  auto form = startrace_form(s, {"Beat the game", "Any%"});
  auto get = [&](const char* key) {
    const std::string* v = form_value(form, key);
    BOOST_REQUIRE_MESSAGE(v != nullptr, key);
    return *v;
  };
  BOOST_TEST(get("goal") == "Beat the game");
  BOOST_TEST(form_value(form, "custom_goal") == nullptr);
  BOOST_TEST(form_value(form, "info") == nullptr); // racetime.gg has no `info`
  BOOST_TEST(get("info_user") == s.info_user);
  BOOST_TEST(get("invitational") == "true");
  BOOST_TEST(get("unlisted") == "false");
  BOOST_TEST(get("streaming_required") == "true");
  BOOST_TEST(get("hide_comments") == "true");
  BOOST_TEST(get("allow_non_entrant_chat") == "false");
  BOOST_TEST(get("start_delay") == "15");
  BOOST_TEST(get("time_limit") == "24");
  BOOST_TEST(get("chat_message_delay") == "0");
  for (const auto& [key, value] : form)
    if (key != "goal" && key != "info_user" && key != "info_bot" &&
        key != "start_delay" && key != "time_limit" &&
        key != "chat_message_delay")
      BOOST_TEST((value == "true" || value == "false"), key << "=" << value);
  BOOST_TEST(form.size() == 19u);
  // A goal the category does not have is sent as a custom goal.
  s.goal = "Beat the game - Finals";
  auto custom = startrace_form(s, {"Beat the game"});
  BOOST_TEST(form_value(custom, "goal") == nullptr);
  BOOST_TEST(*form_value(custom, "custom_goal") == "Beat the game - Finals");
  // Edit sends the full settings minus what edit does not take.
  auto edit = edit_form(s, {"Beat the game"});
  BOOST_TEST(form_value(edit, "invitational") == nullptr);
  BOOST_TEST(form_value(edit, "team_race") == nullptr);
  BOOST_TEST(*form_value(edit, "hide_comments") == "true");
  BOOST_TEST(edit.size() == 17u);
}

BOOST_AUTO_TEST_CASE(ranges_are_checked_before_sending) {
  race_settings s;
  s.goal = "x";
  BOOST_TEST(validate(s).empty());
  s.start_delay = 9;
  s.time_limit = 73;
  s.chat_message_delay = 91;
  s.info_user = std::string(1001, 'i');
  auto problems = validate(s);
  BOOST_REQUIRE_EQUAL(problems.size(), 4u);
  BOOST_TEST(problems[0] == "start_delay: must be 10 to 60 seconds, got 9");
  BOOST_TEST(problems[1] == "time_limit: must be 1 to 72 hours, got 73");
  BOOST_TEST(problems[2] ==
             "chat_message_delay: must be 0 to 90 seconds, got 91");
  BOOST_TEST(problems[3] == "info_user: at most 1000 characters, got 1001");
  s = race_settings{};
  BOOST_TEST(validate(s).at(0) == "goal: must not be empty");
  s.goal = "g";
  s.start_delay = 60;
  s.time_limit = 1;
  s.chat_message_delay = 90;
  BOOST_TEST(validate(s).empty());
}

BOOST_AUTO_TEST_CASE(form_encoding) {
  BOOST_TEST(
      encode_form({{"goal", "Beat the game"}, {"info_user", "a&b=c+d/é"}}) ==
      "goal=Beat+the+game&info_user=a%26b%3Dc%2Bd%2F%C3%A9");
  auto fields = decode_form(
      "goal=Beat+the+game&info_user=a%26b%3Dc%2Bd%2F%C3%A9&x&bad=%zz");
  BOOST_REQUIRE_EQUAL(fields.size(), 4u);
  BOOST_TEST(fields[1].second == "a&b=c+d/é");
  BOOST_TEST(fields[2].first == "x");
  BOOST_TEST(fields[3].second == "%zz");
}

BOOST_AUTO_TEST_SUITE_END()
