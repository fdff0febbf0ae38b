#pragma once

// racetime-sim's HTTP answers, as functions from a request to a response:
// racetime.gg's own paths (OAuth2, data, startrace, edit) and the control
// API that tests use to arrange the world and read back what bots did.

#include "tools/racetime-sim/sim_demo_players.hpp"
#include "tools/racetime-sim/sim_faults.hpp"
#include "tools/racetime-sim/sim_world.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol::sim {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

/// Server-wide state the routes need besides the world.
struct route_context {
  world& w;
  fault_book& faults;
  /// Cached bodies of /o/{category}/data: racetime.gg does not invalidate
  /// this cache, so new unlisted rooms appear only after it expires.
  std::map<std::string,
           std::pair<std::chrono::steady_clock::time_point, std::string>>&
      bot_category_cache;
  std::chrono::milliseconds bot_category_ttl;
  /// Sockets to close for a race (control API).
  std::function<void(const std::string& slug)> drop_sockets;
  /// Races whose sockets stop talking without closing (half-open test).
  std::function<void(const std::string& slug, bool muted)> mute;
  /// The race's current sockets stop reading (a stalled peer: the client's
  /// writes back up), or read again; sockets opened later read normally.
  std::function<void(const std::string& slug, bool stalled)> stall_reads{};
  /// Connections accepted on the racetime.gg port so far.
  std::uint64_t connections_accepted = 0;
  /// Bot sockets the client ended with a close frame (not a bare TCP close).
  std::uint64_t client_close_frames = 0;
  /// Requests answered with an arranged fault (delay, status or drop).
  std::uint64_t faults_served = 0;
  /// Bot sockets open now (accepted, not yet ended): what a benchmark
  /// holding thousands of rooms checks from the server's side.
  std::uint64_t open_bot_sockets = 0;
  /// How a bot socket for an unknown race ends: 0 resets it at once,
  /// otherwise the handshake hangs this long first (control API).
  std::function<void(std::chrono::milliseconds hang)> set_unknown_race_hang{};
  /// Whether a 1011 close is followed by a reset (control API).
  std::function<void(bool reset)> set_crash_reset{};
  /// Invited users who play by themselves (control API /demo-players).
  demo_players* demo = nullptr;
};

/// The non-empty segments of a URL path ("/o/cat/data" -> o, cat, data).
std::vector<std::string> split_path(const std::string& path);

/// Serves racetime.gg's paths.
response serve_racetime(route_context& ctx, const request& req);

/// Serves racetime.gg's OAuth2 paths (/o/token, /o/authorize,
/// /o/userinfo); nullopt for any other path (sim_oauth_routes.cpp).
std::optional<response> serve_oauth(route_context& ctx, const request& req,
                                    const std::string& path,
                                    const std::string& query);

/// Serves the control API (`--control-port`).
response serve_control(route_context& ctx, const request& req);

} // namespace racecontrol::sim
