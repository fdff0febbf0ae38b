#define BOOST_TEST_MODULE protocol_e2e
#include <boost/test/unit_test.hpp>

#include "protocol/bot_actions.hpp"
#include "protocol/json.hpp"
#include "protocol/metrics_registry.hpp"
#include "protocol/server_messages.hpp"
#include "protocol/tls_session_cache.hpp"
#include "protocol/token_keeper.hpp"
#include "protocol/websocket_session.hpp"
#include "tests/support/sim_harness.hpp"

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
namespace http = boost::beast::http;

namespace {

/// A bot socket to one race, recording what arrives.
class bot_socket {
 public:
  bot_socket(test::sim_harness& sim, const std::string& websocket_bot_url,
             std::shared_ptr<token_source> tokens,
             websocket_options options = fast_options()) {
    websocket_handlers h;
    h.on_open = [this] {
      std::lock_guard<std::mutex> g{mtx_};
      ++opens_;
      cv_.notify_all();
    };
    h.on_message = [this](std::string text) {
      std::lock_guard<std::mutex> g{mtx_};
      frames_.push_back(std::move(text));
      cv_.notify_all();
    };
    h.on_disconnect = [this](const std::string& reason,
                             std::chrono::milliseconds) {
      std::lock_guard<std::mutex> g{mtx_};
      disconnects_.push_back(reason);
      cv_.notify_all();
    };
    h.on_dropped = [this](const dropped_frame& d) {
      std::lock_guard<std::mutex> g{mtx_};
      dropped_.push_back(d);
      cv_.notify_all();
    };
    auto target = with_path(sim.base(), websocket_bot_url, true);
    session_ = std::make_unique<websocket_session>(
        sim.client_io(), sim.tls(), target, std::move(tokens), h, options);
    session_->start();
  }

  static websocket_options fast_options() {
    websocket_options o;
    o.reconnect.initial = 50ms;
    o.reconnect.max = 500ms;
    o.ping_interval = 5000ms;
    return o;
  }

  ~bot_socket() { session_->stop(); }

  websocket_session& session() { return *session_; }

  /// Waits until a frame satisfies `pred`; returns it parsed.
  server_message
  wait_for(const std::function<bool(const server_message&)>& pred,
           std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> lock{mtx_};
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      for (; seen_ < frames_.size(); ++seen_) {
        auto msg = parse_server_message(frames_[seen_]);
        BOOST_REQUIRE_MESSAGE(static_cast<bool>(msg), frames_[seen_]);
        if (pred(*msg)) {
          ++seen_;
          return *msg;
        }
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
          seen_ == frames_.size())
        BOOST_FAIL("no matching frame within the time limit");
    }
  }

  race_data wait_for_race(const std::function<bool(const race_data&)>& pred,
                          std::chrono::milliseconds limit = 5000ms) {
    auto msg = wait_for(
        [&](const server_message& m) {
          auto* d = std::get_if<race_data_message>(&m.body);
          return d != nullptr && pred(d->race);
        },
        limit);
    return std::get<race_data_message>(msg.body).race;
  }

  std::string wait_for_error(std::chrono::milliseconds limit = 5000ms) {
    auto msg = wait_for(
        [](const server_message& m) {
          return std::holds_alternative<error_message>(m.body);
        },
        limit);
    return std::get<error_message>(msg.body).errors.at(0);
  }

  bool wait_opens(int n, std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, limit, [&] {
      return opens_ >= n;
    });
  }

  dropped_frame wait_dropped(std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, limit, [&] {
          return !dropped_.empty();
        }))
      BOOST_FAIL("no dropped frame within the time limit");
    auto d = dropped_.front();
    dropped_.erase(dropped_.begin());
    return d;
  }

  std::string wait_disconnect(std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, limit, [&] {
          return !disconnects_.empty();
        }))
      BOOST_FAIL("no disconnect within the time limit");
    auto reason = disconnects_.front();
    disconnects_.erase(disconnects_.begin());
    return reason;
  }

 private:
  std::unique_ptr<websocket_session> session_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> frames_;
  std::size_t seen_ = 0;
  int opens_ = 0;
  std::vector<std::string> disconnects_;
  std::vector<dropped_frame> dropped_;
};

/// The settings seed 001 creates tournament rooms with.
race_settings seed_001_settings() {
  race_settings s;
  s.goal = "Beat the game - Finals";
  s.invitational = true;
  s.unlisted = false;
  s.info_user = "Spring Cup - Final - Scheduled: 2024-11-05 20:00 UTC";
  s.start_delay = 15;
  s.time_limit = 24;
  s.streaming_required = true;
  s.auto_start = true;
  s.allow_comments = true;
  s.hide_comments = true;
  s.allow_prerace_chat = true;
  s.allow_midrace_chat = true;
  s.allow_non_entrant_chat = false;
  s.chat_message_delay = 0;
  s.team_race = false;
  s.require_even_teams = false;
  return s;
}

