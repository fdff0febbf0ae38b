#include "config/settings.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <sstream>

namespace racecontrol::config {

namespace {

using namespace std::chrono_literals;

/// One configurable key: its default as text, what it means, and how a
/// value is stored. `apply` throws config_error with the problem only; the
/// loader adds where the value came from.
struct key_spec {
  const char* key;
  const char* default_text;
  const char* help;
  void (*apply)(settings&, const std::string&);
};

[[noreturn]] void reject(const std::string& what) {
  throw config_error(what);
}

/// A whole number from min to max, or nothing.
std::optional<std::size_t> read_count(const std::string& v, std::size_t min,
                                      std::size_t max) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n < min || n > max)
    return std::nullopt;
  return n;
}

std::size_t parse_count(const std::string& v, std::size_t min,
                        std::size_t max) {
  auto n = read_count(v, min, max);
  if (!n)
    reject("must be a whole number from " + std::to_string(min) + " to " +
           std::to_string(max) + ", got '" + v + "'");
  return *n;
}

/// The items of a comma-separated list, spaces around each trimmed; empty
/// items are skipped.
std::vector<std::string> list_items(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream items{v};
  std::string item;
  while (std::getline(items, item, ',')) {
    auto first = item.find_first_not_of(" \t");
    if (first != std::string::npos)
      out.push_back(
          item.substr(first, item.find_last_not_of(" \t") - first + 1));
  }
  return out;
}

/// "0-3, 6": CPU numbers and ranges, commas between; "" is every CPU.
std::vector<int> parse_cpu_list(const std::string& v) {
  std::vector<int> out;
  auto bad = [&] {
    reject("must be CPU numbers or ranges separated by commas, like 0 or "
           "0-1,4, got '" +
           v + "'");
  };
  for (const auto& item : list_items(v)) {
    auto dash = item.find('-');
    int first = 0, last = 0;
    auto number = [&](const std::string& text, int& n) {
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (text.empty() || ec != std::errc{} || p != text.data() + text.size() ||
          n < 0 || n >= 1024)
        bad();
    };
    number(item.substr(0, dash), first);
    last = first;
    if (dash != std::string::npos)
      number(item.substr(dash + 1), last);
    if (last < first)
      bad();
    for (int cpu = first; cpu <= last; ++cpu)
      out.push_back(cpu);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// "127.0.0.1, ::1": IP addresses (no ports, no brackets), commas between.
std::vector<std::string> parse_address_list(const std::string& v) {
  std::vector<std::string> out;
  for (const auto& item : list_items(v)) {
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, item.c_str(), buf) != 1 &&
        inet_pton(AF_INET6, item.c_str(), buf) != 1)
      reject("must be IP addresses separated by commas, like "
             "127.0.0.1,::1; '" +
             item + "' is none");
    out.push_back(item);
  }
  return out;
}

bool parse_bool(const std::string& v) {
  if (v == "true" || v == "yes" || v == "on" || v == "1")
    return true;
  if (v == "false" || v == "no" || v == "off" || v == "0")
    return false;
  reject("must be true or false, got '" + v + "'");
}

std::chrono::milliseconds parse_duration_in(const std::string& v,
                                            std::chrono::milliseconds min,
                                            std::chrono::milliseconds max) {
  auto d = parse_duration(v);
  if (!d)
    reject("must be a duration like 500ms, 5s, 10m or 1h, got '" + v + "'");
  if (*d < min || *d > max)
    reject("must be between " + std::to_string(min.count()) + "ms and " +
           std::to_string(max.count()) + "ms, got '" + v + "'");
  return *d;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
    return "racecontrol";
  return buf;
}

