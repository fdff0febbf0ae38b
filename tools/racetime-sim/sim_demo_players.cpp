#include "tools/racetime-sim/sim_demo_players.hpp"

#include "protocol/json.hpp"
#include "tools/racetime-sim/sim_world.hpp"

#include <spdlog/spdlog.h>

namespace racecontrol::sim {

namespace {

/// racetime.gg refuses `done` and `forfeit` this soon after the start.
constexpr std::chrono::milliseconds no_finish_before{5000};

/// A uniform draw in [0, 1).
double chance(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

} // namespace

std::optional<std::string> validate(const demo_settings& s) {
  if (s.accept_after.count() < 0 || s.ready_after.count() < 0)
    return std::string{"accept_after_ms and ready_after_ms must not be "
                       "negative"};
  if (s.finish_min <= no_finish_before)
    return "finish_min_ms must be over 5000: racetime.gg refuses a finish "
           "or forfeit in the first 5 s after the start (got " +
           std::to_string(s.finish_min.count()) + ")";
  if (s.finish_max < s.finish_min)
    return "finish_max_ms (" + std::to_string(s.finish_max.count()) +
           ") must not be below finish_min_ms (" +
           std::to_string(s.finish_min.count()) + ")";
  if (!(s.forfeit_rate >= 0.0 && s.forfeit_rate <= 1.0))
    return std::string{"forfeit_rate must be between 0 and 1"};
  if (!(s.undo_rate >= 0.0 && s.undo_rate <= 1.0))
    return std::string{"undo_rate must be between 0 and 1"};
  if (s.undo_after.count() < 0)
    return std::string{"undo_after_ms must not be negative"};
  return std::nullopt;
}

demo_players::demo_players(world& w, scheduler schedule)
    : world_(w), schedule_(std::move(schedule)), rng_(settings_.seed) {}

void demo_players::configure(demo_settings s) {
  settings_ = s;
  rng_.seed(s.seed);
}

std::string demo_players::json() const {
  const auto& s = settings_;
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_bool(w, "enabled", s.enabled);
    protocol::write_int(w, "accept_after_ms", s.accept_after.count());
    protocol::write_int(w, "ready_after_ms", s.ready_after.count());
    protocol::write_int(w, "finish_min_ms", s.finish_min.count());
    protocol::write_int(w, "finish_max_ms", s.finish_max.count());
    w.Key("forfeit_rate");
    w.Double(s.forfeit_rate);
    w.Key("undo_rate");
    w.Double(s.undo_rate);
    protocol::write_int(w, "undo_after_ms", s.undo_after.count());
    w.Key("seed");
    w.Uint64(s.seed);
    w.EndObject();
  });
}

void demo_players::later(std::chrono::milliseconds delay,
                         std::function<void()> f) {
  if (schedule_)
    schedule_(world_.scaled(delay), std::move(f));
}

bool demo_players::act(const std::string& slug, const std::string& user_id,
                       const std::string& what) {
  race* r = world_.find_race(slug);
  if (r == nullptr)
    return false;
  if (auto refused = world_.user_does(*r, user_id, what)) {
    spdlog::warn("demo player {} could not {} in {}: {}", user_id, what,
                 r->name(), refused->message());
    return false;
  }
  spdlog::info("demo player {}: {} in {}", user_id, what, r->name());
  return true;
}

void demo_players::invited(const std::string& slug,
                           const std::string& user_id) {
  if (!settings_.enabled)
    return;
  players_.emplace(slug, user_id);
  later(settings_.accept_after, [this, slug, user_id] {
    if (!settings_.enabled || !act(slug, user_id, "accept_invite"))
      return;
    later(settings_.ready_after, [this, slug, user_id] {
      if (settings_.enabled)
        act(slug, user_id, "ready");
    });
  });
}

void demo_players::started(const std::string& slug) {
  race* r = world_.find_race(slug);
  if (!settings_.enabled || r == nullptr)
    return;
  for (const auto& e : r->entrants) {
    if (!is_running(e) || players_.count({slug, e.user_id}) == 0)
      continue;
    auto span = static_cast<std::uint64_t>(
        (settings_.finish_max - settings_.finish_min).count());
    auto at = settings_.finish_min +
              std::chrono::milliseconds{
                  static_cast<std::int64_t>(rng_() % (span + 1))};
    bool forfeit = chance(rng_) < settings_.forfeit_rate;
    // Drawn only when asked for, so a seed plays as before without undos.
    bool undo = settings_.undo_rate > 0 && chance(rng_) < settings_.undo_rate;
    later(at, [this, slug, user = e.user_id, forfeit, undo] {
      end_run(slug, user, forfeit, undo);
    });
  }
}

void demo_players::end_run(const std::string& slug, const std::string& user_id,
                           bool forfeit, bool undo) {
  if (!settings_.enabled || !act(slug, user_id, forfeit ? "forfeit" : "done") ||
      !undo) {
    players_.erase({slug, user_id});
    return;
  }
  later(settings_.undo_after, [this, slug, user_id, forfeit] {
    if (!settings_.enabled ||
        !act(slug, user_id, forfeit ? "unforfeit" : "undone")) {
      players_.erase({slug, user_id});
      return;
    }
    later(settings_.undo_after, [this, slug, user_id, forfeit] {
      end_run(slug, user_id, forfeit, false);
    });
  });
}

} // namespace racecontrol::sim
