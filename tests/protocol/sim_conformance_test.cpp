#define BOOST_TEST_MODULE protocol_sim_conformance
#include <boost/test/unit_test.hpp>

// racetime-sim over real sockets against racetime-protocol.md §7, point by
// point: message shapes, race.renders after every race.data, out-of-order
// race.data, started-race edits, chat on edits, the system chat, streaming
// and 5-second rules, form rules, message limits, unknown slugs. And what
// the client makes of it: edit_race, the version gate. (OAuth2 is in
// sim_oauth_conformance_test.cpp.)

#include "protocol/race_version_gate.hpp"
#include "protocol/server_messages.hpp"
#include "tests/support/frame_socket.hpp"
#include "tests/support/real_frames.hpp"
#include "tests/support/sim_harness.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
namespace real = racecontrol::test::real;
using test::frame_socket;
using test::keys;
using test::parse;

namespace {

struct fixture {
  test::sim_harness sim;
  std::string token;

  explicit fixture(double time_scale = 0.02,
                   std::chrono::milliseconds ws_ping = 20s)
      : sim(options(time_scale, ws_ping)) {
    sim.seed_defaults();
    token = sim.bot_token("bot-client", "bot-secret");
  }

  static test::sim_harness_options options(double time_scale,
                                           std::chrono::milliseconds ws_ping) {
    test::sim_harness_options o;
    o.time_scale = time_scale;
    o.ws_ping = ws_ping;
    return o;
  }

  static race_settings settings() {
    race_settings s;
    s.goal = "Beat the game";
    s.start_delay = 10;
    s.info_user = "Spring Cup";
    return s;
  }

  /// Opens a room with the client; returns "alttpr/slug".
  std::string open_room(const race_settings& s = settings()) {
    auto created =
        test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
          sim.api().start_race("alttpr", s, {"Beat the game", "Any% NMG"},
                               token, std::move(done));
        });
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(created),
                          (created ? "" : created.error().message));
    return created->name;
  }

  http_response post_form(const std::string& path, const form_fields& fields,
                          const std::string& bearer) {
    http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = with_path(sim.base(), path);
    req.headers.emplace_back("Authorization", "Bearer " + bearer);
    req.body = encode_form(fields);
    req.content_type = "application/x-www-form-urlencoded";
    auto outcome = sim.send(req);
    BOOST_REQUIRE(outcome);
    return *outcome;
  }

  rapidjson::Document race_doc(const std::string& name) {
    http_request req;
    req.target = with_path(sim.base(), "/" + name + "/data");
    auto outcome = sim.send(req);
    BOOST_REQUIRE(outcome && outcome->status == 200);
    return parse(outcome->body);
  }

  void user(const std::string& name, const std::string& id,
            const std::string& what) {
    auto res =
        sim.control_post("/races/" + slug(name) + "/users/" + id + "/" + what);
    BOOST_REQUIRE_MESSAGE(res.status == 200,
                          id << " " << what << ": " << res.body);
  }

  /// racetime.gg's refusal of what a user tried.
  std::string user_refused(const std::string& name, const std::string& id,
                           const std::string& what) {
    auto res =
        sim.control_post("/races/" + slug(name) + "/users/" + id + "/" + what);
    BOOST_REQUIRE_MESSAGE(res.status == 400, id << " " << what << " worked");
    return parse(res.body)["error"].GetString();
  }

  /// The texts of the room's chat so far, oldest first.
  std::vector<std::string> chat(const std::string& name) {
    auto res = sim.control_get("/races/" + slug(name));
    auto doc = parse(res.body);
    std::vector<std::string> out;
    for (const auto& m : doc["chat"].GetArray())
      out.emplace_back(m["message"].GetString());
    return out;
  }

  using beast_socket =
      boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

  /// Boost.Beast itself, below the client, as the room's bot: connected,
  /// with the two frames every connection starts with read.
  void raw_connect(beast_socket& ws, const std::string& name,
                   boost::beast::flat_buffer& buffer) {
    namespace websocket = boost::beast::websocket;
    ws.next_layer().connect(
        {boost::asio::ip::make_address("127.0.0.1"), sim.base().port});
    ws.set_option(
        websocket::stream_base::decorator([&](websocket::request_type& req) {
          req.set(boost::beast::http::field::authorization, "Bearer " + token);
        }));
    ws.handshake("127.0.0.1", url(name));
    ws.read(buffer); // race.data
    ws.read(buffer); // race.renders
  }

  static std::string slug(const std::string& name) {
    return name.substr(name.find('/') + 1);
  }

  static std::string url(const std::string& name) {
    return "/ws/o/bot/" + slug(name);
  }

  /// Two racers join and ready; u2 finishes, u1 forfeits.
  void run_race(const std::string& name, frame_socket& ws) {
    user(name, "u1", "join");
    user(name, "u2", "join");
    user(name, "u1", "ready");
    user(name, "u2", "ready");
    ws.wait_for_chat("The race has begun! Good luck and have fun.");
    std::this_thread::sleep_for(150ms); // the scaled first 5 seconds
    user(name, "u2", "done");
    user(name, "u1", "forfeit");
    ws.wait_for([](const rapidjson::Document& d) {
      return d["type"] == "race.data" &&
             d["race"]["status"]["value"] == "finished";
    });
  }
};

std::string bot_message(const std::string& text, const std::string& guid) {
  return R"({"action":"message","data":{"message":")" + text + R"(","guid":")" +
         guid + R"("}})";
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(sim_conformance, fixture)

BOOST_AUTO_TEST_CASE(chat_messages_have_racetimes_shape) {
  auto s = settings();
  s.chat_message_delay = 30;
  auto name = open_room(s);
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  ws.send(bot_message("Hello from racecontrol", "hello-1"));
  auto bot_frame = parse(ws.wait_for_chat("Hello from racecontrol"));
  auto real_frame = parse(real::bot_chat_message);
  BOOST_TEST(keys(bot_frame) == keys(real_frame));
  BOOST_TEST(keys(bot_frame["message"]) == keys(real_frame["message"]));
  const auto& m = bot_frame["message"];
  BOOST_TEST(m["delay"].IsInt());
  BOOST_TEST((m["delay"].GetInt() == 0));
  BOOST_TEST((m["actions"].IsObject() && m["actions"].MemberCount() == 0));
  BOOST_TEST(m["is_monitor"].IsNull());
  BOOST_TEST((m["bot"] == "TestBot"));
  // A system message: no user, no bot, is_monitor null.
  user(name, "u1", "join");
  auto joined = parse(ws.wait_for_chat("Racer1 joins the race."));
  BOOST_TEST(joined["message"]["is_system"].GetBool());
  BOOST_TEST(joined["message"]["user"].IsNull());
  BOOST_TEST(joined["message"]["bot"].IsNull());
  BOOST_TEST(joined["message"]["is_monitor"].IsNull());
  // A user's message carries the race's delay in whole seconds.
  auto said = sim.control_post("/races/" + slug(name) + "/users/u1/message",
                               R"({"message": "hi all"})");
  BOOST_REQUIRE_EQUAL(said.status, 200u);
  auto text = ws.wait_for_chat("hi all");
  auto from_user = parse(text);
  BOOST_TEST((from_user["message"]["delay"].GetInt() == 30));
  BOOST_TEST(from_user["message"]["is_monitor"].IsBool());
  BOOST_TEST((from_user["message"]["user"]["name"] == "Racer1"));
  // And the client reads all of them.
  auto parsed = parse_server_message(text);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(parsed),
                        (parsed ? "" : parsed.error().message));
  BOOST_TEST(
      std::get<chat_message_message>(parsed->body).message.delay.count() == 30);
}