struct fixture {
  test::sim_harness sim;
  std::string token;

  fixture() {
    sim.seed_defaults();
    token = sim.bot_token("bot-client", "bot-secret");
  }

  std::string open_room(const race_settings& s = seed_001_settings()) {
    auto created =
        test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
          sim.api().start_race("alttpr", s, {"Beat the game", "Any% NMG"},
                               token, std::move(done));
        });
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(created),
                          (created ? "" : created.error().message));
    return created->name;
  }

  race_data fetch(const std::string& name) {
    auto r =
        test::sim_harness::await<racetime_result<race_data>>([&](auto done) {
          sim.api().race_data(name, std::move(done));
        });
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(r), (r ? "" : r.error().message));
    return *r;
  }

  std::shared_ptr<token_source> fixed_token() {
    return protocol::fixed_token(token, std::chrono::steady_clock::now() + 10h);
  }

  void user(const std::string& slug, const std::string& id,
            const std::string& what) {
    auto res = sim.control_post("/races/" + slug + "/users/" + id + "/" + what);
    BOOST_REQUIRE_MESSAGE(res.status == 200,
                          id << " " << what << ": " << res.body);
  }

  rapidjson::Document control_json(const std::string& path) {
    auto res = sim.control_get(path);
    BOOST_REQUIRE_EQUAL(res.status, 200u);
    return parse_json(res.body);
  }
};

