#pragma once

// The systemd notification protocol (sd_notify(3)) without libsystemd: one
// datagram per state change to the unix socket named in $NOTIFY_SOCKET (a
// path, or an abstract name written with a leading '@'). racecontrold says
// READY=1 once it serves, WATCHDOG=1 while its actors answer, RELOADING=1
// around SIGHUP and STOPPING=1 when it stops. With no $NOTIFY_SOCKET (not
// started by systemd, or Type= is not notify) every call does nothing.
//
// Plain C++ (no CAF): what proves liveness is the caller's business; this
// only knows how to say it.

#include "protocol/expected.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace racecontrol::protocol {

/// Reads an environment variable; null when unset (std::getenv in the
/// daemon, a map in tests).
using environment_lookup = std::function<const char*(const char*)>;

class service_notifier {
 public:
  /// A notifier that does nothing.
  service_notifier() = default;

  /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. A malformed
  /// value is an error naming it (systemd sets them; a person who set one
  /// by hand needs to know which).
  static expected<service_notifier>
  from_environment(const environment_lookup& getenv);

  /// True when $NOTIFY_SOCKET names a socket.
  bool enabled() const { return !socket_.empty(); }

  /// How often to send WATCHDOG=1: half of WATCHDOG_USEC, as sd_notify(3)
  /// recommends; empty when systemd runs no watchdog for this process.
  std::optional<std::chrono::microseconds> watchdog_interval() const;

  /// Sends `state` (newline-separated assignments, e.g. "READY=1\nSTATUS=
  /// serving"). Does nothing and succeeds when not enabled. An error says
  /// which socket failed and why; the caller logs it and goes on (a lost
  /// notification must not stop the daemon).
  expected<bool> notify(std::string_view state) const;

  /// Where notifications go, for log lines ("" when not enabled).
  const std::string& socket() const { return socket_; }

 private:
  std::string socket_;
  std::optional<std::chrono::microseconds> watchdog_;
};

} // namespace racecontrol::protocol