BOOST_AUTO_TEST_CASE(race_renders_follows_every_race_data) {
  auto name = open_room();
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  run_race(name, ws);
  ws.send(R"({"action":"getrace","data":{}})");
  ws.wait_for_type("race.renders"); // the finished race's
  ws.wait_for_type("race.renders"); // getrace's
  auto frames = ws.frames();
  int pairs = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto d = parse(frames[i]);
    if (d["type"] != "race.data")
      continue;
    BOOST_REQUIRE_MESSAGE(i + 1 < frames.size(), "race.data came last");
    auto next = parse(frames[i + 1]);
    BOOST_TEST((next["type"] == "race.renders"), frames[i + 1]);
    BOOST_TEST((next["version"].GetInt() == d["version"].GetInt()));
    BOOST_TEST(
        (keys(next["renders"]) ==
         std::vector<std::string>{"entrants", "intro", "status", "streams"}));
    BOOST_TEST((keys(d) ==
                std::vector<std::string>{"type", "date", "race", "version"}));
    ++pairs;
  }
  // Connect, 2 joins, 2 readies, countdown, start, done, forfeit, finish,
  // getrace.
  BOOST_TEST(pairs >= 11);
}

BOOST_AUTO_TEST_CASE(the_system_chat_of_a_whole_race) {
  auto name = open_room();
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  run_race(name, ws);
  auto said = chat(name);
  std::vector<std::string> expected_in_order{
      "Race opened automatically by TestBot",
      "Racer1 joins the race.",
      "Racer2 joins the race.",
      "Racer1 is ready! (1 remaining)",
      "Racer2 is ready! (0 remaining)",
      "Everyone is ready. The race will begin in 10 seconds!",
      "10\xE2\x80\xA6",
      "5\xE2\x80\xA6",
      "4\xE2\x80\xA6",
      "3\xE2\x80\xA6",
      "2\xE2\x80\xA6",
      "1\xE2\x80\xA6",
      "The race has begun! Good luck and have fun.",
      "Racer2 has ##good##finished## in 1st place with a time of 0:00:00!",
      "Racer1 has ##bad##forfeited## from the race."};
  auto at = said.begin();
  for (const auto& text : expected_in_order) {
    at = std::find(at, said.end(), text);
    BOOST_REQUIRE_MESSAGE(at != said.end(),
                          "missing or out of order: " << text);
  }
  BOOST_TEST(said.back().rfind("Race finished in 0:00:0", 0) == 0u,
             said.back());
  for (const auto& text : said)
    BOOST_TEST(text.find("##user##") == std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(room_changes_are_announced_by_name) {
  auto s = settings();
  s.invitational = true;
  auto name = open_room(s);
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders");
  auto act = [&](const std::string& action, const std::string& user_id) {
    ws.send(R"({"action":")" + action + R"(","data":{"user":")" + user_id +
            R"("}})");
  };
  ws.send(R"({"action":"make_open","data":{}})");
  ws.wait_for_chat("TestBot sets the race to be open. Anyone may now join.");
  ws.send(R"({"action":"make_invitational","data":{}})");
  ws.wait_for_chat("TestBot sets the race to be invite only.");
  act("invite", "u1");
  ws.wait_for_chat("TestBot invites Racer1 to join the race.");
  user(name, "u1", "accept_invite");
  ws.wait_for_chat("Racer1 accepts an invitation to join.");
  user(name, "u1", "ready");
  act("force_unready", "u1");
  ws.wait_for_chat("TestBot unreadies Racer1.");
  act("add_monitor", "u1");
  ws.wait_for_chat("TestBot promoted Racer1 to race monitor.");
  ws.send(R"({"action":"setinfo","data":{"info_bot":"Seed 42"}})");
  ws.wait_for_chat("##bot##TestBot## updated the race information.");
  ws.send(R"({"action":"cancel","data":{}})");
  ws.wait_for_chat("This race has been cancelled by TestBot.");
}

BOOST_AUTO_TEST_CASE(streaming_required_and_the_stream_override) {
  auto name = open_room(); // streaming_required: true
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  user(name, "u3", "join");
  user(name, "u3", "stream_offline");
  BOOST_TEST(user_refused(name, "u3", "ready") ==
             "You cannot ready up at this time. Refresh to continue.");
  auto r = race_doc(name);
  BOOST_TEST((r["entrants"][0]["actions"][0] == "not_live"));
  ws.send(R"({"action":"override_stream","data":{"user":"u3"}})");
  ws.wait_for_chat("TestBot sets a stream override for Racer3.");
  user(name, "u3", "ready");
  // Only for an entrant who is not live and has no override yet.
  user(name, "u4", "join");
  ws.send(R"({"action":"override_stream","data":{"user":"u4"}})");
  auto error = parse(ws.wait_for_type("error"));
  BOOST_TEST((error["errors"][0] ==
              "You cannot set a stream override for this entrant at this "
              "time. Refresh to continue."));
}

BOOST_AUTO_TEST_CASE(require_even_teams_and_hidden_entrants) {
  // A solo race stores require_even_teams as false (sent raw: the client
  // refuses to ask for it).
  auto fields = startrace_form(settings(), {"Beat the game"});
  fields.emplace_back("require_even_teams", "true");
  auto res = post_form("/o/alttpr/startrace", fields, token);
  BOOST_REQUIRE_EQUAL(res.status, 201u);
  auto created = res.header("Location")->substr(1);
  BOOST_TEST(!race_doc(created)["require_even_teams"].GetBool());
  // hide_entrants (where the category allows it) turns chat off, and a
  // team race refuses it, and a 1v1 ladder.
  sim.control_post("/categories",
                   R"({"slug": "ladder", "goals": ["Any%"],
                       "allow_hide_entrants": true,
                       "allow_partitionable": true})");
  sim.control_post("/bots", R"({"category": "ladder", "client_id": "lb",
                                "client_secret": "ls", "name": "LadderBot"})");
  auto ladder = sim.bot_token("lb", "ls");
  auto hidden =
      post_form("/o/ladder/startrace",
                {{"goal", "Any%"}, {"hide_entrants", "true"}}, ladder);
  BOOST_REQUIRE_EQUAL(hidden.status, 201u);
  auto d = race_doc(hidden.header("Location")->substr(1));
  BOOST_TEST(d["hide_entrants"].GetBool());
  BOOST_TEST(!d["allow_prerace_chat"].GetBool());
  BOOST_TEST(!d["allow_midrace_chat"].GetBool());
  BOOST_TEST(!d["allow_non_entrant_chat"].GetBool());
  auto team_hidden = post_form(
      "/o/ladder/startrace",
      {{"goal", "Any%"}, {"team_race", "true"}, {"hide_entrants", "true"}},
      ladder);
  BOOST_TEST(team_hidden.status == 422u);
  BOOST_TEST((parse(team_hidden.body)["errors"]["__all__"][0] ==
              "Team races are not compatible with hidden entrants."));
  auto team_ladder = post_form(
      "/o/ladder/startrace",
      {{"goal", "Any%"}, {"team_race", "true"}, {"partitionable", "true"}},
      ladder);
  BOOST_TEST(team_ladder.status == 422u);
  BOOST_TEST((parse(team_ladder.body)["errors"]["__all__"][0] ==
              "Team races are not compatible with 1v1 ladder races."));
}

