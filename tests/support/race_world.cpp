#include "tests/support/race_world.hpp"

#include "persistence/database.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/sql.hpp"
#include "protocol/json.hpp"

#include <boost/test/unit_test.hpp>
#include <odb/exception.hxx>

#include <signal.h>

#include <thread>

namespace racecontrol::test {

namespace {

protocol::race_settings room_settings(bool invitational) {
  protocol::race_settings s;
  s.goal = "Beat the game";
  s.invitational = invitational;
  s.info_user = "Spring Cup - Final";
  s.streaming_required = false;
  s.auto_start = true;
  return s;
}

} // namespace

namespace {
sim_harness_options sim_options(const race_world_options& w) {
  sim_harness_options o;
  o.time_scale = w.time_scale;
  o.bot_category_ttl = w.bot_category_ttl;
  o.low_entrants_limit = w.low_entrants_limit;
  return o;
}
} // namespace

race_world::race_world(race_world_options options)
    : options_(options), sim_(sim_options(options)) {
  sim_.seed_defaults();
  if (!options_.link_redirect_uri.empty())
    sim_.world().oauth().add_application(
        {"link-client",
         "link-secret",
         "racecontrol links",
         sim::application::grant::authorization_code,
         "",
         true,
         {options_.link_redirect_uri}});
  sim_.start();
  if (options_.discord) {
    discord_harness_options d;
    d.channels = {discord_channel};
    discord_ = std::make_unique<discord_harness>(d);
  }
  if (options_.premade_room) {
    auto token = sim_.bot_token("bot-client", "bot-secret");
    auto created =
        sim_harness::await<protocol::racetime_result<protocol::created_race>>(
            [&](auto done) {
              sim_.api().start_race(
                  "alttpr", room_settings(options_.invitational),
                  {"Beat the game", "Any% NMG"}, token, std::move(done));
            });
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(created),
                          (created ? "" : created.error().message));
    race_name_ = created->name;
  }
  if (options_.private_server) {
    server_ = std::make_unique<private_mariadb>();
    url_ = server_->url();
    persistence::database_options db_options;
    db_options.url = url_;
    db_options.max_connections = 2;
    db_ = persistence::open_database(db_options);
    auto set = persistence::migration_set::embedded();
    persistence::migrator{*db_, set}.up();
  } else {
    scratch_ = std::make_unique<scratch_database>();
    url_ = scratch_->url();
    db_ = scratch_->shared();
  }
  password_ = url_.password.reveal();
  url_.password = {};
  execute("INSERT INTO organizations (id, name) VALUES (1, 'League')");
  execute("INSERT INTO racetime_bots (id, category, name, client_id, "
          "client_secret) VALUES (1, 'alttpr', 'TestBot', 'bot-client', "
          "'bot-secret')");
  execute("INSERT INTO tournaments (id, organization_id, name, "
          "racetime_bot_id) VALUES (1, 1, 'Spring Cup', 1)");
  if (discord_)
    execute(std::string{"UPDATE tournaments SET "
                        "discord_notification_channel_id = "} +
            discord_channel + " WHERE id = 1");
  execute("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
          "VALUES (10, 1, 'Final', UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)");
  // Alice and Bob are linked to racetime.gg users u1 and u2; Carol (u3 on
  // racetime.gg) is not linked yet; u4 is a stranger.
  execute("INSERT INTO users (id, discord_id, display_name, racetime_id, "
          "racetime_name) VALUES (1, 11, 'Alice', 'u1', 'Racer1'), (2, 22, "
          "'Bob', 'u2', 'Racer2'), (3, 33, 'Carol', NULL, NULL)");
  execute("INSERT INTO match_players (match_id, user_id) VALUES (10, 1), "
          "(10, 2), (10, 3)");
  if (!options_.premade_room)
    return;
  auto slash = race_name_.find('/');
  execute("INSERT INTO racetime_rooms (id, slug, category, room_name, "
          "status, match_id, bot_id) VALUES (5, '" +
          race_name_ + "', 'alttpr', '" + race_name_.substr(slash + 1) +
          "', '" + (options_.invitational ? "invitational" : "open") +
          "', 10, 1)");
}