std::string slug_of(const std::string& name) {
  return name.substr(name.find('/') + 1);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(racetime_over_sockets, fixture)

BOOST_AUTO_TEST_CASE(client_credentials_token_and_rejected_credentials) {
  BOOST_TEST(token.size() == 30u);
  auto bad =
      test::sim_harness::await<racetime_result<token_response>>([&](auto done) {
        sim.api().client_credentials_token({"bot-client", "wrong"},
                                           std::move(done));
      });
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().credentials_rejected());
  BOOST_TEST(bad.error().oauth->error == "invalid_client");
  BOOST_TEST(bad.error().http.status == 401u);
  BOOST_TEST(bad.error().message.find("wrong") == std::string::npos);
  BOOST_TEST(bad.error().message.find("check the client id and secret") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(startrace_sends_every_seed_001_setting) {
  auto name = open_room();
  // What arrived on the wire: every field, explicitly, as true/false.
  auto log = control_json("/log?kind=startrace");
  BOOST_REQUIRE(log.IsArray() && log.Size() == 1);
  json_object fields{log[0]["detail"]["fields"], "fields"};
  BOOST_TEST(fields.string("custom_goal") == "Beat the game - Finals");
  BOOST_TEST(!fields.has("goal"));
  BOOST_TEST(!fields.has("info"));
  BOOST_TEST(fields.string("info_user") ==
             "Spring Cup - Final - Scheduled: 2024-11-05 20:00 UTC");
  BOOST_TEST(fields.string("invitational") == "true");
  BOOST_TEST(fields.string("unlisted") == "false");
  BOOST_TEST(fields.string("streaming_required") == "true");
  BOOST_TEST(fields.string("auto_start") == "true");
  BOOST_TEST(fields.string("allow_comments") == "true");
  BOOST_TEST(fields.string("hide_comments") == "true");
  BOOST_TEST(fields.string("allow_prerace_chat") == "true");
  BOOST_TEST(fields.string("allow_midrace_chat") == "true");
  BOOST_TEST(fields.string("allow_non_entrant_chat") == "false");
  BOOST_TEST(fields.string("team_race") == "false");
  BOOST_TEST(fields.string("require_even_teams") == "false");
  BOOST_TEST(fields.string("start_delay") == "15");
  BOOST_TEST(fields.string("time_limit") == "24");
  BOOST_TEST(fields.string("chat_message_delay") == "0");
  // And what racetime.gg made of them.
  auto race = fetch(name);
  BOOST_TEST((race.status == race_status::invitational));
  BOOST_TEST(race.goal.name == "Beat the game - Finals");
  BOOST_TEST(race.goal.custom);
  BOOST_TEST(race.info_user ==
             "Spring Cup - Final - Scheduled: 2024-11-05 20:00 UTC");
  BOOST_TEST(race.info_bot == "");
  BOOST_TEST(!race.unlisted);
  BOOST_TEST(race.streaming_required);
  BOOST_TEST(race.auto_start);
  BOOST_TEST(race.allow_comments);
  BOOST_TEST(race.hide_comments);
  BOOST_TEST(race.allow_prerace_chat);
  BOOST_TEST(race.allow_midrace_chat);
  BOOST_TEST(!race.allow_non_entrant_chat);
  BOOST_TEST(!race.team_race);
  BOOST_TEST(!race.require_even_teams);
  BOOST_TEST(race.start_delay.count() == 15000000);
  BOOST_TEST(race.time_limit.count() == 24LL * 3600 * 1000000);
  BOOST_TEST(race.chat_message_delay.count() == 0);
  BOOST_TEST(!race.recordable); // a custom goal is never recordable
  BOOST_TEST(race.opened_by_bot.value() == "TestBot");
  // A goal the category has is sent as `goal`.
  auto s = seed_001_settings();
  s.goal = "Beat the game";
  auto standard = fetch(open_room(s));
  BOOST_TEST(!standard.goal.custom);
  BOOST_TEST(standard.goal.name == "Beat the game");
}

BOOST_AUTO_TEST_CASE(unprocessable_settings_come_back_with_field_names) {
  http_request req;
  req.method = http::verb::post;
  req.target = with_path(sim.base(), "/o/alttpr/startrace");
  req.headers.emplace_back("Authorization", "Bearer " + token);
  auto s = seed_001_settings();
  s.start_delay = 5;
  s.time_limit = 100;
  s.chat_message_delay = 91;
  req.body = encode_form(startrace_form(s, {}));
  req.content_type = "application/x-www-form-urlencoded";
  auto outcome = sim.send(req);
  BOOST_REQUIRE(outcome);
  auto error = status_error(*outcome);
  BOOST_REQUIRE(error);
  BOOST_TEST((error->what == http_error::kind::unprocessable));
  // In the form's field order, as racetime.gg lists them (§2).
  BOOST_REQUIRE_EQUAL(error->field_errors.size(), 3u);
  BOOST_TEST(error->field_errors[0].first == "start_delay");
  BOOST_TEST(error->field_errors[0].second.at(0) ==
             "Ensure this value is greater than or equal to 0:00:10.");
  BOOST_TEST(error->field_errors[1].first == "time_limit");
  BOOST_TEST(error->field_errors[2].first == "chat_message_delay");
  BOOST_TEST(
      error->message.find("time_limit: Ensure this value is less than or "
                          "equal to 3 days, 0:00:00.") != std::string::npos);
  // The client refuses the same settings before sending anything.
  auto refused =
      test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
        sim.api().start_race("alttpr", s, {}, token, std::move(done));
      });
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error().what == racetime_error::kind::invalid_request));
  BOOST_TEST(refused.error().message.find("start_delay: must be 10 to 60 "
                                          "seconds, got 5") !=
             std::string::npos);
  // A bot of another category gets 403.
  auto other = sim.bot_token("other-client", "other-secret");
  auto forbidden =
      test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
        sim.api().start_race("alttpr", seed_001_settings(), {}, other,
                             std::move(done));
      });
  BOOST_REQUIRE(!forbidden);
  BOOST_TEST((forbidden.error().http.what == http_error::kind::unauthorized));
  BOOST_TEST(forbidden.error().http.status == 403u);
}

BOOST_AUTO_TEST_CASE(edit_sends_full_settings_and_omitted_fields_reset) {
  auto name = open_room();
  auto s = seed_001_settings();
  s.info_user = "Rescheduled: 21:00 UTC";
  auto edited =
      test::sim_harness::await<racetime_result<edit_result>>([&](auto done) {
        sim.api().edit_race(name, s, {}, token, std::move(done));
      });
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(edited),
                        (edited ? "" : edited.error().message));
  BOOST_TEST(edited->sent);
  auto race = fetch(name);
  BOOST_TEST(race.info_user == "Rescheduled: 21:00 UTC");
  BOOST_TEST(race.hide_comments); // kept, because it was sent
  BOOST_TEST(!race.allow_non_entrant_chat);
  // What a client that sends only the goal gets: the model defaults.
  http_request req;
  req.method = http::verb::post;
  req.target = with_path(sim.base(), "/o/" + name + "/edit");
  req.headers.emplace_back("Authorization", "Bearer " + token);
  req.body = encode_form({{"custom_goal", "Beat the game - Finals"}});
  req.content_type = "application/x-www-form-urlencoded";
  auto outcome = sim.send(req);
  BOOST_REQUIRE(outcome);
  BOOST_TEST(outcome->status == 200u);
  auto reset = fetch(name);
  BOOST_TEST(reset.info_user == "");
  BOOST_TEST(!reset.hide_comments);
  BOOST_TEST(reset.allow_non_entrant_chat);
}

