// racecontrold as a real process watching a real (simulated) race from
// open to result: invitations, join requests, chat commands, every status
// change, the places and times as racetime-sim reports them, and the audit
// trail. Then the same race with racecontrold killed and kept down.
// (racetime.gg's faults, revoked credentials, MariaDB gone for a while and
// SIGTERM are in daemon_fault_test.cpp.)

#define BOOST_TEST_MODULE racecontrold_race
#include <boost/test/unit_test.hpp>

#include "tests/support/race_world.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::race_world;

namespace {

bool bot_said(race_world& w, const std::string& text) {
  for (const auto& m : w.chat())
    if (m.is_bot && m.message.find(text) != std::string::npos)
      return true;
  return false;
}

bool has_entrant(const protocol::race_data& r, const std::string& id,
                 protocol::entrant_status status) {
  return race_world::has_entrant(r, id, status);
}

/// Waits until the two linked players are invited.
bool both_invited(race_world& w) {
  return race_world::wait_until(
      [&] {
        auto r = w.race();
        return has_entrant(r, "u1", protocol::entrant_status::invited) &&
               has_entrant(r, "u2", protocol::entrant_status::invited);
      },
      30s);
}

/// The names of the daemon's threads, each followed by a space.
std::string thread_names(race_world& w) {
  std::string names;
  auto tasks = "/proc/" + std::to_string(w.daemon().pid()) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(tasks)) {
    std::ifstream comm(t.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names += name + " ";
  }
  return names;
}

/// Alice, Bob and Carol (linked as u3) joined; racecontrold watches the
/// room and waits 11 minutes after the race's end for an undo.
void three_join_and_watch(race_world& w) {
  w.execute("UPDATE users SET racetime_id = 'u3' WHERE id = 3");
  for (auto u : {"u1", "u2", "u3"})
    w.user(u, "join");
  w.start_daemon({"--rooms.undo_window=11m"});
  BOOST_REQUIRE(w.daemon().wait_for_output("bot socket open", 30s));
}

/// racecontrold killed and started again within the ten minutes racetime.gg
/// allows an undo: the ended room is watched again.
void restart_within_the_undo_window(race_world& w) {
  w.kill_daemon();
  w.start_daemon({"--rooms.undo_window=11m"});
  BOOST_REQUIRE_MESSAGE(w.daemon().wait_for_output("bot socket open", 30s),
                        w.daemon().output());
}

/// Waits until audit_log holds `n` entries of `action`.
bool audited(race_world& w, const std::string& action, int n) {
  return race_world::wait_until(
      [&] {
        return w.count("SELECT COUNT(*) FROM audit_log WHERE action = '" +
                       action + "'") == n;
      },
      30s);
}

} // namespace

BOOST_AUTO_TEST_SUITE(whole_race)

