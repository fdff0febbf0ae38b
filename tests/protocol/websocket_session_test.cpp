#define BOOST_TEST_MODULE protocol_websocket
#include <boost/test/unit_test.hpp>

// websocket_session against racetime-sim over real sockets: the send queue,
// dead connections, refused tokens and moves to fresh ones.

#include "protocol/bot_actions.hpp"
#include "protocol/json.hpp"
#include "protocol/token_keeper.hpp"
#include "tests/support/bot_socket.hpp"
#include "tests/support/sim_harness.hpp"

#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
using test::bot_socket;

namespace {

struct fixture {
  test::sim_harness sim;
  std::string token;

  fixture() {
    sim.seed_defaults();
    token = sim.bot_token("bot-client", "bot-secret");
  }

  /// An open (not invitational) room; its name "alttpr/slug".
  std::string open_room() {
    race_settings s;
    s.goal = "Beat the game";
    s.invitational = false;
    auto created =
        test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
          sim.api().start_race("alttpr", s, {"Beat the game"}, token,
                               std::move(done));
        });
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(created),
                          (created ? "" : created.error().message));
    return created->name;
  }

  static std::string slug_of(const std::string& name) {
    return name.substr(name.find('/') + 1);
  }

  static std::string socket_url(const std::string& name) {
    return "/ws/o/bot/" + slug_of(name);
  }

  std::shared_ptr<token_source> fixed() { return protocol::fixed_token(token); }

  rapidjson::Document control_json(const std::string& path) {
    auto res = sim.control_get(path);
    BOOST_REQUIRE_EQUAL(res.status, 200u);
    return parse_json(res.body);
  }

  /// How often each bot chat text is in the room's chat.
  std::map<std::string, int> bot_chat(const std::string& name) {
    auto state = control_json("/races/" + slug_of(name));
    std::map<std::string, int> count;
    for (const auto& m : state["chat"].GetArray())
      if (m["is_bot"].GetBool())
        ++count[m["message"].GetString()];
    return count;
  }

  /// The users the bot's accepted invites named, in order.
  std::vector<std::string> invites_accepted() {
    auto log = control_json("/log?kind=action");
    std::vector<std::string> users;
    for (const auto& r : log.GetArray())
      if (std::string{r["detail"]["action"].GetString()} == "invite")
        users.emplace_back(r["detail"]["data"]["user"].GetString());
    return users;
  }
};

std::string invite(const std::string& user) {
  return serialize(user_action{user_action::kind::invite, user});
}

std::string chat(const std::string& text) {
  return serialize(
      message_action{text, make_guid(), std::nullopt, "null", std::nullopt});
}

/// A token source whose tokens racetime.gg never accepts: each refusal
/// brings another bad token.
class bad_tokens : public token_source {
 public:
  std::optional<bearer_token> current() const override {
    std::lock_guard<std::mutex> g{mtx_};
    return bearer_token{"bad-" + std::to_string(n_),
                        std::chrono::steady_clock::now() + 1h};
  }

  void refused(const std::string& value) override {
    std::function<void()> tell;
    {
      std::lock_guard<std::mutex> g{mtx_};
      if (value != "bad-" + std::to_string(n_))
        return;
      ++n_;
      if (auto l = listener_.lock())
        tell = *l;
    }
    if (tell)
      tell();
  }

  std::shared_ptr<void> subscribe(std::function<void()> on_new) override {
    auto handle = std::make_shared<std::function<void()>>(std::move(on_new));
    std::lock_guard<std::mutex> g{mtx_};
    listener_ = handle;
    return handle;
  }

  int renewals() const {
    std::lock_guard<std::mutex> g{mtx_};
    return n_;
  }