BOOST_AUTO_TEST_CASE(invites_and_messages_reach_the_simulator) {
  auto name = open_room();
  auto race = fetch(name);
  bot_socket ws(sim, race.websocket_bot_url, fixed_token());
  // On connect: race.data, then race.renders.
  auto first = ws.wait_for([](const server_message&) {
    return true;
  });
  BOOST_TEST(first.type == "race.data");
  auto second = ws.wait_for([](const server_message&) {
    return true;
  });
  BOOST_TEST(second.type == "race.renders");
  ws.session().send(serialize(user_action{user_action::kind::invite, "u1"}));
  ws.session().send(serialize(user_action{user_action::kind::invite, "u2"}));
  auto guid = make_guid();
  ws.session().send(serialize(message_action{
      "Welcome to the Final!", guid, std::nullopt, "null", std::nullopt}));
  auto invited = ws.wait_for_race([](const race_data& r) {
    return r.entrants.size() == 2;
  });
  BOOST_TEST((invited.entrants[0].status == entrant_status::invited));
  auto chat = ws.wait_for([](const server_message& m) {
    auto* c = std::get_if<chat_message_message>(&m.body);
    return c != nullptr && c->message.is_bot;
  });
  BOOST_TEST(std::get<chat_message_message>(chat.body).message.message ==
             "Welcome to the Final!");
  BOOST_TEST(std::get<chat_message_message>(chat.body).message.bot.value() ==
             "TestBot");
  // The same guid again is dropped silently (no error, no second message).
  ws.session().send(serialize(message_action{
      "Welcome to the Final!", guid, std::nullopt, "null", std::nullopt}));
  ws.session().send(serialize(simple_action{simple_action::kind::ping}));
  ws.wait_for([](const server_message& m) {
    return std::holds_alternative<pong_message>(m.body);
  });
  auto state = control_json("/races/" + slug_of(name));
  int bot_messages = 0;
  for (const auto& m : state["chat"].GetArray())
    bot_messages += m["is_bot"].GetBool();
  BOOST_TEST(bot_messages == 1);
  auto actions = control_json("/log?kind=action");
  BOOST_REQUIRE(actions.Size() >= 3u);
  BOOST_TEST(std::string{actions[0]["detail"]["action"].GetString()} ==
             "invite");
  BOOST_TEST(std::string{actions[0]["detail"]["data"]["user"].GetString()} ==
             "u1");
  // racetime.gg's refusals arrive as error messages; the socket stays.
  ws.session().send(serialize(user_action{user_action::kind::invite, "u1"}));
  BOOST_TEST(ws.wait_for_error() == "Racer1 is already an entrant.");
  ws.session().send(
      serialize(user_action{user_action::kind::invite, "nobody"}));
  BOOST_TEST(ws.wait_for_error() == "No user found matching the given ID.");
}

BOOST_AUTO_TEST_CASE(full_race_lifecycle_through_race_data) {
  auto s = seed_001_settings();
  s.invitational = false;
  auto name = open_room(s);
  auto slug = slug_of(name);
  bot_socket ws(sim, fetch(name).websocket_bot_url, fixed_token());
  ws.wait_for_race([](const race_data& r) {
    return r.status == race_status::open;
  });
  user(slug, "u1", "join");
  user(slug, "u2", "join");
  user(slug, "u1", "ready");
  user(slug, "u2", "ready");
  auto pending = ws.wait_for_race([](const race_data& r) {
    return r.status == race_status::pending;
  });
  BOOST_TEST(pending.started_at.has_value());
  auto running = ws.wait_for_race([](const race_data& r) {
    return r.status == race_status::in_progress;
  });
  BOOST_TEST((running.entrants[0].status == entrant_status::in_progress));
  std::this_thread::sleep_for(150ms); // past the (scaled) first 5 seconds
  user(slug, "u2", "done");
  user(slug, "u1", "forfeit");
  auto finished = ws.wait_for_race([](const race_data& r) {
    return r.status == race_status::finished;
  });
  BOOST_TEST(finished.ended_at.has_value());
  BOOST_TEST(finished.entrants_count_finished == 1);
  BOOST_TEST(finished.entrants_count_inactive == 1);
  const auto& winner = finished.entrants[0];
  BOOST_TEST(winner.user.id == "u2");
  BOOST_TEST((winner.status == entrant_status::done));
  BOOST_TEST(winner.place.value() == 1);
  BOOST_TEST(winner.finish_time->count() > 0);
  BOOST_TEST((finished.entrants[1].status == entrant_status::dnf));
  BOOST_TEST(!finished.entrants[1].place.has_value());
}

