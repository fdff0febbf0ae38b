#include "tests/support/race_world.hpp"

#include "persistence/sql.hpp"
#include "protocol/json.hpp"

#include <boost/test/unit_test.hpp>

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
sim_harness_options sim_options(double time_scale) {
  sim_harness_options o;
  o.time_scale = time_scale;
  return o;
}
} // namespace

race_world::race_world(race_world_options options)
    : options_(options), sim_(sim_options(options.time_scale)) {
  sim_.seed_defaults();
  sim_.start();
  auto token = sim_.bot_token("bot-client", "bot-secret");
  auto created = sim_harness::await<
      protocol::racetime_result<protocol::created_race>>([&](auto done) {
    sim_.api().start_race("alttpr", room_settings(options_.invitational),
                          {"Beat the game", "Any% NMG"}, token,
                          std::move(done));
  });
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(created),
                        (created ? "" : created.error().message));
  race_name_ = created->name;
  url_ = scratch_.url();
  password_ = url_.password.reveal();
  url_.password = {};
  execute("INSERT INTO organizations (id, name) VALUES (1, 'League')");
  execute("INSERT INTO racetime_bots (id, category, name, client_id, "
          "client_secret) VALUES (1, 'alttpr', 'TestBot', 'bot-client', "
          "'bot-secret')");
  execute("INSERT INTO tournaments (id, organization_id, name, "
          "racetime_bot_id) VALUES (1, 1, 'Spring Cup', 1)");
  execute("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
          "VALUES (10, 1, 'Final', UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)");
  // Alice and Bob are linked to racetime.gg users u1 and u2; Carol (u3 on
  // racetime.gg) is not linked yet; u4 is a stranger.
  execute("INSERT INTO users (id, discord_id, display_name, racetime_id, "
          "racetime_name) VALUES (1, 11, 'Alice', 'u1', 'Racer1'), (2, 22, "
          "'Bob', 'u2', 'Racer2'), (3, 33, 'Carol', NULL, NULL)");
  execute("INSERT INTO match_players (match_id, user_id) VALUES (10, 1), "
          "(10, 2), (10, 3)");
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
                                "--database.health_interval=1s"};
  args.insert(args.end(), extra.begin(), extra.end());
  daemon_ = std::make_unique<daemon_process>(
      args, std::map<std::string, std::string>{
                {"RACECONTROL_DATABASE_PASSWORD", password_}});
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

std::string race_world::scalar(const std::string& sql) {
  auto conn = scratch_.db().connection();
  return persistence::sql_scalar(*conn, sql).value_or("NULL");
}

void race_world::execute(const std::string& sql) {
  auto conn = scratch_.db().connection();
  persistence::sql_execute(*conn, sql);
}

std::string race_world::slug() const {
  return race_name_.substr(race_name_.find('/') + 1);
}

void race_world::user(const std::string& user_id, const std::string& action) {
  auto r = sim_.control_post("/races/" + slug() + "/users/" + user_id + "/" +
                             action);
  BOOST_REQUIRE_MESSAGE(r.status == 200, "user " << user_id << " " << action
                                                 << ": " << r.body);
}

void race_world::say(const std::string& user_id, const std::string& text) {
  std::string json = "{\"message\":\"" + text + "\"}";
  auto r = sim_.control_post("/races/" + slug() + "/users/" + user_id +
                                 "/message",
                             json);
  BOOST_REQUIRE_MESSAGE(r.status == 200, "chat of " << user_id << ": "
                                                    << r.body);
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
    out.push_back(protocol::read_chat_message(protocol::json_object{m, "chat"}));
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
