#pragma once

// A websocket_session to one racetime-sim race that records everything its
// callbacks report, with waits for tests. Frames are looked at as plain
// JSON, so these tests do not depend on the message models.

#include "protocol/json.hpp"
#include "protocol/websocket_session.hpp"
#include "tests/support/sim_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace racecontrol::test {

class bot_socket {
 public:
  using ms = std::chrono::milliseconds;

  /// Reconnects after 50..500 ms, pings after 5 s of silence.
  static protocol::websocket_options fast_options() {
    protocol::websocket_options o;
    o.reconnect.initial = ms{50};
    o.reconnect.max = ms{500};
    o.ping_interval = ms{5000};
    return o;
  }

  bot_socket(sim_harness& sim, const std::string& websocket_bot_url,
             std::shared_ptr<protocol::token_source> tokens,
             protocol::websocket_options options = fast_options()) {
    protocol::websocket_handlers h;
    h.on_open = [this] {
      record([&] {
        ++opens_;
      });
    };
    h.on_message = [this](std::string text) {
      record([&] {
        frames_.push_back(std::move(text));
      });
    };
    h.on_disconnect = [this](const std::string& reason, ms) {
      record([&] {
        disconnects_.push_back(reason);
      });
    };
    h.on_dropped = [this](const protocol::dropped_frame& d) {
      record([&] {
        dropped_.push_back(d);
      });
    };
    session_ = std::make_unique<protocol::websocket_session>(
        sim.client_io(), sim.tls(),
        protocol::with_path(sim.base(), websocket_bot_url, true),
        std::move(tokens), h, options);
    session_->start();
  }

  ~bot_socket() { session_->stop(); }

  protocol::websocket_session& session() { return *session_; }

  void send(std::string text) { session_->send(std::move(text)); }

  /// Waits for a frame after the last one a wait returned, of `type` and
  /// matching `pred`; fails the test after `limit`.
  rapidjson::Document wait_for(
      const std::string& type,
      const std::function<bool(const rapidjson::Document&)>& pred =
          [](const rapidjson::Document&) {
            return true;
          },
      ms limit = ms{5000}) {
    std::unique_lock<std::mutex> lock{mtx_};
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      for (; seen_ < frames_.size(); ++seen_) {
        auto doc = protocol::parse_json(frames_[seen_]);
        if (doc.IsObject() && doc.HasMember("type") && doc["type"] == type &&
            pred(doc)) {
          ++seen_;
          return doc;
        }
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
          seen_ == frames_.size())
        BOOST_FAIL("no " << type << " frame as expected within "
                         << limit.count() << " ms");
    }
  }

  /// Every frame so far of `type`.
  std::vector<std::string> frames_of(const std::string& type) {
    std::lock_guard<std::mutex> lock{mtx_};
    std::vector<std::string> out;
    for (const auto& f : frames_)
      if (protocol::parse_json(f)["type"] == type)
        out.push_back(f);
    return out;
  }

  bool wait_opens(int n, ms limit = ms{5000}) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, limit, [&] {
      return opens_ >= n;
    });
  }

  int opens() {
    std::lock_guard<std::mutex> lock{mtx_};
    return opens_;
  }

  /// Waits for the next disconnect reason.
  std::string wait_disconnect(ms limit = ms{5000}) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, limit, [&] {
          return disconnects_.size() > disconnects_seen_;
        }))
      BOOST_FAIL("no disconnect within " << limit.count() << " ms");
    return disconnects_[disconnects_seen_++];
  }

  /// Waits until `n` frames were reported dropped; returns all so far.
  std::vector<protocol::dropped_frame> wait_dropped(std::size_t n,
                                                    ms limit = ms{5000}) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, limit, [&] {
          return dropped_.size() >= n;
        }))
      BOOST_FAIL("only " << dropped_.size() << " of " << n
                         << " dropped frames reported");
    return dropped_;
  }

  std::vector<protocol::dropped_frame> dropped() {
    std::lock_guard<std::mutex> lock{mtx_};
    return dropped_;
  }

 private:
  template <class F>
  void record(F&& f) {
    std::lock_guard<std::mutex> lock{mtx_};
    f();
    cv_.notify_all();
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> frames_;
  std::size_t seen_ = 0;
  int opens_ = 0;
  std::vector<std::string> disconnects_;
  std::size_t disconnects_seen_ = 0;
  std::vector<protocol::dropped_frame> dropped_;
  std::unique_ptr<protocol::websocket_session> session_;
};

} // namespace racecontrol::test