const key_spec keys[] = {
    {"daemon.node_name", "<host name>",
     "Name of this node in logs and in a multi-node cluster.",
     [](settings& s, const std::string& v) {
       if (v.empty())
         reject("must not be empty");
       s.node_name = v;
     }},
    {"daemon.worker_threads", "0",
     "Actor scheduler threads; 0 means one per CPU the daemon may use, less "
     "racetime.io_threads (at least one).",
     [](settings& s, const std::string& v) {
       s.worker_threads = parse_count(v, 0, 256);
     }},
    {"daemon.cpus", "",
     "CPUs the daemon's threads may run on, like 0 or 0-1,4; empty: any. "
     "On one CPU the hand-offs between its threads need no cross-CPU "
     "wake-up (on a virtual machine up to about 20% less CPU per room in "
     "automation_bench, though a burst of TLS rooms measured more), and "
     "worker_threads=0 counts these CPUs.",
     [](settings& s, const std::string& v) {
       s.cpus = parse_cpu_list(v);
     }},
    {"daemon.shutdown_timeout", "4s",
     "How long a clean stop waits for actors before it gives up on them.",
     [](settings& s, const std::string& v) {
       s.shutdown_timeout = parse_duration_in(v, 100ms, 60s);
     }},
    {"database.url", "mysql://racecontrol@127.0.0.1:3306/racecontrol",
     "MariaDB to use: mysql://user[:password]@host:port/db or "
     "mysql://user@localhost/db?socket=/path. Prefer the password in "
     "RACECONTROL_DATABASE_PASSWORD.",
     [](settings& s, const std::string& v) {
       std::string error;
       auto url = parse_database_url(v, error);
       if (!url)
         reject(error);
       // A password given earlier (environment) stays unless the URL has one.
       if (url->password.empty())
         url->password = s.database.password;
       s.database = *url;
     }},
    {"database.pool_size", "8", "Most connections kept open to MariaDB.",
     [](settings& s, const std::string& v) {
       s.database_pool_size = parse_count(v, 1, 256);
     }},
    {"database.workers", "4",
     "Threads that run database calls for the daemon's actors, each with a "
     "connection of its own while it works (at most database.pool_size).",
     [](settings& s, const std::string& v) {
       s.database_workers = parse_count(v, 1, 64);
     }},
    {"database.connect_timeout", "5s",
     "How long to wait for MariaDB to accept a connection.",
     [](settings& s, const std::string& v) {
       s.database_connect_timeout =
           std::chrono::duration_cast<std::chrono::seconds>(
               parse_duration_in(v, 1s, 300s));
     }},
    {"database.read_timeout", "30s",
     "Longest wait for MariaDB to answer a statement; a frozen server then "
     "counts as unreachable instead of stalling the caller forever.",
     [](settings& s, const std::string& v) {
       s.database_read_timeout =
           std::chrono::duration_cast<std::chrono::seconds>(
               parse_duration_in(v, 1s, 3600s));
     }},
    {"database.write_timeout", "30s",
     "Longest wait for MariaDB to take a statement.",
     [](settings& s, const std::string& v) {
       s.database_write_timeout =
           std::chrono::duration_cast<std::chrono::seconds>(
               parse_duration_in(v, 1s, 3600s));
     }},
    {"database.health_interval", "10s",
     "How often the daemon checks that MariaDB answers (its status and "
     "metrics show the result).",
     [](settings& s, const std::string& v) {
       s.database_health_interval = parse_duration_in(v, 100ms, 3600s);
     }},
    {"database.production", "false",
     "Marks a production database: destructive tools (migrate fresh) refuse "
     "to touch it.",
     [](settings& s, const std::string& v) {
       s.database_production = parse_bool(v);
     }},
    {"log.level", "info", "trace, debug, info, warn, error, critical or off.",
     [](settings& s, const std::string& v) {
       auto level = parse_log_level(v);
       if (!level)
         reject(
             "must be one of trace, debug, info, warn, error, critical, off; "
             "got '" +
             v + "'");
       s.log.level = *level;
     }},
    {"log.format", "text",
     "text (one readable line), json (JSON lines) or journal (<N> priority "
     "prefixes, no timestamp; text becomes journal by itself when standard "
     "error is journald's).",
     [](settings& s, const std::string& v) {
       if (v == "text")
         s.log.format = log_format::text;
       else if (v == "json")
         s.log.format = log_format::json;
       else if (v == "journal")
         s.log.format = log_format::journal;
       else
         reject("must be text, json or journal, got '" + v + "'");
     }},
    {"log.file", "", "Log file; empty writes to standard error.",
     [](settings& s, const std::string& v) {
       s.log.file = v;
     }},
    {"log.batch_delay", "50ms",
     "How long lines below warning are gathered before they are written "
     "together (0ms: each line at once, for tools that act on a line as "
     "soon as it appears; warnings are always written at once).",
     [](settings& s, const std::string& v) {
       s.log.batch_delay = parse_duration_in(v, 0ms, 1000ms);
     }},
    {"racetime.url", "http://127.0.0.1:8910",
     "racetime.gg base URL: https://racetime.gg in production; the default is "
     "the local racetime-sim.",
     [](settings& s, const std::string& v) {
       if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
         reject("must start with http:// or https://, got '" + v + "'");
       auto url = v;
       while (!url.empty() && url.back() == '/')
         url.pop_back();
       s.racetime_url = url;
     }},
    {"racetime.io_threads", "auto",
     "Threads for every HTTP and WebSocket connection to racetime.gg (one "
     "handles thousands of rooms; more help only with TLS at scale). 0: none "
     "of its own; the actors' one scheduler thread runs the network whenever "
     "it has no actor to run (needs daemon.worker_threads 0 or 1), so frames "
     "and sends between the two wake no other thread. auto: 0 when the "
     "actors get one scheduler thread (daemon.worker_threads 1, or 0 on at "
     "most two CPUs), else 1.",
     [](settings& s, const std::string& v) {
       if (v == "auto")
         s.io_threads.reset();
       else if (auto n = read_count(v, 0, 64))
         s.io_threads = n;
       else
         reject("must be auto or a whole number from 0 to 64, got '" + v + "'");
     }},
    {"racetime.post_reuse", "2s",
     "A request never sent twice (a startrace, another POST to racetime.gg "
     "or Discord) goes on a kept-alive connection only if that was idle for "
     "less than this and is still open; 0s: always a new connection.",
     [](settings& s, const std::string& v) {
       s.racetime_post_reuse = parse_duration_in(v, 0ms, 10000ms);
     }},
    {"racetime.max_connections", "16",
     "Most HTTP connections open at once to one host (racetime.gg, Discord); "
     "further requests wait their turn (at most half their timeout), so a "
     "burst of "
     "rooms reuses these instead of opening one (over TLS, a handshake) per "
     "room; 0: no limit.",
     [](settings& s, const std::string& v) {
       s.racetime_max_connections = parse_count(v, 0, 1024);
     }},
    {"racetime.ping_interval", "30s",
     "Silence on a room's bot socket after which racecontrol pings; after "
     "twice this the socket counts as lost (half-open) and is reopened. "
     "racetime.gg pings every socket every 20 s, so above that racecontrol "
     "sends no pings of its own while the server is there.",
     [](settings& s, const std::string& v) {
       s.racetime_ping_interval = parse_duration_in(v, 100ms, 600s);
     }},
    {"rooms.refresh_interval", "60s",
     "How often racecontrol looks for watched rooms whose match, players or "
     "users changed (one query for all; those rooms reload, and a player who "
     "linked is invited), and how often a room whose socket is down fetches "
     "its race.",
     [](settings& s, const std::string& v) {
       s.room_refresh_interval = parse_duration_in(v, 100ms, 3600s);
     }},
    {"rooms.undo_window", "11m",
     "How long after a race's end its room is still watched. racetime.gg "
     "lets an entrant undo a finish (or a cancelled race's forfeit) for 10 "
     "minutes, which reopens the race: racecontrol then withdraws what it "
     "recorded (the match is running again, Discord is told) and records "
     "the next end. 0 stops watching once the result is recorded.",
     [](settings& s, const std::string& v) {
       s.room_undo_window = parse_duration_in(v, 0ms, 3600s);
     }},
    {"rooms.racebot_cancel_after", "30m",
     "racetime.gg's racebot cancels a room that fewer than two players "
     "joined this long after it opened (Race.OPEN_TIME_LIMIT_LOWENTRANTS). "
     "A room cancelled so (not started, fewer than two joined, cancelled at "
     "least this long, less a tenth, after it opened) gives its match up: "
     "the match gets a new room, automatically while it is due, or by hand. "
     "A cancel sooner is a person's and keeps the match.",
     [](settings& s, const std::string& v) {
       s.room_racebot_cancel_after = parse_duration_in(v, 1000ms, 86400s);
     }},
    {"racetime.ca_file", "",
     "Extra CA certificates (PEM) trusted for racetime.gg besides the system "
     "store.",
     [](settings& s, const std::string& v) {
       s.racetime_ca_file = v;
     }},
    {"scheduler.reload_interval", "60s",
     "How often the scheduler reads the scheduled_tasks rows again, so that "
     "tasks added, changed or deactivated in the database take effect.",
     [](settings& s, const std::string& v) {
       s.scheduler_reload_interval = parse_duration_in(v, 1s, 3600s);
     }},
    {"scheduler.run_timeout", "5m",
     "A scheduled task's run that has not finished within this time is "
     "recorded as failed (its next run stays as planned).",
     [](settings& s, const std::string& v) {
       s.scheduler_run_timeout = parse_duration_in(v, 1s, 3600s);
     }},
    {"automation.startrace_timeout", "10s",
     "The longest wait for racetime.gg to answer a startrace (opening a "
     "room). Past it the room may or may not exist, and racecontrol looks "
     "for it before opening another.",
     [](settings& s, const std::string& v) {
       s.automation_startrace_timeout = parse_duration_in(v, 1s, 300s);
     }},
    {"automation.grace_period", "30m",
     "A match whose room was not opened by its scheduled time (racecontrold "
     "was down, a check failed) is still opened until this long after it; "
     "later it is reported and left to a person.",
     [](settings& s, const std::string& v) {
       s.automation_grace_period = parse_duration_in(v, 0s, 86400s);
     }},
    {"automation.recheck_interval", "30s",
     "How often each tournament reloads its matches and asks again about "
     "due matches a check blocked (a player linked, a bot came back).",
     [](settings& s, const std::string& v) {
       s.automation_recheck_interval = parse_duration_in(v, 100ms, 3600s);
     }},
    {"automation.open_step", "250ms",
     "Rooms open at the first multiple of this (counted from the epoch) at "
     "or after their open time, so that matches due within it open "
     "together and share the daemon's wake-ups: at most this much later "
     "than their open time, for less CPU per room. 0: each at its own "
     "time.",
     [](settings& s, const std::string& v) {
       s.automation_open_step = parse_duration_in(v, 0s, 2s);
     }},
    {"automation.search_after", "90s",
     "After a startrace whose outcome is unknown, how long racecontrol "
     "looks for the room (racetime.gg lists it up to 60 s late) before it "
     "sends startrace again under the same claim, counted from the attempt "
     "and at least this less the startrace timeout from the first search "
     "(a request that waited for a connection left late). Keep it above "
     "60 s plus the startrace timeout.",
     [](settings& s, const std::string& v) {
       s.automation_search_after = parse_duration_in(v, 1s, 3600s);
     }},
    {"discord.api_url", "http://127.0.0.1:8920/api/v10",
     "Discord's REST API with its version (https://discord.com/api/v10 in "
     "production; the default is the local discord-sim). The bot token "
     "comes from RACECONTROL_DISCORD_BOT_TOKEN.",
     [](settings& s, const std::string& v) {
       s.discord_api_url = v;
     }},
    {"discord.poll_interval", "2s",
     "How often the notification outbox is read for messages to post.",
     [](settings& s, const std::string& v) {
       s.discord_poll_interval = parse_duration_in(v, 100ms, 600s);
     }},
    {"http.listen", "127.0.0.1:8080",
     "Where the HTTP API, /healthz and /readyz listen: ADDRESS:PORT with an "
     "IP address ([::1]:8080 for IPv6; port 0 picks a free one, logged at "
     "start). Empty or off: no HTTP server. Plain HTTP: keep it on loopback "
     "or put a TLS proxy in front.",
     [](settings& s, const std::string& v) {
       if (v.empty() || v == "off") {
         s.http_listen.reset();
         return;
       }
       auto a = parse_listen_address(v);
       if (!a)
         reject("must be an IP address and port like 127.0.0.1:8080 or "
                "[::1]:8080 (or off), got '" +
                v + "'");
       s.http_listen = *a;
     }},
    {"http.max_body", "1MiB",
     "Largest request body taken; a larger one is answered 413 without "
     "being read. Bytes, or with KiB/MiB.",
     [](settings& s, const std::string& v) {
       auto n = parse_size(v);
       if (!n || *n < 1024 || *n > 1024u * 1024 * 1024)
         reject("must be a size from 1KiB to 1GiB like 512KiB or 1MiB, got '" +
                v + "'");
       s.http_max_body = *n;
     }},
    {"http.read_timeout", "10s",
     "The longest a whole HTTP request may take to arrive, and how long an "
     "idle kept-alive connection stays open; slower clients are closed (408 "
     "if they had sent part of a request).",
     [](settings& s, const std::string& v) {
       s.http_read_timeout = parse_duration_in(v, 100ms, 600s);
     }},
    {"http.trust_forwarded", "false",
     "Believe X-Forwarded-For/-Proto from the peer: only behind a proxy "
     "that sets them, never when clients reach racecontrold directly.",
     [](settings& s, const std::string& v) {
       s.http_trust_forwarded = parse_bool(v);
     }},
    {"http.trusted_proxies", "",
     "The proxies in front (IP addresses, comma-separated, e.g. "
     "127.0.0.1,::1) whose X-Forwarded-For/-Proto are believed: the "
     "client's address in logs and audit entries is then the one they "
     "forward. Empty: the peer's address, headers ignored.",
     [](settings& s, const std::string& v) {
       s.http_trusted_proxies = parse_address_list(v);
     }},
    {"http.certificate", "",
     "Serve HTTPS instead of HTTP: the server's certificate, a PEM file "
     "(its chain after it). Needs http.key. Empty: plain HTTP (keep it on "
     "loopback, or put a TLS proxy in front).",
     [](settings& s, const std::string& v) {
       s.http_certificate = v;
     }},
    {"http.key", "",
     "The private key of http.certificate, a PEM file readable only by "
     "racecontrold.",
     [](settings& s, const std::string& v) {
       s.http_key = v;
     }},
    {"link.client_id", "",
     "RaceTime account linking: the client id of racecontrol's OAuth "
     "application on racetime.gg (authorization code grant, scope read); its "
     "secret comes from RACECONTROL_LINK_CLIENT_SECRET. Empty: linking is "
     "off (the link endpoints answer 503).",
     [](settings& s, const std::string& v) {
       s.link_client_id = v;
     }},
    {"link.client_secret", "",
     "The OAuth application's secret; prefer RACECONTROL_LINK_CLIENT_SECRET "
     "in the environment.",
     [](settings& s, const std::string& v) {
       s.link_client_secret = secret{v};
     }},
    {"link.public_url", "",
     "The address players' browsers reach racecontrold at, e.g. "
     "https://racecontrol.example.org (behind the TLS proxy): links are "
     "<public_url>/link/racetime?state=... and the redirect URI to register "
     "with racetime.gg is <public_url>/link/racetime/callback. Empty: "
     "http://<http.listen>.",
     [](settings& s, const std::string& v) {
       if (!v.empty() && v.rfind("http://", 0) != 0 &&
           v.rfind("https://", 0) != 0)
         reject("must start with http:// or https://, got '" + v + "'");
       auto url = v;
       while (!url.empty() && url.back() == '/')
         url.pop_back();
       s.link_public_url = url;
     }},
    {"console.listen", "off",
     "Where the admin console (a line protocol for nc or telnet, behind a "
     "login) listens: ADDRESS:PORT like 127.0.0.1:8081 (port 0 picks a free "
     "one, logged at start), or off. Off by default: an operator turns the "
     "console on knowingly. Keep it on loopback.",
     [](settings& s, const std::string& v) {
       if (v.empty() || v == "off") {
         s.console_listen.reset();
         return;
       }
       auto a = parse_listen_address(v);
       if (!a)
         reject("must be an IP address and port like 127.0.0.1:8081 or "
                "[::1]:8081 (or off), got '" +
                v + "'");
       s.console_listen = *a;
     }},
    {"console.socket", "",
     "A unix socket path for the admin console as well (mode 0600: only "
     "racecontrold's user connects); empty for none.",
     [](settings& s, const std::string& v) {
       s.console_socket = v;
     }},
    {"console.idle_timeout", "15m",
     "A console session with no input for this long is closed.",
     [](settings& s, const std::string& v) {
       s.console_idle_timeout = parse_duration_in(v, 1s, 86400s);
     }},
    {"console.login_timeout", "60s",
     "A console session not logged in this long after it opened is closed "
     "(sessions that never log in cannot hold the listener's places).",
     [](settings& s, const std::string& v) {
       s.console_login_timeout = parse_duration_in(v, 1s, 3600s);
     }},
    {"cluster.role", "standalone",
     "standalone (one process does everything), coordinator (tournaments, "
     "scheduler, claims, room placement) or worker (hosts the rooms a "
     "coordinator places on it).",
     [](settings& s, const std::string& v) {
       if (v == "standalone")
         s.role = cluster_role::standalone;
       else if (v == "coordinator")
         s.role = cluster_role::coordinator;
       else if (v == "worker")
         s.role = cluster_role::worker;
       else
         reject("must be standalone, coordinator or worker, got '" + v + "'");
     }},
    {"cluster.listen", "",
     "A coordinator: where workers connect, ADDRESS:PORT (mutual TLS).",
     [](settings& s, const std::string& v) {
       if (v.empty()) {
         s.cluster_listen.reset();
         return;
       }
       auto a = parse_listen_address(v);
       if (!a)
         reject("must be an IP address and port like 10.0.0.5:4242, got '" + v +
                "'");
       s.cluster_listen = *a;
     }},
    {"cluster.coordinator", "",
     "A worker: the coordinators' HOST:PORT, comma-separated (the active one "
     "and its standbys), tried in turn.",
     [](settings& s, const std::string& v) {
       s.cluster_coordinators.clear();
       std::string item;
       std::istringstream in(v);
       while (std::getline(in, item, ',')) {
         auto colon = item.rfind(':');
         if (colon == std::string::npos || colon == 0 ||
             colon + 1 == item.size())
           reject("must be HOST:PORT entries separated by commas, got '" + v +
                  "'");
         s.cluster_coordinators.push_back(item);
       }
     }},
    {"cluster.certificate", "",
     "This node's certificate (PEM), signed by the cluster CA; "
     "tools/cluster-certs makes test ones.",
     [](settings& s, const std::string& v) {
       s.cluster_certificate = v;
     }},
    {"cluster.key", "",
     "This node's private key (PEM, no passphrase; readable by racecontrold "
     "only).",
     [](settings& s, const std::string& v) {
       s.cluster_key = v;
     }},
    {"cluster.ca", "",
     "The cluster CA's certificate (PEM): only nodes it signed may connect.",
     [](settings& s, const std::string& v) {
       s.cluster_ca = v;
     }},
    {"cluster.heartbeat_interval", "1s",
     "How often a worker renews its lease with the coordinator.",
     [](settings& s, const std::string& v) {
       s.cluster_heartbeat = parse_duration_in(v, 100ms, 60s);
     }},
    {"cluster.lease_renew_interval", "1s",
     "A coordinator: how often it claims the coordinator lease (standby) or "
     "renews it (active).",
     [](settings& s, const std::string& v) {
       s.cluster_lease_renew_interval = parse_duration_in(v, 100ms, 60s);
     }},
    {"cluster.lease", "5s",
     "A worker that could not renew its lease with the coordinator for this "
     "long stops its rooms; the coordinator moves them once it ran out. At "
     "least three heartbeat intervals.",
     [](settings& s, const std::string& v) {
       s.cluster_lease = parse_duration_in(v, 300ms, 600s);
     }},
    {"cluster.coordinator_lease", "5s",
     "A coordinator: how long a claim of the coordinator lease holds by "
     "MariaDB's clock; a standby takes over at most this long after the active "
     "one stopped renewing, and an active one that could not renew for this "
     "long stops. At least three renew intervals.",
     [](settings& s, const std::string& v) {
       s.cluster_coordinator_lease = parse_duration_in(v, 300ms, 600s);
     }},
    {"automation.search_interval", "15s",
     "How often the room of an unknown startrace is looked for meanwhile.",
     [](settings& s, const std::string& v) {
       s.automation_search_interval = parse_duration_in(v, 100ms, 600s);
     }},
};

