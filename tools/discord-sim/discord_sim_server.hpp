#pragma once

// discord-sim's sockets: the API port (plain HTTP, Discord's paths under
// /api/v10) and the control port. One io_context thread runs both, so the
// state needs no locks.

#include "tools/discord-sim/discord_state.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace racecontrol::discord_sim {

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8920; ///< 0 picks a free port
  std::string control_address = "127.0.0.1";
  std::uint16_t control_port = 8921; ///< 0 picks a free port
  state_options discord;
};

class server {
 public:
  server(boost::asio::io_context& io, server_options options);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds both ports; throws std::runtime_error saying which one failed.
  void start();

  /// Stops accepting and closes every connection, so the io_context runs
  /// out of work and returns (thread-safe).
  void stop();

  std::uint16_t port() const;
  std::uint16_t control_port() const;
  /// Arrange before the io_context runs (not thread-safe afterwards: use
  /// the control API then).
  state& world();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::discord_sim
