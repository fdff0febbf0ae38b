#pragma once

// Everything a test of the whole daemon needs: racetime-sim in-process on
// free ports (seeded with category alttpr, its bot and users u1..u4), a
// scratch database with a tournament match of three players and the
// match's room (on the shared test server, or on a MariaDB server of the
// test's own that it may stop), optionally the Discord stand-in
// (discord-sim in-process), racecontrold as a real process pointed at
// them, and helpers to act as racetime.gg users and to read what
// racecontrol recorded.

#include "config/database_url.hpp"
#include "protocol/race_data.hpp"
#include "protocol/server_messages.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/discord_harness.hpp"
#include "tests/support/private_mariadb.hpp"
#include "tests/support/scratch_database.hpp"
#include "tests/support/sim_harness.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace racecontrol::test {

struct race_world_options {
  double time_scale = 0.02;
  bool invitational = true;
  /// The database on a private_mariadb server (server()) instead of the
  /// shared test server: for tests that stop MariaDB.
  bool private_server = false;
  /// Opens match 10's room in the simulator and inserts its row before the
  /// daemon starts; without it the room automation is to open it (then
  /// point the world at it with use_race()).
  bool premade_room = true;
  /// How long racetime-sim caches /o/{category}/data (racetime.gg: 60 s;
  /// 0: never).
  std::chrono::milliseconds bot_category_ttl{0};
  /// Starts the Discord stand-in (discord()), gives racecontrold its API
  /// URL and bot token, and has the tournament notify its channel
  /// (discord_channel). Without it racecontrold keeps its default Discord
  /// URL and no tournament has a channel, so it posts nothing.
  bool discord = false;
  /// Registers racecontrol's account-linking OAuth app in racetime-sim
  /// ("link-client", "link-secret") with this redirect URI (racecontrold's
  /// /link/racetime/callback), before the simulator starts.
  std::string link_redirect_uri{};
  /// racetime-sim cancels a race this long after it opened while fewer
  /// than two entrants joined it (racetime.gg's racebot: 30 minutes).
  std::chrono::milliseconds low_entrants_limit{std::chrono::minutes{30}};
};

class race_world {
 public:
  explicit race_world(race_world_options options = {});
  ~race_world();

  // --- the daemon -------------------------------------------------------

  /// Starts racecontrold with the world's database and simulator (and
  /// `extra` arguments); waits for its "ready" line.
  void start_daemon(std::vector<std::string> extra = {});
  daemon_process& daemon() { return *daemon_; }
  /// SIGKILL, as a crash would.
  void kill_daemon();
  /// SIGTERM and wait; returns the exit status.
  int stop_daemon();

  // --- the database -----------------------------------------------------

  /// Connects to the database as the daemon does: same server, same user
  /// (the URL without its password, which travels in the environment).
  const config::database_url& url() const { return url_; }
  /// The private server (race_world_options::private_server only).
  private_mariadb& server() { return *server_; }
  std::string scalar(const std::string& sql);
  void execute(const std::string& sql);
  int count(const std::string& sql) { return std::stoi(scalar(sql)); }

  /// The match, its room and its players (ids in the database).
  static constexpr int match_id = 10;
  static constexpr int room_id = 5;

  /// Everyone (u1..u3, in the room already) ready; the race runs, u1
  /// finishes first, u3 second, u2 quits. Returns once racetime-sim says
  /// the race is finished.
  void run_race();
  /// The database holds exactly what racetime-sim reports for the race:
  /// each player's status, place and time, the room finished, the match
  /// started and finished, one result audit entry.
  /// `results`: how many times a result was recorded (a race reopened by
  /// an undo is recorded again at its next end).
  void check_result(int results = 1);

  // --- racetime.gg ------------------------------------------------------

  sim_harness& sim() { return sim_; }
  const std::string& race_name() const { return race_name_; }
  /// The race the helpers below act on ("category/slug").
  void use_race(const std::string& name) { race_name_ = name; }
  std::string slug() const;
  /// A user's action in the race (join, request_invite, accept_invite,
  /// ready, done, forfeit, ...).
  void user(const std::string& user_id, const std::string& action);
  void say(const std::string& user_id, const std::string& text);
  protocol::race_data race();
  std::vector<protocol::chat_message> chat();
  /// Bot actions the simulator received for the race, as JSON frames.
  std::vector<std::string> bot_actions();
  /// Everything the simulator recorded, as JSON (for failure messages).
  std::string sim_log();
  int bot_actions_containing(const std::string& a, const std::string& b = "");

  /// Polls `ready` every 50 ms up to `limit`.
  static bool wait_until(const std::function<bool()>& ready,
                         std::chrono::seconds limit);
  static bool has_entrant(const protocol::race_data& r, const std::string& id,
                          protocol::entrant_status status);

  // --- Discord ----------------------------------------------------------

  /// The stand-in (race_world_options::discord only).
  discord_harness& discord() { return *discord_; }
  /// The tournament's notification channel in the stand-in.
  static constexpr const char* discord_channel = "100000000000000042";

 private:
  race_world_options options_;
  sim_harness sim_;
  std::unique_ptr<discord_harness> discord_;
  std::unique_ptr<private_mariadb> server_;
  std::unique_ptr<scratch_database> scratch_;
  /// The test's own connections to the world's database.
  std::shared_ptr<odb::mysql::database> db_;
  config::database_url url_;
  std::string password_;
  std::string race_name_;
  std::unique_ptr<daemon_process> daemon_;
};

} // namespace racecontrol::test
