#define BOOST_TEST_MODULE protocol_race_snapshot
#include <boost/test/unit_test.hpp>

// The room watcher's decoder (protocol/race_snapshot.hpp) held to the full
// parser (race_data.hpp, server_messages.hpp) on every field the snapshot
// has: on the documents racetime.gg really sent, on every race.data
// racetime-sim sends over a real socket through whole races, on reordered,
// extended, respaced and escaped documents; and every way a frame can be
// wrong, malformed JSON anywhere in it above all (the decoder skips most of
// a frame, but must refuse what the full parser refuses, with its words).

#include "protocol/json.hpp"
#include "protocol/race_snapshot.hpp"
#include "protocol/server_messages.hpp"
#include "tests/support/frame_socket.hpp"
#include "tests/support/real_frames.hpp"
#include "tests/support/sim_harness.hpp"
#include "tools/racetime-sim/sim_sample_race.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <set>
#include <thread>

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

std::optional<std::int64_t> micros(const std::optional<time_point>& t) {
  if (!t)
    return std::nullopt;
  return std::chrono::duration_cast<std::chrono::microseconds>(
             t->time_since_epoch())
      .count();
}

/// An optional time for messages: its microseconds, or "none".
std::string show(const std::optional<std::int64_t>& t) {
  return t ? std::to_string(*t) : "none";
}

/// Every field of the snapshot equals the full parser's.
void check_agrees(const race_snapshot& s, const race_data& r) {
  BOOST_TEST(s.name == r.name);
  BOOST_TEST(s.version == r.version);
  BOOST_TEST(s.status == r.status_info.value);
  BOOST_TEST(show(s.opened_at) == show(micros(r.opened_at)));
  BOOST_TEST(show(s.started_at) == show(micros(r.started_at)));
  BOOST_TEST(show(s.ended_at) == show(micros(r.ended_at)));
  BOOST_TEST(show(s.cancelled_at) == show(micros(r.cancelled_at)));
  BOOST_TEST(s.goal == r.goal.name);
  BOOST_TEST(s.info_bot == r.info_bot);
  BOOST_REQUIRE_EQUAL(s.entrants.size(), r.entrants.size());
  for (std::size_t i = 0; i < s.entrants.size(); ++i) {
    BOOST_TEST_CONTEXT("entrant " << i) {
      const auto& a = s.entrants[i];
      const auto& b = r.entrants[i];
      BOOST_TEST(a.user_id == b.user.id);
      BOOST_TEST(a.user_name == b.user.full_name);
      BOOST_TEST(a.status == b.status_info.value);
      BOOST_TEST(a.place.has_value() == b.place.has_value());
      if (a.place && b.place)
        BOOST_TEST(*a.place == *b.place);
      BOOST_TEST(a.finish_time.has_value() == b.finish_time.has_value());
      if (a.finish_time && b.finish_time)
        BOOST_TEST(a.finish_time->count() == b.finish_time->count());
    }
  }
}

race_snapshot decode_frame(const std::string& frame) {
  auto s = decode_race_frame(frame);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(s), (s ? "" : s.error().what())
                                                  << "\n"
                                                  << frame);
  return *s;
}

race_snapshot decode_document(const std::string& document) {
  auto s = decode_race_document(document);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(s), (s ? "" : s.error().what()));
  return *s;
}

race_data full_race(const std::string& document) {
  auto r = parse_race_data(document);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(r), (r ? "" : r.error().message));
  return *r;
}

race_data full_race_of_frame(const std::string& frame) {
  auto m = parse_server_message(frame);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(m), (m ? "" : m.error().message));
  auto* d = std::get_if<race_data_message>(&m->body);
  BOOST_REQUIRE(d != nullptr);
  return d->race;
}

/// The frame decodes, the full parser reads it, and they agree.
race_snapshot check_frame(const std::string& frame) {
  auto s = decode_frame(frame);
  check_agrees(s, full_race_of_frame(frame));
  return s;
}

race_snapshot check_document(const std::string& document) {
  auto s = decode_document(document);
  check_agrees(s, full_race(document));
  return s;
}

/// A race.data frame as racetime.gg's consumer sends it.
std::string frame_of(const std::string& race, int version = 1) {
  return R"({"type": "race.data", "date": "2026-11-22T01:44:16.149828+00:00", "race": )" +
         race + R"(, "version": )" + std::to_string(version) + "}";
}

/// §3's entrant, as it would be while still racing.
std::string racing_entrant() {
  auto e = replace(
      real::finished_entrant,
      R"({"value": "done", "verbose_value": "Finished", "help_text": "Finished the race."})",
      R"({"value": "in_progress", "verbose_value": "In progress", "help_text": "Currently racing."})");
  e = replace(e, R"("finish_time": "P0DT00H00M12.216595S")",
              R"("finish_time": null)");
  e = replace(e, R"("finished_at": "2026-11-22T01:44:46.815Z")",
              R"("finished_at": null)");
  e = replace(e, R"("place": 1, "place_ordinal": "1st")",
              R"("place": null, "place_ordinal": null)");
  e = replace(e, R"("id": "4BlRneEk9jxN6Qka")", R"("id": "Xq5rJ8kw2mZ0aBcD")");
  return replace(e, R"("full_name": "RacerOne#4755")",
                 R"("full_name": "RacerTwo#0042")");
}

/// §3's entrant disqualified (Entrant.summary's texts for dq).
std::string disqualified_entrant() {
  auto e = replace(
      racing_entrant(),
      R"({"value": "in_progress", "verbose_value": "In progress", "help_text": "Currently racing."})",
      R"({"value": "dq", "verbose_value": "DQ", "help_text": "Disqualified by a category moderator."})");
  e = replace(e, R"("id": "Xq5rJ8kw2mZ0aBcD")", R"("id": "Pz9yXw8v7u6t5s4r")");
  return replace(e, R"("full_name": "RacerTwo#0042")",
                 R"("full_name": "RacerThree")");
}

/// §3's race in progress with three entrants: done (1st), racing, dq.
std::string race_in_progress() {
  auto r = replace(real::race_data, R"("entrants": [])",
                   R"("entrants": [)" + real::finished_entrant + ", " +
                       racing_entrant() + ", " + disqualified_entrant() + "]");
  r = replace(
      r,
      R"({"value": "open", "verbose_value": "Open", "help_text": "Anyone may join this race"})",
      R"({"value": "in_progress", "verbose_value": "In progress", "help_text": "The race is in progress"})");
  r = replace(r, R"("started_at": null)",
              R"("started_at": "2026-11-22T01:44:34.598Z")");
  r = replace(r, R"("version": 1)", R"("version": 7)");
  return replace(r, R"("info_bot": "")",
                 R"("info_bot": "Seed: https://alttpr.com/h/Ab3dE6gH9j")");
}

/// The JSON text of a RapidJSON value.
std::string text_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  v.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

/// Every object's members in reverse order, at every depth.
void reverse_members(rapidjson::Value& v,
                     rapidjson::Document::AllocatorType& a) {
  if (v.IsArray()) {
    for (auto& e : v.GetArray())
      reverse_members(e, a);
    return;
  }
  if (!v.IsObject())
    return;
  rapidjson::Value reversed(rapidjson::kObjectType);
  for (auto it = v.MemberEnd(); it != v.MemberBegin();) {
    --it;
    reverse_members(it->value, a);
    reversed.AddMember(it->name, it->value, a);
  }
  v = reversed;
}

std::string reversed(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  reverse_members(doc, doc.GetAllocator());
  return text_of(doc);
}

/// An unknown member at the front and the back of every object.
void add_unknown_members(rapidjson::Value& v,
                         rapidjson::Document::AllocatorType& a) {
  if (v.IsArray()) {
    for (auto& e : v.GetArray())
      add_unknown_members(e, a);
    return;
  }
  if (!v.IsObject())
    return;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
    add_unknown_members(it->value, a);
  rapidjson::Document extra;
  extra.Parse(R"({"added_in_2027": {"name": 5, "value": [1, {"id": null}],
                 "entrants": "not these", "status": false}})");
  rapidjson::Value copy(rapidjson::kObjectType);
  copy.AddMember("surprise", rapidjson::Value(extra, a), a);
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
    copy.AddMember(it->name, it->value, a);
  copy.AddMember("trailing_surprise", rapidjson::Value(rapidjson::kArrayType),
                 a);
  v = copy;
}

