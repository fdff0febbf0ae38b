#pragma once

// Where one connection's handlers run one at a time. On an io_context that
// several threads run that takes a strand; on one that a single thread runs
// (racecontrold with racetime.io_threads 0 or 1) the io_context's own
// executor already does it, and a strand would only add its lock, queue and
// an allocation to every completion.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

namespace racecontrol::protocol {

/// Declares that at most one thread runs `io` (io_runtime does, before it
/// makes its HTTP client). Not declared: a strand per connection.
void declare_single_threaded(boost::asio::io_context& io);

/// A strand of `io`, or `io`'s own executor when it is declared single
/// threaded.
boost::asio::any_io_executor serial_executor(boost::asio::io_context& io);

} // namespace racecontrol::protocol