BOOST_AUTO_TEST_CASE(message_length_guids_and_buttons) {
  auto name = open_room();
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders");
  ws.send(bot_message(std::string(1001, 'x'), "long-1"));
  BOOST_TEST((parse(ws.wait_for_type("error"))["errors"][0] ==
              real::message_too_long_error.c_str()));
  // Django counts characters, not bytes: 1000 of 'é' are fine.
  std::string accents;
  for (int i = 0; i < 1000; ++i)
    accents += "\xC3\xA9";
  ws.send(bot_message(accents, "long-2"));
  ws.wait_for_chat(accents);
  ws.send(bot_message("shouting", "ABC-123"));
  BOOST_TEST((parse(ws.wait_for_type("error"))["errors"][0] ==
              "Bad request, no GUID supplied. A unique string is required to "
              "prevent duplicate messaging."));
  ws.send(
      R"({"action":"message","data":{"message":"buttons","guid":"b-1","actions":{"a":{},"b":{},"c":{},"d":{},"e":{}}}})");
  BOOST_TEST((parse(ws.wait_for_type("error"))["errors"][0] ==
              "actions: A message may only have up to 4 actions."));
  // A guid seen before: nothing at all, not even an error.
  ws.send(bot_message("once", "dup-1"));
  ws.wait_for_chat("once");
  ws.send(bot_message("once", "dup-1"));
  ws.send(R"({"action":"ping","data":{}})");
  ws.wait_for_type("pong");
  auto said = chat(name);
  BOOST_TEST(std::count(said.begin(), said.end(), "once") == 1);
  int errors = 0;
  for (const auto& f : ws.frames())
    errors += parse(f)["type"] == "error";
  BOOST_TEST(errors == 3); // the three refusals above, none for the repeat
}

BOOST_AUTO_TEST_CASE(setinfo_with_an_empty_string_clears_nothing) {
  auto name = open_room();
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  ws.send(R"({"action":"setinfo","data":{"info_bot":"Seed 42"}})");
  ws.wait_for([](const rapidjson::Document& d) {
    return d["type"] == "race.data" && d["race"]["info_bot"] == "Seed 42";
  });
  auto before = race_doc(name)["version"].GetInt();
  ws.send(R"({"action":"setinfo","data":{"info_bot":""}})");
  ws.wait_for_chat("##bot##TestBot## updated the race information.");
  auto after = race_doc(name);
  BOOST_TEST((after["info_bot"] == "Seed 42"));
  BOOST_TEST((after["version"].GetInt() == before + 1));
}

BOOST_AUTO_TEST_CASE(out_of_order_race_data_as_a_fault) {
  auto name = open_room();
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  user(name, "u1", "join");
  user(name, "u2", "join");
  user(name, "u1", "ready");
  user(name, "u2", "ready");
  ws.wait_for_chat("The race has begun! Good luck and have fun.");
  std::this_thread::sleep_for(150ms);
  user(name, "u1", "forfeit");
  // The race.data of u2's finish reaches the socket after the finished one.
  sim.control_post("/races/" + slug(name) + "/hold-race-data",
                   R"({"delay_ms": 300, "count": 1})");
  user(name, "u2", "done");
  auto finished = parse(ws.wait_for([](const rapidjson::Document& d) {
    return d["type"] == "race.data" &&
           d["race"]["status"]["value"] == "finished";
  }));
  auto stale = parse(ws.wait_for([](const rapidjson::Document& d) {
    return d["type"] == "race.data";
  }));
  BOOST_TEST((stale["race"]["status"]["value"] == "in_progress"));
  BOOST_TEST(stale["version"].GetInt() < finished["version"].GetInt());
  // The client's gate applies what a consumer should: finished stays.
  race_version_gate gate;
  std::optional<race_status> applied;
  for (const auto& text : ws.frames()) {
    auto msg = parse_server_message(text);
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(msg), text);
    if (auto* d = std::get_if<race_data_message>(&msg->body);
        d && gate.admit(*d))
      applied = d->race.status;
  }
  BOOST_TEST((applied == race_status::finished));
}

/// A bare Beast socket to a race, below the client: the client's session
/// handles "Permission denied" itself, and this test is about the frames.
class raw_bot_socket {
 public:
  raw_bot_socket(test::sim_harness& sim, const std::string& path,
                 const std::string& token)
      : ws_{io_} {
    namespace net = boost::asio;
    namespace websocket = boost::beast::websocket;
    ws_.next_layer().connect(
        {net::ip::make_address("127.0.0.1"), sim.base().port});
    // Reads give up after 5 s instead of hanging the test.
    timeval limit{5, 0};
    ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO,
                 &limit, sizeof limit);
    ws_.set_option(
        websocket::stream_base::decorator([&](websocket::request_type& req) {
          req.set(boost::beast::http::field::authorization, "Bearer " + token);
        }));
    ws_.handshake("127.0.0.1", path);
  }

  void send(const std::string& text) { ws_.write(boost::asio::buffer(text)); }

  /// The next frame of type `type` (frames before it are skipped).
  std::string wait_for_type(const std::string& type) {
    for (;;) {
      boost::beast::flat_buffer buffer;
      boost::beast::error_code ec;
      ws_.read(buffer, ec);
      BOOST_REQUIRE_MESSAGE(!ec,
                            "waiting for " << type << ": " << ec.message());
      auto text = boost::beast::buffers_to_string(buffer.data());
      auto doc = parse(text);
      if (doc.HasMember("type") && doc["type"] == type.c_str())
        return text;
    }
  }

  std::string wait_for_chat(const std::string& message) {
    for (;;) {
      auto doc = parse(wait_for_type("chat.message"));
      if (doc["message"]["message"] == message.c_str())
        return message;
    }
  }

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

BOOST_AUTO_TEST_CASE(an_expired_token_still_connects_but_cannot_act) {
  auto name = open_room();
  sim.control_post("/tokens/expire", R"({"client_id": "bot-client"})");
  raw_bot_socket ws(sim, url(name), token); // accepted all the same
  ws.wait_for_type("race.renders");
  ws.send(R"({"action":"invite","data":{"user":"u1"}})");
  auto refused = parse(ws.wait_for_type("error"));
  BOOST_TEST(
      (keys(refused) == std::vector<std::string>{"type", "date", "errors"}));
  BOOST_TEST(
      (refused["errors"][0] == parse(real::permission_denied)["errors"][0]));
  ws.send(R"({"action":"ping","data":{}})"); // pings still work
  ws.wait_for_type("pong");
  user(name, "u2", "join"); // and broadcasts still arrive
  ws.wait_for_chat("Racer2 joins the race.");
}

