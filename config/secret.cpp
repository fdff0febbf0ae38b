#include "config/secret.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace racecontrol::config {

namespace {

using clock = std::chrono::system_clock;

constexpr std::size_t min_length = 4;

/// Temporary values beyond this many evict the one that expires first: a
/// burst of registrations must not make every log line slower without
/// bound. Permanent values (configuration) are few and never evicted.
constexpr std::size_t max_temporary = 4096;

std::uint32_t prefix_of(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::size_t filter_slot(std::uint32_t prefix) {
  return (prefix * 2654435761u) >> 16; // 16-bit multiplicative hash
}

/// What the scrubber reads: secrets grouped by their first four bytes, and
/// a bit filter over those prefixes so most positions of a line are
/// rejected with one bit test.
struct scrub_index {
  std::array<std::uint64_t, 1024> filter{}; // 65536 bits
  /// Longest first within a group, so a secret containing another is
  /// replaced whole.
  std::unordered_map<std::uint32_t, std::vector<std::string>> by_prefix;
  std::size_t size = 0;

  void add(const std::string& value) {
    auto prefix = prefix_of(value.data());
    auto slot = filter_slot(prefix);
    filter[slot / 64] |= std::uint64_t{1} << (slot % 64);
    by_prefix[prefix].push_back(value);
    ++size;
  }

  bool maybe(std::uint32_t prefix) const {
    auto slot = filter_slot(prefix);
    return (filter[slot / 64] >> (slot % 64)) & 1u;
  }
};

struct registry {
  std::mutex mtx;
  /// value -> when to forget it (time_point::max() for permanent ones).
  std::map<std::string, clock::time_point, std::less<>> values;
  std::shared_ptr<const scrub_index> snapshot =
      std::make_shared<const scrub_index>();
  clock::time_point next_expiry = clock::time_point::max();
  /// next_expiry for readers that must not take the lock.
  std::atomic<clock::rep> next_expiry_ticks{
      clock::time_point::max().time_since_epoch().count()};

  /// Drops expired values and evicts beyond the bound. Caller holds mtx.
  void prune(clock::time_point now) {
    next_expiry = clock::time_point::max();
    std::size_t temporary = 0;
    for (auto it = values.begin(); it != values.end();) {
      if (it->second <= now) {
        it = values.erase(it);
        continue;
      }
      if (it->second != clock::time_point::max())
        ++temporary;
      next_expiry = std::min(next_expiry, it->second);
      ++it;
    }
    next_expiry_ticks.store(next_expiry.time_since_epoch().count(),
                            std::memory_order_relaxed);
    while (temporary > max_temporary) {
      auto victim = std::min_element(values.begin(), values.end(),
                                     [](const auto& a, const auto& b) {
                                       return a.second < b.second;
                                     });
      values.erase(victim);
      --temporary;
    }
  }

  /// Publishes a new snapshot. Caller holds mtx.
  void publish() {
    auto next = std::make_shared<scrub_index>();
    std::vector<const std::string*> sorted;
    sorted.reserve(values.size());
    for (const auto& kv : values)
      sorted.push_back(&kv.first);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
      return a->size() > b->size();
    });
    for (auto* value : sorted)
      next->add(*value);
    std::atomic_store(&snapshot,
                      std::shared_ptr<const scrub_index>(std::move(next)));
  }

  void add(std::string_view value, clock::time_point forget_after) {
    if (value.size() < min_length)
      return;
    std::lock_guard<std::mutex> guard{mtx};
    auto now = clock::now();
    auto it = values.find(value);
    if (it != values.end()) {
      // Known already: the snapshot holds it, so a later time is all that
      // changes (no new snapshot: an API token is registered again on
      // every request). An expiry due earlier prunes, and keeps it then.
      it->second = std::max(it->second, forget_after);
      return;
    }
    values.emplace(std::string{value}, forget_after);
    prune(now);
    publish();
  }

  /// The current snapshot; republished first when a value has expired.
  std::shared_ptr<const scrub_index> current() {
    auto now = clock::now();
    // A stale relaxed read merely delays forgetting by one line.
    if (now.time_since_epoch().count() >=
        next_expiry_ticks.load(std::memory_order_relaxed)) {
      std::lock_guard<std::mutex> guard{mtx};
      if (now >= next_expiry) {
        prune(now);
        publish();
      }
    }
    return std::atomic_load(&snapshot);
  }
};

registry& instance() {
  static registry r;
  return r;
}

} // namespace

secret::secret(std::string value) : value_(std::move(value)) {
  register_secret(value_);
}

secret::secret(std::string value, clock::time_point forget_after)
    : value_(std::move(value)) {
  register_secret(value_, forget_after);
}

std::ostream& operator<<(std::ostream& out, const secret&) {
  return out << "***";
}

void register_secret(std::string_view value) {
  instance().add(value, clock::time_point::max());
}

void register_secret(std::string_view value, clock::time_point forget_after) {
  instance().add(value, forget_after);
}

std::string scrub_secrets(std::string_view text) {
  auto index = instance().current();
  std::string out;
  if (index->size == 0 || text.size() < min_length)
    return std::string{text};
  out.reserve(text.size());
  std::size_t copied = 0;
  for (std::size_t i = 0; i + min_length <= text.size();) {
    auto prefix = prefix_of(text.data() + i);
    const std::string* hit = nullptr;
    if (index->maybe(prefix)) {
      auto group = index->by_prefix.find(prefix);
      if (group != index->by_prefix.end())
        for (const auto& value : group->second)
          if (text.compare(i, value.size(), value) == 0) {
            hit = &value;
            break;
          }
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    out.append(text.data() + copied, i - copied);
    out += "***";
    i += hit->size();
    copied = i;
  }
  out.append(text.data() + copied, text.size() - copied);
  return out;
}

std::size_t registered_secret_count() {
  return instance().current()->size;
}

} // namespace racecontrol::config
