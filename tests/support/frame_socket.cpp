#include "tests/support/frame_socket.hpp"

#include <boost/test/unit_test.hpp>

namespace racecontrol::test {

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << json);
  return doc;
}

std::vector<std::string> keys(const rapidjson::Value& object) {
  std::vector<std::string> out;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it)
    out.emplace_back(it->name.GetString(), it->name.GetStringLength());
  return out;
}

frame_socket::frame_socket(sim_harness& sim,
                           const std::string& websocket_bot_url,
                           std::string token) {
  protocol::websocket_handlers h;
  h.on_open = [this] {
    std::lock_guard<std::mutex> g{mtx_};
    ++opens_;
    cv_.notify_all();
  };
  h.on_message = [this](std::string text) {
    std::lock_guard<std::mutex> g{mtx_};
    frames_.push_back(std::move(text));
    cv_.notify_all();
  };
  h.on_disconnect = [this](const std::string& reason,
                           std::chrono::milliseconds) {
    std::lock_guard<std::mutex> g{mtx_};
    disconnects_.push_back(reason);
    cv_.notify_all();
  };
  protocol::websocket_options o;
  o.reconnect.initial = std::chrono::milliseconds{50};
  o.reconnect.max = std::chrono::milliseconds{500};
  o.ping_interval = std::chrono::milliseconds{5000};
  auto target = protocol::with_path(sim.base(), websocket_bot_url, true);
  session_ = std::make_unique<protocol::websocket_session>(
      sim.client_io(), sim.tls(), target,
      protocol::fixed_token(std::move(token), std::chrono::steady_clock::now() +
                                                  std::chrono::hours{10}),
      h, o);
  session_->start();
}

frame_socket::~frame_socket() {
  session_->stop();
}

void frame_socket::send(std::string text) {
  session_->send(std::move(text));
}

std::string frame_socket::wait_for(
    const std::function<bool(const rapidjson::Document&)>& pred,
    std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock{mtx_};
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    for (; seen_ < frames_.size(); ++seen_) {
      auto doc = parse(frames_[seen_]);
      if (pred(doc))
        return frames_[seen_++];
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
        seen_ == frames_.size())
      BOOST_FAIL("no matching frame within the time limit");
  }
}

std::string frame_socket::wait_for_type(const std::string& type,
                                        std::chrono::milliseconds limit) {
  return wait_for(
      [&](const rapidjson::Document& d) {
        return d.IsObject() && d.HasMember("type") && d["type"] == type.c_str();
      },
      limit);
}

std::string frame_socket::wait_for_chat(const std::string& text) {
  return wait_for([&](const rapidjson::Document& d) {
    return d.IsObject() && d.HasMember("type") && d["type"] == "chat.message" &&
           d["message"]["message"] == text.c_str();
  });
}

std::vector<std::string> frame_socket::frames() {
  std::lock_guard<std::mutex> g{mtx_};
  return frames_;
}

bool frame_socket::wait_opens(int n, std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock{mtx_};
  return cv_.wait_for(lock, limit, [&] {
    return opens_ >= n;
  });
}

std::string frame_socket::wait_disconnect(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock{mtx_};
  if (!cv_.wait_for(lock, limit, [&] {
        return !disconnects_.empty();
      }))
    BOOST_FAIL("no disconnect within the time limit");
  auto reason = disconnects_.front();
  disconnects_.erase(disconnects_.begin());
  return reason;
}

} // namespace racecontrol::test
