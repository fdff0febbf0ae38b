#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace racecontrol::config {

enum class log_format {
  /// "2026-11-22T19:03:00.123Z info [racecontrold] message", or with the
  /// node: "... info [racecontrold coord-a] message"
  text,
  json, ///< one JSON object per line, for log shippers (with "node")
  /// "<6>message" ("<6>[coord-a] message" with the node): standard error
  /// read by journald, which keeps its own
  /// timestamps and takes the sd-daemon(3) "<N>" prefix as the priority.
  journal,
};

struct log_options {
  spdlog::level::level_enum level = spdlog::level::info;
  log_format format = log_format::text;
  std::string file; ///< empty: standard error
  /// Lines waiting for the writer thread; a full queue makes loggers wait.
  std::size_t queue_size = 8192;
  /// How long the writer thread gathers lines below warning before it
  /// writes them; warnings and errors are written at once.
  std::chrono::milliseconds batch_delay{50};
  /// The node's name (daemon.node_name), on every line so that the logs of
  /// several nodes can be read together; empty: left out.
  std::string node{};
};

/// Parses "trace", "debug", "info", "warn", "error", "critical", "off".
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view);

/// Installs the process-wide default logger named `program`: asynchronous
/// (one writer thread, a bounded queue, lines written in batches), written
/// at once on warnings and errors and within `batch_delay` otherwise. Every
/// line goes through the secret scrubber (config/secret.hpp) on the writer
/// thread. Throws config_error when the log file cannot be opened.
void setup_logging(const log_options& options, const std::string& program);

/// True when `fd` is the stream journald reads: systemd sets
/// JOURNAL_STREAM to "DEVICE:INODE" of the stdout/stderr it connected to the
/// journal, and a descriptor with the same device and inode is it (one
/// redirected elsewhere, or an inherited variable, is not).
bool is_journal_stream(int fd, const char* journal_stream);

/// journal when `format` is text, the log goes to standard error and that
/// is the journal; otherwise `format` unchanged (json stays json: a
/// shipper reading the journal may want it).
log_format format_for_stderr(log_format format, const std::string& file,
                             const char* journal_stream);

/// The syslog priority sd-daemon(3) prefixes take for `level` ("<3>" for
/// errors).
int syslog_priority(spdlog::level::level_enum level);

/// Writes out every line logged so far and stops logging (joins the writer
/// thread); call before the process exits. setup_logging may follow.
void shutdown_logging();

/// Escapes text for a JSON string value (without the quotes).
std::string json_escape(std::string_view text);

} // namespace racecontrol::config
