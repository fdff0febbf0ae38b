#pragma once

// A bot WebSocket to racetime-sim that keeps every text frame as it
// arrived, for tests that look at the JSON itself (member order, types)
// rather than at what the client's parsers make of it.

#include "protocol/websocket_session.hpp"
#include "tests/support/sim_harness.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace racecontrol::test {

class frame_socket {
 public:
  frame_socket(sim_harness& sim, const std::string& websocket_bot_url,
               std::string token);
  ~frame_socket();

  void send(std::string text);

  /// The next frame after the last one returned whose JSON satisfies
  /// `pred`; fails the test after `limit`.
  std::string
  wait_for(const std::function<bool(const rapidjson::Document&)>& pred,
           std::chrono::milliseconds limit = std::chrono::milliseconds{5000});
  std::string wait_for_type(
      const std::string& type,
      std::chrono::milliseconds limit = std::chrono::milliseconds{5000});
  /// The next chat.message whose `message.message` is `text`.
  std::string wait_for_chat(const std::string& text);

  /// Every frame so far, in order.
  std::vector<std::string> frames();
  bool wait_opens(int n,
                  std::chrono::milliseconds limit = std::chrono::milliseconds{
                      5000});
  /// The reason of the next disconnect; fails the test after `limit`.
  std::string wait_disconnect(
      std::chrono::milliseconds limit = std::chrono::milliseconds{5000});

 private:
  std::unique_ptr<protocol::websocket_session> session_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> frames_;
  std::size_t seen_ = 0;
  int opens_ = 0;
  std::vector<std::string> disconnects_;
};

/// Parses a frame; fails the test when it is not JSON.
rapidjson::Document parse(const std::string& json);

/// The member names of a JSON object, in order.
std::vector<std::string> keys(const rapidjson::Value& object);

} // namespace racecontrol::test