BOOST_AUTO_TEST_CASE(a_1011_close_can_end_in_a_reset_as_on_racetime) {
  // Seen with Boost.Beast itself, below the client: §7's observation.
  auto name = open_room();
  auto crash = [&] {
    namespace net = boost::asio;
    namespace websocket = boost::beast::websocket;
    net::io_context io;
    beast_socket ws{io};
    boost::beast::flat_buffer buffer;
    raw_connect(ws, name, buffer);
    ws.write(net::buffer(std::string{R"({"action":"message"})"}));
    boost::beast::error_code ec;
    while (!ec)
      ws.read(buffer, ec);
    return std::make_pair(ec, static_cast<int>(ws.reason().code));
  };
  auto [clean, clean_code] = crash();
  BOOST_TEST((clean == boost::beast::websocket::error::closed));
  BOOST_TEST(clean_code == 1011);
  sim.control_post("/crash-close", R"({"reset": true})");
  auto [reset, reset_code] = crash();
  BOOST_TEST((reset != boost::beast::websocket::error::closed),
             reset.message());
  BOOST_TEST(reset_code == 1011);
}

BOOST_AUTO_TEST_CASE(a_fault_with_every_hits_every_nth_matching_request) {
  auto name = open_room();
  sim.control_post("/faults", R"({"path_prefix": "/)" + name +
                                  R"(/data", "status": 503, "every": 3,
                                  "count": 2})");
  std::vector<unsigned> statuses;
  for (int i = 0; i < 8; ++i) {
    http_request req;
    req.target = with_path(sim.base(), "/" + name + "/data");
    auto outcome = sim.send(req);
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome),
                          (outcome ? "" : outcome.error().message));
    statuses.push_back(outcome->status);
  }
  // The 3rd and 6th; then the fault is used up.
  std::vector<unsigned> expected{200, 200, 503, 200, 200, 503, 200, 200};
  BOOST_TEST(statuses == expected, boost::test_tools::per_element());
  BOOST_TEST(sim.control_get("/stats").body.find("\"faults_served\":2") !=
             std::string::npos);
  auto refused = sim.control_post(
      "/faults", R"({"path_prefix": "/", "status": 503, "every": 0})");
  BOOST_TEST(refused.status == 400u);
}

BOOST_AUTO_TEST_CASE(unknown_race_slugs_are_reset_or_hang) {
  auto started = std::chrono::steady_clock::now();
  {
    frame_socket lost(sim, "/ws/o/bot/no-such-race-0000", token);
    auto reason = lost.wait_disconnect(3000ms);
    BOOST_TEST(reason.find("WebSocket handshake with") == 0u, reason);
  }
  BOOST_TEST((std::chrono::steady_clock::now() - started < 1000ms));
  sim.control_post("/unknown-race", R"({"hang_ms": 600})");
  started = std::chrono::steady_clock::now();
  frame_socket hanging(sim, "/ws/o/bot/no-such-race-0001", token);
  auto reason = hanging.wait_disconnect(3000ms);
  BOOST_TEST(reason.find("WebSocket handshake with") == 0u, reason);
  BOOST_TEST((std::chrono::steady_clock::now() - started >= 550ms));
}

BOOST_AUTO_TEST_SUITE_END()

// --- keep-alive ------------------------------------------------------------

namespace {

struct pinging : fixture {
  pinging() : fixture(0.02, 200ms) {}
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(keepalive, pinging)

BOOST_AUTO_TEST_CASE(every_socket_is_pinged_and_one_that_never_answers_closed) {
  // Daphne pings each socket every 20 s (200 ms here) and closes one that
  // leaves a ping unanswered; Beast answers pings while a read is pending.
  namespace net = boost::asio;
  namespace websocket = boost::beast::websocket;
  using stream = beast_socket;
  auto name = open_room();
  net::io_context io;
  boost::beast::flat_buffer buffer;
  auto connect = [&](stream& ws) {
    raw_connect(ws, name, buffer);
  };
  struct pending {
    bool done = false;
    boost::beast::error_code ec;
  };
  auto read = [&](stream& ws, pending& p) {
    ws.async_read(buffer, [&p](boost::beast::error_code ec, std::size_t) {
      p.done = true;
      p.ec = ec;
    });
  };

  stream answering{io};
  connect(answering);
  int pings = 0;
  answering.control_callback(
      [&](websocket::frame_type kind, boost::beast::string_view) {
        pings += kind == websocket::frame_type::ping ? 1 : 0;
      });
  pending a;
  read(answering, a);
  io.run_for(1100ms);
  BOOST_TEST(!a.done, "the answering socket ended: " << a.ec.message());
  BOOST_TEST(pings >= 3, pings << " pings in 1.1 s");
  BOOST_TEST(pings <= 7, pings << " pings in 1.1 s");

  // A socket nobody reads sends no pong: closed within two intervals.
  stream silent{io};
  connect(silent);
  io.restart();
  io.run_for(700ms); // the answering one goes on answering meanwhile
  pending s;
  read(silent, s);
  io.run_for(1000ms);
  BOOST_TEST(s.done, "the silent socket is still open");
  BOOST_TEST((s.ec && s.ec != net::error::operation_aborted), s.ec.message());
  BOOST_TEST(!a.done, "the answering socket ended: " << a.ec.message());
}

BOOST_AUTO_TEST_SUITE_END()

// --- edits ---------------------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(edits, fixture)

BOOST_AUTO_TEST_CASE(every_edit_posts_chat_so_the_client_skips_empty_ones) {
  auto name = open_room();
  auto edit = [&](const race_settings& s) {
    return test::sim_harness::await<racetime_result<edit_result>>(
        [&](auto done) {
          sim.api().edit_race(name, s, {"Beat the game"}, token,
                              std::move(done));
        });
  };
  // The same settings: nothing sent (racetime.gg would post chat anyway).
  auto same = edit(settings());
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(same),
                        (same ? "" : same.error().message));
  BOOST_TEST(!same->sent);
  BOOST_TEST(parse(sim.control_get("/log?kind=edit").body).Size() == 0u);
  // An unchanged edit sent anyway still says the goal is new.
  auto raw = post_form("/o/" + name + "/edit",
                       edit_form(settings(), {"Beat the game"}), token);
  BOOST_TEST(raw.status == 200u);
  BOOST_TEST(contains(chat(name), "TestBot set a new goal: Beat the game"));
  auto s = settings();
  s.streaming_required = false;
  s.chat_message_delay = 30;
  s.info_user = "Spring Cup - Final";
  auto changed = edit(s);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(changed),
                        (changed ? "" : changed.error().message));
  BOOST_TEST(changed->sent);
  auto said = chat(name);
  BOOST_TEST(contains(said, "TestBot updated the race information."));
  BOOST_TEST(contains(said, "Streaming is now NOT required for this race."));
  BOOST_TEST(contains(said, "Chat delay is now 30 seconds."));
  s.chat_message_delay = 0;
  BOOST_REQUIRE(edit(s));
  BOOST_TEST(contains(chat(name), "Chat delay has been removed."));
}

