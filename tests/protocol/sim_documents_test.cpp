#define BOOST_TEST_MODULE racetime_sim_documents
#include <boost/test/unit_test.hpp>

// racetime-sim's JSON, written from its own model, against the documents
// racetime.gg really sent (tests/support/real_frames.hpp): same members, in
// the same order, with the same values. No client code takes part, so a
// field the client names wrongly cannot pass here and in the end-to-end
// tests at once.

#include "tests/support/real_frames.hpp"
#include "tools/racetime-sim/sim_documents.hpp"
#include "tools/racetime-sim/sim_race_form.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>

using namespace racecontrol::sim;
namespace real = racecontrol::test::real;

namespace {

/// A JSON text without its whitespace, members kept in order.
std::string compact(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), json);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  doc.Accept(w);
  return buffer.GetString();
}

time_point at(int year, int month, int day, int hour, int minute, int second,
              long micro = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) +
         std::chrono::microseconds{micro};
}

category testcat() {
  category c;
  c.slug = "testcat";
  c.name = "Test Category";
  c.short_name = "TEST";
  c.goals = {"Any%"};
  return c;
}

user racer_one() {
  user u;
  u.id = "4BlRneEk9jxN6Qka";
  u.name = "RacerOne";
  u.discriminator = "4755";
  return u;
}

