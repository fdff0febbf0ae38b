#include "protocol/metrics_registry.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace racecontrol::protocol {

namespace {

enum class metric_type { counter, gauge, histogram };

struct metric_spec {
  const char* name;
  metric_type type;
  const char* help;
  std::vector<double> buckets; ///< histograms' upper bounds
};

/// Every metric racecontrol exposes; README.md's "Metrics" table says the
/// same for readers.
const std::vector<metric_spec>& catalog() {
  static const std::vector<metric_spec> specs{
      {metric::rooms,
       metric_type::gauge,
       "racetime_rooms rows by racetime.gg status (\"\" while being "
       "created); status=\"parked\" counts rooms parked for an operator",
       {}},
      {metric::websocket_reconnects,
       metric_type::counter,
       "Times a room's bot socket was lost and a reconnect was scheduled",
       {}},
      {metric::race_data_messages,
       metric_type::counter,
       "race.data frames received on room sockets, by whether they decoded",
       {}},
      {metric::startrace_outcomes,
       metric_type::counter,
       "startrace answers by outcome (created, unknown, not_sent, refused "
       "(422), forbidden (403), rate_limited (429)) and rooms found and "
       "adopted by their marker after an unknown outcome (adopted)",
       {}},
      // Rooms open room_open_minutes_before the match: a healthy open takes
      // a second or two, a retried one minutes; beyond 30 min it failed.
      {metric::room_open_latency,
       metric_type::histogram,
       "Seconds from a match's planned room open time to racetime.gg's 201 "
       "(automatic opens)",
       {0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800}},
      {metric::tls_handshakes,
       metric_type::counter,
       "TLS handshakes of racecontrol's connections to racetime.gg and "
       "Discord, by session (resumed: the server took the session cached "
       "from an earlier connection; full: a new one, certificate verified)",
       {}},
      {metric::database_errors,
       metric_type::counter,
       "Failed database requests by kind (connection, constraint, failure)",
       {}},
      {metric::bot_status,
       metric_type::gauge,
       "1 for each bot's current status, 0 for its other statuses",
       {}},
      {metric::task_runs,
       metric_type::counter,
       "Scheduled task runs by task type and outcome (succeeded, failed, "
       "skipped)",
       {}},
      {metric::outbox_depth,
       metric_type::gauge,
       "Discord notifications waiting in the outbox (state pending)",
       {}},
      {metric::scrape_part_ok,
       metric_type::gauge,
       "1 when a part of this scrape answered in time (database, bots, "
       "cluster), 0 when its samples are missing",
       {}},
      {metric::cluster_nodes,
       metric_type::gauge,
       "Worker nodes the coordinator knows, by state (connected, left)",
       {}},
      {metric::cluster_node_rooms,
       metric_type::gauge,
       "Rooms the coordinator has placed on each worker node (0 once it left)",
       {}},
      {metric::start_time,
       metric_type::gauge,
       "Start time of the process since the Unix epoch in seconds",
       {}},
      {metric::resident_memory,
       metric_type::gauge,
       "Resident memory size in bytes",
       {}},
  };
  return specs;
}

const metric_spec* find_spec(const std::string& name) {
  for (const auto& s : catalog())
    if (name == s.name)
      return &s;
  return nullptr;
}

const metric_spec& spec_of(const char* name, metric_type type) {
  const auto* s = find_spec(name);
  if (s == nullptr || s->type != type)
    throw std::logic_error(std::string{"metrics: "} + name +
                           " is not a metric of this type in the catalog");
  return *s;
}

const char* type_name(metric_type t) {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    default:
      return "histogram";
  }
}

/// A value as the format writes it (Go's float formatting accepts these).
std::string number(double v) {
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v))
    return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// HELP text escaped as the format wants (`\\` and `\n`).
std::string escape_help(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

/// Labels text with one more pair appended (histograms' `le`).
std::string with_label(const std::string& labels, const std::string& name,
                       const std::string& value) {
  auto pair = name + "=\"" + value + "\"";
  if (labels.empty())
    return "{" + pair + "}";
  return labels.substr(0, labels.size() - 1) + "," + pair + "}";
}

double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident))
    return 0;
  return static_cast<double>(pages_resident) *
         static_cast<double>(sysconf(_SC_PAGESIZE));
}

} // namespace

std::string render_labels(const metric_labels& labels) {
  if (labels.empty())
    return "";
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1)
      out += ',';
    out += name + "=\"";
    for (char c : value) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '"')
        out += "\\\"";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += '"';
  }
  return out + "}";
}

metrics_registry::metrics_registry() {
  using namespace std::chrono;
  start_time_ =
      duration_cast<duration<double>>(system_clock::now().time_since_epoch())
          .count();
}

void metrics_registry::add(const char* name, const metric_labels& labels,
                           std::uint64_t n) {
  spec_of(name, metric_type::counter);
  std::atomic<std::uint64_t>* cell = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = counters_[{name, render_labels(labels)}];
    if (!slot)
      slot = std::make_unique<std::atomic<std::uint64_t>>(0);
    cell = slot.get();
  }
  cell->fetch_add(n, std::memory_order_relaxed);
}

void metrics_registry::observe(const char* name, const metric_labels& labels,
                               double value) {
  const auto& spec = spec_of(name, metric_type::histogram);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& h = histograms_[{name, render_labels(labels)}];
  h.buckets.resize(spec.buckets.size());
  for (std::size_t i = 0; i < spec.buckets.size(); ++i)
    if (value <= spec.buckets[i]) {
      ++h.buckets[i];
      break;
    }
  ++h.count;
  h.sum += value;
}

std::uint64_t metrics_registry::value(const char* name,
                                      const metric_labels& labels) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = counters_.find({name, render_labels(labels)});
  return it == counters_.end() ? 0 : it->second->load();
}

std::string
metrics_registry::render(const std::vector<gauge_sample>& gauges) const {
  auto process = gauges;
  process.push_back({metric::start_time, {}, start_time_});
  process.push_back({metric::resident_memory, {}, resident_bytes()});
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& spec : catalog()) {
    out << "# HELP " << spec.name << ' ' << escape_help(spec.help) << '\n'
        << "# TYPE " << spec.name << ' ' << type_name(spec.type) << '\n';
    for (const auto& [key, cell] : counters_)
      if (key.first == spec.name)
        out << key.first << key.second << ' ' << cell->load() << '\n';
    for (const auto& [key, h] : histograms_) {
      if (key.first != spec.name)
        continue;
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < spec.buckets.size(); ++i) {
        cumulative += h.buckets[i];
        out << spec.name << "_bucket"
            << with_label(key.second, "le", number(spec.buckets[i])) << ' '
            << cumulative << '\n';
      }
      out << spec.name << "_bucket" << with_label(key.second, "le", "+Inf")
          << ' ' << h.count << '\n'
          << spec.name << "_sum" << key.second << ' ' << number(h.sum) << '\n'
          << spec.name << "_count" << key.second << ' ' << h.count << '\n';
    }
    for (const auto& g : process)
      if (g.name == spec.name)
        out << g.name << render_labels(g.labels) << ' ' << number(g.value)
            << '\n';
  }
  return out.str();
}

metrics_registry& metrics() {
  static metrics_registry registry;
  return registry;
}

} // namespace racecontrol::protocol