/// The cluster keys a role needs, all at once, so one line names them.
void check_cluster(const settings& s) {
  if (s.role == cluster_role::standalone)
    return;
  std::string missing;
  auto need = [&](bool present, const char* key) {
    if (!present)
      missing += (missing.empty() ? "" : ", ") + std::string{key};
  };
  need(!s.cluster_certificate.empty(), "cluster.certificate");
  need(!s.cluster_key.empty(), "cluster.key");
  need(!s.cluster_ca.empty(), "cluster.ca");
  if (s.role == cluster_role::coordinator)
    need(s.cluster_listen.has_value(), "cluster.listen");
  else
    need(!s.cluster_coordinators.empty(), "cluster.coordinator");
  if (s.cluster_coordinator_lease < 3 * s.cluster_lease_renew_interval)
    throw config_error(
        "cluster.coordinator_lease (" +
        std::to_string(s.cluster_coordinator_lease.count()) +
        " ms) must be at least three cluster.lease_renew_interval "
        "(" +
        std::to_string(s.cluster_lease_renew_interval.count()) +
        " ms): a renewal may fail now and then");
  if (!missing.empty())
    throw config_error(std::string{"cluster.role = "} + to_string(s.role) +
                       " needs " + missing);
  // A lease of one or two heartbeats would lapse on one late answer.
  if (s.cluster_lease < 3 * s.cluster_heartbeat)
    throw config_error("cluster.lease must be at least 3 times "
                       "cluster.heartbeat_interval");
}