BOOST_AUTO_TEST_CASE(a_race_is_watched_from_open_to_result) {
  race_world w;
  // A network thread of its own (the default on more than two CPUs; on
  // two, "auto" runs the network on the actors' thread, as the other cases
  // here do on such a machine).
  w.start_daemon({"--racetime.io_threads=1"});
  BOOST_TEST(thread_names(w).find("rc.io") != std::string::npos,
             thread_names(w));
  // The two linked players are invited, once each.
  BOOST_REQUIRE_MESSAGE(both_invited(w), w.daemon().output() << "\nsim log:\n"
                                                             << w.sim_log());
  // The bot is connected and says so in its row (written on its own, so
  // not necessarily before the invitations under load).
  BOOST_TEST(race_world::wait_until(
      [&] {
        return w.scalar("SELECT status FROM racetime_bots WHERE id = 1") ==
               "connected";
      },
      10s));
  w.user("u1", "accept_invite");
  w.user("u2", "accept_invite");
  // Carol (u3) asks to join before she links her account; a stranger too.
  w.user("u3", "request_invite");
  w.user("u4", "request_invite");
  std::this_thread::sleep_for(1500ms);
  BOOST_TEST(has_entrant(w.race(), "u3", protocol::entrant_status::requested));
  // She links: the next pass accepts her request; the stranger's stays.
  w.execute("UPDATE users SET racetime_id = 'u3', racetime_name = 'Racer3' "
            "WHERE id = 3");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return has_entrant(w.race(), "u3", protocol::entrant_status::not_ready);
      },
      30s));
  BOOST_TEST(has_entrant(w.race(), "u4", protocol::entrant_status::requested));
  // The four commands.
  for (auto cmd : {"!help", "!match", "!time", "!players"})
    w.say("u1", cmd);
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return bot_said(w, "Commands: !match") &&
                                     bot_said(w, "Spring Cup - Final: Alice "
                                                 "vs Bob vs Carol") &&
                                     bot_said(w, "Scheduled for") &&
                                     bot_said(w, "Carol: linked (Racer3)");
                            },
                            30s),
                        w.daemon().output());
  w.say("u1", "!frobnicate"); // unknown: ignored
  w.run_race();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 30s),
      w.daemon().output());
  w.check_result();
  // Each invitation went out once.
  BOOST_TEST(w.bot_actions_containing(R"("action":"invite")", "u1") == 1);
  BOOST_TEST(w.bot_actions_containing(R"("action":"invite")", "u2") == 1);
  BOOST_TEST(w.bot_actions_containing(R"("action":"invite")", "u3") == 0);
  BOOST_TEST(w.bot_actions_containing(R"("action":"accept_request")", "u3") ==
             1);
  BOOST_TEST(w.bot_actions_containing("u4") == 0);
  BOOST_TEST(w.bot_actions_containing("frobnicate") == 0);
  // An audit entry per step: two invitations, one acceptance, the status
  // changes (invitational -> pending -> in_progress) and the result.
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'racetime_room.invited'") == 2);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'racetime_room.accepted'") == 1);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'race_started' AND JSON_VALUE(details, "
                     "'$.to') = 'in_progress'") == 1);
  BOOST_TEST(w.stop_daemon() == 0);
  auto out = w.daemon().output();
  BOOST_TEST(out.find("bot-secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_network_on_the_actors_thread) {
  // racetime.io_threads = 0: no network thread; the actors' scheduler
  // thread runs the sockets between jobs. The race runs as with one.
  race_world w;
  w.start_daemon({"--racetime.io_threads=0"});
  auto threads = thread_names(w);
  BOOST_TEST(threads.find("rc.io") == std::string::npos, threads);
  BOOST_REQUIRE_MESSAGE(both_invited(w), w.daemon().output());
  w.user("u1", "accept_invite");
  w.user("u2", "accept_invite");
  w.execute("UPDATE users SET racetime_id = 'u3', racetime_name = 'Racer3' "
            "WHERE id = 3");
  w.user("u3", "request_invite");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return has_entrant(w.race(), "u3", protocol::entrant_status::not_ready);
      },
      30s));
  w.say("u1", "!match");
  BOOST_REQUIRE_MESSAGE(
      race_world::wait_until(
          [&] {
            return bot_said(w, "Spring Cup - Final: Alice vs Bob vs Carol");
          },
          30s),
      w.daemon().output());
  w.run_race();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 30s),
      w.daemon().output());
  w.check_result();
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_CASE(killed_mid_race_and_restarted) {
  race_world w;
  w.start_daemon();
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return has_entrant(w.race(), "u2", protocol::entrant_status::invited);
      },
      30s));
  w.user("u1", "accept_invite");
  w.user("u2", "accept_invite");
  w.execute("UPDATE users SET racetime_id = 'u3' WHERE id = 3");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return has_entrant(w.race(), "u3", protocol::entrant_status::invited);
      },
      30s));
  w.user("u3", "accept_invite");
  w.kill_daemon();
  w.start_daemon();
  w.run_race();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 30s),
      w.daemon().output());
  w.check_result();
  for (auto u : {"u1", "u2", "u3"})
    BOOST_TEST(w.bot_actions_containing(R"("action":"invite")", u) == 1, u);
}

