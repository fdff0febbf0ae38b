#pragma once

// A blocking client of a line protocol (the admin console) for tests: a
// real socket, TCP or unix, sends exactly the bytes a test gives and reads
// until a text shows up or a deadline passes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace racecontrol::test {

class line_client {
 public:
  /// Connects to 127.0.0.1:port; connected() says whether it worked.
  explicit line_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      close();
  }

  /// Connects to a unix socket.
  explicit line_client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      close();
  }

  ~line_client() { close(); }

  line_client(const line_client&) = delete;
  line_client& operator=(const line_client&) = delete;

  bool connected() const { return fd_ >= 0; }

  /// Sends the bytes as they are; false when the socket is gone.
  bool send(const std::string& bytes) {
    std::size_t done = 0;
    while (fd_ >= 0 && done < bytes.size()) {
      auto n =
          ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<std::size_t>(n);
    }
    return done == bytes.size();
  }

  /// Sends `text` and a newline.
  bool line(const std::string& text) { return send(text + "\n"); }

  /// Half-closes: the server sees the end of input.
  void shutdown_send() {
    if (fd_ >= 0)
      ::shutdown(fd_, SHUT_WR);
  }

  /// Reads until everything received since the last call contains `text`;
  /// returns what was received then (the whole of it), or what came
  /// before the deadline or the end of the stream. Received text after the
  /// match is kept for the next call.
  std::string read_until(const std::string& text,
                         std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto at = buffer_.find(text);
      if (at != std::string::npos) {
        auto out = buffer_.substr(0, at + text.size());
        buffer_.erase(0, at + text.size());
        return out;
      }
      if (!fill(deadline))
        return std::exchange(buffer_, {});
    }
  }

  /// Reads one whole answer: waits up to `first` for its first bytes, then
  /// takes what follows until nothing more comes for `quiet`. Returns
  /// everything received since the last call.
  std::string read_answer(
      std::chrono::milliseconds first,
      std::chrono::milliseconds quiet = std::chrono::milliseconds{300}) {
    auto deadline = std::chrono::steady_clock::now() + first;
    if (buffer_.empty())
      fill(deadline);
    while (fill(std::chrono::steady_clock::now() + quiet)) {
    }
    return std::exchange(buffer_, {});
  }

  /// True when the server closes the connection before the deadline
  /// (whatever came before is dropped).
  bool closed_by_peer(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (fill(deadline))
      buffer_.clear();
    return eof_;
  }

 private:
  /// Reads what is there; false at the deadline or the end of the stream.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || eof_)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

} // namespace racecontrol::test