race_world::~race_world() {
  if (daemon_)
    kill_daemon();
}

void race_world::start_daemon(std::vector<std::string> extra) {
  std::vector<std::string> args{"--database.url=" + url_.to_string(),
                                "--racetime.url=" + sim_.base().origin(),
                                "--log.level=debug",
                                "--rooms.refresh_interval=1s",
                                "--rooms.undo_window=2s",
                                "--database.health_interval=1s"};
  std::map<std::string, std::string> env{
      {"RACECONTROL_DATABASE_PASSWORD", password_}};
  if (discord_) {
    auto api = discord_->api_base();
    args.push_back("--discord.api_url=" + api.origin() + api.target);
    env["RACECONTROL_DISCORD_BOT_TOKEN"] = discord_->token().reveal();
  }
  args.insert(args.end(), extra.begin(), extra.end());
  daemon_ = std::make_unique<daemon_process>(args, env);
  BOOST_REQUIRE_MESSAGE(
      daemon_->wait_for_output("ready: node", std::chrono::seconds{30}),
      daemon_->output());
}

void race_world::kill_daemon() {
  daemon_->signal(SIGKILL);
  daemon_->exited(std::chrono::milliseconds{5000});
}

int race_world::stop_daemon() {
  daemon_->signal(SIGTERM);
  BOOST_REQUIRE_MESSAGE(daemon_->exited(std::chrono::milliseconds{6000}),
                        "racecontrold did not stop within 6 s of SIGTERM");
  return daemon_->exit_code;
}

namespace {

/// Runs `f` on a connection of `db`; once more on a fresh pool when the
/// first attempt fails on a private server, whose restart leaves the pool
/// with dead connections.
template <class F>
auto with_connection(std::shared_ptr<odb::mysql::database>& db,
                     const config::database_url& url,
                     const std::string& password, bool reopen, F&& f) {
  try {
    auto conn = db->connection();
    return f(*conn);
  } catch (const odb::exception&) {
    if (!reopen)
      throw;
  }
  persistence::database_options o;
  o.url = url;
  o.url.password = config::secret{password};
  o.max_connections = 2;
  db = persistence::open_database(o);
  auto conn = db->connection();
  return f(*conn);
}

} // namespace

std::string race_world::scalar(const std::string& sql) {
  return with_connection(
      db_, url_, password_, server_ != nullptr, [&](odb::mysql::connection& c) {
        return persistence::sql_scalar(c, sql).value_or("NULL");
      });
}

void race_world::execute(const std::string& sql) {
  with_connection(db_, url_, password_, server_ != nullptr,
                  [&](odb::mysql::connection& c) {
                    persistence::sql_execute(c, sql);
                    return 0;
                  });
}

bool race_world::has_entrant(const protocol::race_data& r,
                             const std::string& id,
                             protocol::entrant_status status) {
  for (const auto& e : r.entrants)
    if (e.user.id == id && e.status == status)
      return true;
  return false;
}

void race_world::run_race() {
  using namespace std::chrono_literals;
  for (auto u : {"u1", "u2", "u3"})
    user(u, "ready");
  BOOST_REQUIRE(wait_until(
      [&] {
        return race().status == protocol::race_status::in_progress;
      },
      30s));
  std::this_thread::sleep_for(200ms); // past the (scaled) first 5 seconds
  user("u1", "done");
  std::this_thread::sleep_for(50ms);
  user("u3", "done");
  user("u2", "forfeit");
  BOOST_REQUIRE(wait_until(
      [&] {
        return race().status == protocol::race_status::finished;
      },
      30s));
}