BOOST_AUTO_TEST_CASE(reconnects_after_the_simulator_drops_the_socket) {
  auto name = open_room();
  bot_socket ws(sim, fetch(name).websocket_bot_url, fixed_token());
  BOOST_REQUIRE(ws.wait_opens(1));
  ws.wait_for_race([](const race_data&) {
    return true;
  });
  sim.control_post("/races/" + slug_of(name) + "/drop-sockets");
  auto reason = ws.wait_disconnect();
  BOOST_TEST(!reason.empty());
  BOOST_REQUIRE(ws.wait_opens(2));
  // A fresh connection gets the race again, and actions work.
  ws.wait_for_race([](const race_data&) {
    return true;
  });
  ws.session().send(serialize(user_action{user_action::kind::invite, "u3"}));
  ws.wait_for_race([](const race_data& r) {
    return r.entrants.size() == 1;
  });
}

BOOST_AUTO_TEST_CASE(expired_token_is_replaced_without_losing_the_room) {
  sim.control_post("/token-lifetime", R"({"seconds": 3})");
  token_keeper keeper{sim.client_io(), sim.api(), {"bot-client", "bot-secret"}};
  std::mutex mtx;
  std::condition_variable cv;
  int obtained = 0;
  keeper.start([&](const token_event& e) {
    std::lock_guard<std::mutex> g{mtx};
    obtained += e.what == token_event::kind::obtained;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock{mtx};
    BOOST_REQUIRE(cv.wait_for(lock, 5s, [&] {
      return obtained >= 1;
    }));
  }
  auto first = keeper.current()->value;
  auto name = open_room();
  // The token lives shorter than the default margin: the socket moves to
  // each renewed token as soon as the keeper pushes it (at 1.5 s).
  bot_socket ws(sim, fetch(name).websocket_bot_url, keeper.source());
  BOOST_REQUIRE(ws.wait_opens(1));
  BOOST_REQUIRE(ws.wait_opens(2, 4000ms));
  std::this_thread::sleep_for(3500ms); // the first token is dead by now
  BOOST_TEST(keeper.current()->value != first);
  ws.session().send(serialize(user_action{user_action::kind::invite, "u1"}));
  ws.wait_for_race([](const race_data& r) {
    return r.entrants.size() == 1;
  });

  // Tokens expired by the server: racetime.gg refuses the invite, and the
  // session gets a fresh token, reconnects and sends it again by itself.
  sim.control_post("/token-lifetime", R"({"seconds": 36000})");
  sim.control_post("/tokens/expire", R"({"client_id": "bot-client"})");
  ws.session().send(serialize(user_action{user_action::kind::invite, "u2"}));
  auto race = ws.wait_for_race([](const race_data& r) {
    return r.entrants.size() == 2;
  });
  BOOST_TEST(race.name == name);
  BOOST_TEST(ws.session().stats().dropped == 0u);
  keeper.stop();
}

BOOST_AUTO_TEST_CASE(a_silent_connection_is_dropped_within_two_intervals) {
  auto name = open_room();
  auto options = bot_socket::fast_options();
  options.ping_interval = 400ms;
  bot_socket ws(sim, fetch(name).websocket_bot_url, fixed_token(), options);
  BOOST_REQUIRE(ws.wait_opens(1));
  ws.wait_for_race([](const race_data&) {
    return true;
  });
  auto muted_at = std::chrono::steady_clock::now();
  sim.control_post("/races/" + slug_of(name) + "/mute");
  auto reason = ws.wait_disconnect(3000ms);
  auto took = std::chrono::steady_clock::now() - muted_at;
  BOOST_TEST(reason == "no data from the server for two ping intervals");
  BOOST_TEST(
      (took <= 2 * 400ms + 300ms),
      std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  sim.control_post("/races/" + slug_of(name) + "/unmute");
  BOOST_REQUIRE(ws.wait_opens(2));
}

BOOST_AUTO_TEST_CASE(websocket_quirks_of_racetime) {
  auto name = open_room();
  auto url = fetch(name).websocket_bot_url;
  // Any token is accepted at connect; actions are checked one by one.
  // The session handles "Permission denied" itself: with no fresh token to
  // come, the refused invite is reported as dropped.
  auto options = bot_socket::fast_options();
  options.refusal_wait = 200ms;
  bot_socket stranger(sim, url, protocol::fixed_token("not-a-token"), options);
  BOOST_REQUIRE(stranger.wait_opens(1));
  auto invite = serialize(user_action{user_action::kind::invite, "u1"});
  stranger.session().send(invite);
  auto dropped = stranger.wait_dropped();
  BOOST_TEST(dropped.text == invite);
  BOOST_TEST((dropped.reason == drop_reason::refused));
  BOOST_TEST(stranger.session().stats().refusals == 1u);
  stranger.session().send(serialize(simple_action{simple_action::kind::ping}));
  stranger.wait_for([](const server_message& m) {
    return std::holds_alternative<pong_message>(m.body);
  });
  stranger.session().send("this is not json");
  BOOST_TEST(stranger.wait_for_error().find("Unable to process that message") ==
             0u);
  stranger.session().send(R"({"action": "dance", "data": {}})");
  BOOST_TEST(stranger.wait_for_error() ==
             "Action is missing or not recognised. Check your input and try "
             "again.");
  // Without a valid token even an action without `data` is only refused
  // (no 1011 close): reported as dropped like the invite.
  stranger.session().send(R"({"action": "message"})");
  auto dataless = stranger.wait_dropped();
  BOOST_TEST(dataless.text == R"({"action": "message"})");
  BOOST_TEST((dataless.reason == drop_reason::refused));
  BOOST_TEST(stranger.session().stats().refusals == 2u);
  // The bot's action without `data` makes racetime.gg close with 1011.
  bot_socket bot(sim, url, fixed_token());
  BOOST_REQUIRE(bot.wait_opens(1));
  bot.session().send(R"({"action": "message"})");
  BOOST_TEST(bot.wait_disconnect() == "closed by the server with code 1011");
  // An unknown race: the connection is reset at once.
  bot_socket lost(sim, "/ws/o/bot/no-such-race-0000", fixed_token());
  auto reason = lost.wait_disconnect(3000ms);
  BOOST_TEST(reason.find("WebSocket handshake with") == 0u, reason);
}

BOOST_AUTO_TEST_CASE(http_faults_retries_timeouts_and_limits) {
  auto name = open_room();
  sim.control_post("/faults",
                   R"({"path_prefix": "/alttpr/", "status": 503, "count": 2})");
  backoff_options fast;
  fast.initial = 20ms;
  auto r = test::sim_harness::await<racetime_result<race_data>>([&](auto done) {
    sim.api().race_data_with_retries(name, 5, fast, std::move(done));
  });
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(r), (r ? "" : r.error().message));
  BOOST_TEST(r->name == name);
  sim.control_post(
      "/faults", R"({"path_prefix": "/alttpr/", "status": 502, "count": 10})");
  auto gave_up =
      test::sim_harness::await<racetime_result<race_data>>([&](auto done) {
        sim.api().race_data_with_retries(name, 5, fast, std::move(done));
      });
  BOOST_REQUIRE(!gave_up);
  BOOST_TEST((gave_up.error().http.what == http_error::kind::server_error));
  BOOST_TEST(sim.control_delete("/faults").status == 200u);
  boost::asio::io_context& io = sim.client_io();
  http_client_options tight;
  tight.request_timeout = 200ms;
  http_client slow_client(io, sim.tls(), tight);
  sim.control_post(
      "/faults",
      R"({"path_prefix": "/alttpr/data", "delay_ms": 1000, "count": 1})");
  http_request req;
  req.target = with_path(sim.base(), "/alttpr/data");
  auto timed_out = test::sim_harness::await<http_outcome>([&](auto done) {
    slow_client.request(req, std::move(done));
  });
  BOOST_REQUIRE(!timed_out);
  BOOST_TEST((timed_out.error().what == http_error::kind::timeout));
  http_client_options small;
  small.max_response_bytes = 100;
  http_client small_client(io, sim.tls(), small);
  auto too_big = test::sim_harness::await<http_outcome>([&](auto done) {
    small_client.request(req, std::move(done));
  });
  BOOST_REQUIRE_MESSAGE(!too_big, "status " << (too_big ? too_big->status : 0)
                                            << " body "
                                            << (too_big ? too_big->body : ""));
  BOOST_TEST((too_big.error().what == http_error::kind::too_large));
  auto missing =
      test::sim_harness::await<racetime_result<race_data>>([&](auto done) {
        sim.api().race_data("alttpr/no-such-race", std::move(done));
      });
  BOOST_TEST((missing.error().http.what == http_error::kind::not_found));
}

BOOST_AUTO_TEST_CASE(connections_are_kept_alive_and_reused) {
  auto name = open_room();
  auto before = control_json("/stats")["connections"].GetInt();
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(fetch(name).name == name);
  auto after = control_json("/stats")["connections"].GetInt();
  BOOST_TEST(after - before <= 1, "new connections: " << after - before);
}

BOOST_AUTO_TEST_CASE(category_data_public_and_for_the_bot) {
  auto s = seed_001_settings();
  s.unlisted = true;
  auto hidden = open_room(s);
  auto shown = open_room();
  auto fetch_category = [&](std::optional<std::string> bot) {
    auto c = test::sim_harness::await<racetime_result<category_data>>(
        [&](auto done) {
          sim.api().category_data("alttpr", bot, std::move(done));
        });
    BOOST_REQUIRE(c);
    std::vector<std::string> names;
    for (const auto& r : c->current_races)
      names.push_back(r.name);
    return names;
  };
  auto public_races = fetch_category(std::nullopt);
  BOOST_TEST(public_races == std::vector<std::string>{shown});
  auto bot_races = fetch_category(token);
  BOOST_TEST(bot_races.size() == 2u);
  auto other = sim.bot_token("other-client", "other-secret");
  auto refused =
      test::sim_harness::await<racetime_result<category_data>>([&](auto done) {
        sim.api().category_data("alttpr", other, std::move(done));
      });
  BOOST_TEST((refused.error().http.what == http_error::kind::unauthorized));
  (void)hidden;
}

BOOST_AUTO_TEST_CASE(account_linking_with_the_authorization_code_flow) {
  auto url = sim.api().authorize_url("link-app", "http://localhost/callback",
                                     "read", "st4te");
  http_request req;
  req.target = *parse_url(url);
  auto redirect = sim.send(req);
  BOOST_REQUIRE(redirect);
  BOOST_TEST(redirect->status == 302u);
  auto location = *redirect->header("Location");
  BOOST_TEST(location.rfind("http://localhost/callback?code=", 0) == 0u);
  BOOST_TEST(location.find("&state=st4te") != std::string::npos);
  auto code = location.substr(location.find("code=") + 5, 30);
  client_credentials app{"link-app", "link-secret"};
  auto tokens =
      test::sim_harness::await<racetime_result<token_response>>([&](auto done) {
        sim.api().exchange_code(app, code, "http://localhost/callback",
                                std::move(done));
      });
  BOOST_REQUIRE(tokens);
  BOOST_REQUIRE(tokens->refresh_token);
  auto me =
      test::sim_harness::await<racetime_result<user_info>>([&](auto done) {
        sim.api().user_info(tokens->access_token, std::move(done));
      });
  BOOST_REQUIRE(me);
  BOOST_TEST(me->user.id == "u1");
  BOOST_TEST(me->user.name == "Racer1");
  auto renewed =
      test::sim_harness::await<racetime_result<token_response>>([&](auto done) {
        sim.api().refresh_token(app, *tokens->refresh_token, std::move(done));
      });
  BOOST_REQUIRE(renewed);
  BOOST_TEST(renewed->access_token != tokens->access_token);
  // Rotation: the old pair is dead.
  auto stale =
      test::sim_harness::await<racetime_result<token_response>>([&](auto done) {
        sim.api().refresh_token(app, *tokens->refresh_token, std::move(done));
      });
  BOOST_REQUIRE(!stale);
  BOOST_TEST(stale.error().oauth->error == "invalid_grant");
  auto old =
      test::sim_harness::await<racetime_result<user_info>>([&](auto done) {
        sim.api().user_info(tokens->access_token, std::move(done));
      });
  BOOST_TEST(old.error().http.status == 403u);
  // A bot token is no user.
  auto as_bot =
      test::sim_harness::await<racetime_result<user_info>>([&](auto done) {
        sim.api().user_info(token, std::move(done));
      });
  BOOST_TEST(as_bot.error().http.status == 403u);
}

BOOST_AUTO_TEST_SUITE_END()

// --- TLS ---------------------------------------------------------------

namespace {

/// A CA and a certificate for localhost/127.0.0.1 signed by it, made with
/// the openssl command at test time.
struct test_pki {
  std::filesystem::path dir;

  test_pki() {
    dir = std::filesystem::temp_directory_path() /
          ("racecontrol-pki-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto d = dir.string();
    std::string script =
        "cd " + d +
        " && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
        "-days 1 -subj '/CN=racecontrol test CA' 2>/dev/null && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out "
        "server.csr "
        "-subj '/CN=localhost' 2>/dev/null && "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out server.pem -days 1 -extfile ext.cnf 2>/dev/null";
    BOOST_REQUIRE_MESSAGE(std::system(script.c_str()) == 0,
                          "openssl could not make the test certificates");
  }

  ~test_pki() { std::filesystem::remove_all(dir); }

  /// A simulator serving HTTPS and WSS with the certificate, and a client
  /// that trusts the CA.
  test::sim_harness_options trusted() const {
    test::sim_harness_options o;
    o.tls_cert = (dir / "server.pem").string();
    o.tls_key = (dir / "server.key").string();
    o.extra_ca_file = (dir / "ca.pem").string();
    return o;
  }
};

std::uint64_t tls_handshakes(const char* session) {
  return metrics().value(metric::tls_handshakes, {{"session", session}});
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(verified_with_the_test_ca_and_refused_without) {
  test_pki pki;
  auto trusted = pki.trusted();
  {
    test::sim_harness sim{trusted};
    sim.seed_defaults();
    BOOST_TEST(sim.base().scheme == "https");
    auto token = sim.bot_token("bot-client", "bot-secret");
    BOOST_TEST(!token.empty());
    // The bot socket over WSS.
    race_settings s = seed_001_settings();
    auto created =
        test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
          sim.api().start_race("alttpr", s, {}, token, std::move(done));
        });
    BOOST_REQUIRE(created);
    bot_socket ws(sim, "/ws/o/bot/" + slug_of(created->name),
                  protocol::fixed_token(token));
    BOOST_TEST(ws.wait_opens(1));
    ws.wait_for_race([](const race_data&) {
      return true;
    });
  }
  test::sim_harness_options untrusted = trusted;
  untrusted.extra_ca_file.clear();
  test::sim_harness sim{untrusted};
  sim.seed_defaults();
  sim.start();
  auto refused =
      test::sim_harness::await<racetime_result<token_response>>([&](auto done) {
        sim.api().client_credentials_token({"bot-client", "bot-secret"},
                                           std::move(done));
      });
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error().http.what == http_error::kind::tls));
  BOOST_TEST(refused.error().message.find("certificate rejected") !=
                 std::string::npos,
             refused.error().message);
}