const key_spec* find_key(const std::string& key) {
  for (const auto& spec : keys)
    if (key == spec.key)
      return &spec;
  return nullptr;
}

bool valid_category(const std::string& c) {
  return !c.empty() && std::all_of(c.begin(), c.end(), [](char ch) {
    return std::islower(static_cast<unsigned char>(ch)) ||
           std::isdigit(static_cast<unsigned char>(ch)) || ch == '-';
  });
}

bot_settings& bot_for(settings& s, const std::string& category) {
  for (auto& b : s.bots)
    if (b.category == category)
      return b;
  s.bots.push_back(bot_settings{category, category, {}, {}});
  return s.bots.back();
}

/// Stores `section.key = value`; `where` prefixes error messages.
void apply(settings& s, const std::string& key, const std::string& value,
           const std::string& where) {
  try {
    if (key.rfind("bot.", 0) == 0) {
      auto dot = key.rfind('.');
      auto category = key.substr(4, dot - 4);
      auto field = key.substr(dot + 1);
      if (dot <= 4 || !valid_category(category))
        reject("bot sections are named [bot.<category>] with a racetime.gg "
               "category slug (lower-case letters, digits, '-')");
      auto& bot = bot_for(s, category);
      if (field == "name")
        bot.name = value;
      else if (field == "client_id")
        bot.client_id = value;
      else if (field == "client_secret")
        bot.client_secret = secret{value};
      else
        reject("unknown bot key '" + field +
               "' (known: name, client_id, client_secret)");
      return;
    }
    const key_spec* spec = find_key(key);
    if (spec == nullptr)
      reject("unknown setting; racecontrold --help lists every key");
    spec->apply(s, value);
  } catch (const config_error& e) {
    throw config_error(where + key + ": " + e.what());
  }
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view v) {
  long long n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || n < 0)
    return std::nullopt;
  std::string_view unit(p, static_cast<size_t>(v.data() + v.size() - p));
  if (unit == "ms")
    return std::chrono::milliseconds{n};
  if (unit == "s" || unit.empty())
    return std::chrono::milliseconds{n * 1000};
  if (unit == "m")
    return std::chrono::milliseconds{n * 60'000};
  if (unit == "h")
    return std::chrono::milliseconds{n * 3'600'000};
  return std::nullopt;
}

