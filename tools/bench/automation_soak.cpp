// automation_soak: the room automation under faults (issue 11's soak).
// Seeds tournaments whose matches fall due over a spread of time, each of
// two linked players, and runs racecontrold (the built binary) against
// racetime-sim and discord-sim (the built binaries) while
//   - racecontrold is SIGKILLed and restarted at once, at random moments
//     and right after it logs a claim or a startrace attempt (the worst
//     moments: a claim without a request, a request without an answer);
//   - racetime-sim fails a share of startrace calls in every way (503
//     before creating; created, then 503; created, then the connection
//     dropped; created, answered after the client's timeout) and drops the
//     bot sockets of random live races now and then;
//   - discord-sim answers some posts 5xx, some after recording them (5xx or
//     a dropped connection), and limits each channel's rate;
//   - racetime-sim's demo players accept, ready and finish (a few forfeit),
//     so every race runs to its end.
// Then it clears the faults, waits until every room is open, every race's
// result recorded and the outbox drained, stops racecontrold with SIGTERM
// and counts (soak_tally): rooms per match on the simulator by marker, rows
// holding the simulator's slug, results as the simulator has them,
// notifications delivered exactly once. Exit status 1 when a count is
// wrong.
//
// Time is compressed so the full size takes minutes: the simulator's race
// timings scaled (--time-scale), its bot race list cached 2 s instead of
// 60 s, and racecontrold searching for a room of unknown outcome 5 s after
// the attempt (the real rule, search_after above the cache horizon plus
// the startrace timeout, at this scale).
//
//   automation_soak [--matches 200] [--kills 10] [--fault-rate 0.2]
//                   [--spread-seconds N] [--seed N] [--time-scale 0.05]
//                   [--tournaments 4] [--finish-timeout 300]
//                   [--database URL] [--keep-logs DIR]
//                   [--SECTION.KEY=VALUE ...]   (passed on to racecontrold)
//
// URL defaults to TEST_DATABASE_URL; the soak creates
// <name>_automation_soak_<pid> next to it and drops it at the end. The
// spread defaults to 1.2 s per match.

#include "config/command_line.hpp"
#include "protocol/json.hpp"
#include "tools/bench/bench_world.hpp"
#include "tools/bench/soak_tally.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

using namespace racecontrol;
using namespace racecontrol::bench;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* bot_client = "soak-client";
constexpr const char* bot_secret = "soak-secret";
constexpr std::uint64_t channel_base = 900000000000000100;

struct soak_options {
  std::size_t matches = 200;
  std::size_t kills = 10;
  double fault_rate = 0.2;
  double spread = -1; ///< seconds; -1: 1.2 s per match
  std::uint64_t seed = 1;
  double time_scale = 0.05;
  std::size_t tournaments = 4;
  seconds finish_timeout{300};
  std::optional<std::string> database;
  std::optional<std::string> keep_logs;
  std::vector<std::string> overrides;
};

soak_options parse_options(int argc, char** argv) {
  config::command_line cli;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {},
        {"matches", "kills", "fault-rate", "spread-seconds", "seed",
         "time-scale", "tournaments", "finish-timeout", "database",
         "keep-logs"});
  } catch (const std::exception& e) {
    die(e.what());
  }
  soak_options o;
  o.matches = static_cast<std::size_t>(number_option(cli, "matches", 200, 1));
  o.kills = static_cast<std::size_t>(number_option(cli, "kills", 10, 0));
  o.fault_rate = number_option(cli, "fault-rate", 0.2, 0);
  if (o.fault_rate > 1)
    die("--fault-rate is a share between 0 and 1");
  o.spread = number_option(cli, "spread-seconds", 1.2 * double(o.matches), 0);
  o.seed = static_cast<std::uint64_t>(number_option(cli, "seed", 1, 0));
  o.time_scale = number_option(cli, "time-scale", 0.05, 0.001);
  o.tournaments =
      static_cast<std::size_t>(number_option(cli, "tournaments", 4, 1));
  o.finish_timeout =
      seconds{static_cast<long>(number_option(cli, "finish-timeout", 300, 1))};
  o.database = cli.value("database");
  o.keep_logs = cli.value("keep-logs");
  for (const auto& [key, value] : cli.overrides)
    o.overrides.push_back("--" + key + "=" + value);
  return o;
}

