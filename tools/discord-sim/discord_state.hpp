#pragma once

// discord-sim's world: the channels a test created, every message they
// hold in order, the nonces Discord remembers, one rate-limit bucket per
// channel, the faults a test arranged and counters. Plain data and rules,
// no sockets; one io_context thread owns it, so no locks.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::discord_sim {

using steady_clock = std::chrono::steady_clock;

struct state_options {
  std::string token = "discord-sim-token"; ///< the bot token it accepts
  /// How long a nonce answers its first message (enforce_nonce).
  std::chrono::milliseconds nonce_window{300000};
  /// Messages per channel per window before a 429.
  int bucket_limit = 5;
  std::chrono::milliseconds bucket_window{5000};
};

/// A message Discord created: its JSON (Discord's message object) and what
/// the deduplication needs.
struct recorded_message {
  std::string id;
  std::string channel_id;
  std::string nonce; ///< "" without one
  std::string json;  ///< the message object, as answered
};

/// A fault for POST /channels/{id}/messages (control API POST /faults).
struct fault {
  /// Answer this status (429: Discord's rate-limit body with `retry_after`
  /// and `global`; 5xx: an error body) without serving; 0: serve.
  unsigned status = 0;
  int count = 1;            ///< faulted requests before it is used up
  int every = 1;            ///< only every Nth matching request is faulted
  int seen = 0;             ///< matching requests so far (for `every`)
  double retry_after = 1.0; ///< seconds, for a 429
  bool global = false;      ///< a global 429
  std::chrono::milliseconds delay{0}; ///< before the answer (or the drop)
  /// Close the connection without an answer; alone, nothing is recorded;
  /// with serve_then_status the message is recorded first.
  bool drop_connection = false;
  /// Serve the request (the message is recorded) and then answer this
  /// status instead of the 200: Discord did it, the client never learns.
  unsigned serve_then_status = 0;
  std::string channel; ///< "" any channel
};

/// One channel's bucket: a fixed window that starts with its first
/// request.
struct bucket {
  int used = 0;
  steady_clock::time_point reset_at{};
};

/// What the bucket says about one request.
struct bucket_answer {
  bool allowed = true;
  int limit = 0;
  int remaining = 0;
  std::chrono::milliseconds reset_after{0};
};

class state {
 public:
  explicit state(state_options options);

  const state_options& options() const noexcept { return options_; }
  void set_bucket(int limit, std::chrono::milliseconds window);

  /// Adds a channel; false when the id is not a Discord id (digits only).
  bool add_channel(const std::string& id);
  bool has_channel(const std::string& id) const;

  /// Takes one request from the channel's bucket.
  bucket_answer take(const std::string& channel_id, steady_clock::time_point);

  /// The message created earlier with this nonce on this channel within
  /// the nonce window, if any.
  const recorded_message* recent_nonce(const std::string& channel_id,
                                       const std::string& nonce,
                                       steady_clock::time_point now) const;

  /// Records a message; `json` gets its id via make_id first.
  void record(recorded_message message, steady_clock::time_point now);

  /// A new snowflake, greater than every earlier one.
  std::string make_id();

  /// A POST carrying this nonce reached the channel (whatever came of it).
  void count_nonce(const std::string& channel_id, const std::string& nonce);

  void add_fault(fault f) { faults_.push_back(std::move(f)); }
  void clear_faults() { faults_.clear(); }
  /// The first fault for this channel whose turn it is, used once.
  std::optional<fault> take_fault(const std::string& channel_id);

  void count_status(unsigned status); ///< 0: dropped without an answer

  /// GET /messages: {"messages": [...], "nonces": [{"channel_id", "nonce",
  /// "posts", "messages"}]}, for one channel or all ("").
  std::string messages_json(const std::string& channel) const;
  /// GET /stats: {"requests", "by_status": {"200": n, ...}, "messages",
  /// "faults_served", "channels"}.
  std::string stats_json() const;

  std::uint64_t faults_served() const noexcept { return faults_served_; }

 private:
  state_options options_;
  std::set<std::string> channels_;
  std::vector<recorded_message> messages_;
  /// (channel, nonce) -> index in messages_ and when it was created.
  std::map<std::pair<std::string, std::string>,
           std::pair<std::size_t, steady_clock::time_point>>
      nonces_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> nonce_posts_;
  std::map<std::string, bucket> buckets_;
  std::vector<fault> faults_;
  std::map<unsigned, std::uint64_t> by_status_;
  std::uint64_t requests_ = 0;
  std::uint64_t faults_served_ = 0;
  std::uint64_t last_id_ = 0;
  std::uint64_t sequence_ = 0;
};

/// A Discord id: 1 to 20 decimal digits.
bool is_snowflake(const std::string& id);

} // namespace racecontrol::discord_sim