// Each room costs a startrace POST and a bot socket, each a new connection:
// after the first, they resume the server's session instead of verifying
// its certificate again.
BOOST_AUTO_TEST_CASE(later_connections_resume_the_servers_session) {
  test_pki pki;
  test::sim_harness sim{pki.trusted()};
  sim.seed_defaults();
  auto full = tls_handshakes("full");
  auto resumed = tls_handshakes("resumed");
  auto token = sim.bot_token("bot-client", "bot-secret");
  BOOST_TEST(tls_handshakes("full") - full == 1u);
  // startrace is not repeatable: each goes on a connection of its own.
  std::string slug;
  for (int i = 0; i < 3; ++i) {
    auto created =
        test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
          sim.api().start_race("alttpr", seed_001_settings(), {}, token,
                               std::move(done));
        });
    BOOST_REQUIRE(created);
    slug = slug_of(created->name);
  }
  BOOST_TEST(tls_handshakes("full") - full == 1u);
  BOOST_TEST(tls_handshakes("resumed") - resumed == 3u);
  // Connections closed without a TLS close_notify (as idle ones are, and
  // dropped sockets) leave the cached session resumable.
  sim.http().close_idle();
  auto again =
      test::sim_harness::await<racetime_result<created_race>>([&](auto done) {
        sim.api().start_race("alttpr", seed_001_settings(), {}, token,
                             std::move(done));
      });
  BOOST_REQUIRE(again);
  BOOST_TEST(tls_handshakes("resumed") - resumed == 4u);
  // The bot socket: the same server over WSS, resumed as well.
  bot_socket ws(sim, "/ws/o/bot/" + slug, protocol::fixed_token(token));
  BOOST_TEST(ws.wait_opens(1));
  ws.wait_for_race([](const race_data&) {
    return true;
  });
  BOOST_TEST(tls_handshakes("full") - full == 1u);
  BOOST_TEST(tls_handshakes("resumed") - resumed == 5u);

  // A session is offered to the server that issued it, and to no other.
  auto* ctx = sim.tls()->native_handle();
  std::unique_ptr<SSL, decltype(&SSL_free)> same{SSL_new(ctx), SSL_free};
  auto host = sim.base().host;
  offer_tls_session(same.get(), host, sim.base().port);
  BOOST_TEST(SSL_get_session(same.get()) != nullptr);
  std::unique_ptr<SSL, decltype(&SSL_free)> other{SSL_new(ctx), SSL_free};
  offer_tls_session(other.get(), host,
                    static_cast<unsigned>(sim.base().port) + 1);
  BOOST_TEST(SSL_get_session(other.get()) == nullptr);
  std::unique_ptr<SSL, decltype(&SSL_free)> named{SSL_new(ctx), SSL_free};
  offer_tls_session(named.get(), "127.0.0.1", sim.base().port);
  BOOST_TEST(SSL_get_session(named.get()) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
