#define BOOST_TEST_MODULE protocol_real_frames
#include <boost/test/unit_test.hpp>

// The client's parsers on what racetime.gg really sent
// (tests/support/real_frames.hpp, from racetime-protocol.md §1, §3, §7).

#include "protocol/oauth_messages.hpp"
#include "protocol/race_data.hpp"
#include "protocol/server_messages.hpp"
#include "tests/support/real_frames.hpp"

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
namespace real = racecontrol::test::real;

namespace {

std::string replace(std::string text, const std::string& from,
                    const std::string& to) {
  auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

chat_message parse_chat(const std::string& frame) {
  auto msg = parse_server_message(frame);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(msg),
                        (msg ? "" : msg.error().message));
  auto* chat = std::get_if<chat_message_message>(&msg->body);
  BOOST_REQUIRE(chat != nullptr);
  return chat->message;
}

/// The §7 message as a user in a race with a 30 s chat delay would see it
/// (Message.as_dict: delay is the race's delay for users' messages).
const std::string user_message_fields =
    R"("user": {"id": "4BlRneEk9jxN6Qka", "full_name": "RacerOne#4755", "name": "RacerOne", "discriminator": "4755",
    "url": "/user/4BlRneEk9jxN6Qka/racerone", "avatar": null, "pronouns": null, "flair": "",
    "twitch_name": null, "twitch_display_name": null, "twitch_channel": null, "can_moderate": false}, "bot": null)";

} // namespace

BOOST_AUTO_TEST_SUITE(chat_frames)

BOOST_AUTO_TEST_CASE(a_bot_message_as_racetime_sent_it) {
  // Failed before: `delay` was read as an ISO-8601 duration.
  auto msg = parse_server_message(real::bot_chat_message);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(msg),
                        (msg ? "" : msg.error().message));
  BOOST_TEST(msg->type == "chat.message");
  BOOST_REQUIRE(msg->date.has_value());
  BOOST_TEST(format_iso8601_time(*msg->date) == "2026-12-01T13:16:47.850Z");
  const auto& m = std::get<chat_message_message>(msg->body).message;
  BOOST_TEST(m.id == "WyqpgaYO8Nr1JwmM");
  BOOST_TEST(!m.user);
  BOOST_TEST(m.bot.value() == "racecontrol");
  BOOST_TEST(!m.direct_to);
  BOOST_TEST(m.message == "Hello from racecontrol");
  BOOST_TEST(m.is_bot);
  BOOST_TEST(!m.is_system);
  BOOST_TEST(!m.is_monitor.has_value()); // null for bots
  BOOST_TEST(m.delay.count() == 0);
  BOOST_TEST(m.actions == "{}");
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                m.posted_at.time_since_epoch())
                .count();
  BOOST_TEST(us % 1000000 == 832358);
}

BOOST_AUTO_TEST_CASE(delay_is_whole_seconds_for_users_messages) {
  auto frame =
      replace(real::bot_chat_message, R"("user": null, "bot": "racecontrol")",
              user_message_fields);
  frame = replace(frame, R"("is_bot": true, "is_monitor": null)",
                  R"("is_bot": false, "is_monitor": false)");
  frame = replace(frame, R"("delay": 0)", R"("delay": 30)");
  auto m = parse_chat(frame);
  BOOST_TEST(m.delay.count() == 30);
  BOOST_TEST(m.user->name == "RacerOne");
  BOOST_TEST(m.is_monitor.value() == false);
  // An ISO-8601 text is not what racetime.gg sends: refused, with the field.
  auto iso = parse_server_message(replace(
      real::bot_chat_message, R"("delay": 0)", R"("delay": "P0DT00H00M30S")"));
  BOOST_REQUIRE(!iso);
  BOOST_TEST(iso.error().message ==
             "message.delay: expected a whole number, got a string");
}

BOOST_AUTO_TEST_CASE(a_system_message_has_no_user_bot_or_monitor_flag) {
  auto frame = replace(real::bot_chat_message, R"("bot": "racecontrol")",
                       R"("bot": null)");
  frame = replace(frame, R"("is_bot": true)", R"("is_bot": false)");
  frame = replace(frame, R"("is_system": false)", R"("is_system": true)");
  frame = replace(frame, R"("message": "Hello from racecontrol")",
                  R"("message": "Race opened automatically by racecontrol")");
  auto m = parse_chat(frame);
  BOOST_TEST(m.is_system);
  BOOST_TEST(!m.bot);
  BOOST_TEST(!m.is_monitor.has_value());
}