std::optional<std::size_t> parse_size(std::string_view v) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p == v.data())
    return std::nullopt;
  std::string_view unit(p, static_cast<size_t>(v.data() + v.size() - p));
  std::size_t scale = 0;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "k" || unit == "K" || unit == "KB" || unit == "KiB")
    scale = 1024;
  else if (unit == "M" || unit == "MB" || unit == "MiB")
    scale = 1024 * 1024;
  else if (unit == "G" || unit == "GB" || unit == "GiB")
    scale = 1024 * 1024 * 1024;
  else
    return std::nullopt;
  if (n > std::numeric_limits<std::size_t>::max() / scale)
    return std::nullopt;
  return n * scale;
}

std::string listen_address::to_string() const {
  auto h = host.find(':') == std::string::npos ? host : "[" + host + "]";
  return h + ":" + std::to_string(port);
}

std::optional<listen_address> parse_listen_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size())
    return std::nullopt;
  std::string host{text.substr(0, colon)};
  auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(),
                                 port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() ||
      port > 65535)
    return std::nullopt;
  bool bracketed =
      host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed)
    host = host.substr(1, host.size() - 2);
  unsigned char buf[sizeof(in6_addr)];
  bool v4 = inet_pton(AF_INET, host.c_str(), buf) == 1;
  bool v6 = inet_pton(AF_INET6, host.c_str(), buf) == 1;
  // An IPv6 address needs its brackets (the port would be ambiguous), an
  // IPv4 one must not have them.
  if (!(v4 && !bracketed) && !(v6 && bracketed))
    return std::nullopt;
  return listen_address{host, static_cast<std::uint16_t>(port)};
}