// --- racecontrold, killed and restarted
// -----------------------------------------------------------

/// racecontrold across its lives: each start a log of its own.
class daemon_lives {
 public:
  explicit daemon_lives(daemon_setup setup) : setup_(std::move(setup)) {}

  void start() {
    auto name = "racecontrold-" + std::to_string(logs_.size() + 1);
    daemon_ = start_daemon(setup_, name);
    logs_.push_back(daemon_->log_path());
    log_ = std::make_unique<log_reader>(daemon_->log_path());
    started_ = clock_type::now();
  }

  /// SIGKILL, as a crash would (start() the next life at once).
  void kill() { daemon_->kill_now(); }

  /// A daemon that ended by itself is restarted; true when it had.
  bool restart_if_ended() {
    if (daemon_->running())
      return false;
    std::printf("racecontrold ended by itself; the end of %s:\n%s\n",
                daemon_->log_path().c_str(),
                tail_of(daemon_->log_path()).c_str());
    ++unexpected_exits_;
    start();
    return true;
  }

  /// SIGTERM; true when it stopped within `limit`.
  bool stop(seconds limit) { return daemon_->stop(limit); }

  log_reader& log() { return *log_; }
  double age() const { return since(started_); }
  std::size_t unexpected_exits() const { return unexpected_exits_; }
  const std::vector<std::string>& logs() const { return logs_; }

 private:
  daemon_setup setup_;
  std::unique_ptr<child> daemon_;
  std::unique_ptr<log_reader> log_;
  clock_type::time_point started_;
  std::vector<std::string> logs_;
  std::size_t unexpected_exits_ = 0;
};

// --- kills
// ------------------------------------------------------------------------

enum class kill_kind { random, after_claim, after_startrace };

struct planned_kill {
  double at = 0; ///< seconds since the start
  kill_kind kind = kill_kind::random;
};

/// Kills spread over [from, to): one in each equal slot at a random point
/// of its middle. Kinds take turns (after a claim line, after a startrace
/// line, at random) while claims are still made, before `last_claim`;
/// later kills are at random, as no claim line would come.
std::vector<planned_kill> plan_kills(std::size_t kills, double from, double to,
                                     double last_claim, std::mt19937_64& rng) {
  std::vector<planned_kill> out;
  std::uniform_real_distribution<double> within(0.2, 0.8);
  double slot = kills ? (to - from) / double(kills) : 0;
  constexpr kill_kind turns[] = {kill_kind::after_claim,
                                 kill_kind::after_startrace, kill_kind::random};
  for (std::size_t k = 0; k < kills; ++k) {
    double at = from + slot * (double(k) + within(rng));
    out.push_back({at, at < last_claim ? turns[k % 3] : kill_kind::random});
  }
  return out;
}

bool is_kill_line(kill_kind kind, const std::string& line) {
  if (kind == kill_kind::after_claim)
    return line.find("room opener: match ") != std::string::npos &&
           line.find(": claimed (claim ") != std::string::npos;
  return line.find(": startrace attempt ") != std::string::npos &&
         line.find(" (racecontrol match ") != std::string::npos;
}

struct kill_counts {
  std::size_t random = 0, after_claim = 0, after_startrace = 0;
  std::size_t fell_back = 0; ///< armed, no line came: killed at random
  /// Kills that left claims unsettled (creating), and how many in all.
  std::size_t left_claims = 0, claims_left = 0;
  std::size_t total() const { return random + after_claim + after_startrace; }
};

/// Carries out the plan: a random kill at its time; a kill after a line
/// armed at its time and done as soon as the current daemon logs such a
/// line (or at random when none comes within `wait_for_line`).
class killer {
 public:
  /// `unsettled` counts the claims in `creating` (read right after each
  /// kill, before the next life can settle them).
  killer(std::vector<planned_kill> plan, daemon_lives& daemon,
         std::function<long()> unsettled)
      : plan_(std::move(plan)), daemon_(daemon),
        unsettled_(std::move(unsettled)) {}

