#pragma once

// racetime-sim's sockets: the racetime.gg port (HTTP, optionally TLS, and
// the bot WebSocket /ws/o/bot/{slug}) and the control port. One io_context
// thread runs everything, so the world needs no locks.

#include "tools/racetime-sim/sim_routes.hpp"
#include "tools/racetime-sim/sim_world.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace racecontrol::sim {

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8910;         ///< 0 picks a free port
  std::uint16_t control_port = 8911; ///< 0 picks a free port
  std::string tls_cert;              ///< PEM; with tls_key enables HTTPS/WSS
  std::string tls_key;
  /// A bot socket for an unknown race is reset at once (0, as daphne did on
  /// the last check against the real server) or hangs this long first (as
  /// an earlier run saw: daphne's 5 s handshake timeout).
  std::chrono::milliseconds unknown_race_hang{0};
  /// How the 1011 close after a bad action ends on a plain (not TLS)
  /// socket: false completes the close handshake; true resets the TCP
  /// connection after the close frame, as racetime.gg's daphne did (§7).
  bool crash_reset = false;
  /// Seeds room names and tokens. Tests keep 1 (the same names every run);
  /// the binary picks a random one so a restarted simulator does not hand
  /// out the names of rooms a database still holds (racetime.gg never
  /// reuses a room name).
  std::uint64_t seed = 1;
  /// Lifetime of the /o/{category}/data cache.
  std::chrono::milliseconds bot_category_ttl{60000};
  /// Daphne pings every socket every 20 s and closes one that leaves a ping
  /// unanswered for 30 s. Here (Beast's keep-alive pings) a ping goes out
  /// every `ws_ping` and the socket is closed when nothing came in the
  /// interval after one; 0 never pings.
  std::chrono::milliseconds ws_ping{20000};
  /// racebot.py's cancel of a race fewer than two entrants joined, this
  /// long after it opened (0: never).
  std::chrono::milliseconds low_entrants_limit{std::chrono::minutes{30}};
};

class server {
 public:
  server(boost::asio::io_context& io, double time_scale,
         server_options options);
  ~server();

  /// Binds both ports; throws std::runtime_error saying which one failed.
  void start();

  /// Stops accepting and closes every connection, so the io_context runs
  /// out of work and returns (thread-safe).
  void stop();

  std::uint16_t port() const;
  std::uint16_t control_port() const;
  world& state();
  /// Demo players on, with the default timings (--demo-players).
  void enable_demo_players();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::sim