void race_world::check_result(int results) {
  auto r = race();
  for (const auto& e : r.entrants) {
    std::string player = e.user.id == "u1"   ? "1"
                         : e.user.id == "u2" ? "2"
                                             : "3";
    std::string where = " FROM match_players WHERE match_id = 10 AND "
                        "user_id = " +
                        player;
    BOOST_TEST(scalar("SELECT entrant_status" + where) ==
                   std::string{protocol::to_string(e.status)},
               e.user.id);
    BOOST_TEST(scalar("SELECT COALESCE(finish_place, 'NULL')" + where) ==
                   (e.place ? std::to_string(*e.place) : "NULL"),
               e.user.id);
    auto us = scalar("SELECT COALESCE(FLOOR(TIME_TO_SEC(finish_time)) * "
                     "1000000 + MICROSECOND(finish_time), 'NULL')" +
                     where);
    BOOST_TEST(
        us == (e.finish_time ? std::to_string(e.finish_time->count()) : "NULL"),
        e.user.id);
  }
  BOOST_TEST(scalar("SELECT status FROM racetime_rooms WHERE match_id = 10") ==
             "finished");
  BOOST_TEST(count("SELECT COUNT(*) FROM matches WHERE id = 10 AND "
                   "started_at IS NOT NULL AND finished_at IS NOT NULL") == 1);
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE action = "
                   "'race_finished' AND entity_id = (SELECT id FROM "
                   "racetime_rooms WHERE match_id = 10)") == results);
}

std::string race_world::slug() const {
  return race_name_.substr(race_name_.find('/') + 1);
}

void race_world::user(const std::string& user_id, const std::string& action) {
  auto path = "/races/" + slug() + "/users/" + user_id + "/" + action;
  auto r = sim_.control_post(path);
  // The first (scaled) 5 seconds of a race refuse a finish; a loaded
  // machine can get there sooner than the test's own pause assumes.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (r.status != 200 &&
         r.body.find("cannot finish this early") != std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    r = sim_.control_post(path);
  }
  BOOST_REQUIRE_MESSAGE(r.status == 200,
                        "user " << user_id << " " << action << ": " << r.body);
}

void race_world::say(const std::string& user_id, const std::string& text) {
  std::string json = "{\"message\":\"" + text + "\"}";
  auto r = sim_.control_post(
      "/races/" + slug() + "/users/" + user_id + "/message", json);
  BOOST_REQUIRE_MESSAGE(r.status == 200,
                        "chat of " << user_id << ": " << r.body);
}

protocol::race_data race_world::race() {
  auto r = sim_.control_get("/races/" + slug());
  auto doc = protocol::parse_json(r.body);
  protocol::json_object o{doc, ""};
  return protocol::read_race_data(o.object("race"));
}

std::vector<protocol::chat_message> race_world::chat() {
  auto r = sim_.control_get("/races/" + slug());
  auto doc = protocol::parse_json(r.body);
  protocol::json_object o{doc, ""};
  std::vector<protocol::chat_message> out;
  for (const auto& m : o.array("chat").GetArray())
    out.push_back(
        protocol::read_chat_message(protocol::json_object{m, "chat"}));
  return out;
}

std::vector<std::string> race_world::bot_actions() {
  auto r = sim_.control_get("/log?kind=action");
  auto doc = protocol::parse_json(r.body);
  std::vector<std::string> out;
  for (const auto& rec : doc.GetArray()) {
    protocol::json_object o{rec, "log"};
    if (o.string("race") == race_name_ || o.string("race") == slug())
      out.push_back(o.raw("detail"));
  }
  return out;
}

std::string race_world::sim_log() {
  return sim_.control_get("/log").body;
}

int race_world::bot_actions_containing(const std::string& a,
                                       const std::string& b) {
  int n = 0;
  for (const auto& f : bot_actions())
    n += f.find(a) != std::string::npos &&
         (b.empty() || f.find(b) != std::string::npos);
  return n;
}

bool race_world::wait_until(const std::function<bool()>& ready,
                            std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return ready();
}

} // namespace racecontrol::test