BOOST_AUTO_TEST_CASE(a_started_race_drops_most_fields_with_a_200) {
  auto name = open_room();
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  run_race(name, ws);               // finished: no edit at all
  auto running = open_room();
  user(running, "u3", "join");
  user(running, "u4", "join");
  user(running, "u3", "ready");
  user(running, "u4", "ready");
  auto s = settings();
  s.goal = "Any% NMG";
  s.start_delay = 30;
  s.info_user = "Now with commentary";
  s.info_bot = "Seed 42";
  s.hide_comments = true;
  auto res = post_form("/o/" + running + "/edit",
                       edit_form(s, {"Beat the game", "Any% NMG"}), token);
  BOOST_TEST(res.status == 200u);
  auto d = race_doc(running);
  BOOST_TEST((d["status"]["value"] != "open"));
  BOOST_TEST((d["goal"]["name"] == "Beat the game")); // dropped
  BOOST_TEST((d["start_delay"] == "P0DT00H00M10S"));  // dropped
  BOOST_TEST((d["info_bot"] == ""));                  // dropped
  BOOST_TEST((d["info_user"] == "Now with commentary"));
  BOOST_TEST(d["hide_comments"].GetBool());
  BOOST_TEST(!contains(chat(running), "TestBot set a new goal: Any% NMG"));
  // The client does not report such an edit as done: it refuses it before
  // sending, naming what cannot change.
  auto edits_before = parse(sim.control_get("/log?kind=edit").body).Size();
  s.info_user = "Commentary by Racer1";
  auto refused =
      test::sim_harness::await<racetime_result<edit_result>>([&](auto done) {
        sim.api().edit_race(running, s, {"Beat the game", "Any% NMG"}, token,
                            std::move(done));
      });
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error().what == racetime_error::kind::invalid_request));
  BOOST_TEST((refused.error().fields ==
              std::vector<std::string>{"goal", "info_bot", "start_delay"}));
  BOOST_TEST(refused.error().message.find("once a race has started") !=
             std::string::npos);
  BOOST_TEST(parse(sim.control_get("/log?kind=edit").body).Size() ==
             edits_before);
  // Only what a started race takes: done.
  s.goal = "Beat the game";
  s.start_delay = 10;
  s.info_bot = "";
  auto allowed =
      test::sim_harness::await<racetime_result<edit_result>>([&](auto done) {
        sim.api().edit_race(running, s, {"Beat the game", "Any% NMG"}, token,
                            std::move(done));
      });
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(allowed),
                        (allowed ? "" : allowed.error().message));
  BOOST_TEST(allowed->sent);
  BOOST_TEST((race_doc(running)["info_user"] == "Commentary by Racer1"));
  // And a finished race takes nothing.
  auto over =
      test::sim_harness::await<racetime_result<edit_result>>([&](auto done) {
        sim.api().edit_race(name, s, {"Beat the game"}, token, std::move(done));
      });
  BOOST_REQUIRE(!over);
  BOOST_TEST(over.error().message.find("finished") != std::string::npos,
             over.error().message);
}

BOOST_AUTO_TEST_CASE(a_race_that_starts_during_the_edit_is_not_reported_done) {
  auto name = open_room();
  // The edit reaches racetime.gg 1.5 s after the client read the room; the
  // race begins in between.
  sim.control_post("/faults", R"({"path_prefix": "/o/)" + name +
                                  R"(/edit", "delay_ms": 1500})");
  auto s = settings();
  s.goal = "Any% NMG";
  std::promise<racetime_result<edit_result>> result;
  sim.api().edit_race(name, s, {"Beat the game", "Any% NMG"}, token,
                      [&](racetime_result<edit_result> r) {
                        result.set_value(std::move(r));
                      });
  std::this_thread::sleep_for(500ms); // the room has been read by now
  user(name, "u1", "join");
  user(name, "u2", "join");
  user(name, "u1", "ready");
  user(name, "u2", "ready"); // everyone ready: the countdown runs
  auto future = result.get_future();
  BOOST_REQUIRE(future.wait_for(10s) == std::future_status::ready);
  auto r = future.get();
  BOOST_REQUIRE_MESSAGE(!r, "an edit racetime.gg dropped was reported done");
  BOOST_TEST((r.error().what == racetime_error::kind::not_applied));
  BOOST_TEST((r.error().fields == std::vector<std::string>{"goal"}));
  BOOST_TEST(r.error().message.find("answered 200 but kept") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// --- the 5-second rule needs a slower clock ---------------------------------

namespace {

struct slower : fixture {
  slower() : fixture(0.2) {}
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(five_seconds, slower)

BOOST_AUTO_TEST_CASE(no_finish_or_forfeit_in_the_first_five_seconds) {
  auto name = open_room(); // 10 s countdown: 2 s here, and 5 s are 1 s
  frame_socket ws(sim, url(name), token);
  ws.wait_for_type("race.renders"); // in the room's group now
  user(name, "u1", "join");
  user(name, "u2", "join");
  user(name, "u1", "ready");
  user(name, "u2", "ready");
  ws.wait_for_chat("The race has begun! Good luck and have fun.");
  BOOST_TEST(user_refused(name, "u1", "done") ==
             "You cannot finish this early. Did you hit .done by accident?");
  BOOST_TEST(user_refused(name, "u2", "forfeit") ==
             "You cannot forfeit this early. If you are using an "
             "auto-splitter, you should configure it to not auto-reset the "
             "timer when starting a run.");
  std::this_thread::sleep_for(1100ms);
  user(name, "u1", "done");
  user(name, "u2", "forfeit");
}

BOOST_AUTO_TEST_SUITE_END()

// --- faults for the room opener: startrace failing in every way -------------

namespace {

std::string json_quote(const std::string& text) {
  return json_text([&](json_writer& w) {
    w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  });
}

/// What a client saw of one startrace, and whether a room came of it.
struct startrace_seen {
  std::optional<http_response> answer; ///< nullopt: no answer at all
  std::string error;                   ///< the transport error, if any
  int new_rooms = 0;
  std::chrono::milliseconds took{0};

  /// The fault mode this looks like (see sim_faults.hpp), "none" when
  /// served normally: what a room opener has to tell apart.
  std::string mode(std::chrono::milliseconds late) const {
    if (!answer)
      return new_rooms == 1 ? "serve_then_drop" : "lost:" + error;
    if (answer->status == 201 && new_rooms == 1)
      return took >= late ? "serve_late" : "none";
    if (answer->status == 503)
      return new_rooms == 1 ? "serve_then_503" : "status_503_no_create";
    return "unexpected:" + std::to_string(answer->status) + "/" +
           std::to_string(new_rooms);
  }
};

struct fault_fixture : fixture {
  int rooms() {
    auto res = sim.control_get("/races");
    BOOST_REQUIRE_EQUAL(res.status, 200u);
    return static_cast<int>(parse(res.body).Size());
  }

  http_request startrace_request() {
    http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = with_path(sim.base(), "/o/alttpr/startrace");
    req.headers.emplace_back("Authorization", "Bearer " + token);
    req.body = encode_form({{"goal", "Beat the game"}});
    req.content_type = "application/x-www-form-urlencoded";
    return req;
  }

  startrace_seen startrace() {
    startrace_seen seen;
    auto before = rooms();
    auto started = std::chrono::steady_clock::now();
    auto outcome = sim.send(startrace_request());
    seen.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (outcome)
      seen.answer = *outcome;
    else
      seen.error = outcome.error().message;
    seen.new_rooms = rooms() - before;
    return seen;
  }

  void post_ok(const std::string& path, const std::string& json) {
    auto res = sim.control_post(path, json);
    BOOST_REQUIRE_MESSAGE(res.status == 200u, path << ": " << res.body);
  }

  /// Modes seen over `n` startraces under a random mix.
  std::vector<std::string> run_mix(const std::string& json, int n,
                                   std::chrono::milliseconds late) {
    post_ok("/faults/random", json);
    std::vector<std::string> modes;
    for (int i = 0; i < n; ++i)
      modes.push_back(startrace().mode(late));
    return modes;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(startrace_faults, fault_fixture)

BOOST_AUTO_TEST_CASE(served_then_answered_503_the_room_exists_all_the_same) {
  // Only startrace: the suffix keeps every other /o/ path clean.
  post_ok("/faults", R"({"path_prefix": "/o/", "path_suffix": "/startrace",
                         "status": 503, "serve_first": true, "count": 2})");
  auto before = parse(sim.control_get("/races").body);
  std::set<std::string> known;
  for (const auto& r : before.GetArray())
    known.insert(r["name"].GetString());
  http_request data;
  data.target = with_path(sim.base(), "/o/alttpr/data");
  data.headers.emplace_back("Authorization", "Bearer " + token);
  auto listing = sim.send(data);
  BOOST_REQUIRE(listing);
  BOOST_TEST(listing->status == 200u); // not a startrace: no fault
  auto seen = startrace();
  BOOST_REQUIRE(seen.answer);
  BOOST_TEST(seen.answer->status == 503u);
  BOOST_TEST(seen.answer->header("Location") == nullptr);
  BOOST_REQUIRE_EQUAL(seen.new_rooms, 1);
  std::string name;
  auto after = parse(sim.control_get("/races").body);
  for (const auto& r : after.GetArray())
    if (!known.count(r["name"].GetString()))
      name = r["name"].GetString();
  auto room = race_doc(name); // GET /{name}/data: 200
  BOOST_TEST((room["name"] == name.c_str()));
  BOOST_TEST((room["opened_by_bot"] == "TestBot"));
  // Through the client: a 503, nothing it could tell apart from one that
  // created nothing.
  auto created =
      test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
        sim.api().start_race("alttpr", settings(), {"Beat the game"}, token,
                             std::move(done));
      });
  BOOST_REQUIRE(!created);
  BOOST_TEST(created.error().http.status == 503u);
  BOOST_TEST(rooms() == static_cast<int>(before.Size()) + 2);
  // The same status without serve_first creates nothing.
  post_ok("/faults", R"({"path_prefix": "/o/alttpr/startrace",
                         "status": 503})");
  auto refused = startrace();
  BOOST_REQUIRE(refused.answer);
  BOOST_TEST(refused.answer->status == 503u);
  BOOST_TEST(refused.new_rooms == 0);
}

BOOST_AUTO_TEST_CASE(served_at_once_answered_late_or_arriving_late) {
  auto room_appears_before_the_answer = [&](const std::string& json) {
    post_ok("/faults", json);
    auto before = rooms();
    std::promise<http_outcome> answer;
    auto future = answer.get_future();
    sim.http().request(startrace_request(), [&](http_outcome o) {
      answer.set_value(std::move(o));
    });
    std::this_thread::sleep_for(400ms);
    BOOST_REQUIRE(future.wait_for(0s) == std::future_status::timeout);
    bool early = rooms() == before + 1;
    BOOST_REQUIRE(future.wait_for(5s) == std::future_status::ready);
    auto outcome = future.get();
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome),
                          (outcome ? "" : outcome.error().message));
    BOOST_TEST(outcome->status == 201u);
    BOOST_TEST(rooms() == before + 1);
    return early;
  };
  // serve_late: the room is made when the request arrives, the 201 comes
  // 1.2 s later (past a client's timeout, in a soak).
  BOOST_TEST(room_appears_before_the_answer(
      R"({"path_prefix": "/o/alttpr/startrace", "delay_ms": 1200,
          "serve_first": true})"));
  // arrive_late: the request is held, the room made when it is served.
  BOOST_TEST(!room_appears_before_the_answer(
      R"({"path_prefix": "/o/alttpr/startrace", "delay_ms": 1200})"));
}