  bool done() const { return next_ >= plan_.size(); }
  const kill_counts& counts() const { return counts_; }

  /// Called every few milliseconds with the seconds since the start.
  void tick(double now) {
    bool line = false;
    daemon_.log().each_new_line([&](const std::string& l) {
      line = line || (armed_ && is_kill_line(plan_[next_].kind, l));
      return true;
    });
    if (done() || now < plan_[next_].at)
      return;
    // A new life gets a moment to come up before it is killed again, or
    // kills back to back would only ever hit the start.
    if (daemon_.age() < min_life)
      return;
    const auto& k = plan_[next_];
    if (k.kind == kill_kind::random) {
      kill(counts_.random);
    } else if (line) {
      kill(k.kind == kill_kind::after_claim ? counts_.after_claim
                                            : counts_.after_startrace);
    } else if (!armed_) {
      armed_ = true;
      armed_at_ = now;
    } else if (now - armed_at_ > wait_for_line) {
      ++counts_.fell_back;
      kill(counts_.random);
    }
  }

 private:
  static constexpr double min_life = 2.0;
  static constexpr double wait_for_line = 20.0;

  void kill(std::size_t& counter) {
    daemon_.kill();
    auto claims = static_cast<std::size_t>(unsettled_());
    daemon_.start();
    counts_.left_claims += claims > 0;
    counts_.claims_left += claims;
    ++counter;
    ++next_;
    armed_ = false;
  }

  std::vector<planned_kill> plan_;
  daemon_lives& daemon_;
  std::function<long()> unsettled_;
  std::size_t next_ = 0;
  bool armed_ = false;
  double armed_at_ = 0;
  kill_counts counts_;
};

// --- the world
// --------------------------------------------------------------------

struct soak_world {
  soak_options options;
  std::string dir;
  std::unique_ptr<scratch> db;
  sim_process sim;
  discord_sim_process discord;
  client c;
};

std::string json_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// racetime-sim fails `fault_rate` of startrace calls in the issue's four
/// ways; its demo players play every race (a tenth forfeit; a tenth take
/// their finish or forfeit back and make it again, which reopens the race
/// when it was the last).
void arm_sim(soak_world& w) {
  const auto& o = w.options;
  add_sim_users(w.c, w.sim, 0, 2 * o.matches);
  w.c.control(w.sim.control_port, "/demo-players",
              R"({"enabled": true, "forfeit_rate": 0.1, "undo_rate": 0.1, )"
              R"("seed": )" +
                  std::to_string(o.seed) + "}");
  if (o.fault_rate > 0)
    w.c.control(w.sim.control_port, "/faults/random",
                R"({"path_suffix": "/startrace", "rate": )" +
                    json_number(o.fault_rate) +
                    R"(, "delay_ms": 2500, "seed": )" + std::to_string(o.seed) +
                    R"(, "modes": ["status_503_no_create", "serve_then_503", )"
                    R"("serve_then_drop", "serve_late"]})");
}

/// discord-sim answers about a fifth of the posts with a failure: 500
/// before recording, 502 after recording, a dropped connection after
/// recording.
void arm_discord(soak_world& w) {
  for (auto fault : {R"({"status": 500, "every": 11, "count": 1000000})",
                     R"({"serve_then_status": 502, "every": 13, )"
                     R"("count": 1000000})",
                     R"({"serve_then_status": 500, "drop_connection": true, )"
                     R"("every": 17, "count": 1000000})"})
    w.c.control(w.discord.control_port, "/faults", std::string{fault});
}

void clear_faults(soak_world& w) {
  w.c.control_delete(w.sim.control_port, "/faults/random");
  w.c.control_delete(w.discord.control_port, "/faults");
}

