#include "tools/discord-sim/discord_state.hpp"

#include "protocol/json.hpp"

#include <algorithm>
#include <cctype>

namespace racecontrol::discord_sim {

namespace {

/// Discord's epoch (2015-01-01T00:00:00Z) in Unix milliseconds.
constexpr std::uint64_t discord_epoch_ms = 1420070400000ull;

} // namespace

bool is_snowflake(const std::string& id) {
  return !id.empty() && id.size() <= 20 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

state::state(state_options options) : options_(std::move(options)) {}

void state::set_bucket(int limit, std::chrono::milliseconds window) {
  options_.bucket_limit = limit;
  options_.bucket_window = window;
  buckets_.clear();
}

bool state::add_channel(const std::string& id) {
  if (!is_snowflake(id))
    return false;
  channels_.insert(id);
  return true;
}

bool state::has_channel(const std::string& id) const {
  return channels_.count(id) > 0;
}

bucket_answer state::take(const std::string& channel_id,
                          steady_clock::time_point now) {
  auto& b = buckets_[channel_id];
  if (now >= b.reset_at) {
    b.used = 0;
    b.reset_at = now + options_.bucket_window;
  }
  bucket_answer a;
  a.limit = options_.bucket_limit;
  a.reset_after =
      std::chrono::duration_cast<std::chrono::milliseconds>(b.reset_at - now);
  if (b.used >= options_.bucket_limit) {
    a.allowed = false;
    a.remaining = 0;
    return a;
  }
  ++b.used;
  a.remaining = options_.bucket_limit - b.used;
  return a;
}

const recorded_message*
state::recent_nonce(const std::string& channel_id, const std::string& nonce,
                    steady_clock::time_point now) const {
  auto it = nonces_.find({channel_id, nonce});
  if (it == nonces_.end() || now - it->second.second > options_.nonce_window)
    return nullptr;
  return &messages_[it->second.first];
}

void state::record(recorded_message message, steady_clock::time_point now) {
  if (!message.nonce.empty())
    nonces_[{message.channel_id, message.nonce}] = {messages_.size(), now};
  messages_.push_back(std::move(message));
}

std::string state::make_id() {
  auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  // Timestamp, worker 1, process 1, increment: Discord's layout.
  std::uint64_t id = ((ms - discord_epoch_ms) << 22) | (1u << 17) | (1u << 12) |
                     (sequence_++ & 0xFFF);
  last_id_ = std::max(id, last_id_ + 1);
  return std::to_string(last_id_);
}

void state::count_nonce(const std::string& channel_id,
                        const std::string& nonce) {
  if (!nonce.empty())
    ++nonce_posts_[{channel_id, nonce}];
}

std::optional<fault> state::take_fault(const std::string& channel_id) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->channel.empty() && it->channel != channel_id)
      continue;
    ++it->seen;
    if (it->every > 1 && it->seen % it->every != 0)
      continue;
    auto f = *it;
    if (--it->count <= 0)
      faults_.erase(it);
    ++faults_served_;
    return f;
  }
  return std::nullopt;
}

void state::count_status(unsigned status) {
  ++requests_;
  ++by_status_[status];
}

std::string state::messages_json(const std::string& channel) const {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    w.Key("messages");
    w.StartArray();
    for (const auto& m : messages_)
      if (channel.empty() || m.channel_id == channel)
        w.RawValue(m.json.data(), m.json.size(), rapidjson::kObjectType);
    w.EndArray();
    w.Key("nonces");
    w.StartArray();
    for (const auto& [key, posts] : nonce_posts_) {
      if (!channel.empty() && key.first != channel)
        continue;
      auto created = std::count_if(
          messages_.begin(), messages_.end(), [&](const recorded_message& m) {
            return m.channel_id == key.first && m.nonce == key.second;
          });
      w.StartObject();
      protocol::write_string(w, "channel_id", key.first);
      protocol::write_string(w, "nonce", key.second);
      protocol::write_int(w, "posts", static_cast<std::int64_t>(posts));
      protocol::write_int(w, "messages", created);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string state::stats_json() const {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_int(w, "requests", static_cast<std::int64_t>(requests_));
    w.Key("by_status");
    w.StartObject();
    for (const auto& [status, n] : by_status_)
      protocol::write_int(w, std::to_string(status).c_str(),
                          static_cast<std::int64_t>(n));
    w.EndObject();
    protocol::write_int(w, "messages",
                        static_cast<std::int64_t>(messages_.size()));
    protocol::write_int(w, "faults_served",
                        static_cast<std::int64_t>(faults_served_));
    w.Key("channels");
    w.StartArray();
    for (const auto& c : channels_)
      w.String(c.c_str());
    w.EndArray();
    w.EndObject();
  });
}

} // namespace racecontrol::discord_sim
