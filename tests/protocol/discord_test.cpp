#define BOOST_TEST_MODULE protocol_discord_test
#include <boost/test/unit_test.hpp>

#include "config/logging.hpp"
#include "protocol/discord_api.hpp"
#include "protocol/discord_message.hpp"
#include "protocol/json.hpp"
#include "tests/support/discord_harness.hpp"

#include <cstdio>
#include <fstream>
#include <future>
#include <thread>
#include <unistd.h>

using namespace racecontrol;
using namespace racecontrol::protocol;
using racecontrol::test::discord_harness;
using racecontrol::test::discord_harness_options;

namespace {

const std::string channel = "100000000000000001";

discord_message simple(const std::string& content,
                       const std::string& nonce = "") {
  discord_message m;
  m.content = content;
  m.nonce = nonce;
  return m;
}

/// A copy of the outcome's alternative T (a copy, so it outlives a
/// temporary result).
template <class T>
T as(const discord_post_result& r) {
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<T>(r.outcome),
                        "got " << outcome_name(r.outcome));
  return std::get<T>(r.outcome);
}

/// GET /messages of the stand-in, parsed.
rapidjson::Document recorded(discord_harness& h,
                             const std::string& of = channel) {
  auto res = h.control_get("/messages?channel=" + of);
  BOOST_REQUIRE_EQUAL(res.status, 200u);
  return parse_json(res.body);
}

/// {"posts", "messages"} of a nonce in GET /messages.
std::pair<std::int64_t, std::int64_t> nonce_counts(discord_harness& h,
                                                   const std::string& nonce) {
  auto doc = recorded(h);
  for (const auto& n : doc["nonces"].GetArray())
    if (n["nonce"].GetString() == nonce)
      return {n["posts"].GetInt64(), n["messages"].GetInt64()};
  return {0, 0};
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

/// The one problem validate() finds, failing the test unless there is
/// exactly one.
std::string only_problem(const discord_message& m) {
  auto problems = validate(m);
  BOOST_REQUIRE_EQUAL(problems.size(), 1u);
  return problems.front();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(discord_message_model)

BOOST_AUTO_TEST_CASE(serializes_to_discords_create_message_json) {
  discord_message m;
  m.content = "Room open: <@111> vs <@222>";
  m.mention_users = {"111", "222"};
  m.nonce = "rc-42-room_created";
  discord_embed e;
  e.title = "Match 7";
  e.url = "https://racetime.gg/alttpr/bold-link-1234";
  e.color = 0x2ecc71;
  e.timestamp = parse_iso8601_time("2026-11-22T19:00:00Z");
  e.fields = {{"Players", "<@111>, <@222>", true}, {"Goal", "Beat", false}};
  e.footer = "racecontrol";
  m.embeds = {e};
  BOOST_TEST(validate(m).empty());
  auto doc = parse_json(to_json(m));
  BOOST_TEST(doc["content"].GetString() == m.content);
  BOOST_TEST(doc["nonce"].GetString() == m.nonce);
  BOOST_TEST(doc["enforce_nonce"].GetBool());
  BOOST_TEST(doc["allowed_mentions"]["parse"].IsArray());
  BOOST_TEST(doc["allowed_mentions"]["parse"].Empty());
  BOOST_REQUIRE_EQUAL(doc["allowed_mentions"]["users"].Size(), 2u);
  BOOST_TEST(doc["allowed_mentions"]["users"][1].GetString() ==
             std::string{"222"});
  const auto& embed = doc["embeds"][0];
  BOOST_TEST(embed["title"].GetString() == e.title);
  BOOST_TEST(embed["url"].GetString() == e.url);
  BOOST_TEST(embed["color"].GetInt() == 0x2ecc71);
  BOOST_TEST(embed["timestamp"].GetString() ==
             std::string{"2026-11-22T19:00:00Z"});
  BOOST_TEST(embed["fields"][0]["inline"].GetBool());
  BOOST_TEST(!embed["fields"][1]["inline"].GetBool());
  BOOST_TEST(embed["footer"]["text"].GetString() == std::string{"racecontrol"});
  BOOST_TEST(!embed.HasMember("description")); // empty parts are left out
  // Without mentions: parse [] and users [] still (nobody is pinged).
  auto quiet = parse_json(to_json(simple("@everyone hi")));
  BOOST_TEST(quiet["allowed_mentions"]["users"].Empty());
  BOOST_TEST(!quiet.HasMember("nonce"));
}

BOOST_AUTO_TEST_CASE(validate_refuses_each_limit) {
  // Characters, not bytes: 2000 two-byte letters pass.
  BOOST_TEST(validate(simple(repeat("é", 2000))).empty());
  BOOST_TEST(
      contains(only_problem(simple(repeat("é", 2001))), "content is 2001"));
  BOOST_TEST(contains(only_problem(discord_message{}), "empty message"));
  BOOST_TEST(contains(only_problem(simple("x", repeat("n", 26))),
                      "nonce is 26 characters"));
  BOOST_TEST(validate(simple("x", repeat("n", 25))).empty());

  auto with = [](std::function<void(discord_embed&)> change) {
    discord_message m;
    discord_embed e;
    e.title = "t";
    change(e);
    m.embeds = {e};
    return m;
  };
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.title = std::string(257, 't');
                      })),
                      "embed 1's title is 257"));
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.description = std::string(4097, 'd');
                      })),
                      "description is 4097"));
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.fields.assign(26, {"n", "v", false});
                      })),
                      "26 fields"));
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.fields = {{std::string(257, 'n'), "v", false}};
                      })),
                      "field 1's name is 257"));
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.fields = {{"n", std::string(1025, 'v'), false}};
                      })),
                      "field 1's value is 1025"));
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.fields = {{"", "v", false}};
                      })),
                      "has no name"));
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.footer = std::string(2049, 'f');
                      })),
                      "footer is 2049"));
  BOOST_TEST(contains(only_problem(with([](auto& e) {
                        e.url = "racetime.gg/alttpr/x";
                      })),
                      "not an http(s) URL"));

  discord_message many;
  many.embeds.assign(11, discord_embed{"t", "", "", {}, {}, {}, ""});
  BOOST_TEST(contains(only_problem(many), "11 embeds"));
  // Each embed within its limits, 6000 characters exceeded together.
  discord_message big;
  big.embeds.assign(
      2, discord_embed{"", std::string(3001, 'd'), "", {}, {}, {}, ""});
  BOOST_TEST(contains(only_problem(big), "6002 characters together"));
  big.embeds[1].description.resize(2999);
  BOOST_TEST(validate(big).empty());

  auto ping = simple("hi");
  ping.mention_users = {"123", "@here"};
  BOOST_TEST(contains(only_problem(ping), "\"@here\" is not a Discord id"));
  ping.mention_users.assign(101, "123");
  BOOST_TEST(contains(only_problem(ping), "101 users to mention"));
}