std::string with_unknown_members(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  add_unknown_members(doc, doc.GetAllocator());
  return text_of(doc);
}

/// decode_race_frame's error for `frame`; fails the test when it decodes.
std::string frame_error(const std::string& frame) {
  auto s = decode_race_frame(frame);
  BOOST_REQUIRE_MESSAGE(!s, "decoded: " << frame.substr(0, 200));
  return s.error().what();
}

std::string document_error(const std::string& document) {
  auto s = decode_race_document(document);
  BOOST_REQUIRE_MESSAGE(!s, "decoded: " << document.substr(0, 200));
  return s.error().what();
}

/// The full parser's error for `text`; fails the test when it reads it.
std::string full_parser_error(const std::string& text) {
  try {
    parse_json(text);
  } catch (const json_error& e) {
    return e.what();
  }
  BOOST_FAIL("the full parser read: " << text.substr(0, 200));
  return "";
}

/// The same JSON with `space` after every '{', '[', ',' and ':' and
/// before every '}' and ']' outside strings, and around the document.
std::string respaced(const std::string& compact, const std::string& space) {
  std::string out = space;
  bool in_string = false;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (!in_string && (c == '}' || c == ']'))
      out += space;
    out += c;
    if (in_string) {
      if (c == '\\')
        out += compact[++i];
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[' || c == ',' || c == ':') {
      out += space;
    }
  }
  return out + space;
}