 private:
  mutable std::mutex mtx_;
  int n_ = 0;
  std::weak_ptr<std::function<void()>> listener_;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(websocket_session_io, fixture)

BOOST_AUTO_TEST_CASE(a_full_queue_refuses_frames_visibly) {
  // A room that does not exist: the handshake hangs, nothing is written,
  // and the queue fills up.
  auto options = bot_socket::fast_options();
  options.max_queue = 3;
  bot_socket ws(sim, "/ws/o/bot/no-such-race-0000", fixed(), options);
  std::vector<std::string> sent;
  for (int i = 1; i <= 5; ++i) {
    sent.push_back(invite("u" + std::to_string(i)));
    ws.send(sent.back());
  }
  auto dropped = ws.wait_dropped(2);
  BOOST_REQUIRE_EQUAL(dropped.size(), 2u);
  // The frames that did not fit are reported; those queued are kept.
  BOOST_TEST(dropped[0].text == sent[3]);
  BOOST_TEST(dropped[1].text == sent[4]);
  for (const auto& d : dropped) {
    BOOST_TEST((d.reason == drop_reason::queue_full));
    BOOST_TEST(d.message.find("send queue is full (3 frames)") !=
               std::string::npos);
  }
  BOOST_TEST(ws.session().stats().dropped == 2u);
}

BOOST_AUTO_TEST_CASE(an_overflow_never_touches_the_frame_in_flight) {
  auto name = open_room();
  auto options = bot_socket::fast_options();
  options.max_queue = 120;
  bot_socket ws(sim, socket_url(name), fixed(), options);
  BOOST_REQUIRE(ws.wait_opens(1));
  ws.wait_for("race.data");
  sim.control_post("/races/" + slug_of(name) + "/stall-reads");
  ws.send(serialize(simple_action{simple_action::kind::ping}));
  ws.wait_for("pong");
  // More than the socket buffers of a peer that reads nothing hold (5 MB):
  // one of these stays in flight, written in part, while the queue fills
  // and overflows. (setmeta: too large to save, so racetime.gg answers
  // with a short error instead of broadcasting it.)
  std::vector<std::string> blobs;
  for (int i = 0; i < 100; ++i) {
    std::string blob = std::to_string(i) + ":";
    while (blob.size() < 50000)
      blob += "0123456789abcdef";
    blobs.push_back(blob);
    ws.send(serialize(setmeta_action{"{\"blob\":\"" + blob + "\"}"}));
  }
  std::this_thread::sleep_for(300ms);
  std::vector<std::string> small;
  for (int i = 0; i < 200; ++i) {
    small.push_back("small " + std::to_string(i));
    ws.send(chat(small.back()));
  }
  ws.wait_dropped(1);
  std::this_thread::sleep_for(200ms); // every send handled
  auto dropped = ws.dropped();
  // What did not fit is reported: the latest sends, all of them chat.
  BOOST_REQUIRE(dropped.size() <= small.size());
  std::set<std::string> refused;
  for (std::size_t i = 0; i < dropped.size(); ++i) {
    BOOST_TEST((dropped[i].reason == drop_reason::queue_full));
    auto expected = small.size() - dropped.size() + i;
    BOOST_TEST(dropped[i].text.find("\"" + small[expected] + "\"") !=
               std::string::npos);
    refused.insert(small[expected]);
  }
  // The server reads again: every frame it gets is whole, and only once.
  sim.control_post("/races/" + slug_of(name) + "/resume-reads");
  auto last = small[small.size() - dropped.size() - 1];
  ws.wait_for("chat.message", [&](const rapidjson::Document& d) {
    return d["message"]["message"] == last.c_str();
  });
  auto log = sim.control_get("/log?kind=action");
  BOOST_REQUIRE_EQUAL(log.status, 200u);
  auto actions = parse_json(log.body, 64 << 20);
  std::vector<std::string> received;
  for (const auto& r : actions.GetArray())
    if (r["detail"]["action"] == "setmeta")
      received.emplace_back(r["detail"]["data"]["blob"].GetString());
  BOOST_REQUIRE_EQUAL(received.size(), blobs.size());
  for (std::size_t i = 0; i < blobs.size(); ++i)
    BOOST_TEST((received[i] == blobs[i]), "frame " << i << " arrived changed");
  auto count = bot_chat(name);
  for (const auto& text : small)
    BOOST_TEST(count[text] == (refused.count(text) ? 0 : 1), text);
}

BOOST_AUTO_TEST_CASE(a_stalled_write_is_a_dead_connection) {
  auto name = open_room();
  auto options = bot_socket::fast_options();
  options.write_timeout = 500ms;
  options.max_queue = 2;
  bot_socket ws(sim, socket_url(name), fixed(), options);
  BOOST_REQUIRE(ws.wait_opens(1));
  ws.wait_for("race.data");
  // The server stops reading after the next frame it reads (our ping).
  sim.control_post("/races/" + slug_of(name) + "/stall-reads");
  ws.send(serialize(simple_action{simple_action::kind::ping}));
  ws.wait_for("pong");
  // Far more than the socket buffers hold: this write cannot finish.
  auto huge = serialize(setinfo_action{std::string(32 << 20, 'x'), {}});
  ws.send(huge);
  auto first = chat("queued behind the stalled write 1");
  auto second = chat("queued behind the stalled write 2");
  auto third = chat("no room in the queue");
  ws.send(first);
  ws.send(second);
  ws.send(third);
  auto reason = ws.wait_disconnect(3000ms);
  BOOST_TEST(
      reason ==
      "a write did not finish within 500 ms: the server stopped reading");
  // The frame in flight may have arrived in part: never sent again, but
  // reported; the one that did not fit the queue is reported too.
  auto dropped = ws.wait_dropped(2);
  BOOST_REQUIRE_EQUAL(dropped.size(), 2u);
  BOOST_TEST(dropped[0].text == third);
  BOOST_TEST((dropped[0].reason == drop_reason::queue_full));
  BOOST_TEST(dropped[1].text == huge);
  BOOST_TEST((dropped[1].reason == drop_reason::outcome_unknown));
  // The queued frames go out on the next connection, once each.
  BOOST_REQUIRE(ws.wait_opens(2));
  ws.wait_for("chat.message", [](const rapidjson::Document& d) {
    return d["message"]["message"] == "queued behind the stalled write 2";
  });
  auto count = bot_chat(name);
  BOOST_TEST(count["queued behind the stalled write 1"] == 1);
  BOOST_TEST(count["queued behind the stalled write 2"] == 1);
  BOOST_TEST(count.count("no room in the queue") == 0u);
}

BOOST_AUTO_TEST_CASE(refused_actions_go_again_once_with_a_fresh_token) {
  token_keeper keeper{sim.client_io(), sim.api(), {"bot-client", "bot-secret"}};
  keeper.start([](const token_event&) {});
  auto name = open_room();
  bot_socket ws(sim, socket_url(name), keeper.source());
  BOOST_REQUIRE(ws.wait_opens(1));
  ws.wait_for("race.data");
  // racetime.gg keeps the socket open and refuses every action.
  sim.control_post("/tokens/expire", R"({"client_id": "bot-client"})");
  std::vector<std::string> texts = {"one", "two", "three"};
  ws.send(invite("u1"));
  for (const auto& t : texts)
    ws.send(chat(t));
  ws.send(invite("u2"));
  ws.send(invite("u3"));
  // Sent again in their order: the last invite comes after the chat.
  ws.wait_for("chat.message", [](const rapidjson::Document& d) {
    return d["message"]["message"] == "three";
  });
  ws.wait_for("race.data", [](const rapidjson::Document& d) {
    return d["race"]["entrants"].Size() == 3;
  });
  BOOST_TEST(invites_accepted() ==
             (std::vector<std::string>{"u1", "u2", "u3"}));
  auto count = bot_chat(name);
  for (const auto& t : texts)
    BOOST_TEST(count[t] == 1, t);
  // Once the first refusal is in, nothing but a ping goes out on the old
  // token: how many were refused depends on timing, and each of them was
  // sent again exactly once.
  auto stats = ws.session().stats();
  BOOST_TEST(stats.refusals >= 1u);
  BOOST_TEST(stats.resent == stats.refusals);
  BOOST_TEST(stats.dropped == 0u);
  BOOST_TEST(stats.rotations == 1u);
  // The owner saw none of the refusals the session handled.
  BOOST_TEST(ws.frames_of("error").empty());
  keeper.stop();
}

BOOST_AUTO_TEST_CASE(refused_again_with_the_fresh_token_is_dropped) {
  auto tokens = std::make_shared<bad_tokens>();
  auto name = open_room();
  bot_socket ws(sim, socket_url(name), tokens);
  BOOST_REQUIRE(ws.wait_opens(1));
  auto frame = invite("u1");
  ws.send(frame);
  auto dropped = ws.wait_dropped(1);
  BOOST_REQUIRE_EQUAL(dropped.size(), 1u);
  BOOST_TEST(dropped[0].text == frame);
  BOOST_TEST((dropped[0].reason == drop_reason::refused));
  BOOST_TEST(dropped[0].message.find("twice") != std::string::npos);
  // Sent twice in all: once per token, never a third time.
  BOOST_TEST(ws.wait_opens(2));
  std::this_thread::sleep_for(300ms);
  auto stats = ws.session().stats();
  BOOST_TEST(stats.resent == 1u);
  BOOST_TEST(stats.refusals == 2u);
  BOOST_TEST(tokens->renewals() == 2);
  BOOST_TEST(invites_accepted().empty());
}

BOOST_AUTO_TEST_CASE(short_tokens_are_moved_in_time_with_a_close_frame) {
  // Tokens of 3 s, renewed at 1.5 s: the sockets move to each new token as
  // soon as it is pushed, before the old one dies, and lose nothing.
  sim.control_post("/token-lifetime", R"({"seconds": 3})");
  token_keeper keeper{sim.client_io(), sim.api(), {"bot-client", "bot-secret"}};
  keeper.start([](const token_event&) {});
  auto name = open_room();
  bot_socket ws(sim, socket_url(name), keeper.source());
  BOOST_REQUIRE(ws.wait_opens(1));
  std::vector<std::string> texts;
  for (int i = 0; i < 32; ++i) {
    texts.push_back("message " + std::to_string(i));
    ws.send(chat(texts.back()));
    std::this_thread::sleep_for(250ms);
  }
  ws.wait_for("chat.message", [](const rapidjson::Document& d) {
    return d["message"]["message"] == "message 31";
  });
  auto count = bot_chat(name);
  for (const auto& t : texts)
    BOOST_TEST(count[t] == 1, t);
  auto stats = ws.session().stats();
  BOOST_TEST(stats.rotations >= 4u);
  BOOST_TEST(stats.refusals == 0u); // never used a dead token
  BOOST_TEST(stats.dropped == 0u);
  auto closes = control_json("/stats")["client_close_frames"].GetUint64();
  BOOST_TEST(closes >= stats.rotations);
  keeper.stop();
}

BOOST_AUTO_TEST_CASE(what_was_broadcast_while_away_is_asked_for_again) {
  auto name = open_room();
  auto options = bot_socket::fast_options();
  options.reconnect.initial = 400ms; // time to act while it is away
  bot_socket ws(sim, socket_url(name), fixed(), options);
  BOOST_REQUIRE(ws.wait_opens(1));
  ws.send(chat("before the gap"));
  ws.wait_for("chat.message", [](const rapidjson::Document& d) {
    return d["message"]["message"] == "before the gap";
  });
  sim.control_post("/races/" + slug_of(name) + "/drop-sockets");
  ws.wait_disconnect();
  auto res = sim.control_post("/races/" + slug_of(name) + "/users/u1/join");
  BOOST_REQUIRE_EQUAL(res.status, 200u);
  BOOST_REQUIRE(ws.wait_opens(2));
  // The race as it is now, asked for again (racetime.gg's consumer may
  // have missed broadcasts while it subscribed) ...
  ws.wait_for("race.data", [](const rapidjson::Document& d) {
    return d["race"]["entrants"].Size() == 1;
  });
  // ... and the chat it missed, only that (newer than the last it saw).
  auto history = ws.wait_for("chat.history");
  const auto& messages = history["messages"];
  BOOST_REQUIRE_EQUAL(messages.Size(), 1u);
  BOOST_TEST(std::string{messages[0]["message"].GetString()}.find(
                 "joins the race") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
