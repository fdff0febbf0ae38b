#include "protocol/service_notifier.hpp"

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <map>
#include <string>

using racecontrol::protocol::service_notifier;

namespace {

/// An environment made of a map, for from_environment.
auto env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(service_notifier_suite)

BOOST_AUTO_TEST_CASE(unset_socket_disables_every_notification) {
  auto n = service_notifier::from_environment(env({{"WATCHDOG_USEC", "10"}}));
  BOOST_REQUIRE(n);
  BOOST_TEST(!n->enabled());
  BOOST_TEST(!n->watchdog_interval().has_value());
  BOOST_TEST(bool(n->notify("READY=1")));
}

BOOST_AUTO_TEST_CASE(watchdog_interval_is_half_and_only_for_this_process) {
  auto mine = service_notifier::from_environment(
      env({{"NOTIFY_SOCKET", "/run/x"},
           {"WATCHDOG_USEC", "30000000"},
           {"WATCHDOG_PID", std::to_string(::getpid())}}));
  BOOST_REQUIRE(mine);
  BOOST_REQUIRE(mine->watchdog_interval().has_value());
  BOOST_TEST(mine->watchdog_interval()->count() == 15000000);
  auto parents = service_notifier::from_environment(
      env({{"NOTIFY_SOCKET", "/run/x"},
           {"WATCHDOG_USEC", "30000000"},
           {"WATCHDOG_PID", std::to_string(::getpid() + 1)}}));
  BOOST_REQUIRE(parents);
  BOOST_TEST(parents->enabled());
  BOOST_TEST(!parents->watchdog_interval().has_value());
}

BOOST_AUTO_TEST_CASE(malformed_values_are_errors_naming_them) {
  auto relative =
      service_notifier::from_environment(env({{"NOTIFY_SOCKET", "run/x"}}));
  BOOST_REQUIRE(!relative);
  BOOST_TEST(relative.error().message.find("NOTIFY_SOCKET=run/x") == 0u);
  auto usec = service_notifier::from_environment(
      env({{"NOTIFY_SOCKET", "/run/x"}, {"WATCHDOG_USEC", "12s"}}));
  BOOST_REQUIRE(!usec);
  BOOST_TEST(usec.error().message.find("WATCHDOG_USEC=12s") == 0u);
}

BOOST_AUTO_TEST_CASE(sends_to_an_abstract_socket) {
  const std::string name =
      "@racecontrol-notify-test-" + std::to_string(::getpid());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  name.copy(addr.sun_path + 1, name.size() - 1, 1);
  auto length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), length) == 0);
  auto n = service_notifier::from_environment(env({{"NOTIFY_SOCKET", name}}));
  BOOST_REQUIRE(n);
  auto sent = n->notify("READY=1\nSTATUS=testing");
  BOOST_TEST(bool(sent), (sent ? "" : sent.error().message));
  pollfd p{fd, POLLIN, 0};
  BOOST_REQUIRE(::poll(&p, 1, 2000) == 1);
  char buffer[256];
  auto got = ::recv(fd, buffer, sizeof buffer, 0);
  BOOST_TEST(std::string(buffer, got > 0 ? got : 0) ==
             "READY=1\nSTATUS=testing");
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(a_missing_socket_is_an_error_naming_it) {
  auto n = service_notifier::from_environment(
      env({{"NOTIFY_SOCKET", "/nonexistent/racecontrol/notify"}}));
  BOOST_REQUIRE(n);
  auto sent = n->notify("READY=1");
  BOOST_REQUIRE(!sent);
  BOOST_TEST(sent.error().message.find("/nonexistent/racecontrol/notify") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