BOOST_AUTO_TEST_CASE(a_fault_answers_with_the_body_and_type_it_was_given) {
  // A string body goes out as it is.
  post_ok("/faults",
          R"({"path_prefix": "/o/alttpr/startrace", "status": 422,
              "content_type": "application/json", "body": )" +
              json_quote(real::startrace_422) + "}");
  auto seen = startrace();
  BOOST_REQUIRE(seen.answer);
  BOOST_TEST(seen.answer->status == 422u);
  BOOST_TEST(seen.answer->body == real::startrace_422);
  BOOST_REQUIRE(seen.answer->header("Content-Type"));
  BOOST_TEST(*seen.answer->header("Content-Type") == "application/json");
  BOOST_TEST(seen.new_rooms == 0);
  // A JSON value goes out as its JSON text, with any status and type.
  post_ok("/faults", R"({"path_prefix": "/o/alttpr/startrace", "status": 500,
                         "content_type": "application/problem+json",
                         "body": {"detail": "database is locked"}})");
  seen = startrace();
  BOOST_REQUIRE(seen.answer);
  BOOST_TEST(seen.answer->status == 500u);
  BOOST_TEST(seen.answer->body == R"({"detail":"database is locked"})");
  BOOST_TEST(*seen.answer->header("Content-Type") ==
             "application/problem+json");
  // A body without a status, or a status with a dropped connection, is
  // refused with a reason.
  auto refused =
      sim.control_post("/faults", R"({"path_prefix": "/o/", "body": "{}"})");
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(refused.body.find("needs a status") != std::string::npos);
  refused = sim.control_post(
      "/faults",
      R"({"path_prefix": "/o/", "status": 503, "drop_connection": true})");
  BOOST_TEST(refused.status == 400u);
}

