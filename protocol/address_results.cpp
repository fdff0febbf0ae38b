#include "protocol/address_results.hpp"

#include <boost/asio/ip/address.hpp>

namespace racecontrol::protocol {

std::optional<boost::asio::ip::tcp::resolver::results_type>
address_results(const std::string& host, std::uint16_t port) {
  using boost::asio::ip::tcp;
  boost::system::error_code not_an_address;
  auto address = boost::asio::ip::make_address(host, not_an_address);
  if (not_an_address)
    return std::nullopt;
  return tcp::resolver::results_type::create(tcp::endpoint{address, port}, host,
                                             std::to_string(port));
}

} // namespace racecontrol::protocol
