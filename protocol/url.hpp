#pragma once

#include "protocol/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace racecontrol::protocol {

/// An http(s) or ws(s) URL split for a connection: where to connect and what
/// to ask for.
struct url {
  std::string scheme; ///< http, https, ws or wss
  std::string host;
  std::uint16_t port = 0;
  std::string target = "/"; ///< path and query

  bool secure() const { return scheme == "https" || scheme == "wss"; }

  /// "host" or "host:port" when the port is not the scheme's default, as
  /// the Host header wants it.
  std::string authority() const;

  /// scheme://authority
  std::string origin() const;
};

expected<url> parse_url(std::string_view text);

/// `base` with `path` (absolute, e.g. "/o/token") as its target; a scheme
/// change http→ws / https→wss when `websocket` is set.
url with_path(const url& base, std::string_view path, bool websocket = false);

} // namespace racecontrol::protocol
