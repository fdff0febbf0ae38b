#pragma once

// racecontrol's Prometheus metrics: what this process counts, and the text
// a /metrics scrape answers (exposition format 0.0.4). Plain C++ (no CAF):
// actors, adapters and io threads bump counters and histograms with
// `metrics()` from any thread; the HTTP API renders them together with the
// gauges it gathers on each scrape from other actors (rooms by status, bot
// status, the outbox), which only exist as samples of that scrape.
//
// Every metric is in the catalog of metrics_registry.cpp (name, type, help,
// buckets) and in README.md's "Metrics" table; a name not in the catalog is
// refused loudly (a typo must not create a silent new series).
//
// The registry is per process (per node): a future multi-node deployment
// scrapes each node, and Prometheus sums across them.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::protocol {

/// Label name/value pairs, in the order written.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

/// The names of racecontrol's metrics (see the catalog).
namespace metric {
inline constexpr const char* websocket_reconnects =
    "racecontrol_websocket_reconnects_total";
inline constexpr const char* race_data_messages =
    "racecontrol_race_data_messages_total";
inline constexpr const char* startrace_outcomes =
    "racecontrol_startrace_outcomes_total";
inline constexpr const char* room_open_latency =
    "racecontrol_room_open_latency_seconds";
inline constexpr const char* tls_handshakes =
    "racecontrol_tls_handshakes_total";
inline constexpr const char* database_errors =
    "racecontrol_database_errors_total";
inline constexpr const char* task_runs =
    "racecontrol_scheduled_task_runs_total";
inline constexpr const char* rooms = "racecontrol_rooms";
inline constexpr const char* bot_status = "racecontrol_bot_status";
inline constexpr const char* outbox_depth = "racecontrol_discord_outbox_depth";
inline constexpr const char* scrape_part_ok = "racecontrol_scrape_part_ok";
inline constexpr const char* cluster_nodes = "racecontrol_cluster_nodes";
inline constexpr const char* cluster_node_rooms =
    "racecontrol_cluster_node_rooms";
inline constexpr const char* start_time = "process_start_time_seconds";
inline constexpr const char* resident_memory = "process_resident_memory_bytes";
} // namespace metric

/// One sample of a gauge gathered at scrape time.
struct gauge_sample {
  std::string name; ///< a gauge of the catalog
  metric_labels labels;
  double value = 0;
};

/// Counters and histograms of one process, safe to bump from any thread.
class metrics_registry {
 public:
  metrics_registry();

  /// Adds `n` to the counter `name` with these labels (created at 0 on
  /// first use). Throws std::logic_error for a name that is not a counter
  /// of the catalog.
  void add(const char* name, const metric_labels& labels = {},
           std::uint64_t n = 1);

  /// Records one observation of the histogram `name`, in its unit.
  void observe(const char* name, const metric_labels& labels, double value);

  /// The counter's current value, 0 when never bumped (for tests).
  std::uint64_t value(const char* name, const metric_labels& labels = {}) const;

  /// The exposition text: HELP and TYPE of every catalog metric, the
  /// counters and histograms of this registry, the process basics, and
  /// `gauges` (gathered by the caller; unknown names are skipped).
  std::string render(const std::vector<gauge_sample>& gauges) const;

 private:
  struct histogram {
    std::vector<std::uint64_t> buckets; ///< per upper bound, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  using series_key = std::pair<std::string, std::string>; ///< name, labels

  mutable std::mutex mutex_;
  /// Counters are looked up under the mutex and bumped atomically.
  std::map<series_key, std::unique_ptr<std::atomic<std::uint64_t>>> counters_;
  std::map<series_key, histogram> histograms_;
  double start_time_ = 0; ///< seconds since the epoch
};

/// The process-wide registry.
metrics_registry& metrics();

/// `{a="x",b="y"}` with values escaped as the format wants (`\\`, `\"`,
/// `\n`); "" for no labels.
std::string render_labels(const metric_labels& labels);

} // namespace racecontrol::protocol
