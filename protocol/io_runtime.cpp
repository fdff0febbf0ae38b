#include "protocol/io_runtime.hpp"

#include "protocol/serial_executor.hpp"

#include <pthread.h>

namespace racecontrol::protocol {

io_runtime::io_runtime(io_runtime_options options)
    : options_(std::move(options)), work_(io_.get_executor()),
      tls_(make_client_tls_context(options_.extra_ca_file)) {
  // Before any connection exists: with at most one thread running io_ (its
  // own, or the one racecontrold lends it) connections need no strand.
  if (options_.threads <= 1)
    declare_single_threaded(io_);
  http_ = std::make_unique<http_client>(io_, tls_, options_.http);
  api_ = std::make_unique<racetime_api>(io_, *http_, options_.racetime);
  for (std::size_t i = 0; i < options_.threads; ++i)
    threads_.emplace_back([this] {
      // Named so that top -H, perf and automation_bench's per-thread
      // figures tell the network thread from CAF's and the log writer.
      pthread_setname_np(pthread_self(), "rc.io");
      io_.run();
    });
}

io_runtime::~io_runtime() {
  work_.reset();
  io_.stop();
  for (auto& t : threads_)
    t.join();
  // The client and API go after the threads: no handler can reach them.
  api_.reset();
  http_.reset();
}

url io_runtime::bot_socket(const std::string& slug) const {
  return with_path(options_.racetime, "/ws/o/bot/" + slug, true);
}

} // namespace racecontrol::protocol