/// The JSON as RapidJSON's PrettyWriter writes it (newlines, indents).
std::string pretty(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  BOOST_REQUIRE(!doc.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  doc.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(real_documents)

BOOST_AUTO_TEST_CASE(the_race_a_bot_just_opened) {
  auto s = check_document(real::race_data);
  BOOST_TEST(s.name == "testcat/crafty-vivi-7962");
  BOOST_TEST(s.version == 1u);
  BOOST_TEST(s.status == "open");
  BOOST_TEST(s.goal == "Any%");
  BOOST_TEST(s.info_bot == "");
  BOOST_TEST(s.entrants.empty());
  // 2026-11-22T01:40:54.396Z
  BOOST_TEST(s.opened_at.value() == 1795311654396000);
  BOOST_TEST(!s.started_at);
  BOOST_TEST(!s.ended_at);
  BOOST_TEST(!s.cancelled_at);
}

BOOST_AUTO_TEST_CASE(the_same_race_in_a_frame) {
  auto s = check_frame(frame_of(real::race_data));
  BOOST_TEST(s.name == "testcat/crafty-vivi-7962");
}

BOOST_AUTO_TEST_CASE(a_race_in_progress_with_done_racing_and_dq_entrants) {
  auto s = check_frame(frame_of(race_in_progress(), 7));
  BOOST_TEST(s.version == 7u);
  BOOST_TEST(s.status == "in_progress");
  BOOST_TEST(s.info_bot == "Seed: https://alttpr.com/h/Ab3dE6gH9j");
  BOOST_TEST(s.started_at.value() == 1795311874598000);
  BOOST_REQUIRE_EQUAL(s.entrants.size(), 3u);
  const auto& done = s.entrants[0];
  BOOST_TEST(done.user_id == "4BlRneEk9jxN6Qka");
  BOOST_TEST(done.user_name == "RacerOne#4755");
  BOOST_TEST(done.status == "done");
  BOOST_TEST(done.place.value() == 1);
  BOOST_TEST(done.finish_time.value().count() == 12216595);
  BOOST_TEST(s.entrants[1].status == "in_progress");
  BOOST_TEST(!s.entrants[1].place);
  BOOST_TEST(!s.entrants[1].finish_time);
  BOOST_TEST(s.entrants[2].status == "dq");
  BOOST_TEST(s.entrants[2].user_name == "RacerThree");
  // The snapshot's vector is allocated at its size: a room keeps it.
  BOOST_TEST(s.entrants.capacity() == 3u);
  check_document(race_in_progress());
}

BOOST_AUTO_TEST_CASE(members_in_any_order_and_type_last) {
  auto frame = reversed(frame_of(race_in_progress(), 7));
  BOOST_REQUIRE(frame.rfind(R"("type":"race.data"})") ==
                frame.size() - 19); // the reversal worked
  auto s = check_frame(frame);
  BOOST_TEST(s.entrants.size() == 3u);
  BOOST_TEST(s.entrants[0].user_id == "4BlRneEk9jxN6Qka");
  check_document(reversed(race_in_progress()));
}

BOOST_AUTO_TEST_CASE(unknown_members_everywhere_are_skipped) {
  auto frame = with_unknown_members(frame_of(race_in_progress(), 7));
  BOOST_REQUIRE(frame.find("added_in_2027") != std::string::npos);
  auto s = check_frame(frame);
  BOOST_TEST(s.entrants.size() == 3u);
  BOOST_TEST(s.goal == "Any%");
  check_document(with_unknown_members(race_in_progress()));
}

BOOST_AUTO_TEST_CASE(unknown_status_values_are_kept_as_text) {
  auto race = replace(
      race_in_progress(),
      R"("value": "in_progress", "verbose_value": "In progress", "help_text": "The race is in progress")",
      R"("value": "paused", "verbose_value": "Paused", "help_text": "")");
  race = replace(race, R"("value": "dq")", R"("value": "spectating")");
  auto s = check_frame(frame_of(race));
  BOOST_TEST(s.status == "paused");
  BOOST_TEST(s.entrants[2].status == "spectating");
  BOOST_TEST((full_race(race).status == race_status::unknown));
}

BOOST_AUTO_TEST_CASE(optional_members_null_or_missing) {
  auto race = replace(real::race_data, R"("info_bot": "", )", "");
  race = replace(race, R"("opened_at": "2026-11-22T01:40:54.396Z", )", "");
  auto s = check_document(race);
  BOOST_TEST(s.info_bot == "");
  BOOST_TEST(!s.opened_at);
  s = check_document(
      replace(real::race_data, R"("info_bot": "")", R"("info_bot": null)"));
  BOOST_TEST(s.info_bot == "");
  // An entrant without finish_time and place at all.
  auto entrant = replace(racing_entrant(), R"("finish_time": null, )", "");
  entrant = replace(entrant, R"("place": null, )", "");
  s = check_document(replace(real::race_data, R"("entrants": [])",
                             R"("entrants": [)" + entrant + "]"));
  BOOST_TEST(!s.entrants.at(0).place);
  BOOST_TEST(!s.entrants.at(0).finish_time);
}

BOOST_AUTO_TEST_CASE(an_entrant_whose_account_was_deleted_has_no_user) {
  // racetime keeps the entrant of a deleted account with "user": null
  // (Entrant.user is SET_NULL): the race is still read, the others whole.
  auto gone = real::finished_entrant.substr(
      0, real::finished_entrant.find(R"("team")"));
  gone = replace(real::finished_entrant, gone, R"({"user": null, )");
  auto s = check_document(
      replace(real::race_data, R"("entrants": [])",
              R"("entrants": [)" + gone + ", " + racing_entrant() + "]"));
  BOOST_REQUIRE_EQUAL(s.entrants.size(), 2u);
  BOOST_TEST(s.entrants[0].user_id == "");
  BOOST_TEST(s.entrants[0].status == "done");
  BOOST_TEST(s.entrants[0].place.value_or(0) == 1);
  BOOST_TEST(s.entrants[1].user_id == "Xq5rJ8kw2mZ0aBcD");
  // A snapshot reused for the next frame does not keep the user read
  // before in the deleted account's place.
  race_snapshot into;
  BOOST_REQUIRE(!decode_race_frame(
      frame_of(replace(real::race_data, R"("entrants": [])",
                       R"("entrants": [)" + racing_entrant() + "]")),
      into));
  BOOST_REQUIRE(
      !decode_race_frame(frame_of(replace(real::race_data, R"("entrants": [])",
                                          R"("entrants": [)" + gone + "]")),
                         into));
  BOOST_TEST(into.entrants.at(0).user_id == "");
  BOOST_TEST(into.entrants.at(0).user_name == "");
}

BOOST_AUTO_TEST_CASE(times_with_offsets_and_all_the_fraction_digits) {
  auto race = replace(race_in_progress(), R"("ended_at": null)",
                      R"("ended_at": "2026-11-22T02:44:16.149828+01:00")");
  race = replace(race, R"("cancelled_at": null)",
                 R"("cancelled_at": "2026-11-22T01:50:00Z")");
  auto s = check_document(race);
  BOOST_TEST(s.ended_at.value() == 1795311856149828);
  BOOST_TEST(s.cancelled_at.value() == 1795312200000000);
}

BOOST_AUTO_TEST_CASE(escaped_strings_are_decoded) {
  auto race = replace(race_in_progress(), R"("full_name": "RacerTwo#0042")",
                      R"("full_name": "Ren\u00e9e \"the fast\" \\ Racer")");
  race = replace(race, R"("name": "Any%")", R"("name": "Any% \ud83c\udfc1")");
  auto s = check_document(race);
  BOOST_TEST(s.entrants[1].user_name == "Ren\xC3\xA9"
                                        "e \"the fast\" \\ Racer");
  BOOST_TEST(s.goal == "Any% \xF0\x9F\x8F\x81");
}

BOOST_AUTO_TEST_CASE(a_duplicate_member_counts_once_as_in_the_full_parser) {
  // RapidJSON's FindMember finds the first; the decoder keeps the first.
  auto race = replace(
      race_in_progress(), R"("goal": {"name": "Any%", "custom": false})",
      R"("goal": {"name": "Any%", "custom": false, "name": 5}, "goal": 7)");
  race = replace(race, R"("entrants": [)", R"("version": -1, "entrants": [)");
  auto s = check_document(race);
  BOOST_TEST(s.goal == "Any%");
  BOOST_TEST(s.version == 7u);
}

BOOST_AUTO_TEST_CASE(a_byte_order_mark_is_skipped_as_by_the_full_parser) {
  check_document("\xEF\xBB\xBF" + real::race_data);
  BOOST_TEST((classify_frame("\xEF\xBB\xBF"
                             R"({"type": "pong"})")
                  .
                  operator*() == frame_kind::pong));
  // RapidJSON skips each of the mark's bytes where it comes in its place,
  // so part of a mark as well; offsets count from the first byte.
  for (const std::string mark : {"\xEF\xBB\xBF", "\xEF", "\xEF\xBF", "\xBB"}) {
    BOOST_TEST_CONTEXT(mark.size() << " bytes") {
      check_frame(mark + frame_of(real::race_data));
      auto bad = mark + R"({"type": "race.data", "race": tru})";
      BOOST_TEST(frame_error(bad) == full_parser_error(bad));
      BOOST_TEST(
          std::string{classify_frame(mark + R"({"x": tru})").error().what()} ==
          full_parser_error(mark + R"({"x": tru})"));
    }
  }
}

BOOST_AUTO_TEST_CASE(deep_nesting_in_a_skipped_member_is_no_problem) {
  auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  auto with_meta = [](const std::string& value) {
    return replace(real::race_data, R"("bot_meta": {})",
                   R"("bot_meta": {"x": )" + value + "}");
  };
  check_document(with_meta(nested(1000)));
  // The reader is iterative: 1,000,000 levels use heap, not stack. (Not
  // given to the full parser: its bot_meta copy, to_json, recurses once
  // per level and runs out of stack.)
  auto deep = with_meta(nested(1000000));
  BOOST_REQUIRE_LT(deep.size(), default_json_limit);
  BOOST_TEST(decode_document(deep).name == "testcat/crafty-vivi-7962");
  auto kind = classify_frame(R"({"race": )" + nested(1000000) +
                             R"(, "type": "race.data"})");
  BOOST_TEST((kind && *kind == frame_kind::race_data));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(malformed_json_is_refused_with_its_offset) {
  BOOST_TEST(frame_error("") ==
             "malformed JSON at offset 0: The document is empty.");
  auto frame = frame_of(race_in_progress());
  BOOST_TEST(frame_error(frame.substr(0, frame.size() / 2))
                 .rfind("malformed JSON at offset ", 0) == 0u);
  BOOST_TEST(frame_error(frame + " x").rfind("malformed JSON at offset ", 0) ==
             0u);
  BOOST_TEST(frame_error(frame + "{}") ==
             "malformed JSON at offset " + std::to_string(frame.size()) +
                 ": The document root must not be followed by other values.");
  BOOST_TEST(frame_error(R"({"type": "race.data", "race": {"name": tru}})")
                 .rfind("malformed JSON at offset 42:", 0) == 0u);
  // Nothing may hide behind a NUL.
  BOOST_TEST(frame_error(frame + std::string(1, '\0') + "garbage") ==
             "malformed JSON at offset " + std::to_string(frame.size()) +
                 ": a NUL character outside a string");
  BOOST_TEST(frame_error(R"({"a": )" + std::string(100000, '['))
                 .rfind("malformed JSON at offset 100006:", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(more_than_the_size_limit_is_refused_unread) {
  std::string huge(default_json_limit + 1, ' ');
  auto expected = "document of " + std::to_string(huge.size()) +
                  " bytes exceeds the limit of " +
                  std::to_string(default_json_limit) + " bytes";
  BOOST_TEST(frame_error(huge) == expected);
  BOOST_TEST(document_error(huge) == expected);
  BOOST_TEST(classify_frame(huge).error().what() == expected);
}

BOOST_AUTO_TEST_CASE(the_document_must_be_an_object) {
  BOOST_TEST(frame_error("[]") == "document: expected an object, got an array");
  BOOST_TEST(frame_error(R"("race.data")") ==
             "document: expected an object, got a string");
  BOOST_TEST(document_error("12") ==
             "document: expected an object, got a number");
  BOOST_TEST(document_error("null") ==
             "document: expected an object, got null");
}

BOOST_AUTO_TEST_CASE(the_frame_must_be_race_data_with_a_race) {
  BOOST_TEST(frame_error(replace(frame_of(real::race_data),
                                 R"("type": "race.data", )", "")) ==
             "type: missing");
  BOOST_TEST(frame_error(R"({"type": "race.data"})") == "race: missing");
  BOOST_TEST(frame_error(R"({"type": 3, "race": {}})") ==
             "type: expected a string, got a number");
  BOOST_TEST(frame_error(real::bot_chat_message) ==
             R"(type: expected "race.data", got "chat.message")");
  BOOST_TEST(frame_error(R"({"type": "race.data", "race": "x"})") ==
             "race: expected an object, got a string");
  // A whole race document is not a frame.
  BOOST_TEST(frame_error(real::race_data) == "type: missing");
}

BOOST_AUTO_TEST_CASE(missing_members_are_named) {
  auto frame = frame_of(race_in_progress());
  BOOST_TEST(
      frame_error(replace(frame, R"("name": "testcat/crafty-vivi-7962", )",
                          "")) == "race.name: missing");
  BOOST_TEST(frame_error(replace(frame, R"("version": 7, )", "")) ==
             "race.version: missing");
  BOOST_TEST(
      frame_error(replace(
          frame,
          R"("value": "in_progress", "verbose_value": "In progress", "help_text": "The race is in progress")",
          R"("verbose_value": "In progress")")) ==
      "race.status.value: missing");
  BOOST_TEST(frame_error(replace(frame, R"("name": "Any%", )", "")) ==
             "race.goal.name: missing");
  BOOST_TEST(
      frame_error(replace(frame, R"("entrants": [)", R"("entrantz": [)")) ==
      "race.entrants: missing");
  BOOST_TEST(
      frame_error(replace(frame, R"("full_name": "RacerTwo#0042", )", "")) ==
      "race.entrants[1].user.full_name: missing");
  BOOST_TEST(frame_error(replace(frame, R"("id": "Pz9yXw8v7u6t5s4r", )", "")) ==
             "race.entrants[2].user.id: missing");
  BOOST_TEST(
      document_error(replace(
          race_in_progress(),
          R"("status": {"value": "dq", "verbose_value": "DQ", "help_text": "Disqualified by a category moderator."},)",
          "")) == "entrants[2].status: missing");
  BOOST_TEST(document_error(R"({"entrants": [{}]})") ==
             "entrants[0].user: missing");
}

BOOST_AUTO_TEST_CASE(members_of_the_wrong_type_are_named) {
  auto frame = frame_of(race_in_progress());
  BOOST_TEST(frame_error(replace(frame, R"("value": "dq")", R"("value": 3)")) ==
             "race.entrants[2].status.value: expected a string, got a number");
  BOOST_TEST(frame_error(replace(frame, R"("name": "testcat/crafty-vivi-7962")",
                                 R"("name": null)")) ==
             "race.name: expected a string, got null");
  BOOST_TEST(
      frame_error(replace(frame, R"("goal": {"name": "Any%", "custom": false})",
                          R"("goal": "Any%")")) ==
      "race.goal: expected an object, got a string");
  BOOST_TEST(frame_error(replace(frame, R"("entrants": [)",
                                 R"("entrants": {}, "x": [)")) ==
             "race.entrants: expected an array, got an object");
  BOOST_TEST(
      frame_error(replace(frame, R"("entrants": [)", R"("entrants": [7, )")) ==
      "race.entrants[0]: expected an object, got a number");
  BOOST_TEST(frame_error(replace(frame, R"(}, {"user": {"id": "Pz9y)",
                                 R"(}, [], {"user": {"id": "Pz9y)")) ==
             "race.entrants[2]: expected an object, got an array");
  BOOST_TEST(
      frame_error(replace(frame, R"("user": {"id": "Xq5rJ8kw2mZ0aBcD")",
                          R"("user": true, "u": {"id": "Xq5rJ8kw2mZ0aBcD")")) ==
      "race.entrants[1].user: expected an object, got a boolean");
  BOOST_TEST(frame_error(replace(frame, R"("id": "4BlRneEk9jxN6Qka")",
                                 R"("id": ["4BlRneEk9jxN6Qka"])")) ==
             "race.entrants[0].user.id: expected a string, got an array");
  BOOST_TEST(frame_error(replace(frame, R"("info_bot": "Seed)",
                                 R"("info_bot": {}, "x": "Seed)")) ==
             "race.info_bot: expected a string, got an object");
  BOOST_TEST(
      frame_error(replace(frame, R"("opened_at": "2026-11-22T01:40:54.396Z")",
                          R"("opened_at": 1795311654)")) ==
      "race.opened_at: expected a string, got a number");
  BOOST_TEST(
      frame_error(replace(
          frame,
          R"("status": {"value": "in_progress", "verbose_value": "In progress", "help_text": "The race is in progress"})",
          R"("status": "in_progress")")) ==
      "race.status: expected an object, got a string");
}

BOOST_AUTO_TEST_CASE(numbers_must_be_whole_and_in_range) {
  auto frame = frame_of(race_in_progress());
  auto version = [&](const std::string& v) {
    return frame_error(
        replace(frame, R"("version": 7, )", R"("version": )" + v + ", "));
  };
  BOOST_TEST(version("-1") ==
             "race.version: -1 is out of range (0 to 4294967295)");
  BOOST_TEST(version("4294967296") ==
             "race.version: 4294967296 is out of range (0 to 4294967295)");
  BOOST_TEST(
      version("18446744073709551615") ==
      "race.version: 18446744073709551615 is out of range (0 to 4294967295)");
  BOOST_TEST(
      version("-9223372036854775808") ==
      "race.version: -9223372036854775808 is out of range (0 to 4294967295)");
  BOOST_TEST(version("7.0") ==
             "race.version: expected a whole number, got a number");
  BOOST_TEST(version("123456789012345678901234567890") ==
             "race.version: expected a whole number, got a number");
  BOOST_TEST(version("1e400").rfind("malformed JSON at offset", 0) == 0u);
  BOOST_TEST(version(R"("7")") ==
             "race.version: expected a whole number, got a string");
  BOOST_TEST(version("null") ==
             "race.version: expected a whole number, got null");
  auto largest =
      replace(frame, R"("version": 7, )", R"("version": 4294967295, )");
  BOOST_TEST(decode_frame(largest).version == 4294967295u);
  auto place = [&](const std::string& v) {
    return frame_error(
        replace(frame, R"("place": 1, )", R"("place": )" + v + ", "));
  };
  BOOST_TEST(place("2147483648") == "race.entrants[0].place: 2147483648 is out "
                                    "of range (-2147483648 to 2147483647)");
  BOOST_TEST(place("-2147483649") ==
             "race.entrants[0].place: -2147483649 is out of range (-2147483648 "
             "to 2147483647)");
  BOOST_TEST(place("1.5") ==
             "race.entrants[0].place: expected a whole number, got a number");
  BOOST_TEST(place(R"("1st")") ==
             "race.entrants[0].place: expected a whole number, got a string");
  BOOST_TEST(place("false") ==
             "race.entrants[0].place: expected a whole number, got a boolean");
  auto lowest = replace(frame, R"("place": 1, )", R"("place": -2147483648, )");
  BOOST_TEST(check_frame(lowest).entrants[0].place.value() == -2147483647 - 1);
}

BOOST_AUTO_TEST_CASE(times_and_durations_must_be_iso_8601) {
  auto frame = frame_of(race_in_progress());
  BOOST_TEST(frame_error(replace(frame, R"("2026-11-22T01:40:54.396Z")",
                                 R"("yesterday")")) ==
             "race.opened_at: 'yesterday' is not an ISO-8601 date-time");
  BOOST_TEST(
      frame_error(replace(frame, R"("started_at": "2026-11-22T01:44:34.598Z")",
                          R"("started_at": "2026-13-22T01:44:34Z")")) ==
      "race.started_at: '2026-13-22T01:44:34Z' is not an ISO-8601 date-time");
  BOOST_TEST(frame_error(replace(frame, R"("P0DT00H00M12.216595S")",
                                 R"("12.2 seconds")")) ==
             "race.entrants[0].finish_time: '12.2 seconds' is not an ISO-8601 "
             "duration");
  BOOST_TEST(
      frame_error(replace(frame, R"("finish_time": "P0DT00H00M12.216595S")",
                          R"("finish_time": 12.216595)")) ==
      "race.entrants[0].finish_time: expected a string, got a number");
  // A long bad value is cut in the message.
  auto long_text = std::string(500, '9');
  auto message = frame_error(
      replace(frame, R"("2026-11-22T01:40:54.396Z")", "\"" + long_text + "\""));
  BOOST_TEST(message == "race.opened_at: '" + long_text.substr(0, 64) +
                            "' is not an ISO-8601 date-time");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(classify)

BOOST_AUTO_TEST_CASE(every_kind_a_bot_socket_receives) {
  const std::vector<std::pair<std::string, frame_kind>> kinds = {
      {"race.data", frame_kind::race_data},
      {"race.renders", frame_kind::race_renders},
      {"chat.message", frame_kind::chat_message},
      {"chat.history", frame_kind::chat_history},
      {"chat.dm", frame_kind::chat_dm},
      {"chat.pin", frame_kind::chat_pin},
      {"chat.unpin", frame_kind::chat_unpin},
      {"error", frame_kind::error},
      {"pong", frame_kind::pong},
      {"chat.delete", frame_kind::other},
      {"race.split", frame_kind::other},
      {"authenticated", frame_kind::other},
      {"", frame_kind::other},
      {"Race.Data", frame_kind::other},
  };
  for (const auto& [type, kind] : kinds) {
    auto k = classify_frame(R"({"type": ")" + type + R"(", "date": null})");
    BOOST_TEST_CONTEXT(type) {
      BOOST_REQUIRE(static_cast<bool>(k));
      BOOST_TEST((*k == kind));
    }
  }
  BOOST_TEST(
      (*classify_frame(real::bot_chat_message) == frame_kind::chat_message));
  BOOST_TEST((*classify_frame(real::permission_denied) == frame_kind::error));
  BOOST_TEST(
      (*classify_frame(frame_of(race_in_progress())) == frame_kind::race_data));
}

BOOST_AUTO_TEST_CASE(type_anywhere_at_the_top_level) {
  auto frame = reversed(frame_of(race_in_progress()));
  BOOST_TEST((*classify_frame(frame) == frame_kind::race_data));
  // A nested "type" is not the frame's.
  auto k = classify_frame(
      R"({"message": {"type": "race.data", "x": [{"type": 1}]}, "type": "chat.pin"})");
  BOOST_TEST((*k == frame_kind::chat_pin));
}

BOOST_AUTO_TEST_CASE(stops_reading_once_it_has_the_type) {
  // What follows "type" is not looked at (decode_race_frame reads it all).
  auto k = classify_frame(R"({"type": "pong", "date": this is not JSON)");
  BOOST_REQUIRE(static_cast<bool>(k));
  BOOST_TEST((*k == frame_kind::pong));
}

BOOST_AUTO_TEST_CASE(frames_without_a_string_type_are_errors) {
  auto error = [](const std::string& frame) {
    auto k = classify_frame(frame);
    BOOST_REQUIRE_MESSAGE(!k, frame);
    return std::string{k.error().what()};
  };
  BOOST_TEST(error(R"({"date": "x", "race": {"type": "race.data"}})") ==
             "type: missing");
  BOOST_TEST(error("{}") == "type: missing");
  BOOST_TEST(error(R"({"type": null})") == "type: expected a string, got null");
  BOOST_TEST(error(R"({"type": ["race.data"]})") ==
             "type: expected a string, got an array");
  BOOST_TEST(error(R"({"type": {"value": "race.data"}})") ==
             "type: expected a string, got an object");
  BOOST_TEST(error(R"({"type": 1.5})") ==
             "type: expected a string, got a number");
  BOOST_TEST(error("[]") == "document: expected an object, got an array");
  BOOST_TEST(error("true") == "document: expected an object, got a boolean");
  BOOST_TEST(error("") == "malformed JSON at offset 0: The document is empty.");
  BOOST_TEST(error(R"({"date": 2026-11-22, "type": "pong"})")
                 .rfind("malformed JSON at offset 13:", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(agrees_with_the_full_parser)

BOOST_AUTO_TEST_CASE(the_frames_room_path_bench_measures) {
  for (std::size_t n : {0, 1, 2, 8}) {
    BOOST_TEST_CONTEXT(n << " entrants") {
      auto compact = sim::sample_race_frame(n);
      BOOST_REQUIRE(compact.rfind(R"({"type":"race.data",)", 0) == 0u);
      auto s = check_frame(compact);
      BOOST_TEST(s.entrants.size() == n);
      // racetime.gg's json.dumps spacing, and more whitespace than anyone
      // sends: every kind, around every token.
      BOOST_TEST((check_frame(respaced(compact, " ")) == s));
      BOOST_TEST((check_frame(respaced(compact, " \t\r\n ")) == s));
      BOOST_TEST((check_frame(pretty(compact)) == s));
      BOOST_TEST((check_frame(reversed(compact)) == s));
    }
  }
  auto s = check_frame(sim::sample_race_frame(2));
  BOOST_TEST(s.status == "in_progress");
  BOOST_TEST(s.entrants[0].place.value() == 1);
  BOOST_TEST(s.entrants[0].finish_time.value().count() == 5412216595);
  BOOST_TEST(s.info_bot == "Seed: https://alttpr.com/h/Ab3dE6gH9j");
}

BOOST_AUTO_TEST_CASE(every_escape_at_every_place_in_kept_strings) {
  // Escapes before, inside and after the 16-byte blocks the scanner reads,
  // in a kept string and in the skipped one before it.
  const std::vector<std::pair<std::string, std::string>> escapes = {
      {R"(\")", "\""},
      {R"(\\)", "\\"},
      {R"(\/)", "/"},
      {R"(\b\f\n\r\t)", "\b\f\n\r\t"},
      {R"(\u00e9)", "\xC3\xA9"},
      {R"(\u20AC)", "\xE2\x82\xAC"},
      {R"(\ud83c\udfc1)", "\xF0\x9F\x8F\x81"},
      {R"(\uDBFF\uDFFF)", "\xF4\x8F\xBF\xBF"},
      // RapidJSON 1.1.0 lets a lone low surrogate through, as 3 bytes.
      {R"(\udc00)", "\xED\xB0\x80"},
      {R"(\u0000)", std::string(1, '\0')},
      {"\xC3\xA9\xF0\x9F\x8F\x81", "\xC3\xA9\xF0\x9F\x8F\x81"}, // raw UTF-8
      {"\xFF\xFE", "\xFF\xFE"}, // not UTF-8: kept as the full parser keeps it
  };
  auto race = race_in_progress();
  for (std::size_t length : {0, 1, 14, 15, 16, 17, 31, 32, 33, 47, 70}) {
    for (const auto& [escape, decoded] : escapes) {
      for (std::size_t at : {std::size_t{0}, length / 2, length}) {
        const std::string before(at, 'a');
        const std::string after(length - at, 'b');
        auto raw = before + escape + after;
        auto frame =
            frame_of(replace(replace(race, R"("full_name": "RacerTwo#0042")",
                                     R"("full_name": ")" + raw + "\""),
                             R"("flair": "")", R"("flair": ")" + raw + "\""));
        BOOST_TEST_CONTEXT(raw) {
          BOOST_TEST(check_frame(frame).entrants[1].user_name ==
                     before + decoded + after);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(escaped_member_names_are_the_same_members) {
  auto race = replace(race_in_progress(), R"("name": "testcat/crafty)",
                      R"("n\u0061me": "testcat/crafty)");
  race = replace(race, R"("version": 7)", R"("\u0076ersion": 7)");
  race = replace(race, R"("place": 1)", R"("pl\u0061ce": 1)");
  race = replace(race, R"("full_name": "RacerOne#4755")",
                 R"("full\u005fname": "RacerOne#4755")");
  auto s = check_frame(frame_of(race));
  BOOST_TEST(s.name == "testcat/crafty-vivi-7962");
  BOOST_TEST(s.version == 7u);
  BOOST_TEST(s.entrants[0].place.value() == 1);
  BOOST_TEST(s.entrants[0].user_name == "RacerOne#4755");
  // Escaped or not, the first of two counts.
  auto twice = replace(race_in_progress(), R"("version": 7)",
                       R"("version": 7, "v\u0065rsion": 8)");
  BOOST_TEST(check_document(twice).version == 7u);
  BOOST_TEST((*classify_frame(R"({"t\u0079pe": "pong"})") == frame_kind::pong));
}

BOOST_AUTO_TEST_CASE(numbers_at_their_limits) {
  const auto frame = frame_of(race_in_progress());
  auto with = [&](const std::string& version, const std::string& place) {
    auto f =
        replace(frame, R"("version": 7, )", R"("version": )" + version + ", ");
    return check_frame(
        replace(f, R"("place": 1, )", R"("place": )" + place + ", "));
  };
  auto s = with("0", "0");
  BOOST_TEST(s.version == 0u);
  BOOST_TEST(s.entrants[0].place.value() == 0);
  s = with("-0", "-0");
  BOOST_TEST(s.version == 0u);
  BOOST_TEST(s.entrants[0].place.value() == 0);
  s = with("4294967295", "2147483647");
  BOOST_TEST(s.version == 4294967295u);
  BOOST_TEST(s.entrants[0].place.value() == 2147483647);
  // Skipped numbers of every form the full parser reads (RapidJSON 1.1.0
  // reads 1.8e308 as infinity; the decoder asks it).
  for (const std::string& n : std::vector<std::string>{
           "0", "-0", "1.5", "-0.0e0", "1E+2", "1e-400",
           "123456789012345678901234", "1.7976931348623157e308", "1.8e308",
           "18446744073709551616", "-9223372036854775809",
           "0.000000000000000000000000000001", "1" + std::string(300, '0'),
           "1" + std::string(300, '0') + "e9",
           "-1" + std::string(300, '0') + ".5"})
    BOOST_TEST_CONTEXT(n) {
      check_frame(replace(frame, R"("bot_meta": {})",
                          R"("bot_meta": {"n": )" + n + "}"));
    }
}

BOOST_AUTO_TEST_CASE(long_strings_and_long_documents) {
  std::string seed;
  for (int i = 0; i < 200; ++i)
    seed +=
        "Seed " + std::to_string(i) + R"(: \"https://alttpr.com/h/\u00e9\" )";
  auto s = check_frame(
      frame_of(replace(race_in_progress(),
                       R"("info_bot": "Seed: https://alttpr.com/h/Ab3dE6gH9j")",
                       R"("info_bot": ")" + seed + "\"")));
  BOOST_TEST(s.info_bot.size() > 6000u);
  const std::string last = "Seed 199: \"https://alttpr.com/h/\xC3\xA9\" ";
  BOOST_TEST(s.info_bot.substr(s.info_bot.size() - last.size()) == last);
  // A frame that ends in a long string: nothing is read past its end.
  auto ending = reversed(frame_of(race_in_progress()));
  ending =
      replace(ending, R"("type":"race.data"})",
              R"("type":"race.data","z":")" + std::string(100, 'z') + "\"}");
  check_frame(ending);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decoding_into_a_snapshot)

BOOST_AUTO_TEST_CASE(reuses_it_and_leaves_nothing_of_the_last_frame) {
  auto big = frame_of(race_in_progress(), 7);
  // Fewer entrants, no info_bot, no times, the entrant who had a place and
  // a finish time without either.
  auto small = replace(real::race_data, R"("entrants": [])",
                       R"("entrants": [)" + racing_entrant() + "]");
  small = replace(small, R"("info_bot": "", )", "");
  small = replace(small, R"("opened_at": "2026-11-22T01:40:54.396Z", )", "");
  small = frame_of(small, 8);
  race_snapshot s;
  BOOST_REQUIRE(!decode_race_frame(big, s));
  BOOST_TEST((s == decode_frame(big)));
  BOOST_TEST(s.entrants[0].place.has_value());
  auto* first_entrant = s.entrants.data();
  BOOST_REQUIRE(!decode_race_frame(small, s));
  BOOST_TEST((s == check_frame(small)));
  BOOST_TEST(!s.opened_at);
  BOOST_TEST(s.info_bot.empty());
  BOOST_TEST(s.entrants.data() == first_entrant); // the same memory
  BOOST_REQUIRE(!decode_race_frame(big, s));
  BOOST_TEST((s == decode_frame(big)));
}

BOOST_AUTO_TEST_CASE(errors_are_the_same) {
  race_snapshot s;
  for (const std::string& frame :
       {std::string{"[]"}, std::string{R"({"type": "race.data"})"},
        replace(frame_of(race_in_progress()), R"("id": "Pz9yXw8v7u6t5s4r", )",
                ""),
        frame_of(race_in_progress()) + "x"}) {
    auto error = decode_race_frame(frame, s);
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(std::string{error->what()} == frame_error(frame));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(malformed_anywhere)

namespace {

/// Malformed JSON values, one of each kind of mistake.
const std::vector<std::string> malformed_values = {
    // literals
    "tru",
    "nul",
    "fals",
    "True",
    "nulL",
    "undefined",
    "NaN",
    "Infinity",
    // numbers
    "-",
    "+1",
    ".5",
    "1.",
    "1.e3",
    "1e",
    "1e+",
    "01",
    "-01",
    "0x1F",
    "1e400",
    "-1e400",
    "1" + std::string(400, '0'),
    "1e309",
    "0.1e310",
    // raw control characters in a string (a raw NUL too)
    "\"a\tb\"",
    "\"a\nb\"",
    "\"\x01\"",
    "\"abcdefghijklmnop\x1f\"",
    std::string("\"a\0b\"", 5),
    // invalid escapes
    R"("\x")",
    R"("\'")",
    R"("\U00e9")",
    R"("\u12")",
    R"("\u12G4")",
    R"("\uD800")",
    R"("\uD800x")",
    R"("\uD800\u0041")",
    R"("\uD800\n")",
    R"("\uDBFF\uE000")",
    R"("abcdefghijklmnopqrstuvwxyz\q")",
    // brackets and separators
    "[1, 2}",
    "[1 2]",
    "[1,]",
    "[,1]",
    R"({"a" 1})",
    R"({"a": 1,})",
    "{1: 2}",
    "{'a': 1}",
    R"({"a": 1])",
    "[}",
    "{]",
    "]",
    "}",
    "",
    "[[[1]]",
    R"({"a": {"b": []})",
    R"([{"a": [{"b": {"c": [1, 2,, 3]}}]}])",
};

/// `frame` with `value` in place of each of several members' values that
/// the decoder skips: at the frame's level, the race's, deep in one, an
/// entrant's, a user's, a status'.
std::vector<std::string> in_skipped_members(const std::string& frame,
                                            const std::string& value) {
  return {
      replace(frame, R"("date": "2026-11-22T01:44:16.149828+00:00")",
              R"("date": )" + value),
      replace(frame, R"("bot_meta": {})", R"("bot_meta": )" + value),
      replace(frame, R"("bot_meta": {})",
              R"("bot_meta": {"x": [1, {"y": )" + value + "}]}"),
      replace(frame, R"("comment": null)", R"("comment": )" + value),
      replace(frame, R"("flair": "")", R"("flair": )" + value),
      replace(frame, R"("verbose_value": "Finished")",
              R"("verbose_value": )" + value),
  };
}

/// ... and of members it keeps: a number, a string, a time, an optional
/// number.
std::vector<std::string> in_kept_members(const std::string& frame,
                                         const std::string& value) {
  return {
      replace(frame, R"("version": 7)", R"("version": )" + value),
      replace(frame, R"("full_name": "RacerOne#4755")",
              R"("full_name": )" + value),
      replace(frame, R"("opened_at": "2026-11-22T01:40:54.396Z")",
              R"("opened_at": )" + value),
      replace(frame, R"("place": 1)", R"("place": )" + value),
  };
}

} // namespace

BOOST_AUTO_TEST_CASE(in_a_skipped_member_is_the_full_parsers_error) {
  const auto frame = frame_of(race_in_progress(), 7);
  for (const auto& value : malformed_values)
    for (const auto& bad : in_skipped_members(frame, value))
      BOOST_TEST_CONTEXT(value) {
        BOOST_TEST(frame_error(bad) == full_parser_error(bad));
      }
}

BOOST_AUTO_TEST_CASE(in_a_kept_member_is_an_error) {
  // A malformed value is named as the full parser names it; but where a
  // kept value is of the wrong type before it is malformed (an array or an
  // object at its bracket; "01", "0x1F" and "nulL" begin with a whole
  // number or null), the wrong type may be named first, as the streaming
  // reader before this decoder named it.
  const std::set<std::string> wrong_type_first = {"01", "-01", "0x1F", "nulL"};
  const auto frame = frame_of(race_in_progress(), 7);
  for (const auto& value : malformed_values)
    for (const auto& bad : in_kept_members(frame, value))
      BOOST_TEST_CONTEXT(value) {
        auto error = frame_error(bad);
        auto full = full_parser_error(bad);
        if (!value.empty() && (value[0] == '[' || value[0] == '{' ||
                               wrong_type_first.count(value) == 1))
          BOOST_TEST(
              (error == full || error.find(": expected ") != std::string::npos),
              error);
        else
          BOOST_TEST(error == full);
      }
}

BOOST_AUTO_TEST_CASE(every_cut_short_frame_is_the_full_parsers_error) {
  // An unterminated string, number, literal, array or object, at every
  // place of three frames (compact, spaced, racetime.gg's own).
  for (const auto& frame :
       {sim::sample_race_frame(2), respaced(sim::sample_race_frame(2), " "),
        frame_of(race_in_progress())})
    for (std::size_t n = 0; n < frame.find_last_of('}'); ++n) {
      auto cut = frame.substr(0, n);
      BOOST_TEST_CONTEXT("cut at " << n) {
        BOOST_TEST(frame_error(cut) == full_parser_error(cut));
      }
    }
}

BOOST_AUTO_TEST_CASE(trailing_garbage_is_refused) {
  const auto frame = frame_of(race_in_progress());
  check_frame(frame + " \t\r\n");
  for (std::string tail : {" x", "{}", ",", "]", "}", "\"\"", " 1", "null"})
    BOOST_TEST_CONTEXT(tail) {
      BOOST_TEST(frame_error(frame + tail) == full_parser_error(frame + tail));
    }
}

BOOST_AUTO_TEST_CASE(before_the_type_in_classify_frame) {
  for (const auto& value : malformed_values) {
    auto frame = R"({"date": )" + value + R"(, "type": "race.data"})";
    BOOST_TEST_CONTEXT(value) {
      auto kind = classify_frame(frame);
      BOOST_REQUIRE(!kind);
      BOOST_TEST(std::string{kind.error().what()} == full_parser_error(frame));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_type_anywhere_around_the_head_classify_reads_first) {
  // classify_frame reads a head of the frame first; a type cut by its end
  // is found in the whole frame.
  for (std::size_t pad = 200; pad < 300; ++pad) {
    auto frame = R"({"x": ")" + std::string(pad, 'x') +
                 R"(", "type": "chat.pin", "y": [1, 2, 3]})";
    BOOST_TEST_CONTEXT(pad) {
      auto kind = classify_frame(frame);
      BOOST_REQUIRE(static_cast<bool>(kind));
      BOOST_TEST((*kind == frame_kind::chat_pin));
      auto missing = replace(frame, R"("type": "chat.pin")", R"("typo": 1)");
      BOOST_TEST(std::string{classify_frame(missing).error().what()} ==
                 "type: missing");
      auto broken = replace(frame, R"("type": "chat.pin")", R"("typo": tru)");
      BOOST_TEST(std::string{classify_frame(broken).error().what()} ==
                 full_parser_error(broken));
    }
  }
}

BOOST_AUTO_TEST_CASE(nesting_deeper_than_the_limit) {
  // The limit keeps what the scanner records of open brackets bounded; a
  // million levels (deep_nesting_in_a_skipped_member_is_no_problem) are
  // within it.
  constexpr std::size_t limit = std::size_t{1} << 20;
  auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  auto with_meta = [](const std::string& value) {
    return replace(real::race_data, R"("bot_meta": {})",
                   R"("bot_meta": )" + value);
  };
  BOOST_TEST(decode_document(with_meta(nested(limit))).version == 1u);
  const auto at = real::race_data.find(R"("bot_meta": {})") + 12 + limit;
  BOOST_TEST(document_error(with_meta(nested(limit + 1))) ==
             "JSON nested more than 1048576 levels deep at offset " +
                 std::to_string(at));
  // Objects count as well as arrays.
  std::string objects;
  for (std::size_t i = 0; i <= limit / 2; ++i)
    objects += R"({"":[)";
  for (std::size_t i = 0; i <= limit / 2; ++i)
    objects += "]}";
  BOOST_TEST(document_error(with_meta(objects))
                 .rfind("JSON nested more than 1048576 levels deep", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(simulated_races)

namespace {

struct sim_fixture {
  test::sim_harness sim;
  std::string token;

  sim_fixture() : sim(options()) {
    sim.seed_defaults();
    token = sim.bot_token("bot-client", "bot-secret");
  }

  static test::sim_harness_options options() {
    test::sim_harness_options o;
    o.time_scale = 0.02;
    return o;
  }

  std::string open_room() {
    race_settings s;
    s.goal = "Beat the game";
    s.start_delay = 10;
    s.info_user = "Spring Cup";
    s.info_bot = "Seed: https://alttpr.com/h/Ab3dE6gH9j";
    auto created =
        test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
          sim.api().start_race("alttpr", s, {"Beat the game"}, token,
                               std::move(done));
        });
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(created),
                          (created ? "" : created.error().message));
    return created->name;
  }

  static std::string slug(const std::string& name) {
    return name.substr(name.find('/') + 1);
  }

  void user(const std::string& name, const std::string& id,
            const std::string& what) {
    auto res =
        sim.control_post("/races/" + slug(name) + "/users/" + id + "/" + what);
    BOOST_REQUIRE_MESSAGE(res.status == 200,
                          id << " " << what << ": " << res.body);
  }

  /// The race's document from /data: decoded, and held to the full parser.
  race_snapshot check_data(const std::string& name) {
    http_request req;
    req.target = with_path(sim.base(), "/" + name + "/data");
    auto outcome = sim.send(req);
    BOOST_REQUIRE(outcome && outcome->status == 200);
    return check_document(outcome->body);
  }

  /// Every race.data frame the socket got so far, held to the full parser;
  /// returns the race and entrant statuses seen.
  std::pair<std::set<std::string>, std::set<std::string>>
  check_frames(test::frame_socket& ws) {
    std::set<std::string> race_statuses, entrant_statuses;
    std::size_t count = 0;
    for (const auto& frame : ws.frames()) {
      auto kind = classify_frame(frame);
      BOOST_REQUIRE_MESSAGE(static_cast<bool>(kind), frame);
      auto type = std::string{test::parse(frame)["type"].GetString()};
      BOOST_TEST(((*kind == frame_kind::race_data) == (type == "race.data")),
                 type);
      if (*kind != frame_kind::race_data)
        continue;
      ++count;
      auto s = check_frame(frame);
      race_statuses.insert(s.status);
      for (const auto& e : s.entrants)
        entrant_statuses.insert(e.status);
    }
    BOOST_TEST_MESSAGE(count << " race.data frames checked");
    BOOST_TEST(count >= 5u);
    return {race_statuses, entrant_statuses};
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(a_whole_race_from_open_to_finished, sim_fixture) {
  auto name = open_room();
  test::frame_socket ws(sim, "/ws/o/bot/" + slug(name), token);
  ws.wait_for_type("race.renders");
  ws.send(R"({"action": "invite", "data": {"user": "u4"}})");
  ws.wait_for_chat("TestBot invites Racer4 to join the race.");
  user(name, "u4", "decline_invite");
  user(name, "u1", "join");
  user(name, "u2", "join");
  user(name, "u3", "join");
  user(name, "u1", "ready");
  user(name, "u2", "ready");
  check_data(name); // not_ready and ready
  user(name, "u3", "ready");
  ws.wait_for_chat("The race has begun! Good luck and have fun.");
  std::this_thread::sleep_for(150ms); // the scaled first 5 seconds
  check_data(name);
  user(name, "u2", "done");
  user(name, "u3", "forfeit");
  user(name, "u1", "done");
  ws.wait_for([](const rapidjson::Document& d) {
    return d["type"] == "race.data" &&
           d["race"]["status"]["value"] == "finished";
  });
  auto finished = check_data(name);
  BOOST_TEST(finished.status == "finished");
  BOOST_TEST(finished.ended_at.has_value());
  BOOST_TEST(finished.entrants.at(0).place.value() == 1);
  BOOST_TEST(finished.entrants.at(0).finish_time.has_value());

  auto [races, entrants] = check_frames(ws);
  for (const char* s : {"open", "pending", "in_progress", "finished"})
    BOOST_TEST(races.count(s) == 1u, "race status " << s);
  // (racetime-sim removes an entrant who declines.)
  for (const char* s :
       {"invited", "not_ready", "ready", "in_progress", "done", "dnf"})
    BOOST_TEST(entrants.count(s) == 1u, "entrant status " << s);
}

BOOST_FIXTURE_TEST_CASE(a_cancelled_race, sim_fixture) {
  auto name = open_room();
  test::frame_socket ws(sim, "/ws/o/bot/" + slug(name), token);
  ws.wait_for_type("race.renders");
  user(name, "u1", "join");
  user(name, "u2", "join");
  user(name, "u1", "ready");
  user(name, "u2", "ready");
  ws.wait_for_chat("The race has begun! Good luck and have fun.");
  ws.send(R"({"action": "cancel", "data": {}})");
  ws.wait_for([](const rapidjson::Document& d) {
    return d["type"] == "race.data" &&
           d["race"]["status"]["value"] == "cancelled";
  });
  auto cancelled = check_data(name);
  BOOST_TEST(cancelled.status == "cancelled");
  BOOST_TEST(cancelled.cancelled_at.has_value());
  auto [races, entrants] = check_frames(ws);
  BOOST_TEST(races.count("cancelled") == 1u);
  BOOST_TEST(entrants.count("dnf") == 1u); // running entrants become dnf
}

BOOST_AUTO_TEST_SUITE_END()
