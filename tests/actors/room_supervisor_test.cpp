// The room supervisor with real rooms and a real persistence pool on a
// scratch MariaDB database; only racetime.gg is scripted (a link that
// answers fetches from a table and can throw, as a defect in a room would).
// Checks issue 10's supervision points: a room that throws is restarted and
// finishes its race, one that keeps failing is parked with its reason, and
// the other rooms are unaffected.

#define BOOST_TEST_MODULE actors_room_supervisor
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/persistence_actor.hpp"
#include "actors/room_supervisor.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/sql.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/scratch_database.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

/// racetime.gg as the rooms see it: each race's data, and how many more
/// fetches of a race throw.
struct script {
  std::mutex mtx;
  std::map<std::string, race_snapshot> races;
  std::map<std::string, int> throws;
  std::map<std::string, int> fetches;
  std::vector<std::string> sent; ///< bot actions, every room's
  /// The races whose room closed its link, or ended without closing it.
  std::vector<std::string> closed;
  /// Runs at each fetch (outside the lock), before a scripted throw.
  std::function<void(const std::string&)> on_fetch;

  int sent_containing(const std::string& text) {
    std::lock_guard<std::mutex> g{mtx};
    return static_cast<int>(
        std::count_if(sent.begin(), sent.end(), [&](const std::string& f) {
          return f.find(text) != std::string::npos;
        }));
  }
};

class scripted_link : public room_link {
 public:
  scripted_link(std::shared_ptr<script> s, caf::actor_addr owner)
      : s_(std::move(s)), owner_(caf::actor_cast<caf::weak_actor_ptr>(owner)) {}

  void fetch(const std::string& race) override {
    if (s_->on_fetch)
      s_->on_fetch(race);
    race_snapshot r;
    {
      std::lock_guard<std::mutex> g{s_->mtx};
      ++s_->fetches[race];
      if (s_->throws[race] != 0) {
        if (s_->throws[race] > 0)
          --s_->throws[race];
        // Runs inside the room's handler: the room actor fails.
        throw std::runtime_error("scripted defect in the room of " + race);
      }
      r = s_->races.at(race);
    }
    if (auto room = caf::actor_cast<race_room_actor>(owner_))
      caf::anon_send(room, atom::fetched::value, std::move(r));
  }
  void connect(const std::string& race) override { race_ = race; }
  void send(std::string frame) override {
    std::lock_guard<std::mutex> g{s_->mtx};
    s_->sent.push_back(std::move(frame));
  }
  void close() override {
    std::lock_guard<std::mutex> g{s_->mtx};
    s_->closed.push_back(race_);
    race_.clear();
  }
  ~scripted_link() override {
    if (!race_.empty())
      close();
  }

 private:
  std::shared_ptr<script> s_;
  caf::weak_actor_ptr owner_;
  std::string race_;
};

protocol::entrant_snapshot entrant(const std::string& id,
                                   const std::string& status,
                                   std::optional<std::int32_t> place,
                                   std::optional<std::int64_t> time_us) {
  protocol::entrant_snapshot e;
  e.user_id = id;
  e.user_name = id + "#0001";
  e.status = status;
  e.place = place;
  if (time_us)
    e.finish_time = std::chrono::microseconds{*time_us};
  return e;
}

race_snapshot finished_race(const std::string& name, const std::string& a,
                            const std::string& b) {
  race_snapshot r;
  r.name = name;
  r.version = 30;
  r.status = "finished";
  r.opened_at = 1796140000000000;
  r.started_at = 1796150000000000;
  r.ended_at = 1796153723000000;
  r.entrants = {entrant(a, "done", 1, 3600000000),
                entrant(b, "dnf", std::nullopt, std::nullopt)};
  return r;
}

struct fixture {
  test::scratch_database scratch;
  persistence::migration_set migrations =
      persistence::migration_set::embedded();
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<script> s = std::make_shared<script>();
  persistence_actor db;
  room_supervisor_actor sup;

