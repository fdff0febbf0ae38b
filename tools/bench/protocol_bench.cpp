// protocol_bench: how fast racecontrol reads what racetime.gg sends.
//
//  1. race.data parse + dispatch: a ~2 KB race.data frame (as racetime.gg
//     sends it: one entrant, chat settings, bot_meta) parsed and handed to
//     a visitor, messages/s and MB/s.
//  2. WebSocket round trip through racetime-sim over loopback: a bot's
//     `ping` action answered by `pong`, sequentially, latency percentiles.
//
//   protocol_bench [--messages N] [--round-trips N]

#include "config/command_line.hpp"
#include "protocol/bot_actions.hpp"
#include "protocol/racetime_api.hpp"
#include "protocol/server_messages.hpp"
#include "protocol/websocket_session.hpp"
#include "tools/racetime-sim/sim_server.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::protocol;
using clock_type = std::chrono::steady_clock;

namespace {

std::string race_frame() {
  race_data r;
  r.version = 12;
  r.name = "alttpr/crafty-vivi-7962";
  r.slug = "crafty-vivi-7962";
  r.status = race_status::in_progress;
  r.status_info = {"in_progress", "In progress", "The race is in progress"};
  r.url = "/alttpr/crafty-vivi-7962";
  r.data_url = r.url + "/data";
  r.websocket_url = "/ws/race/crafty-vivi-7962";
  r.websocket_bot_url = "/ws/o/bot/crafty-vivi-7962";
  r.websocket_oauth_url = "/ws/o/race/crafty-vivi-7962";
  r.category = {"A Link to the Past Randomizer",
                "ALTTPR",
                "alttpr",
                "/alttpr",
                "/alttpr/data",
                std::nullopt};
  r.goal = {"Beat the game - Spring Cup Final", true};
  r.info_user = "Spring Cup - Final - Scheduled: 2026-11-22 20:00 UTC";
  r.info = r.info_user;
  r.opened_at = std::chrono::system_clock::now();
  r.started_at = r.opened_at;
  r.start_delay = std::chrono::seconds{15};
  r.time_limit = std::chrono::hours{24};
  r.opened_by_bot = "racecontrol";
  r.bot_meta = R"({"match_id":4711,"tournament":"spring-cup"})";
  for (int i = 0; i < 1; ++i) {
    entrant e;
    e.user.id = "4BlRneEk9jxN6Qk" + std::to_string(i);
    e.user.name = "RacerNumber" + std::to_string(i);
    e.user.full_name = e.user.name + "#475" + std::to_string(i);
    e.user.discriminator = "475" + std::to_string(i);
    e.user.url = "/user/" + e.user.id + "/racer";
    e.user.twitch_name = "racer_on_twitch_" + std::to_string(i);
    e.user.twitch_display_name = e.user.twitch_name;
    e.user.twitch_channel = "https://www.twitch.tv/" + *e.user.twitch_name;
    e.status = entrant_status::in_progress;
    e.status_info = {"in_progress", "In progress", "Currently racing."};
    e.stream_live = true;
    e.actions = {"done", "forfeit", "add_comment"};
    r.entrants.push_back(e);
  }
  r.entrants_count = 1;
  return serialize(race_data_message{r, r.version}, r.opened_at.value());
}

/// What a room actor does with a frame: look at the status and results.
struct dispatcher {
  std::size_t& entrants;
  void operator()(const race_data_message& m) const {
    entrants += m.race.entrants.size();
    if (m.race.status == race_status::finished)
      entrants += 1000;
  }
  template <class T>
  void operator()(const T&) const {}
};

void bench_parse(std::size_t messages) {
  auto frame = race_frame();
  std::size_t entrants = 0;
  dispatcher d{entrants};
  for (int i = 0; i < 1000; ++i) // warm-up
    std::visit(d, parse_server_message(frame)->body);
  auto start = clock_type::now();
  for (std::size_t i = 0; i < messages; ++i) {
    auto msg = parse_server_message(frame);
    if (!msg)
      std::abort();
    std::visit(d, msg->body);
  }
  double secs =
      std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("race.data parse+dispatch: %zu messages of %zu bytes in %.3f s: "
              "%.0f messages/s, %.1f MB/s\n",
              messages, frame.size(), secs, messages / secs,
              messages * frame.size() / secs / 1e6);
  if (entrants != messages + 1000)
    std::abort();
}

void bench_round_trip(std::size_t trips) {
  boost::asio::io_context sim_io;
  sim::server_options so;
  so.port = 0;
  so.control_port = 0;
  sim::server srv{sim_io, 1.0, so};
  auto& w = srv.state();
  w.add_category(
      {"alttpr", "ALttPR", "ALTTPR", {"Beat the game"}, false, false, false});
  w.oauth().add_application({"bench",
                             "bench-secret",
                             "BenchBot",
                             sim::application::grant::client_credentials,
                             "alttpr",
                             true,
                             {}});
  srv.start();
  std::thread sim_thread{[&] {
    sim_io.run();
  }};

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread client_thread{[&] {
    io.run();
  }};
  auto tls = make_client_tls_context();
  http_client http{io, tls};
  auto base = *parse_url("http://127.0.0.1:" + std::to_string(srv.port()));
  racetime_api api{io, http, base};
  std::promise<std::string> token_promise;
  api.client_credentials_token({"bench", "bench-secret"}, [&](auto r) {
    token_promise.set_value(r ? r->access_token : "");
  });
  auto token = token_promise.get_future().get();
  race_settings settings;
  settings.goal = "Beat the game";
  std::promise<std::string> room_promise;
  api.start_race("alttpr", settings, {"Beat the game"}, token, [&](auto r) {
    room_promise.set_value(r ? r->name : "");
  });
  auto room = room_promise.get_future().get();

  std::mutex mtx;
  std::condition_variable cv;
  std::size_t pongs = 0;
  bool open = false;
  websocket_handlers h;
  h.on_open = [&] {
    std::lock_guard<std::mutex> g{mtx};
    open = true;
    cv.notify_all();
  };
  h.on_message = [&](std::string text) {
    if (text.find("\"type\":\"pong\"") != std::string::npos) {
      std::lock_guard<std::mutex> g{mtx};
      ++pongs;
      cv.notify_all();
    }
  };
  websocket_session ws{
      io, tls,
      with_path(base, "/ws/o/bot/" + room.substr(room.find('/') + 1), true),
      fixed_token(token, clock_type::now() + std::chrono::hours{1}), h};
  ws.start();
  {
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] {
      return open;
    });
  }
  auto ping = serialize(simple_action{simple_action::kind::ping});
  std::vector<double> micros;
  micros.reserve(trips);
  for (std::size_t i = 0; i < trips; ++i) {
    auto start = clock_type::now();
    ws.send(ping);
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] {
      return pongs > i;
    });
    micros.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - start)
            .count());
  }
  ws.stop();
  std::sort(micros.begin(), micros.end());
  double total = 0;
  for (double m : micros)
    total += m;
  std::printf(
      "WebSocket ping->pong round trip through racetime-sim (loopback): "
      "%zu trips, mean %.0f us, median %.0f us, p99 %.0f us, max %.0f "
      "us, %.0f round trips/s\n",
      trips, total / trips, micros[trips / 2],
      micros[std::min(trips - 1, trips * 99 / 100)], micros.back(),
      trips / (total / 1e6));
  work.reset();
  io.stop();
  client_thread.join();
  srv.stop();
  sim_io.stop();
  sim_thread.join();
}

} // namespace

int main(int argc, char** argv) {
  std::size_t messages = 200000;
  std::size_t trips = 2000;
  try {
    auto cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {"help"},
        {"messages", "round-trips"});
    if (cli.has("help")) {
      std::cout << "usage: protocol_bench [--messages N] [--round-trips N]\n";
      return 0;
    }
    messages = std::stoul(cli.value("messages").value_or("200000"));
    trips = std::stoul(cli.value("round-trips").value_or("2000"));
  } catch (const std::exception& e) {
    std::cerr << "protocol_bench: " << e.what() << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  bench_parse(messages);
  bench_round_trip(trips);
  return 0;
}
