#include "tools/racetime-sim/sim_faults.hpp"

#include "protocol/json.hpp"

namespace racecontrol::sim {

namespace {

/// The status in "status_NNN_no_create" / "serve_then_NNN", if it is a
/// 5xx.
std::optional<unsigned> status_in(const std::string& text) {
  if (text.size() != 3 || text[0] != '5' ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return static_cast<unsigned>(std::stoi(text));
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

bool fault::matches(const std::string& path) const {
  return path.rfind(path_prefix, 0) == 0 && ends_with(path, path_suffix);
}

std::optional<fault> fault_for_mode(const std::string& mode,
                                    std::chrono::milliseconds delay) {
  fault f;
  f.mode = mode;
  const std::string status_prefix = "status_", no_create = "_no_create",
                    serve_then = "serve_then_";
  if (mode == "serve_then_drop") {
    f.serve_first = true;
    f.drop_connection = true;
  } else if (mode == "serve_late") {
    f.serve_first = true;
    f.delay = delay;
  } else if (mode == "arrive_late") {
    f.delay = delay;
  } else if (mode.rfind(status_prefix, 0) == 0 && ends_with(mode, no_create)) {
    auto s = status_in(
        mode.substr(status_prefix.size(),
                    mode.size() - status_prefix.size() - no_create.size()));
    if (!s)
      return std::nullopt;
    f.status = *s;
  } else if (mode.rfind(serve_then, 0) == 0) {
    auto s = status_in(mode.substr(serve_then.size()));
    if (!s)
      return std::nullopt;
    f.serve_first = true;
    f.status = *s;
  } else {
    return std::nullopt;
  }
  return f;
}

std::vector<std::string> default_fault_modes() {
  return {"status_503_no_create", "serve_then_503", "serve_then_drop",
          "serve_late"};
}

std::optional<std::string> fault_book::set_random(fault_mix_settings s) {
  if (s.modes.empty())
    s.modes = default_fault_modes();
  for (const auto& m : s.modes)
    if (!fault_for_mode(m, s.delay))
      return "unknown mode \"" + m +
             "\" (known: status_5xx_no_create, serve_then_5xx, "
             "serve_then_drop, serve_late, arrive_late)";
  random_ = std::move(s);
  rng_.seed(random_.seed);
  matched_ = 0;
  faulted_ = 0;
  by_mode_.clear();
  for (const auto& m : random_.modes)
    by_mode_[m] = 0;
  random_on_ = true;
  return std::nullopt;
}

std::optional<fault> fault_book::take(const std::string& path) {
  if (auto listed = take_listed(path))
    return listed;
  return draw(path);
}

std::optional<fault> fault_book::take_listed(const std::string& path) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->matches(path))
      continue;
    if (++it->seen % it->every != 0)
      continue;
    fault f = *it;
    if (--it->count <= 0)
      faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

double fault_book::unit() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

std::optional<fault> fault_book::draw(const std::string& path) {
  if (!random_on_ || path.rfind(random_.path_prefix, 0) != 0 ||
      !ends_with(path, random_.path_suffix))
    return std::nullopt;
  auto n = ++matched_;
  if (unit() >= random_.rate)
    return std::nullopt;
  const auto& mode = random_.modes[rng_() % random_.modes.size()];
  auto f = fault_for_mode(mode, random_.delay);
  f->draw = n;
  ++faulted_;
  ++by_mode_[mode];
  return f;
}

std::string fault_book::random_stats_json() const {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_bool(w, "enabled", random_on_);
    protocol::write_string(w, "path_prefix", random_.path_prefix);
    protocol::write_string(w, "path_suffix", random_.path_suffix);
    w.Key("rate");
    w.Double(random_.rate);
    w.Key("seed");
    w.Uint64(random_.seed);
    w.Key("modes");
    w.StartArray();
    for (const auto& m : random_.modes)
      w.String(m.c_str());
    w.EndArray();
    protocol::write_int(w, "delay_ms", random_.delay.count());
    w.Key("matched");
    w.Uint64(matched_);
    w.Key("faulted");
    w.Uint64(faulted_);
    w.Key("by_mode");
    w.StartObject();
    for (const auto& [mode, count] : by_mode_) {
      w.Key(mode.c_str());
      w.Uint64(count);
    }
    w.EndObject();
    w.EndObject();
  });
}

} // namespace racecontrol::sim