/// The race of real::race_data, as the simulator stores it.
race crafty_vivi() {
  race r;
  r.category = "testcat";
  r.slug = "crafty-vivi-7962";
  r.settings.goal = "Any%";
  r.settings.streaming_required = false;
  r.settings.allow_non_entrant_chat = false;
  r.opened_at = at(2026, 11, 22, 1, 40, 54, 396123);
  r.opened_by_bot = "TestBot";
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(documents_as_racetime_wrote_them)

BOOST_AUTO_TEST_CASE(race_data_of_a_new_room) {
  auto json = race_json(crafty_vivi(), testcat(), {}, crafty_vivi().opened_at);
  BOOST_TEST(json == compact(real::race_data));
}

BOOST_AUTO_TEST_CASE(an_entrant_who_finished_first) {
  auto r = crafty_vivi();
  r.state = race_state::in_progress;
  r.started_at = at(2026, 11, 22, 1, 44, 34, 599000);
  entrant e;
  e.user_id = "4BlRneEk9jxN6Qka";
  e.ready = true;
  e.finish_time = std::chrono::microseconds{12216595};
  e.place = 1;
  r.entrants.push_back(e);
  user_table users{{"4BlRneEk9jxN6Qka", racer_one()}};
  rapidjson::Document doc;
  auto json = race_json(r, testcat(), users, *r.started_at);
  doc.Parse(json.c_str());
  BOOST_REQUIRE(doc["entrants"].Size() == 1u);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  doc["entrants"][0].Accept(w);
  BOOST_TEST(std::string{buffer.GetString()} ==
             compact(real::finished_entrant));
  BOOST_TEST(doc["entrants_count_finished"].GetInt() == 1);
  BOOST_TEST(std::string{doc["status"]["value"].GetString()} == "in_progress");
}

BOOST_AUTO_TEST_CASE(a_bot_chat_message_frame) {
  auto r = crafty_vivi();
  chat_message m;
  m.id = "WyqpgaYO8Nr1JwmM";
  m.bot = "racecontrol";
  m.posted_at = at(2026, 12, 1, 13, 16, 47, 832358);
  m.message = "Hello from racecontrol";
  auto text = frame("chat.message", at(2026, 12, 1, 13, 16, 47, 850362),
                    payload({{"message", chat_message_json(m, r, {})}}));
  BOOST_TEST(text == compact(real::bot_chat_message));
}

BOOST_AUTO_TEST_CASE(users_and_oauth_answers) {
  BOOST_TEST(user_summary_json(racer_one()) == compact(real::user_summary));
  BOOST_TEST(userinfo_json(racer_one(), std::nullopt) ==
             compact(real::userinfo));
  BOOST_TEST(token_json("dVnfPdpCdHRII6OZlwNcWxPxAK3Imn", 36000,
                        "read chat_message race_action create_race",
                        std::nullopt) == compact(real::token));
  BOOST_TEST(oauth_error_json("invalid_request", "Mismatching redirect URI.") ==
             compact(real::mismatching_redirect));
  BOOST_TEST(oauth_error_json("invalid_grant", std::nullopt) ==
             compact(real::invalid_grant));
  BOOST_TEST(oauth_error_json("invalid_scope", std::nullopt) ==
             compact(real::invalid_scope));
}

BOOST_AUTO_TEST_CASE(a_startrace_422) {
  auto form = creation_form(decode_form("goal=Any%25&start_delay=5&"
                                        "time_limit=100&chat_message_delay=91"),
                            testcat());
  BOOST_TEST(form.errors.json() == compact(real::startrace_422));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(formats)

BOOST_AUTO_TEST_CASE(django_and_python_times) {
  // DjangoJSONEncoder: milliseconds, truncated, none without a fraction.
  BOOST_TEST(django_datetime(at(2026, 11, 22, 1, 40, 54, 396999)) ==
             "2026-11-22T01:40:54.396Z");
  BOOST_TEST(django_datetime(at(2026, 11, 22, 1, 40, 54, 123)) ==
             "2026-11-22T01:40:54.000Z");
  BOOST_TEST(django_datetime(at(2026, 11, 22, 1, 40, 54)) ==
             "2026-11-22T01:40:54Z");
  // isoformat(): microseconds, none without a fraction.
  BOOST_TEST(python_isoformat(at(2026, 11, 22, 1, 44, 16, 149828)) ==
             "2026-11-22T01:44:16.149828+00:00");
  BOOST_TEST(python_isoformat(at(2026, 11, 22, 1, 44, 16)) ==
             "2026-11-22T01:44:16+00:00");
  BOOST_TEST(django_duration(std::chrono::seconds{15}) == "P0DT00H00M15S");
  BOOST_TEST(django_duration(std::chrono::microseconds{6298342}) ==
             "P0DT00H00M06.298342S");
  BOOST_TEST(django_duration(std::chrono::hours{24}) == "P1DT00H00M00S");
  BOOST_TEST(django_duration(std::chrono::hours{73} +
                             std::chrono::minutes{2}) == "P3DT01H02M00S");
  BOOST_TEST(django_duration(-std::chrono::microseconds{1500000}) ==
             "-P0DT00H00M01.500000S");
}

BOOST_AUTO_TEST_CASE(chat_text_rules) {
  BOOST_TEST(plain_text("RacerOne has ##good##finished## in 1st place") ==
             "RacerOne has finished in 1st place");
  BOOST_TEST(plain_text("##bot##TestBot## updated the race information.") ==
             "TestBot updated the race information.");
  BOOST_TEST(plain_text("###x##y## and ## alone ##") == "#y and ## alone ##");
  BOOST_TEST(timer_text(std::chrono::microseconds{6900000}, true) ==
             "0:00:06.9");
  BOOST_TEST(timer_text(std::chrono::microseconds{6250000}, true) ==
             "0:00:06.2"); // Python's round() goes to even
  BOOST_TEST(timer_text(std::chrono::microseconds{6980000}, false) ==
             "0:00:06");
  BOOST_TEST(timer_text(std::chrono::hours{26}, false) == "26:00:00");
  BOOST_TEST(ordinal(1) == "1st");
  BOOST_TEST(ordinal(12) == "12th");
  BOOST_TEST(ordinal(22) == "22nd");
  BOOST_TEST(ordinal(113) == "113th");
  BOOST_TEST(character_count("\xC3\xA9t\xC3\xA9") == 3u);
}

BOOST_AUTO_TEST_CASE(non_ascii_is_escaped_as_json_dumps_does) {
  BOOST_TEST(json_string("caf\xC3\xA9 \xF0\x9F\x8F\x81") ==
             "\"caf\\u00e9 \\ud83c\\udfc1\"");
  // Bytes that are not UTF-8 never break the document.
  BOOST_TEST(json_string("a\xFF"
                         "b") == "\"a\\ufffdb\"");
}

BOOST_AUTO_TEST_SUITE_END()
