// discord-sim: a local stand-in for Discord's REST API (creating messages
// in channels), for tests and demos. See --help.

#include "tools/discord-sim/discord_sim_server.hpp"

#include "config/command_line.hpp"
#include "config/logging.hpp"
#include "config/secret.hpp"
#include "config/settings.hpp"
#include "racecontrol/version.hpp"

#include <boost/asio/signal_set.hpp>

#include <spdlog/spdlog.h>

#include <iostream>

namespace {

using namespace racecontrol;

const char* usage = R"(usage: discord-sim [options]

A local Discord REST API for racecontrol's notifications:
POST /api/v10/channels/{id}/messages with Discord's answers: 401 (code 0)
without the bot token, 404 Unknown Channel (10003), 400 Invalid Form Body
(50035, errors by field: content over 2000 characters, over 10 embeds, embed
title/description/field/footer limits, 6000 characters across embeds, nonce
over 25), 400 Cannot send an empty message (50006), 200 with the message
object. enforce_nonce with a nonce seen on the channel within the nonce
window answers the earlier message and creates nothing. One rate-limit
bucket per channel, X-RateLimit-* headers on every answer past the token
check, and 429 {"message", "retry_after", "global": false} with Retry-After
and X-RateLimit-Scope: user when it is exceeded.

options:
  --listen ADDR:PORT      the API (default 127.0.0.1:8920; port 0 = any)
  --control ADDR:PORT     the control API (default 127.0.0.1:8921)
  --token TOKEN           the bot token it accepts (default discord-sim-token;
                          or DISCORD_SIM_TOKEN in the environment)
  --channels ID,ID,...    channels that exist from the start (repeatable)
  --nonce-window S        seconds a nonce answers its message (default 300)
  --bucket-limit N        messages per channel per window (default 5)
  --bucket-window S       the bucket's window in seconds (default 5)
  --log-level LEVEL       trace, debug, info, warn, error (default info)
  --help, --version

The API base URL for racecontrol is http://ADDR:PORT/api/v10.

control API (JSON, on --control):
  GET    /health
  POST   /channels {"id": "123"}             create a channel
  GET    /messages[?channel=ID]              {"messages": [message objects in
                                             order], "nonces": [{"channel_id",
                                             "nonce", "posts": POSTs that
                                             carried it, "messages": messages
                                             created with it}]}
  POST   /faults {"status"?, "count"?, "every"?, "retry_after"?, "global"?,
                  "delay_ms"?, "drop_connection"?, "serve_then_status"?,
                  "channel"?}
                 the next "count" (default 1) message POSTs (of "channel", or
                 any; with "every": N only every Nth): answer "status"
                 unserved (429: Discord's body with "retry_after" seconds and
                 "global"); or wait "delay_ms", then serve; or close the
                 connection unanswered ("drop_connection", nothing recorded);
                 or record the message, then answer "serve_then_status"
                 (with "drop_connection": record, then close unanswered)
  DELETE /faults
  POST   /limits {"limit": N, "window_ms": MS}    every channel's bucket
  GET    /stats   {"requests", "by_status": {"200": n, ..., "0": dropped},
                   "messages", "faults_served", "channels"}
)";

struct endpoint {
  std::string address;
  std::uint16_t port;
};

endpoint parse_endpoint(const std::string& option, const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw config::config_error("--" + option + " needs ADDR:PORT, got " + text);
  auto port = std::stoul(text.substr(colon + 1));
  if (port > 65535)
    throw config::config_error("--" + option + ": port " +
                               text.substr(colon + 1) + " out of range");
  return {text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

std::chrono::milliseconds seconds_option(const config::command_line& cli,
                                         const std::string& name,
                                         const char* fallback) {
  auto s = std::stod(cli.value(name).value_or(fallback));
  if (!(s > 0))
    throw config::config_error("--" + name + " must be more than 0 seconds");
  return std::chrono::milliseconds{static_cast<std::int64_t>(s * 1000)};
}

std::vector<std::string> channels_of(const config::command_line& cli) {
  std::vector<std::string> out;
  for (const auto& [name, value] : cli.options) {
    if (name != "channels")
      continue;
    std::size_t start = 0;
    while (start <= value.size()) {
      auto comma = value.find(',', start);
      auto id =
          value.substr(start, comma == std::string::npos ? std::string::npos
                                                         : comma - start);
      if (!id.empty())
        out.push_back(id);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  discord_sim::server_options options;
  std::vector<std::string> channels;
  try {
    auto cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {"help", "version"},
        {"listen", "control", "token", "channels", "nonce-window",
         "bucket-limit", "bucket-window", "log-level"});
    if (cli.has("help")) {
      std::cout << usage;
      return 0;
    }
    if (cli.has("version")) {
      std::cout << "discord-sim " << racecontrol::version << "\n";
      return 0;
    }
    auto api = parse_endpoint("listen",
                              cli.value("listen").value_or("127.0.0.1:8920"));
    auto control = parse_endpoint(
        "control", cli.value("control").value_or("127.0.0.1:8921"));
    options.address = api.address;
    options.port = api.port;
    options.control_address = control.address;
    options.control_port = control.port;
    const char* env_token = std::getenv("DISCORD_SIM_TOKEN");
    options.discord.token = cli.value("token").value_or(
        env_token != nullptr ? env_token : "discord-sim-token");
    if (options.discord.token.empty())
      throw config::config_error("--token must not be empty");
    config::register_secret(options.discord.token);
    options.discord.nonce_window = seconds_option(cli, "nonce-window", "300");
    options.discord.bucket_limit =
        std::stoi(cli.value("bucket-limit").value_or("5"));
    if (options.discord.bucket_limit < 1)
      throw config::config_error("--bucket-limit must be at least 1");
    options.discord.bucket_window = seconds_option(cli, "bucket-window", "5");
    channels = channels_of(cli);
    config::log_options log;
    if (auto level = cli.value("log-level")) {
      auto parsed = config::parse_log_level(*level);
      if (!parsed)
        throw config::config_error("--log-level: unknown level " + *level);
      log.level = *parsed;
    }
    config::setup_logging(log, "discord-sim");
  } catch (const std::logic_error&) { // std::stoi and friends
    std::cerr << "discord-sim: a numeric option has no number (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "discord-sim: " << e.what() << " (see --help)\n";
    return 2;
  }
  boost::asio::io_context io;
  discord_sim::server srv{io, options};
  try {
    for (const auto& id : channels)
      if (!srv.world().add_channel(id))
        throw std::runtime_error("--channels: \"" + id +
                                 "\" is not a Discord id (digits only)");
    srv.start();
  } catch (const std::exception& e) {
    std::cerr << "discord-sim: " << e.what() << "\n";
    config::shutdown_logging();
    return 2;
  }
  spdlog::info("discord-sim {} listening on http://{}:{}/api/v10 (control API "
               "on {}:{}), {} channel(s), bucket {} per {} ms",
               racecontrol::version, options.address, srv.port(),
               options.control_address, srv.control_port(), channels.size(),
               options.discord.bucket_limit,
               options.discord.bucket_window.count());
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](boost::system::error_code, int) {
    spdlog::info("discord-sim stopping");
    io.stop();
  });
  io.run();
  config::shutdown_logging();
  return 0;
}
