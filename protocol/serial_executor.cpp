#include "protocol/serial_executor.hpp"

#include <boost/asio/strand.hpp>

#include <atomic>

namespace racecontrol::protocol {

namespace {

/// Remembers, per io_context, whether one thread runs it.
class threading_service : public boost::asio::execution_context::service {
 public:
  using key_type = threading_service;
  static inline boost::asio::execution_context::id id;

  explicit threading_service(boost::asio::execution_context& ctx)
      : service(ctx) {}

  std::atomic<bool> single{false};

 private:
  void shutdown() override {}
};

} // namespace

void declare_single_threaded(boost::asio::io_context& io) {
  boost::asio::use_service<threading_service>(io).single = true;
}

boost::asio::any_io_executor serial_executor(boost::asio::io_context& io) {
  if (boost::asio::use_service<threading_service>(io).single)
    return io.get_executor();
  return boost::asio::make_strand(io);
}

} // namespace racecontrol::protocol