daemon_setup setup_for(soak_world& w) {
  auto setup = daemon_setup_for(*w.db, w.sim, RACECONTROLD_PATH, w.dir);
  // The cache horizon (2 s) plus the startrace timeout (1 s), and 2 s to
  // spare: search_after's rule at this scale.
  setup.overrides = {
      "--automation.recheck_interval=2s", "--automation.startrace_timeout=1s",
      "--automation.search_after=5s", "--automation.search_interval=500ms",
      "--rooms.refresh_interval=2s", "--database.health_interval=1s",
      "--discord.api_url=" + w.discord.api_url(),
      "--discord.poll_interval=500ms",
      // Kills aimed just after a line need it at once.
      "--log.batch_delay=0ms"};
  setup.overrides.insert(setup.overrides.end(), w.options.overrides.begin(),
                         w.options.overrides.end());
  setup.env.push_back("RACECONTROL_DISCORD_BOT_TOKEN=" + w.discord.token);
  return setup;
}

// --- while it runs
// ----------------------------------------------------------------

bool live(const std::string& status) {
  return status == "open" || status == "invitational" || status == "pending" ||
         status == "in_progress";
}

/// Drops every socket of one random live race; true when there was one.
bool drop_random_race(soak_world& w, std::mt19937_64& rng) {
  auto doc = protocol::parse_json(
      w.c.control(w.sim.control_port, "/races").body, 256 * 1024 * 1024);
  std::vector<std::string> slugs;
  for (const auto& r : doc.GetArray())
    if (live(r["status"].GetString()))
      slugs.emplace_back(r["slug"].GetString());
  if (slugs.empty())
    return false;
  auto slug = slugs[std::uniform_int_distribution<std::size_t>(0, slugs.size() -
                                                                      1)(rng)];
  w.c.control(w.sim.control_port, "/races/" + slug + "/drop-sockets", "{}");
  return true;
}

struct progress {
  long created = 0, creating = 0, finished = 0, pending_notes = 0,
       delivered = 0;
};

progress progress_of(soak_world& w) {
  progress p;
  auto row = w.db->rows(
      "SELECT (SELECT COUNT(*) FROM racetime_rooms WHERE claim_state = "
      "'created'), (SELECT COUNT(*) FROM racetime_rooms WHERE claim_state = "
      "'creating'), (SELECT COUNT(*) FROM racetime_rooms WHERE status IN "
      "('finished', 'cancelled')), (SELECT COUNT(*) FROM discord_outbox WHERE "
      "state = "
      "'pending'), (SELECT COUNT(*) FROM discord_outbox WHERE state = "
      "'delivered')");
  const auto& r = row.at(0);
  p.created = std::stol(r[0].value_or("0"));
  p.creating = std::stol(r[1].value_or("0"));
  p.finished = std::stol(r[2].value_or("0"));
  p.pending_notes = std::stol(r[3].value_or("0"));
  p.delivered = std::stol(r[4].value_or("0"));
  return p;
}

void print_progress(soak_world& w, double now, const kill_counts& k,
                    std::size_t drops) {
  auto p = progress_of(w);
  std::printf("[%5.0f s] rooms %ld/%zu opened (%ld claims creating), %ld "
              "results recorded, notifications %ld delivered / %ld pending, "
              "%zu kills, %zu sockets dropped\n",
              now, p.created, w.options.matches, p.creating, p.finished,
              p.delivered, p.pending_notes, k.total(), drops);
  std::fflush(stdout);
}

bool all_done(soak_world& w) {
  auto p = progress_of(w);
  auto n = static_cast<long>(w.options.matches);
  return p.created == n && p.finished == n && p.pending_notes == 0;
}

// --- the closing counts
// -----------------------------------------------------------

/// Lines of every racecontrold log that contain `text`.
std::size_t lines_with(const std::vector<std::string>& logs,
                       const std::string& text) {
  std::size_t n = 0;
  for (const auto& path : logs) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
      n += line.find(text) != std::string::npos;
  }
  return n;
}

