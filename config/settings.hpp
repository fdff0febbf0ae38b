#pragma once

#include "config/database_url.hpp"
#include "config/ini_document.hpp"
#include "config/logging.hpp"
#include "config/secret.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace racecontrol::config {

/// Credentials of a racetime.gg category bot given in the configuration
/// (section `[bot.<category>]`).
struct bot_settings {
  std::string category;
  std::string name;
  std::string client_id;
  secret client_secret;
};

/// Where a server listens: an IP address (v4, or v6 without brackets) and
/// a port (0: any free one).
struct listen_address {
  std::string host;
  std::uint16_t port = 0;

  /// "127.0.0.1:8080", "[::1]:8080".
  std::string to_string() const;
};

/// Parses "127.0.0.1:8080" or "[::1]:8080"; nullopt for anything else (a
/// host name, a missing or out-of-range port).
std::optional<listen_address> parse_listen_address(std::string_view text);

/// What a racecontrold process is in a cluster (issue 13).
enum class cluster_role {
  standalone,  ///< one process does everything (the default)
  coordinator, ///< tournaments, scheduler, claims and room placement
  worker,      ///< hosts the rooms a coordinator places on it
};

/// "standalone", "coordinator", "worker".
const char* to_string(cluster_role role);

/// Everything racecontrold reads at start. Defaults are the "embedded
/// defaults": a local MariaDB and the local racetime.gg simulator.
struct settings {
  // [daemon]
  std::string node_name;
  std::size_t worker_threads = 0; ///< 0: its CPUs less io_threads, at least 1
  std::vector<int> cpus;          ///< the affinity; empty: any CPU
  std::chrono::milliseconds shutdown_timeout{4000};

  // [database]
  database_url database;
  std::size_t database_pool_size = 8;
  std::size_t database_workers = 4;
  std::chrono::seconds database_connect_timeout{5};
  std::chrono::seconds database_read_timeout{30};
  std::chrono::seconds database_write_timeout{30};
  std::chrono::milliseconds database_health_interval{10000};
  bool database_production = false;

  // [log]
  log_options log;

  // [racetime]
  std::string racetime_url;
  std::string racetime_ca_file;
  /// Empty: "auto", resolved where the daemon knows its CPUs (one scheduler
  /// thread: none of its own; else one).
  std::optional<std::size_t> io_threads;
  std::chrono::milliseconds racetime_ping_interval{30000};
  std::chrono::milliseconds racetime_post_reuse{2000};
  std::size_t racetime_max_connections = 16;

  // [rooms]
  std::chrono::milliseconds room_refresh_interval{60000};
  std::chrono::milliseconds room_undo_window{660000};
  std::chrono::milliseconds room_racebot_cancel_after{1800000};

  // [bot.<category>]
  std::vector<bot_settings> bots;

  // [scheduler]
  std::chrono::milliseconds scheduler_reload_interval{60000};
  std::chrono::milliseconds scheduler_run_timeout{300000};

  // [automation]
  std::chrono::milliseconds automation_startrace_timeout{10000};
  std::chrono::milliseconds automation_grace_period{1800000};
  std::chrono::milliseconds automation_recheck_interval{30000};
  std::chrono::milliseconds automation_open_step{250};
  std::chrono::milliseconds automation_search_after{90000};
  std::chrono::milliseconds automation_search_interval{15000};

  // [http]
  /// Where the HTTP API listens; nullopt: no HTTP server.
  std::optional<listen_address> http_listen = listen_address{"127.0.0.1", 8080};
  std::size_t http_max_body = 1024 * 1024;
  std::chrono::milliseconds http_read_timeout{10000};
  bool http_trust_forwarded = false;
  /// Peers whose X-Forwarded-For/-Proto are believed (IP addresses).
  std::vector<std::string> http_trusted_proxies;
  /// HTTPS when both are set: PEM files of the certificate and its key.
  std::string http_certificate;
  std::string http_key;

