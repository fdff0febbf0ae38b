#pragma once

// Demo players: users who answer a bot's invitation by themselves, so a
// room opened by racecontrold runs to its end without a person (scripts/run,
// soak tests). An invited user accepts, readies, and once the race is in
// progress finishes or forfeits, each through the world's own user actions
// (the ones the control API's /races/{slug}/users/... calls), so race data,
// chat, broadcasts and the log are as for a real user.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>

namespace racecontrol::sim {

class world;

/// Timings are on the simulator's clock: --time-scale applies, as to
/// countdowns and the 5-second rule.
struct demo_settings {
  bool enabled = false;
  std::chrono::milliseconds accept_after{1500}; ///< after the invitation
  std::chrono::milliseconds ready_after{3000};  ///< after accepting
  /// The finish or forfeit comes at a random time in [min, max] after the
  /// start; racetime.gg refuses both in the first 5 s, so min is above it.
  std::chrono::milliseconds finish_min{8000};
  std::chrono::milliseconds finish_max{20000};
  double forfeit_rate = 0.0;
  /// The share of finishes and forfeits taken back (`undone`, `unforfeit`)
  /// `undo_after` later and made again as much later: a player's mistake,
  /// which reopens the race when it was the last one (racetime.gg allows it
  /// for 10 minutes after the end).
  double undo_rate = 0.0;
  std::chrono::milliseconds undo_after{2000};
  std::uint64_t seed = 1;
};

/// Why the settings cannot work, for the person who sent them.
std::optional<std::string> validate(const demo_settings& s);

class demo_players {
 public:
  using scheduler = std::function<void(std::chrono::milliseconds delay,
                                       std::function<void()> f)>;

  demo_players(world& w, scheduler schedule);

  /// Takes new settings (checked with validate) and reseeds the PRNG.
  void configure(demo_settings s);
  const demo_settings& settings() const { return settings_; }
  /// The settings as the control API shows them.
  std::string json() const;

  /// A bot invited `user_id` to race `slug`: the user will accept.
  void invited(const std::string& slug, const std::string& user_id);
  /// Race `slug` began: its demo players will finish or forfeit.
  void started(const std::string& slug);

 private:
  /// The user action `what`; false (and a log line) when refused.
  bool act(const std::string& slug, const std::string& user_id,
           const std::string& what);
  void later(std::chrono::milliseconds delay, std::function<void()> f);
  /// A finish (or forfeit) now, and with `undo` taken back and made again.
  void end_run(const std::string& slug, const std::string& user_id,
               bool forfeit, bool undo);

  world& world_;
  scheduler schedule_;
  demo_settings settings_;
  std::mt19937_64 rng_;
  /// (slug, user) of every invitation a demo player answered.
  std::set<std::pair<std::string, std::string>> players_;
};

} // namespace racecontrol::sim