void print_faults(soak_world& w) {
  auto stats = protocol::parse_json(
      w.c.control(w.sim.control_port, "/faults/stats").body);
  std::string modes;
  for (const auto& m : stats["by_mode"].GetObject())
    modes += (modes.empty() ? "" : ", ") + std::string{m.name.GetString()} +
             " " + std::to_string(m.value.GetInt64());
  std::printf("startrace faults: %lld of %lld startrace calls (%s)\n",
              static_cast<long long>(stats["faulted"].GetInt64()),
              static_cast<long long>(stats["matched"].GetInt64()),
              modes.c_str());
  auto d =
      protocol::parse_json(w.c.control(w.discord.control_port, "/stats").body);
  std::string statuses;
  for (const auto& s : d["by_status"].GetObject())
    statuses += (statuses.empty() ? "" : ", ") +
                std::string{s.name.GetString()} + ": " +
                std::to_string(s.value.GetInt64());
  std::printf("discord-sim: %lld requests (by status %s; 0 = dropped), "
              "%lld faults served\n",
              static_cast<long long>(d["requests"].GetInt64()),
              statuses.c_str(),
              static_cast<long long>(d["faults_served"].GetInt64()));
}

// --- the phases
// ------------------------------------------------------------------

// The first room opens 8 s after racecontrold starts: time to come up.
constexpr double first_open = 8;

/// Scratch database, simulators with their faults, the seeded matches.
void set_up(soak_world& w) {
  const auto& o = w.options;
  if (o.keep_logs) {
    w.dir = *o.keep_logs;
  } else {
    char tmpl[] = "/tmp/automation-soak-XXXXXX";
    w.dir = mkdtemp(tmpl);
  }
  w.db =
      std::make_unique<scratch>(database_url_of(o.database), "automation_soak");
  w.sim =
      start_sim(RACETIME_SIM_PATH, w.dir, bot_client, bot_secret,
                {"--time-scale", json_number(o.time_scale), "--demo-players",
                 "--bot-data-cache", "2000", "--seed", std::to_string(o.seed)});
  std::vector<std::string> channels;
  for (std::size_t t = 1; t <= o.tournaments; ++t)
    channels.push_back(std::to_string(channel_base + t));
  w.discord = start_discord_sim(
      DISCORD_SIM_PATH, w.dir, "soak-discord-token-" + std::to_string(getpid()),
      channels, {"--bucket-limit", "10", "--bucket-window", "1"});
  arm_sim(w);
  arm_discord(w);
  automation_plan plan;
  plan.matches = o.matches;
  plan.tournaments = o.tournaments;
  plan.first_open_in = first_open;
  plan.spread = o.spread;
  plan.channel_base = channel_base;
  seed_automation(*w.db, plan, bot_client, bot_secret);
  std::printf("automation_soak: %zu matches in %zu tournaments opening over "
              "%.0f s, %zu kills, startrace fault rate %.2f, seed %llu, "
              "time scale %g; database %s, logs in %s\n",
              o.matches, o.tournaments, o.spread, o.kills, o.fault_rate,
              static_cast<unsigned long long>(o.seed), o.time_scale,
              w.db->url().redacted().c_str(), w.dir.c_str());
  std::fflush(stdout);
}

/// What the run did besides racecontrold's own work.
struct run_record {
  clock_type::time_point start = clock_type::now();
  kill_counts kills;
  std::size_t drops = 0;
  double next_report = 10;
  bool finished = false; ///< everything done before the finish timeout
  bool stopped = false;  ///< racecontrold stopped by SIGTERM in time

  void report_now_and_then(soak_world& w) {
    if (since(start) < next_report)
      return;
    print_progress(w, since(start), kills, drops);
    next_report += 10;
  }
};

/// The matches open while racecontrold is killed and sockets dropped,
/// until the last open time has passed and every kill is done.
void run_with_faults(soak_world& w, daemon_lives& daemon, run_record& r) {
  const auto& o = w.options;
  std::mt19937_64 rng{o.seed};
  // Kills until a little past the last open time: the last claims are
  // still searching or retrying then.
  double kills_end = first_open + o.spread + std::max(6.0, o.spread / 10);
  killer kills{plan_kills(o.kills, first_open, kills_end,
                          first_open + o.spread - 1, rng),
               daemon, [&w] {
                 return w.db->number("SELECT COUNT(*) FROM racetime_rooms "
                                     "WHERE claim_state = 'creating'");
               }};
  double next_drop = first_open + 2;
  while (!kills.done() || since(r.start) < first_open + o.spread) {
    double now = since(r.start);
    daemon.restart_if_ended();
    kills.tick(now);
    r.kills = kills.counts();
    if (now >= next_drop) {
      r.drops += drop_random_race(w, rng);
      next_drop = now + 3;
    }
    r.report_now_and_then(w);
    std::this_thread::sleep_for(milliseconds{10});
  }
}

