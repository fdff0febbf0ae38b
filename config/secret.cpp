#include "config/secret.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace racecontrol::config {

namespace {

struct registry {
  std::mutex mtx;
  std::vector<std::string> values;
};

registry& instance() {
  static registry r;
  return r;
}

} // namespace

secret::secret(std::string value) : value_(std::move(value)) {
  register_secret(value_);
}

std::ostream& operator<<(std::ostream& out, const secret&) {
  return out << "***";
}

void register_secret(std::string_view value) {
  if (value.size() < 4)
    return;
  auto& r = instance();
  std::lock_guard<std::mutex> guard{r.mtx};
  if (std::find(r.values.begin(), r.values.end(), value) == r.values.end()) {
    r.values.emplace_back(value);
    // Longest first, so a secret containing another is replaced whole.
    std::sort(r.values.begin(), r.values.end(),
              [](const std::string& a, const std::string& b) {
                return a.size() > b.size();
              });
  }
}

std::string scrub_secrets(std::string_view text) {
  std::string out{text};
  auto& r = instance();
  std::lock_guard<std::mutex> guard{r.mtx};
  for (const auto& value : r.values) {
    for (auto pos = out.find(value); pos != std::string::npos;
         pos = out.find(value, pos + 3))
      out.replace(pos, value.size(), "***");
  }
  return out;
}

} // namespace racecontrol::config