std::string bot_secret_variable(const std::string& category) {
  std::string out = "RACECONTROL_BOT_";
  for (char c : category)
    out.push_back(c == '-' ? '_'
                           : static_cast<char>(
                                 std::toupper(static_cast<unsigned char>(c))));
  return out + "_CLIENT_SECRET";
}

settings load_settings(const settings_sources& sources) {
  settings s;
  s.node_name = host_name();
  for (const auto& spec : keys)
    if (std::string_view{spec.default_text}.find('<') == std::string_view::npos)
      apply(s, spec.key, spec.default_text, "built-in default ");
  auto env = [&](const char* name) -> const char* {
    return sources.getenv ? sources.getenv(name) : nullptr;
  };
  if (const char* pw = env(database_password_variable))
    s.database.password = secret{pw};
  if (sources.config_file) {
    auto doc = ini_document::load(*sources.config_file);
    for (const auto& e : doc.entries) {
      if (e.section.empty())
        throw config_error(doc.source + ":" + std::to_string(e.line) + ": '" +
                           e.key + "' must be inside a [section]");
      apply(s, e.section + "." + e.key, e.value,
            doc.source + ":" + std::to_string(e.line) + ": ");
    }
  }
  for (const auto& [key, value] : sources.overrides)
    apply(s, key, value, "--");
  if (s.database_workers > s.database_pool_size)
    throw config_error("database.workers (" +
                       std::to_string(s.database_workers) +
                       ") must not exceed database.pool_size (" +
                       std::to_string(s.database_pool_size) +
                       "): each worker needs a connection");
  if (s.io_threads == std::size_t{0} && s.worker_threads > 1)
    throw config_error("racetime.io_threads = 0 runs the network on the "
                       "actors' one scheduler thread: set "
                       "daemon.worker_threads to 0 or 1 (it is " +
                       std::to_string(s.worker_threads) + ")");
  check_cluster(s);
  // The environment wins for secrets, so they need not be in the file.
  if (const char* pw = env(database_password_variable))
    s.database.password = secret{pw};
  if (const char* token = env("RACECONTROL_DISCORD_BOT_TOKEN"))
    s.discord_bot_token = secret{token};
  if (const char* pw = env(console_password_variable))
    s.console_password = secret{pw};
  if (const char* v = env(link_secret_variable))
    s.link_client_secret = secret{v};
  if (!s.link_client_id.empty() && s.link_client_secret.empty())
    throw config_error(std::string{"link.client_id is set but the OAuth "
                                   "application has no secret: set "} +
                       link_secret_variable + " in the environment");
  for (auto& bot : s.bots) {
    auto variable = bot_secret_variable(bot.category);
    if (const char* value = env(variable.c_str()))
      bot.client_secret = secret{value};
    if (bot.client_id.empty())
      throw config_error("bot." + bot.category +
                         ": client_id is missing (the OAuth2 client id of "
                         "the bot on racetime.gg)");
    if (bot.client_secret.empty() && sources.require_bot_secrets)
      throw config_error("bot." + bot.category + ": no client secret: set " +
                         variable +
                         " in the environment (or client_secret in the "
                         "file)");
  }
  return s;
}

