#pragma once

// A host given as an IP address (racetime-sim, a local proxy) needs no
// lookup. Asio's resolver runs every lookup, even of an address, on a
// thread of its own: one hand-off between threads per connection, and the
// HTTP client opens a connection of its own for each startrace.

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace racecontrol::protocol {

/// `host` and `port` as a resolver's results when `host` is an IPv4 or
/// IPv6 address; nullopt for a name, which needs the resolver.
std::optional<boost::asio::ip::tcp::resolver::results_type>
address_results(const std::string& host, std::uint16_t port);

} // namespace racecontrol::protocol
