#pragma once

// The faults racetime-sim's control API arranges for the racetime.gg port:
// a list of one-off faults (`POST /faults`) and a seeded random mix
// (`POST /faults/random`) that fails a share of matching requests in every
// way a client can meet: an error without effect, an error after the
// request took effect, a connection closed after it took effect, a late
// answer. Plain logic: the server applies what `take` hands out.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace racecontrol::sim {

/// What happens to one request that meets a fault. Without `serve_first`
/// the request waits `delay`, then is answered `status` without being
/// served, or served and its connection closed (`drop_connection`), or
/// served normally (a request that arrives late). With `serve_first` it is
/// served at once (its effects happen: a startrace creates its room), and
/// `delay` later the client gets `status` instead of the real answer, or
/// the connection closes unanswered, or the real answer (late).
struct fault {
  std::string path_prefix;
  std::string path_suffix;         ///< "" matches any path with the prefix
  unsigned status = 0;             ///< 0: no error status
  std::optional<std::string> body; ///< with `status`; else an HTML page
  std::string content_type = "application/json"; ///< of `body`
  std::chrono::milliseconds delay{0};
  int count = 1;
  /// Hit only every Nth matching request (the Nth, 2Nth, ...); the others
  /// are served normally. 5 answers 20% of them with the fault.
  int every = 1;
  /// Matching requests seen so far (for `every`).
  int seen = 0;
  /// With `status`: a Retry-After header of this many seconds.
  std::optional<std::int64_t> retry_after;
  /// Close the connection without an answer, after serving the request: a
  /// server that died before it could reply.
  bool drop_connection = false;
  bool serve_first = false;

  /// Set on faults from the random mix: the mode's name and the number of
  /// the matching request that drew it (1, 2, ...).
  std::string mode;
  std::uint64_t draw = 0;

  bool matches(const std::string& path) const;
};

/// The random mix: every request whose path matches draws from a PRNG
/// seeded with `seed` whether it fails (probability `rate`) and, if so,
/// which of `modes` it meets (equally likely). Same seed and same sequence
/// of matching requests: same faults.
struct fault_mix_settings {
  std::string path_prefix = "/";
  std::string path_suffix;
  double rate = 0.0;
  std::uint64_t seed = 1;
  std::vector<std::string> modes;
  /// How late `serve_late` answers and `arrive_late` is served.
  std::chrono::milliseconds delay{12000};
};

/// The fault a mode name stands for, or nullopt for an unknown name:
///   status_NNN_no_create  answered NNN (500..599), not served
///   serve_then_NNN        served, then answered NNN (500..599)
///   serve_then_drop       served, then the connection closed unanswered
///   serve_late            served, the real answer after the delay
///   arrive_late           served after the delay, then answered
std::optional<fault> fault_for_mode(const std::string& mode,
                                    std::chrono::milliseconds delay);

/// The modes a random mix uses when it names none.
std::vector<std::string> default_fault_modes();

class fault_book {
 public:
  void add(fault f) { faults_.push_back(std::move(f)); }
  /// Forgets the one-off faults (not the random mix).
  void clear() { faults_.clear(); }

  /// Starts a random mix (replacing any, with fresh counts); the error
  /// names the first unknown mode.
  std::optional<std::string> set_random(fault_mix_settings s);
  /// Stops the random mix; its counts stay readable.
  void stop_random() { random_on_ = false; }

  /// The fault for a request to `path`, if any: the first one-off fault
  /// whose turn it is (decremented), else the random mix's draw.
  std::optional<fault> take(const std::string& path);

  /// {"enabled", "path_prefix", "path_suffix", "rate", "seed", "modes",
  ///  "delay_ms", "matched", "faulted", "by_mode": {mode: count}}
  std::string random_stats_json() const;

 private:
  std::optional<fault> take_listed(const std::string& path);
  std::optional<fault> draw(const std::string& path);
  /// Uniform in [0, 1), from the top 53 bits (the same on every platform,
  /// unlike std::uniform_real_distribution).
  double unit();

  std::vector<fault> faults_;
  bool random_on_ = false;
  fault_mix_settings random_;
  std::mt19937_64 rng_;
  std::uint64_t matched_ = 0;
  std::uint64_t faulted_ = 0;
  std::map<std::string, std::uint64_t> by_mode_;
};

} // namespace racecontrol::sim