BOOST_AUTO_TEST_CASE(actions_and_their_buttons) {
  auto m = parse_chat(replace(
      real::bot_chat_message, R"("actions": {})",
      R"("actions": {"Roll": {"message": "!roll", "submit": "Roll"}})"));
  BOOST_TEST(m.actions == R"({"Roll":{"message":"!roll","submit":"Roll"}})");
}

BOOST_AUTO_TEST_CASE(history_and_pins_carry_the_same_messages) {
  auto message =
      real::bot_chat_message.substr(real::bot_chat_message.find(R"({"id")"));
  message.pop_back(); // the frame's closing brace
  auto history = parse_server_message(
      R"({"type": "chat.history", "date": "2026-12-01T13:16:50.000001+00:00", "messages": [)" +
      message + ", " + message + "]}");
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(history),
                        (history ? "" : history.error().message));
  const auto& list = std::get<chat_history_message>(history->body).messages;
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  BOOST_TEST(list[1].delay.count() == 0);
  BOOST_TEST(list[1].actions == "{}");
  auto pin = parse_server_message(
      R"({"type": "chat.pin", "date": "2026-12-01T13:16:50+00:00", "message": )" +
      replace(message, R"("is_pinned": false)", R"("is_pinned": true)") + "}");
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(pin),
                        (pin ? "" : pin.error().message));
  const auto& pinned = std::get<chat_pin_message>(pin->body);
  BOOST_TEST(pinned.pinned);
  BOOST_TEST(pinned.message.is_pinned);
  BOOST_TEST(pinned.message.delay.count() == 0);
}

BOOST_AUTO_TEST_CASE(an_expired_token_answer) {
  auto msg = parse_server_message(real::permission_denied);
  BOOST_REQUIRE(msg);
  BOOST_TEST(std::get<error_message>(msg->body).errors.at(0) ==
             "Permission denied. Check your authorization token.");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(documents)

BOOST_AUTO_TEST_CASE(race_data_of_a_new_room) {
  auto r = parse_race_data(real::race_data);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(r), (r ? "" : r.error().message));
  BOOST_TEST(r->version == 1);
  BOOST_TEST((r->status == race_status::open));
  BOOST_TEST(r->entrants.empty());
  BOOST_TEST(!r->allow_non_entrant_chat);
  BOOST_TEST(r->chat_message_delay.count() == 0);
  BOOST_TEST(r->bot_meta == "{}");
  // As a race.data frame (§4: the race and its version beside it).
  auto frame = parse_server_message(
      R"({"type": "race.data", "date": "2026-11-22T01:40:54.401118+00:00", "race": )" +
      real::race_data + R"(, "version": 1})");
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(frame),
                        (frame ? "" : frame.error().message));
  BOOST_TEST(std::get<race_data_message>(frame->body).version.value() == 1);
}

BOOST_AUTO_TEST_CASE(a_finished_entrant) {
  auto doc = replace(real::race_data, R"("entrants": [])",
                     R"("entrants": [)" + real::finished_entrant + "]");
  auto r = parse_race_data(doc);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(r), (r ? "" : r.error().message));
  const auto& e = r->entrants.at(0);
  BOOST_TEST((e.status == entrant_status::done));
  BOOST_TEST(e.finish_time->count() == 12216595);
  BOOST_TEST(e.place_ordinal.value() == "1st");
  BOOST_TEST(e.user.full_name == "RacerOne#4755");
  BOOST_TEST((e.actions == std::vector<std::string>{"add_comment", "undone"}));
}

BOOST_AUTO_TEST_CASE(oauth_answers) {
  auto t = parse_token_response(real::token);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->scope == "read chat_message race_action create_race");
  auto u = parse_user_info(real::userinfo);
  BOOST_REQUIRE(u);
  BOOST_TEST(!u->active_race);
  auto redirect = parse_oauth_error(real::mismatching_redirect);
  BOOST_REQUIRE(redirect);
  BOOST_TEST(redirect->error == "invalid_request");
  BOOST_TEST(redirect->error_description.value() ==
             "Mismatching redirect URI.");
  BOOST_TEST(!parse_oauth_error(real::invalid_grant)->error_description);
}

BOOST_AUTO_TEST_SUITE_END()