  // [console]
  /// Where the admin console listens (TCP); nullopt: no TCP listener.
  std::optional<listen_address> console_listen;
  /// A unix socket path for the console as well; empty: none.
  std::string console_socket;
  std::chrono::milliseconds console_idle_timeout{std::chrono::minutes{15}};
  std::chrono::milliseconds console_login_timeout{std::chrono::seconds{60}};
  /// From RACECONTROL_CONSOLE_PASSWORD only; empty: only admin API tokens
  /// log in to the console.
  secret console_password;
  // [cluster]
  cluster_role role = cluster_role::standalone;
  /// Where a coordinator takes the workers' connections.
  std::optional<listen_address> cluster_listen;
  /// Where a worker finds its coordinators (the active one and standbys),
  /// as "host:port", tried in turn.
  std::vector<std::string> cluster_coordinators;
  /// This node's certificate and key and the cluster CA (PEM files).
  std::string cluster_certificate, cluster_key, cluster_ca;
  /// A worker renews its lease with the coordinator this often; a worker
  /// whose lease ran out stops its rooms, and the coordinator moves them only
  /// after that.
  std::chrono::milliseconds cluster_heartbeat{1000};
  /// How long a worker's lease with the coordinator holds.
  std::chrono::milliseconds cluster_lease{5000};
  /// A coordinator: how often it claims or renews the coordinator lease in
  /// MariaDB, and how long a claim holds (a standby takes over after it
  /// ran out).
  std::chrono::milliseconds cluster_lease_renew_interval{1000};
  std::chrono::milliseconds cluster_coordinator_lease{5000};
  // [discord]
  std::string discord_api_url;
  std::chrono::milliseconds discord_poll_interval{2000};
  /// From RACECONTROL_DISCORD_BOT_TOKEN only; empty: notifications wait.
  secret discord_bot_token;
  // [link] RaceTime account linking
  /// The racetime.gg OAuth application (authorization code grant); empty:
  /// linking is off.
  std::string link_client_id;
  /// From RACECONTROL_LINK_CLIENT_SECRET (or link.client_secret).
  secret link_client_secret;
  /// Where players' browsers reach racecontrold (its links and the
  /// redirect_uri registered with racetime.gg); empty: http://<http.listen>.
  std::string link_public_url;
};

/// Where settings come from, lowest priority first: built-in defaults, the
/// INI file, environment variables (secrets only), command-line overrides.
struct settings_sources {
  std::optional<std::string> config_file;
  /// ("database.url", "mysql://...") from `--database.url=...`.
  std::vector<std::pair<std::string, std::string>> overrides;
  /// Reads an environment variable; nullptr when unset.
  std::function<const char*(const char*)> getenv;
  /// Whether every configured bot must have its client secret. Tools that
  /// never talk to racetime.gg (racecontrol-migrate) turn this off.
  bool require_bot_secrets = true;
};

/// Builds and validates the settings. Throws config_error with one line
/// that says where the bad value is, what is wrong and what is accepted.
settings load_settings(const settings_sources& sources);

/// Every key with its default and meaning, for `--help`.
std::string describe_settings();

/// Combinations that load but are likely mistakes against racetime.gg, each
/// a sentence an operator can act on (racecontrold logs them at start; the
/// tests' simulator makes some of them deliberate).
std::vector<std::string> settings_warnings(const settings& s);

/// The settings on one line for the startup log; secrets shown as ***.
std::string summarize(const settings& s);

/// racetime.io_threads with "auto" resolved for a process that may use
/// `cpus` CPUs: none of its own when the actors get one scheduler thread
/// anyway (daemon.worker_threads 1, or 0 on at most two CPUs), so that
/// thread runs the network between jobs; else one.
std::size_t io_threads_for(const settings& s, std::size_t cpus);

/// "0-1,4" for {0, 1, 4}: how daemon.cpus reads.
std::string cpu_list(const std::vector<int>& cpus);

/// The environment variable that holds a bot's client secret:
/// RACECONTROL_BOT_<CATEGORY>_CLIENT_SECRET, upper-cased, '-' as '_'.
std::string bot_secret_variable(const std::string& category);

/// The environment variable that holds the database password.
inline constexpr const char* database_password_variable =
    "RACECONTROL_DATABASE_PASSWORD";

/// The environment variable that holds the admin console's password.
inline constexpr const char* link_secret_variable =
    "RACECONTROL_LINK_CLIENT_SECRET";
inline constexpr const char* console_password_variable =
    "RACECONTROL_CONSOLE_PASSWORD";
/// Parses "512", "64KiB", "1MiB" (also k/K/KB, M/MB, G/GiB/GB: all
/// powers of 1024) into bytes.
std::optional<std::size_t> parse_size(std::string_view);

/// Parses "250ms", "5s", "10m", "2h" (a bare number means seconds).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view);

} // namespace racecontrol::config
