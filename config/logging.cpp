#include "config/logging.hpp"

#include "config/batching_log_sink.hpp"
#include "config/buffered_fd_sink.hpp"
#include "config/ini_document.hpp"
#include "config/secret.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace racecontrol::config {

namespace {

std::string iso_time(spdlog::log_clock::time_point tp) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

/// `text` with "<N>" before each of its lines: journald splits a record at
/// newlines and would log the continuation lines at the default priority.
std::string journal_lines(int priority, const std::string& text) {
  auto prefix = "<" + std::to_string(priority) + ">";
  std::string out = prefix;
  for (char c : text) {
    out.push_back(c);
    if (c == '\n')
      out += prefix;
  }
  out.push_back('\n');
  return out;
}

/// Formats a record as text, JSON or journal lines, then removes secrets
/// from the result.
class scrubbing_formatter : public spdlog::formatter {
 public:
  scrubbing_formatter(log_format format, std::string node)
      : format_(format), node_(std::move(node)) {}

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string_view name(msg.logger_name.data(), msg.logger_name.size());
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line;
    if (format_ == log_format::journal) {
      line = journal_lines(syslog_priority(msg.level),
                           (node_.empty() ? "" : "[" + node_ + "] ") +
                               scrub_secrets(payload));
    } else if (format_ == log_format::json) {
      line = "{\"ts\":\"" + iso_time(msg.time) + "\",\"level\":\"" +
             std::string(level.data(), level.size()) + "\",\"logger\":\"" +
             json_escape(name) + "\"" +
             (node_.empty() ? "" : ",\"node\":\"" + json_escape(node_) + "\"") +
             ",\"msg\":\"" + json_escape(scrub_secrets(payload)) + "\"}\n";
    } else {
      line = iso_time(msg.time) + " " +
             std::string(level.data(), level.size()) + " [" +
             std::string{name} + (node_.empty() ? "" : " " + node_) + "] " +
             scrub_secrets(payload) + "\n";
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<scrubbing_formatter>(format_, node_);
  }

 private:
  log_format format_;
  std::string node_;
};

} // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view s) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum>
      levels[] = {{"trace", spdlog::level::trace},
                  {"debug", spdlog::level::debug},
                  {"info", spdlog::level::info},
                  {"warn", spdlog::level::warn},
                  {"error", spdlog::level::err},
                  {"critical", spdlog::level::critical},
                  {"off", spdlog::level::off}};
  for (auto& [name, level] : levels)
    if (name == s)
      return level;
  return std::nullopt;
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2; // LOG_CRIT
    case spdlog::level::err:
      return 3; // LOG_ERR
    case spdlog::level::warn:
      return 4; // LOG_WARNING
    case spdlog::level::info:
      return 6; // LOG_INFO
    default:
      return 7; // LOG_DEBUG (trace too)
  }
}

bool is_journal_stream(int fd, const char* journal_stream) {
  if (journal_stream == nullptr)
    return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  char end = 0;
  if (std::sscanf(journal_stream, "%llu:%llu%c", &device, &inode, &end) != 2)
    return false;
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

log_format format_for_stderr(log_format format, const std::string& file,
                             const char* journal_stream) {
  if (format == log_format::text && file.empty() &&
      is_journal_stream(2, journal_stream))
    return log_format::journal;
  return format;
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

void setup_logging(const log_options& options, const std::string& program) {
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<buffered_fd_sink>(STDERR_FILENO);
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);
    } catch (const spdlog::spdlog_ex& e) {
      throw config_error("cannot open log file " + options.file + ": " +
                         e.what());
    }
  }
  sink->set_formatter(
      std::make_unique<scrubbing_formatter>(options.format, options.node));
  // A line is formatted, scrubbed and written on the sink's writer thread,
  // so actor and I/O threads only copy it into a batch.
  spdlog::drop_all();
  auto batching = std::make_shared<batching_log_sink>(
      std::move(sink), options.batch_delay, options.queue_size);
  auto logger = std::make_shared<spdlog::logger>(program, std::move(batching));
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

void shutdown_logging() {
  // Stops the flusher, drops the loggers and joins the writer thread after
  // it has written everything queued before.
  spdlog::shutdown();
}

} // namespace racecontrol::config