BOOST_AUTO_TEST_CASE(the_random_mix_is_the_same_for_the_same_seed) {
  const std::string mix = R"({"path_prefix": "/o/", "path_suffix": "/startrace",
      "rate": 0.5, "seed": 42, "delay_ms": 300, "modes": ["status_503_no_create",
      "serve_then_503", "serve_then_drop", "serve_late"]})";
  const int n = 32;
  auto first = run_mix(mix, n, 300ms);
  auto stats = parse(sim.control_get("/faults/stats").body);
  auto second = run_mix(mix, n, 300ms);
  BOOST_TEST(first == second, boost::test_tools::per_element());
  // Every mode came up, each did what it says, and the counts add up.
  std::map<std::string, int> counted;
  for (const auto& m : first)
    ++counted[m];
  BOOST_TEST(counted.size() == 5u); // the four and "none"
  BOOST_TEST(stats["enabled"].GetBool());
  BOOST_TEST(stats["matched"].GetInt() == n);
  BOOST_TEST(stats["faulted"].GetInt() == n - counted["none"]);
  int by_mode = 0;
  for (const auto& [mode, count] : stats["by_mode"].GetObject()) {
    BOOST_TEST(count.GetInt() == counted[mode.GetString()], mode.GetString());
    by_mode += count.GetInt();
  }
  BOOST_TEST(by_mode == stats["faulted"].GetInt());
  // The log names each draw by its number among the matching requests.
  auto log = parse(sim.control_get("/log?kind=random_fault").body);
  BOOST_REQUIRE_EQUAL(log.Size(), 2u * stats["faulted"].GetUint());
  for (const auto& e : log.GetArray()) {
    auto i = e["detail"]["n"].GetInt() - 1;
    BOOST_REQUIRE(i >= 0 && i < n);
    BOOST_TEST(first[i] == e["detail"]["mode"].GetString());
  }
  // Another seed, another sequence; requests off the filter draw nothing.
  auto other = run_mix(R"({"path_prefix": "/o/", "path_suffix": "/startrace",
      "rate": 0.5, "seed": 7, "delay_ms": 300})",
                       n, 300ms);
  BOOST_TEST((other != first));
  http_request data;
  data.target = with_path(sim.base(), "/alttpr/data");
  BOOST_REQUIRE(sim.send(data));
  BOOST_TEST(parse(sim.control_get("/faults/stats").body)["matched"].GetInt() ==
             n);
  // Turned off: nothing more is drawn.
  BOOST_TEST(sim.control_delete("/faults/random").status == 200u);
  BOOST_TEST(startrace().mode(300ms) == "none");
  auto off = parse(sim.control_get("/faults/stats").body);
  BOOST_TEST(!off["enabled"].GetBool());
  BOOST_TEST(off["matched"].GetInt() == n);
}

BOOST_AUTO_TEST_CASE(rate_zero_faults_nothing_and_one_mode_gives_only_it) {
  auto none = run_mix(R"({"path_suffix": "/startrace", "rate": 0, "seed": 3})",
                      20, 12000ms);
  BOOST_TEST(std::count(none.begin(), none.end(), "none") == 20);
  BOOST_TEST(parse(sim.control_get("/faults/stats").body)["faulted"].GetInt() ==
             0);
  auto only = run_mix(R"({"path_suffix": "/startrace", "rate": 0.6,
      "seed": 3, "modes": ["serve_then_503"]})",
                      20, 12000ms);
  auto hits = std::count(only.begin(), only.end(), "serve_then_503");
  BOOST_TEST(hits + std::count(only.begin(), only.end(), "none") == 20);
  BOOST_TEST(hits >= 5); // 12 expected
  auto all = run_mix(R"({"path_suffix": "/startrace", "rate": 1,
      "modes": ["status_502_no_create"]})",
                     5, 12000ms);
  for (const auto& m : all)
    BOOST_TEST(m == "unexpected:502/0");
  auto refused = sim.control_post(
      "/faults/random", R"({"rate": 0.2, "modes": ["serve_then_404"]})");
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(refused.body.find("serve_then_404") != std::string::npos);
  refused = sim.control_post("/faults/random", R"({"rate": 1.5})");
  BOOST_TEST(refused.status == 400u);
}

BOOST_AUTO_TEST_SUITE_END()

// --- the control API's listing of every race --------------------------------

BOOST_FIXTURE_TEST_SUITE(race_listing, fault_fixture)

BOOST_AUTO_TEST_CASE(cancelled_and_finished_races_stay_listed) {
  auto with_marker = [&](const std::string& marker) {
    auto s = settings();
    s.info_bot = marker;
    s.invitational = marker == "match:2";
    return open_room(s);
  };
  auto finished = with_marker("match:1");
  auto cancelled = with_marker("match:2");
  auto custom = settings();
  custom.goal = "Pedestal in under an hour";
  custom.info_bot = "match:3";
  auto open = open_room(custom);
  frame_socket ws(sim, url(finished), token);
  ws.wait_for_type("race.renders");
  run_race(finished, ws); // u2 done, u1 forfeits
  frame_socket other(sim, url(cancelled), token);
  other.wait_for_type("race.renders");
  other.send(R"({"action":"invite","data":{"user":"u3"}})");
  other.wait_for_chat("TestBot invites Racer3 to join the race.");
  other.send(R"({"action":"cancel","data":{}})");
  other.wait_for([](const rapidjson::Document& d) {
    return d["type"] == "race.data" &&
           d["race"]["status"]["value"] == "cancelled";
  });
  auto listing = parse(sim.control_get("/races").body);
  BOOST_REQUIRE_EQUAL(listing.Size(), 3u);
  std::map<std::string, const rapidjson::Value*> by_name;
  for (const auto& r : listing.GetArray())
    by_name[r["name"].GetString()] = &r;
  BOOST_REQUIRE_EQUAL(by_name.size(), 3u);
  const auto& f = *by_name.at(finished);
  BOOST_TEST((f["status"] == "finished"));
  BOOST_TEST((f["info_bot"] == "match:1"));
  BOOST_TEST((f["info_user"] == "Spring Cup"));
  BOOST_TEST((f["opened_by"] == "bot-client"));
  BOOST_TEST((f["opened_by_bot"] == "TestBot"));
  BOOST_TEST(!f["invitational"].GetBool());
  BOOST_TEST((f["goal"]["name"] == "Beat the game"));
  BOOST_TEST(!f["goal"]["custom"].GetBool());
  BOOST_TEST(f["opened_at"].IsString());
  BOOST_TEST(f["ended_at"].IsString());
  BOOST_REQUIRE_EQUAL(f["entrants"].Size(), 2u);
  std::map<std::string, std::string> statuses;
  for (const auto& e : f["entrants"].GetArray())
    statuses[e["user"].GetString()] = e["status"].GetString();
  BOOST_TEST(statuses["u1"] == "dnf");
  BOOST_TEST(statuses["u2"] == "done");
  const auto& c = *by_name.at(cancelled);
  BOOST_TEST((c["status"] == "cancelled"));
  BOOST_TEST((c["info_bot"] == "match:2"));
  BOOST_TEST(c["invitational"].GetBool());
  BOOST_TEST(c["cancelled_at"].IsString());
  BOOST_REQUIRE_EQUAL(c["entrants"].Size(), 1u);
  BOOST_TEST((c["entrants"][0]["status"] == "invited"));
  BOOST_TEST((c["entrants"][0]["name"] == "Racer3"));
  const auto& o = *by_name.at(open);
  BOOST_TEST((o["status"] == "open"));
  BOOST_TEST((o["goal"]["name"] == "Pedestal in under an hour"));
  BOOST_TEST(o["goal"]["custom"].GetBool());
  BOOST_TEST(o["started_at"].IsNull());
  // Oldest first.
  BOOST_TEST((listing[0]["name"] == finished.c_str()));
  BOOST_TEST((listing[2]["name"] == open.c_str()));
}

BOOST_AUTO_TEST_SUITE_END()

// --- demo players ------------------------------------------------------------

namespace {

/// A tenth of real time: the 10 s countdown is 1 s, the 5-second rule
/// 0.5 s, a finish 5.5-6 s after the start 0.55-0.6 s.
struct demo_fixture : fixture {
  demo_fixture() : fixture(0.1) {}

  /// An invitational room with u1 and u2 invited by the bot; returns its
  /// name, with `ws` in its group.
  std::string invite_two(std::unique_ptr<frame_socket>& ws) {
    auto s = settings();
    s.invitational = true;
    auto name = open_room(s);
    ws = std::make_unique<frame_socket>(sim, url(name), token);
    ws->wait_for_type("race.renders");
    ws->send(R"({"action":"invite","data":{"user":"u1"}})");
    ws->send(R"({"action":"invite","data":{"user":"u2"}})");
    return name;
  }