BOOST_AUTO_TEST_CASE(clipping_cuts_between_characters) {
  BOOST_TEST(clipped("short", 5) == "short");
  // Three-byte letters: cut after the second, never inside the third.
  BOOST_TEST(clipped(repeat("語", 10), 5) == repeat("語", 2) + "...");
  BOOST_TEST(clipped(repeat("é", 10), 4, "") == repeat("é", 4));
  BOOST_TEST(clipped("abcdef", 2) == "..");
  // A tail of several bytes a character is cut between characters too.
  BOOST_TEST(clipped(repeat("x", 20), 10, "…") == repeat("x", 9) + "…");
  BOOST_TEST(clipped(repeat("x", 20), 1, "……") == "…");
}

BOOST_AUTO_TEST_CASE(a_message_over_every_limit_fits_after_fit_to_limits) {
  discord_message m = simple(repeat("語", 2500));
  discord_embed e;
  e.title = repeat("t", 300);
  e.description = repeat("é", 5000);
  e.footer = repeat("f", 3000);
  e.fields.assign(30, {repeat("n", 300), repeat("v", 1100), false});
  m.embeds.assign(2, e);
  for (int i = 0; i < 120; ++i)
    m.mention_users.push_back(std::to_string(1000 + i % 110));
  BOOST_TEST(validate(m).size() > 5u);
  fit_to_limits(m);
  auto problems = validate(m);
  BOOST_TEST(problems.empty(), (problems.empty() ? "" : problems.front()));
  BOOST_TEST(m.mention_users.size() == 100u);
  BOOST_TEST(discord_length(m.content) == 2000u);
  // The total gave way in the descriptions, then in the fields.
  BOOST_TEST(m.embeds[0].description.empty());
  BOOST_TEST(m.embeds[1].fields.empty());
  BOOST_TEST(!m.embeds[0].fields.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(discord_api_over_sockets)

BOOST_AUTO_TEST_CASE(delivered_with_the_message_id_and_the_bucket) {
  discord_harness h;
  auto m = simple("Room open <@42>", "rc-1-room_created");
  m.mention_users = {"42"};
  auto r = h.post(channel, m);
  const auto& d = as<discord_delivered>(r);
  auto doc = recorded(h);
  BOOST_REQUIRE_EQUAL(doc["messages"].Size(), 1u);
  const auto& stored = doc["messages"][0];
  BOOST_TEST(d.message_id == std::string{stored["id"].GetString()});
  BOOST_TEST(stored["content"].GetString() == m.content);
  BOOST_TEST(stored["author"]["bot"].GetBool());
  BOOST_REQUIRE_EQUAL(stored["mentions"].Size(), 1u); // only the listed user
  BOOST_TEST((r.limits.limit == std::optional<std::int64_t>{5}));
  BOOST_TEST((r.limits.remaining == std::optional<std::int64_t>{4}));
  BOOST_TEST(!r.limits.exhausted());
  BOOST_REQUIRE(r.limits.reset_after);
  BOOST_TEST(r.limits.reset_after->count() > 4000);
  BOOST_TEST(r.limits.reset_after->count() <= 5000);
  BOOST_TEST(!r.limits.bucket.empty());
}

BOOST_AUTO_TEST_CASE(bucket_exhausted_then_429_with_retry_after) {
  discord_harness_options o;
  o.bucket_limit = 2;
  o.bucket_window = std::chrono::milliseconds{1500};
  discord_harness h{o};
  as<discord_delivered>(h.post(channel, simple("one")));
  auto second = h.post(channel, simple("two"));
  as<discord_delivered>(second);
  BOOST_TEST(second.limits.exhausted()); // hold the bucket from here
  auto third = h.post(channel, simple("three"));
  const auto& limited = as<discord_rate_limited>(third);
  BOOST_TEST(!limited.global);
  BOOST_TEST(limited.scope == "user");
  BOOST_TEST(limited.bucket == second.limits.bucket);
  BOOST_TEST(limited.retry_after.count() > 0);
  BOOST_TEST(limited.retry_after.count() <= 1500);
  BOOST_TEST((third.limits.remaining == std::optional<std::int64_t>{0}));
  BOOST_REQUIRE(third.limits.reset_after);
  // The body's retry_after (float seconds) and Reset-After agree.
  BOOST_TEST(std::abs(third.limits.reset_after->count() -
                      limited.retry_after.count()) <= 1);
  BOOST_TEST(recorded(h)["messages"].Size() == 2u); // nothing recorded
  std::this_thread::sleep_for(limited.retry_after);
  as<discord_delivered>(h.post(channel, simple("after the wait")));
}

BOOST_AUTO_TEST_CASE(global_429_from_body_and_headers) {
  discord_harness h;
  h.control_post("/faults",
                 R"({"status": 429, "retry_after": 2.5, "global": true})");
  auto r = h.post(channel, simple("x"));
  const auto& limited = as<discord_rate_limited>(r);
  BOOST_TEST(limited.global);
  BOOST_TEST(limited.scope == "global");
  BOOST_TEST(limited.retry_after.count() == 2500);
  BOOST_TEST(r.limits.global);
  // A route 429 from a fault: the bucket headers too.
  h.control_post("/faults", R"({"status": 429, "retry_after": 0.25})");
  auto route = h.post(channel, simple("y"));
  const auto& route_limited = as<discord_rate_limited>(route);
  BOOST_TEST(!route_limited.global);
  BOOST_TEST(route_limited.retry_after.count() == 250);
  BOOST_TEST(!route_limited.bucket.empty());
  BOOST_TEST(route.limits.exhausted());
}

BOOST_AUTO_TEST_CASE(server_errors_and_lost_answers_are_transient) {
  discord_harness_options o;
  o.client_timeout = std::chrono::milliseconds{400};
  discord_harness h{o};
  h.control_post("/faults", R"({"status": 503})");
  const auto& unavailable = as<discord_transient>(h.post(channel, simple("a")));
  BOOST_TEST(contains(unavailable.message, "HTTP 503"));

  h.control_post("/faults", R"({"drop_connection": true})");
  const auto& dropped = as<discord_transient>(h.post(channel, simple("b")));
  BOOST_TEST(dropped.maybe_sent); // it went out; the answer never came

  h.control_post("/faults", R"({"delay_ms": 1500})");
  const auto& slow = as<discord_transient>(h.post(channel, simple("c")));
  BOOST_TEST(contains(slow.message, "timed out"));
  BOOST_TEST(slow.maybe_sent);

  // Nothing listens on this port: not sent at all.
  auto closed = *parse_url("http://127.0.0.1:1/api/v10");
  discord_api nowhere{h.http(), closed};
  std::promise<discord_post_result> p;
  nowhere.post_message(channel, simple("d"), h.token(),
                       [&](discord_post_result res) {
                         p.set_value(std::move(res));
                       });
  auto unreached = p.get_future().get();
  const auto& refused = as<discord_transient>(unreached);
  BOOST_TEST(!refused.maybe_sent, refused.message);
}

BOOST_AUTO_TEST_CASE(created_but_answer_lost_then_the_nonce_dedupes) {
  discord_harness h;
  // The worst case: Discord created the message, then answered 502.
  h.control_post("/faults", R"({"serve_then_status": 502})");
  auto m = simple("Race finished", "rc-7-race_finished");
  const auto& failed = as<discord_transient>(h.post(channel, m));
  BOOST_TEST(failed.maybe_sent);
  BOOST_TEST(recorded(h)["messages"].Size() == 1u);
  // Created, then the connection dropped. With a nonce the request is
  // idempotent, so the client sends it once more on a fresh connection
  // (the kept-alive one died) and Discord answers the first message.
  h.control_post("/faults",
                 R"({"serve_then_status": 500, "drop_connection": true})");
  const auto& retried = as<discord_delivered>(h.post(channel, m));
  // The notifier's own retry after the 502: the same message again.
  const auto& again = as<discord_delivered>(h.post(channel, m));
  BOOST_TEST(again.message_id == retried.message_id);
  auto doc = recorded(h);
  BOOST_REQUIRE_EQUAL(doc["messages"].Size(), 1u);
  BOOST_TEST(retried.message_id ==
             std::string{doc["messages"][0]["id"].GetString()});
  auto [posts, messages] = nonce_counts(h, m.nonce);
  BOOST_TEST(posts == 4); // 502, dropped, sent again, retried
  BOOST_TEST(messages == 1);
}

BOOST_AUTO_TEST_CASE(same_nonce_twice_one_message) {
  discord_harness h;
  auto m = simple("Room open", "rc-9-room_created");
  const auto first = as<discord_delivered>(h.post(channel, m));
  const auto second = as<discord_delivered>(h.post(channel, m));
  BOOST_TEST(first.message_id == second.message_id);
  BOOST_TEST(recorded(h)["messages"].Size() == 1u);
  // Without enforce_nonce Discord creates it again.
  m.enforce_nonce = false;
  const auto third = as<discord_delivered>(h.post(channel, m));
  BOOST_TEST(third.message_id != first.message_id);
  auto [posts, messages] = nonce_counts(h, m.nonce);
  BOOST_TEST(posts == 3);
  BOOST_TEST(messages == 2);
}

BOOST_AUTO_TEST_CASE(nonce_window_passes) {
  discord_harness_options o;
  o.nonce_window = std::chrono::milliseconds{300};
  discord_harness h{o};
  auto m = simple("x", "rc-window");
  auto first = as<discord_delivered>(h.post(channel, m));
  std::this_thread::sleep_for(std::chrono::milliseconds{400});
  auto later = as<discord_delivered>(h.post(channel, m));
  BOOST_TEST(first.message_id != later.message_id);
}

BOOST_AUTO_TEST_CASE(refusals_are_permanent_with_discords_code) {
  discord_harness h;
  const auto& unknown =
      as<discord_permanent>(h.post("100000000000000999", simple("x")));
  BOOST_TEST(unknown.status == 404u);
  BOOST_TEST((unknown.code == std::optional<std::int64_t>{10003}));
  BOOST_TEST(contains(unknown.message, "100000000000000999"));
  BOOST_TEST(contains(unknown.message, "Unknown Channel"));

  config::secret wrong{"wrong-bot-token-0d1e"};
  const auto& unauthorized =
      as<discord_permanent>(h.post(channel, simple("x"), wrong));
  BOOST_TEST(unauthorized.status == 401u);
  BOOST_TEST((unauthorized.code == std::optional<std::int64_t>{0}));
  BOOST_TEST(contains(unauthorized.message, "bot token was refused"));

  // A body Discord refuses (sent raw: post_message would not send it),
  // classified as post_message classifies every answer.
  http_request raw;
  raw.method = boost::beast::http::verb::post;
  raw.target = with_path(h.api_base(), h.api_base().target + "/channels/" +
                                           channel + "/messages");
  raw.headers = {{"Authorization", "Bot " + h.token().reveal()}};
  raw.content_type = "application/json";
  raw.body = R"({"content": ")" + std::string(2001, 'a') +
             R"(", "embeds": [{"title": ")" + std::string(300, 't') + R"("}]})";
  auto answer = h.send(raw);
  BOOST_REQUIRE(static_cast<bool>(answer));
  auto what = "POST /channels/" + channel + "/messages";
  auto outcome =
      classify_discord_answer(*answer, parse_discord_rate_limit(*answer), what);
  BOOST_REQUIRE(std::holds_alternative<discord_permanent>(outcome));
  const auto& invalid = std::get<discord_permanent>(outcome);
  BOOST_TEST(invalid.status == 400u);
  BOOST_TEST((invalid.code == std::optional<std::int64_t>{50035}));
  BOOST_TEST(contains(invalid.message,
                      "content: Must be 2000 or fewer in length. "
                      "(BASE_TYPE_MAX_LENGTH)"),
             invalid.message);
  BOOST_TEST(contains(invalid.message, "embeds.0.title: Must be 256"),
             invalid.message);
  raw.body = R"({"content": ""})";
  auto empty = h.send(raw);
  auto empty_outcome =
      classify_discord_answer(*empty, parse_discord_rate_limit(*empty), what);
  BOOST_TEST((std::get<discord_permanent>(empty_outcome).code ==
              std::optional<std::int64_t>{50006}));
}