const char* to_string(cluster_role role) {
  switch (role) {
    case cluster_role::coordinator:
      return "coordinator";
    case cluster_role::worker:
      return "worker";
    default:
      return "standalone";
  }
}

namespace {

std::string duration_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                               : std::to_string(d.count()) + "ms";
}

} // namespace

std::vector<std::string> settings_warnings(const settings& s) {
  std::vector<std::string> out;
  // racetime.gg's /o/{category}/data, where a room whose startrace answer
  // was lost is looked for, is cached up to 60 s and not invalidated.
  auto least = s.automation_startrace_timeout + 60s;
  if (s.automation_search_after < least)
    out.push_back(
        "automation.search_after (" + duration_text(s.automation_search_after) +
        ") is below 60s plus automation.startrace_timeout (" +
        duration_text(s.automation_startrace_timeout) +
        "): racetime.gg lists a new room up to 60 s late, so after a "
        "startrace whose answer was lost racecontrol may open a second room "
        "for the match before it sees the first; set it to at least " +
        duration_text(least));
  return out;
}

std::string describe_settings() {
  std::ostringstream out;
  for (const auto& spec : keys) {
    out << "  --" << spec.key << "=VALUE";
    if (*spec.default_text != '\0')
      out << "   (default: " << spec.default_text << ")";
    out << "\n      " << spec.help << "\n";
  }
  out << "  --bot.<category>.client_id=ID, --bot.<category>.name=NAME\n"
         "      A racetime.gg category bot; its secret comes from "
         "RACECONTROL_BOT_<CATEGORY>_CLIENT_SECRET.\n";
  return out.str();
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
      ++j;
    out += (out.empty() ? "" : ",") + std::to_string(cpus[i]);
    if (j > i)
      out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

// automation_bench on two CPUs, alternating runs: 1,000 rooms over a minute,
// 18 instead of 24 sleeps per room and about a tenth less CPU; a 1,000-room
// burst over TLS, 10 instead of 17 sleeps and a fifth less CPU.
std::size_t io_threads_for(const settings& s, std::size_t cpus) {
  if (s.io_threads)
    return *s.io_threads;
  bool one_worker =
      s.worker_threads == 1 || (s.worker_threads == 0 && cpus <= 2);
  return one_worker ? 0 : 1;
}

std::string summarize(const settings& s) {
  std::ostringstream out;
  out << "node=" << s.node_name << " role=" << to_string(s.role)
      << " database=" << s.database.redacted()
      << " pool=" << s.database_pool_size
      << (s.cpus.empty() ? std::string{} : " cpus=" + cpu_list(s.cpus))
      << (s.database_production ? " production" : "")
      << " log=" << spdlog::level::to_string_view(s.log.level).data() << "/"
      << (s.log.format == log_format::json      ? "json"
          : s.log.format == log_format::journal ? "journal"
                                                : "text")
      << " racetime=" << s.racetime_url << " http="
      << (s.http_listen ? s.http_listen->to_string() : std::string{"off"})
      << " console="
      << (s.console_listen ? s.console_listen->to_string() : std::string{"off"})
      << (s.console_socket.empty() ? "" : "+" + s.console_socket) << " link="
      << (s.link_client_id.empty()
              ? std::string{"off"}
              : s.link_client_id + "@" +
                    (s.link_public_url.empty() ? std::string{"http.listen"}
                                               : s.link_public_url))
      << " bots=[";
  for (size_t i = 0; i < s.bots.size(); ++i) {
    const auto& b = s.bots[i];
    out << (i ? ", " : "") << b.category << " (name=" << b.name
        << " client_id=" << b.client_id << " client_secret=" << b.client_secret
        << ")";
  }
  out << "]";
  return out.str();
}

} // namespace racecontrol::config