  fixture() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    execute("INSERT INTO organizations (id, name) VALUES (1, 'League')");
    execute("INSERT INTO racetime_bots (id, category, name, client_id, "
            "client_secret) VALUES (1, 'alttpr', 'TestBot', 'c', 's')");
    execute("INSERT INTO tournaments (id, organization_id, name, "
            "racetime_bot_id) VALUES (1, 1, 'Spring Cup', 1)");
    execute("INSERT INTO users (id, discord_id, display_name, racetime_id, "
            "racetime_name) VALUES (1, 11, 'Alice', 'u1', 'Racer1'), "
            "(2, 22, 'Bob', 'u2', 'Racer2')");
    // Three matches, each with its room: the slugs say what their watcher
    // will meet.
    int id = 1;
    for (std::string slug : {"throws-once", "always-fails", "healthy"}) {
      auto n = std::to_string(id);
      execute("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
              "VALUES (" +
              n + ", 1, 'Match " + n + "', UTC_TIMESTAMP(6))");
      execute("INSERT INTO match_players (match_id, user_id) VALUES (" + n +
              ", 1), (" + n + ", 2)");
      execute("INSERT INTO racetime_rooms (id, slug, category, room_name, "
              "status, match_id, bot_id) VALUES (" +
              n + ", 'alttpr/" + slug + "', 'alttpr', '" + slug +
              "', 'in_progress', " + n + ", 1)");
      s->races["alttpr/" + slug] = finished_race("alttpr/" + slug, "u1", "u2");
      ++id;
    }
    s->throws["alttpr/throws-once"] = 1;
    s->throws["alttpr/always-fails"] = -1; // for ever
    db = sys->spawn(
        persistence_behavior,
        persistence_options{scratch.shared(), &migrations, 2, 10000ms});
  }

  ~fixture() {
    // Not kill: the supervisor stops its rooms (a room still watching
    // would keep the actor system from ending).
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(db, caf::exit_reason::user_shutdown);
  }

  void execute(const std::string& sql) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return persistence::sql_scalar(*conn, sql).value_or("NULL");
  }

  void start(std::chrono::milliseconds refresh = 60s) {
    auto script = s;
    room_link_factory links =
        [script](caf::actor_addr owner, const room_record&,
                 std::shared_ptr<protocol::token_source>) {
          return std::make_unique<scripted_link>(script, std::move(owner));
        };
    room_supervisor_options o;
    o.room.retry = {10ms, 100ms};
    o.restarts = {{20ms, 100ms}, 2, std::chrono::minutes{10}};
    o.room.tick_interval = refresh;
    sup = sys->spawn(room_supervisor, db, bot_supervisor_actor{}, links, o);
  }

  template <class Predicate>
  bool wait_until(Predicate p, std::chrono::milliseconds limit = 20s) {
    return test::eventually(p, limit, 50ms);
  }

  /// A fourth match, of Alice and `other`, whose race is open (with
  /// `entrants`): its room keeps watching, unlike the fixture's three.
  void add_open_room(int other,
                     std::vector<protocol::entrant_snapshot> entrants) {
    execute("INSERT INTO matches (id, tournament_id, title, scheduled_at) "
            "VALUES (4, 1, 'Match 4', UTC_TIMESTAMP(6))");
    execute("INSERT INTO match_players (match_id, user_id) VALUES (4, 1), "
            "(4, " +
            std::to_string(other) + ")");
    execute("INSERT INTO racetime_rooms (id, slug, category, room_name, "
            "status, match_id, bot_id) VALUES (4, 'alttpr/waiting', "
            "'alttpr', 'waiting', 'open', 4, 1)");
    race_snapshot open;
    open.name = "alttpr/waiting";
    open.version = 3;
    open.status = "open";
    open.entrants = std::move(entrants);
    s->races["alttpr/waiting"] = open;
  }

  bool watching(std::int32_t room_id) {
    auto rooms = status();
    return std::any_of(rooms.begin(), rooms.end(), [&](const auto& r) {
      return r.room_id == room_id && r.watcher == "watching";
    });
  }

  std::vector<room_watch_info> status() {
    caf::scoped_actor self{*sys};
    std::vector<room_watch_info> out;
    self->request(sup, 10s, atom::status::value)
        .receive(
            [&](std::vector<room_watch_info>& v) {
              out = std::move(v);
            },
            [&](caf::error& err) {
              BOOST_FAIL(describe(err));
            });
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(room_supervision, fixture)

BOOST_AUTO_TEST_CASE(
    a_throwing_room_restarts_a_failing_one_parks_others_go_on) {
  start();
  auto room_status = [&](int id) {
    return scalar("SELECT status FROM racetime_rooms WHERE id = " +
                  std::to_string(id));
  };
  // The healthy room and the one that threw once both record their result.
  BOOST_REQUIRE(wait_until([&] {
    return room_status(1) == "finished" && room_status(3) == "finished";
  }));
  for (int match : {1, 3}) {
    auto where =
        " FROM match_players WHERE match_id = " + std::to_string(match) +
        " AND user_id = ";
    BOOST_TEST(scalar("SELECT entrant_status" + where + "1") == "done");
    BOOST_TEST(scalar("SELECT finish_place" + where + "1") == "1");
    BOOST_TEST(scalar("SELECT entrant_status" + where + "2") == "dnf");
    BOOST_TEST(scalar("SELECT COUNT(*) FROM matches WHERE id = " +
                      std::to_string(match) + " AND finished_at IS NOT NULL") ==
               "1");
  }
  {
    std::lock_guard<std::mutex> g{s->mtx};
    // Thrown once, then fetched again by its restarted watcher.
    BOOST_TEST(s->fetches["alttpr/throws-once"] == 2);
    BOOST_TEST(s->fetches["alttpr/healthy"] == 1);
  }
  // The room that keeps failing: one start and two restarts, then parked,
  // with the reason where operators look.
  BOOST_REQUIRE(wait_until([&] {
    return scalar("SELECT parked_at IS NOT NULL FROM racetime_rooms WHERE "
                  "id = 2") == "1";
  }));
  auto message =
      scalar("SELECT status_message FROM racetime_rooms WHERE id = 2");
  BOOST_TEST(message.find("failed too often") != std::string::npos, message);
  BOOST_TEST(message.find("scripted defect in the room of "
                          "alttpr/always-fails") != std::string::npos,
             message);
  BOOST_TEST(room_status(2) == "in_progress"); // its race is not decided
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'racetime_room.parked' AND entity_id = 2") == "1");
  {
    std::lock_guard<std::mutex> g{s->mtx};
    BOOST_TEST(s->fetches["alttpr/always-fails"] == 3);
  }
  // The finished rooms' watchers are gone; the parked one is listed as such.
  auto rooms = status();
  BOOST_REQUIRE_EQUAL(rooms.size(), 1u);
  BOOST_TEST(rooms[0].room_id == 2);
  BOOST_TEST(rooms[0].watcher == "parked");
  BOOST_TEST(rooms[0].last_error.find("scripted defect") != std::string::npos);
  // Each result was written once.
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'race_finished'") == "2");
}

BOOST_AUTO_TEST_CASE(a_parked_room_is_watched_again_when_asked) {
  start();
  BOOST_REQUIRE(wait_until([&] {
    return scalar("SELECT parked_at IS NOT NULL FROM racetime_rooms WHERE "
                  "id = 2") == "1";
  }));
  {
    std::lock_guard<std::mutex> g{s->mtx};
    s->throws["alttpr/always-fails"] = 0; // fixed
  }
  caf::scoped_actor self{*sys};
  room_record r;
  r.id = 2;
  r.slug = "alttpr/always-fails";
  r.category = "alttpr";
  r.room_name = "always-fails";
  r.status = "in_progress";
  r.match_id = 2;
  r.bot_id = 1;
  self->request(sup, 10s, atom::watch::value, r)
      .receive([](atom::ok) {},
               [&](caf::error& err) {
                 BOOST_FAIL(describe(err));
               });
  BOOST_REQUIRE(wait_until([&] {
    return scalar("SELECT status FROM racetime_rooms WHERE id = 2") ==
           "finished";
  }));
  BOOST_TEST(scalar("SELECT parked_at IS NULL FROM racetime_rooms WHERE id "
                    "= 2") == "1");
}

BOOST_AUTO_TEST_CASE(a_room_placed_elsewhere_while_it_fails_is_not_parked) {
  // Another node gets the failing room (its row's placement moves on) while
  // its watcher here fails: the park is refused as fenced, and this node
  // forgets the room instead of retrying the write every 10 s for ever.
  s->on_fetch = [this](const std::string& race) {
    if (race == "alttpr/always-fails")
      execute("UPDATE racetime_rooms SET owner_node = 'node-b', owner_epoch "
              "= owner_epoch + 1 WHERE id = 2");
  };
  start();
  BOOST_REQUIRE(wait_until([&] {
    std::lock_guard<std::mutex> g{s->mtx};
    return s->fetches["alttpr/always-fails"] == 3;
  }));
  BOOST_TEST(wait_until([&] {
    auto rooms = status();
    return std::none_of(rooms.begin(), rooms.end(), [](const auto& r) {
      return r.room_id == 2;
    });
  }));
  BOOST_TEST(scalar("SELECT parked_at IS NULL FROM racetime_rooms WHERE id "
                    "= 2") == "1");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'racetime_room.parked'") == "0");
}

BOOST_AUTO_TEST_CASE(a_player_who_links_is_invited_to_the_open_room) {
  // A fourth match whose race is open; Carol has not linked her account.
  execute("INSERT INTO users (id, discord_id, display_name) VALUES "
          "(3, 33, 'Carol')");
  add_open_room(3, {entrant("u1", "invited", std::nullopt, std::nullopt)});
  start(200ms);
  BOOST_REQUIRE(wait_until([&] {
    return watching(4);
  }));
  std::this_thread::sleep_for(1s); // several passes
  BOOST_TEST(s->sent_containing("\"u3\"") == 0);
  execute("UPDATE users SET racetime_id = 'u3', racetime_name = 'Racer3' "
          "WHERE id = 3");
  BOOST_REQUIRE(wait_until(
      [&] {
        return s->sent_containing("\"u3\"") > 0;
      },
      5s));
  std::this_thread::sleep_for(1s);
  BOOST_TEST(s->sent_containing("\"u3\"") == 1); // once, not every pass
  BOOST_TEST(s->sent_containing("\"u1\"") == 0); // already an entrant
}

BOOST_AUTO_TEST_CASE(a_killed_supervisor_takes_its_rooms_with_it) {
  add_open_room(2, {});
  start();
  BOOST_REQUIRE(wait_until([&] {
    return watching(4);
  }));
  auto closed = [&] {
    std::lock_guard<std::mutex> g{s->mtx};
    return std::count(s->closed.begin(), s->closed.end(), "waiting");
  };
  BOOST_REQUIRE_EQUAL(closed(), 0);
  // A kill skips the supervisor's orderly stop, as a defect would: the
  // room, which its restarted successor would watch again, must not stay
  // behind watching the same race (it ends as unreferenced, or asked to
  // stop if something still holds it).
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  BOOST_TEST(wait_until(
      [&] {
        return closed() == 1;
      },
      5s));
}

BOOST_AUTO_TEST_SUITE_END()