BOOST_AUTO_TEST_CASE(invalid_input_is_refused_before_sending) {
  discord_harness h;
  const auto& too_long =
      as<discord_permanent>(h.post(channel, simple(std::string(2001, 'a'))));
  BOOST_TEST(too_long.status == 0u);
  BOOST_TEST(contains(too_long.message, "not sent"));
  BOOST_TEST(contains(too_long.message, "content is 2001"));
  const auto& bad_channel =
      as<discord_permanent>(h.post("../guilds/1", simple("x")));
  BOOST_TEST(contains(bad_channel.message, "not a Discord id"));
  auto stats = parse_json(h.control_get("/stats").body);
  BOOST_TEST(stats["requests"].GetInt() == 0); // neither reached Discord
}

BOOST_AUTO_TEST_CASE(the_bot_token_never_reaches_a_log_line) {
  char path_template[] = "/tmp/racecontrol-discord-log-XXXXXX";
  int fd = mkstemp(path_template);
  BOOST_REQUIRE(fd >= 0);
  close(fd);
  std::string path = path_template;
  const std::string good = "discord-log-test-token-A1b2C3";
  const std::string wrong = "discord-log-test-wrong-Z9y8X7";
  config::setup_logging({spdlog::level::trace, config::log_format::text, path},
                        "discord_test");
  std::vector<std::string> messages;
  {
    discord_harness_options o;
    o.token = good;
    o.bucket_limit = 2; // "ok" and "a" take it, "rate limited" meets a 429
    discord_harness h{o};
    config::secret wrong_token{wrong};
    auto note = [&](const discord_post_result& r) {
      std::string text = outcome_name(r.outcome);
      std::visit(
          [&](const auto& v) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(v)>,
                                          discord_delivered>)
              text += ": " + v.message;
          },
          r.outcome);
      messages.push_back(text);
      spdlog::info("discord outcome {}", text);
    };
    note(h.post(channel, simple("ok", "log-1")));
    note(h.post(channel, simple("refused"), wrong_token));
    note(h.post("100000000000000777", simple("unknown channel")));
    h.control_post("/faults", R"({"status": 500})");
    note(h.post(channel, simple("server error")));
    note(h.post(channel, simple("a")));
    note(h.post(channel, simple("rate limited")));
    // A careless line that prints the header the client sent.
    spdlog::warn("Authorization: Bot {} / Bot {}", h.token().reveal(),
                 wrong_token.reveal());
  }
  config::shutdown_logging();
  config::log_options quiet;
  quiet.level = spdlog::level::warn;
  config::setup_logging(quiet, "discord_test");
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  std::remove(path.c_str());
  for (const auto& m : messages) {
    BOOST_TEST(!contains(m, good), m);
    BOOST_TEST(!contains(m, wrong), m);
  }
  BOOST_TEST(messages.size() == 6u);
  BOOST_TEST(contains(messages[1], "HTTP 401"));
  BOOST_TEST(contains(messages[5], "discord_rate_limited"));
  int requests_logged = 0, scrubbed = 0;
  for (const auto& line : lines) {
    BOOST_TEST(!contains(line, good), line);
    BOOST_TEST(!contains(line, wrong), line);
    requests_logged += contains(line, "POST /api/v10/channels/");
    scrubbed += contains(line, "Authorization: Bot *** / Bot ***");
  }
  BOOST_TEST(requests_logged == 6); // the stand-in logged each request
  BOOST_TEST(scrubbed == 1);
}

BOOST_AUTO_TEST_SUITE_END()