/// Faults cleared, racecontrold given time to open, record and notify
/// everything, then stopped.
void settle(soak_world& w, daemon_lives& daemon, run_record& r) {
  clear_faults(w);
  std::printf("[%5.0f s] faults cleared; waiting for every room, result and "
              "notification\n",
              since(r.start));
  std::fflush(stdout);
  auto settle_start = clock_type::now();
  auto limit = double(w.options.finish_timeout.count());
  while (!(r.finished = all_done(w)) && since(settle_start) < limit) {
    daemon.restart_if_ended();
    r.report_now_and_then(w);
    std::this_thread::sleep_for(milliseconds{500});
  }
  if (!r.finished)
    std::printf("not everything was done %lld s after the faults were "
                "cleared; counting what there is\n",
                static_cast<long long>(w.options.finish_timeout.count()));
  r.stopped = daemon.stop(seconds{30});
}

/// The closing counts; true when every one is as required.
bool report(soak_world& w, const daemon_lives& daemon, const run_record& r) {
  const auto& o = w.options;
  auto tally = tally_soak(
      *w.db, o.matches, w.c.control(w.sim.control_port, "/races").body,
      w.c.control(w.discord.control_port, "/messages").body);
  std::printf("\n--- automation_soak: %.0f s, %zu racecontrold lives ---\n",
              since(r.start), daemon.logs().size());
  tally.print();
  const auto& k = r.kills;
  std::printf("kills: %zu SIGKILLs (%zu at random moments, %zu right after "
              "a claim line, %zu right after a startrace line; %zu armed "
              "for a line that did not come within 20 s and killed at "
              "random); %zu kills left claims unsettled (%zu claims in "
              "all); racecontrold ended by itself %zu times; stopped by "
              "SIGTERM: %s\n",
              k.total(), k.random, k.after_claim, k.after_startrace,
              k.fell_back, k.left_claims, k.claims_left,
              daemon.unexpected_exits(),
              r.stopped ? "yes" : "no (killed after 30 s)");
  print_faults(w);
  std::printf("sockets: dropped the sockets of %zu live races; racecontrold "
              "logged %zu lost bot sockets\n",
              r.drops, lines_with(daemon.logs(), ": bot socket lost"));
  auto duplicates = lines_with(daemon.logs(), "rooms carry the claim's marker");
  std::printf("racecontrold logs: %zu rooms found and adopted, %zu "
              "recovered claims, %zu 'several rooms carry the marker' "
              "errors\n",
              lines_with(daemon.logs(), "found and adopted"),
              lines_with(daemon.logs(), ": recovering claim "), duplicates);
  bool ok = tally.ok() && r.finished && r.stopped &&
            daemon.unexpected_exits() == 0 && k.total() >= o.kills &&
            duplicates == 0;
  std::printf("verdict: %s\n", ok ? "every count as required" : "WRONG");
  return ok;
}

int run(int argc, char** argv) {
  soak_world w;
  w.options = parse_options(argc, argv);
  set_up(w);
  run_record r;
  daemon_lives daemon{setup_for(w)};
  daemon.start();
  run_with_faults(w, daemon, r);
  settle(w, daemon, r);
  bool ok = report(w, daemon, r);
  w.sim.process->stop(seconds{10});
  w.discord.process->stop(seconds{10});
  // A failed run keeps its logs for reading; a passing one leaves nothing
  // in /tmp (ctest runs this soak on every CI run).
  if (ok && !w.options.keep_logs) {
    std::error_code ignored;
    std::filesystem::remove_all(w.dir, ignored);
  }
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  set_program_name("automation_soak");
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // die() exits, which kills the children still running.
    die(e.what());
  }
}