BOOST_AUTO_TEST_CASE(down_while_the_race_finishes) {
  race_world w{{0.02, false}}; // open race: players join by themselves
  for (auto u : {"u1", "u2"})
    w.user(u, "join");
  w.start_daemon();
  BOOST_REQUIRE(w.daemon().wait_for_output("bot socket open", 30s));
  w.kill_daemon();
  w.execute("UPDATE users SET racetime_id = 'u3' WHERE id = 3");
  w.user("u3", "join");
  w.run_race();
  // Started again after the end: the result comes from the race data.
  w.start_daemon();
  BOOST_REQUIRE_MESSAGE(
      w.daemon().wait_for_output("done; no longer watched", 30s),
      w.daemon().output());
  w.check_result();
  BOOST_TEST(w.bot_actions_containing(R"("action":"invite")") == 0);
  // A second start finds nothing left to watch.
  BOOST_TEST(w.stop_daemon() == 0);
  w.start_daemon();
  std::this_thread::sleep_for(1s);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'race_finished'") == 1);
}

BOOST_AUTO_TEST_CASE(a_finish_undone_reopens_the_race_and_its_next_end_counts) {
  race_world w{{0.02, false}};
  three_join_and_watch(w);
  w.run_race();
  BOOST_REQUIRE_MESSAGE(audited(w, "race_finished", 1), w.daemon().output());
  // racecontrold restarts within the ten minutes: the finished room is
  // watched again.
  restart_within_the_undo_window(w);
  // Carol undoes her finish (racetime.gg allows it for ten minutes after
  // the end): the race runs again and the result no longer stands.
  w.user("u3", "undone");
  BOOST_REQUIRE_MESSAGE(
      race_world::wait_until(
          [&] {
            return w.count("SELECT COUNT(*) FROM matches WHERE id = 10 AND "
                           "finished_at IS NULL") == 1;
          },
          30s),
      w.daemon().output());
  BOOST_TEST(w.scalar("SELECT status FROM racetime_rooms WHERE id = 5") ==
             "in_progress");
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'race_reopened'") == 1);
  BOOST_TEST(w.daemon().output().find("no longer watched") ==
             std::string::npos);
  // She finishes again: that end is the result.
  w.user("u3", "done");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return w.race().status == protocol::race_status::finished;
      },
      30s));
  BOOST_REQUIRE_MESSAGE(audited(w, "race_finished", 2), w.daemon().output());
  w.check_result(2);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'race_started'") == 1);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_CASE(a_cancelled_race_unforfeited_after_a_restart_is_heard) {
  race_world w{{0.02, false}};
  three_join_and_watch(w);
  for (auto u : {"u1", "u2", "u3"})
    w.user(u, "ready");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return w.race().status == protocol::race_status::in_progress;
      },
      30s));
  std::this_thread::sleep_for(200ms); // past the (scaled) first 5 seconds
  // Everybody forfeits: racetime.gg cancels the race.
  for (auto u : {"u1", "u2", "u3"})
    w.user(u, "forfeit");
  BOOST_REQUIRE_MESSAGE(audited(w, "race_cancelled", 1), w.daemon().output());
  // racecontrold restarts within the ten minutes: the cancelled room is
  // watched again (its cancel time is on the row).
  restart_within_the_undo_window(w);
  // Alice takes her forfeit back: the race runs again.
  w.user("u1", "unforfeit");
  BOOST_REQUIRE_MESSAGE(
      race_world::wait_until(
          [&] {
            return w.scalar("SELECT status FROM racetime_rooms WHERE id = "
                            "5") == "in_progress";
          },
          30s),
      w.daemon().output());
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'race_reopened'") == 1);
  // She finishes: the race's result is recorded.
  w.user("u1", "done");
  BOOST_REQUIRE(race_world::wait_until(
      [&] {
        return w.race().status == protocol::race_status::finished;
      },
      30s));
  BOOST_REQUIRE_MESSAGE(audited(w, "race_finished", 1), w.daemon().output());
  w.check_result(1);
  BOOST_TEST(w.stop_daemon() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
