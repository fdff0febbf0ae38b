#include "protocol/service_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace racecontrol::protocol {

namespace {

/// A positive decimal number, or nothing.
std::optional<unsigned long long> parse_positive(const char* text) {
  if (text == nullptr || *text == '\0')
    return std::nullopt;
  unsigned long long value = 0;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9' || value > (~0ull - 9) / 10)
      return std::nullopt;
    value = value * 10 + static_cast<unsigned>(*c - '0');
  }
  if (value == 0)
    return std::nullopt;
  return value;
}

/// Closes the descriptor when the scope ends, whatever path it takes.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

expected<service_notifier>
service_notifier::from_environment(const environment_lookup& getenv) {
  service_notifier n;
  const char* socket = getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0')
    return n;
  if (socket[0] != '/' && socket[0] != '@')
    return protocol_error{std::string{"NOTIFY_SOCKET="} + socket +
                          ": expected an absolute path or an abstract name "
                          "starting with '@' (unset it when not run by "
                          "systemd)"};
  if (std::strlen(socket) >= sizeof(sockaddr_un::sun_path))
    return protocol_error{std::string{"NOTIFY_SOCKET="} + socket +
                          ": longer than a unix socket path may be"};
  n.socket_ = socket;
  const char* usec = getenv("WATCHDOG_USEC");
  if (usec == nullptr || *usec == '\0')
    return n;
  auto value = parse_positive(usec);
  if (!value)
    return protocol_error{std::string{"WATCHDOG_USEC="} + usec +
                          ": expected a positive number of microseconds"};
  // WATCHDOG_PID names the process the watchdog is for: a child that
  // inherited the variables must not ping for its parent.
  if (const char* pid = getenv("WATCHDOG_PID"); pid != nullptr && *pid) {
    auto owner = parse_positive(pid);
    if (!owner)
      return protocol_error{std::string{"WATCHDOG_PID="} + pid +
                            ": expected a process id"};
    if (*owner != static_cast<unsigned long long>(::getpid()))
      return n;
  }
  n.watchdog_ = std::chrono::microseconds{static_cast<long long>(*value)};
  return n;
}

std::optional<std::chrono::microseconds>
service_notifier::watchdog_interval() const {
  if (!watchdog_)
    return std::nullopt;
  return *watchdog_ / 2;
}

expected<bool> service_notifier::notify(std::string_view state) const {
  if (!enabled())
    return true;
  auto failed = [this](const char* what) {
    return protocol_error{std::string{"systemd notification to "} + socket_ +
                          ": " + what + ": " + std::strerror(errno)};
  };
  fd_guard fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (fd.fd < 0)
    return failed("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  auto length = offsetof(sockaddr_un, sun_path) + socket_.size();
  if (socket_[0] == '@')
    addr.sun_path[0] = '\0'; // abstract namespace: no terminating NUL
  else
    ++length;
  auto sent = ::sendto(fd.fd, state.data(), state.size(), MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&addr),
                       static_cast<socklen_t>(length));
  if (sent < 0)
    return failed("sendto");
  return true;
}

} // namespace racecontrol::protocol