  std::map<std::string, const rapidjson::Value*>
  entrants(const rapidjson::Document& race) {
    std::map<std::string, const rapidjson::Value*> out;
    for (const auto& e : race["entrants"].GetArray())
      out[e["user"]["id"].GetString()] = &e;
    return out;
  }
};

bool has_status(const rapidjson::Document& d, const char* status) {
  return d["type"] == "race.data" && d["race"]["status"]["value"] == status;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(demo_players, demo_fixture)

BOOST_AUTO_TEST_CASE(two_invited_demo_players_race_to_the_finish) {
  auto set = sim.control_post("/demo-players", R"({"enabled": true,
      "accept_after_ms": 50, "ready_after_ms": 100, "finish_min_ms": 5500,
      "finish_max_ms": 6000, "forfeit_rate": 0.0, "seed": 1})");
  BOOST_REQUIRE_MESSAGE(set.status == 200u, set.body);
  std::unique_ptr<frame_socket> ws;
  auto name = invite_two(ws);
  // What a real user's actions post, in the order they happen.
  ws->wait_for_chat("Racer1 accepts an invitation to join.");
  ws->wait_for_chat("Racer2 accepts an invitation to join.");
  ws->wait_for_chat("Everyone is ready. The race will begin in 10 seconds!");
  ws->wait_for_chat("The race has begun! Good luck and have fun.");
  auto begun = std::chrono::steady_clock::now();
  ws->wait_for([](const auto& d) {
    return has_status(d, "finished");
  });
  // Not before 5.5 s on the simulator's clock (0.55 s here).
  BOOST_TEST((std::chrono::steady_clock::now() - begun >= 540ms));
  auto race = race_doc(name);
  BOOST_TEST((race["status"]["value"] == "finished"));
  auto e = entrants(race);
  BOOST_REQUIRE_EQUAL(e.size(), 2u);
  std::set<int> places;
  for (const auto& [id, entrant] : e) {
    BOOST_TEST(((*entrant)["status"]["value"] == "done"), id);
    places.insert((*entrant)["place"].GetInt());
  }
  BOOST_TEST((places == std::set<int>{1, 2}));
  auto said = chat(name);
  BOOST_TEST((contains(said, "Racer1 is ready! (1 remaining)") ||
              contains(said, "Racer2 is ready! (1 remaining)")));
  BOOST_TEST(std::count_if(said.begin(), said.end(), [](const auto& m) {
               return m.find("has ##good##finished## in") != std::string::npos;
             }) == 2);
  // The listing agrees.
  auto listing = parse(sim.control_get("/races").body);
  BOOST_TEST((listing[0]["status"] == "finished"));
  for (const auto& x : listing[0]["entrants"].GetArray())
    BOOST_TEST((x["status"] == "done"));
}

BOOST_AUTO_TEST_CASE(a_forfeit_rate_of_one_gives_dnf) {
  BOOST_REQUIRE_EQUAL(sim.control_post("/demo-players",
                                       R"({"accept_after_ms": 50,
      "ready_after_ms": 100, "finish_min_ms": 5500, "finish_max_ms": 6000,
      "forfeit_rate": 1.0})")
                          .status,
                      200u);
  std::unique_ptr<frame_socket> ws;
  auto name = invite_two(ws);
  ws->wait_for_chat("The race has begun! Good luck and have fun.");
  // Nobody finished: racetime.gg cancels the race.
  ws->wait_for([](const auto& d) {
    return has_status(d, "cancelled");
  });
  auto race = race_doc(name);
  for (const auto& [id, entrant] : entrants(race))
    BOOST_TEST(((*entrant)["status"]["value"] == "dnf"), id);
  auto said = chat(name);
  BOOST_TEST(contains(said, "Racer1 has ##bad##forfeited## from the race."));
  BOOST_TEST(contains(said, "Racer2 has ##bad##forfeited## from the race."));
}

BOOST_AUTO_TEST_CASE(demo_players_who_take_their_finish_back_reopen_the_race) {
  BOOST_REQUIRE_EQUAL(sim.control_post("/demo-players",
                                       R"({"accept_after_ms": 50,
      "ready_after_ms": 100, "finish_min_ms": 5500, "finish_max_ms": 6000,
      "undo_rate": 1.0, "undo_after_ms": 2000})")
                          .status,
                      200u);
  std::unique_ptr<frame_socket> ws;
  auto name = invite_two(ws);
  ws->wait_for_chat("The race has begun! Good luck and have fun.");
  // Both finish (the race ends), take it back 0.2 s later (the first one
  // reopens the race, as racetime.gg does within 10 minutes of the end),
  // and finish again 0.2 s after that.
  ws->wait_for_chat("Race timer restarted.");
  ws->wait_for([](const auto& d) {
    return has_status(d, "finished");
  });
  auto race = race_doc(name);
  for (const auto& [id, entrant] : entrants(race))
    BOOST_TEST(((*entrant)["status"]["value"] == "done"), id);
  auto said = chat(name);
  BOOST_TEST(contains(said, "Racer1 is no longer done."));
  BOOST_TEST(contains(said, "Racer2 is no longer done."));
  BOOST_TEST(std::count_if(said.begin(), said.end(), [](const auto& m) {
               return m.find("has ##good##finished## in") != std::string::npos;
             }) == 4);
  auto shown = parse(sim.control_get("/demo-players").body);
  BOOST_TEST(shown["undo_rate"].GetDouble() == 1.0);
  BOOST_TEST(shown["undo_after_ms"].GetInt() == 2000);
}

BOOST_AUTO_TEST_CASE(settings_are_checked_and_off_means_off) {
  auto refused = sim.control_post("/demo-players", R"({"finish_min_ms": 5000,
      "finish_max_ms": 6000})");
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(refused.body.find("first 5 s") != std::string::npos, refused.body);
  refused = sim.control_post("/demo-players", R"({"finish_min_ms": 9000,
      "finish_max_ms": 8000})");
  BOOST_TEST(refused.status == 400u);
  refused = sim.control_post("/demo-players", R"({"forfeit_rate": 2})");
  BOOST_TEST(refused.status == 400u);
  refused = sim.control_post("/demo-players", R"({"undo_rate": -0.5})");
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(refused.body.find("undo_rate") != std::string::npos, refused.body);
  auto shown = parse(sim.control_get("/demo-players").body);
  BOOST_TEST(!shown["enabled"].GetBool()); // off until asked for
  BOOST_TEST(shown["accept_after_ms"].GetInt() == 1500);
  BOOST_TEST(shown["finish_max_ms"].GetInt() == 20000);
  // Off: an invitation waits for a person.
  std::unique_ptr<frame_socket> ws;
  auto name = invite_two(ws);
  ws->wait_for_chat("TestBot invites Racer2 to join the race.");
  std::this_thread::sleep_for(300ms); // 3 s on the simulator's clock
  for (const auto& [id, entrant] : entrants(race_doc(name)))
    BOOST_TEST(((*entrant)["status"]["value"] == "invited"), id);
}

BOOST_AUTO_TEST_SUITE_END()
