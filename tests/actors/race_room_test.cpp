// The race room actor driven message by message with CAF's test
// coordinator: no sockets, no database. A scripted link records what the
// room asks of racetime.gg, a stand-in persistence actor records what it
// writes (and can refuse), and the test plays racetime.gg by sending the
// frames and fetch results the link would deliver.

#define BOOST_TEST_MODULE actors_race_room
#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/race_room.hpp"
#include "actors/room_clock.hpp"
#include "actors/room_plan.hpp"

#include "tests/support/deterministic_actor_system.hpp"
#include "tests/support/real_frames.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

/// What the room asked of its link and wrote to its database.
struct journal {
  std::vector<std::string> fetches;
  std::vector<std::string> connects;
  std::vector<std::string> sent; ///< bot action frames
  bool closed = false;
  std::vector<room_progress> progress;
  std::vector<room_result> results;
  std::vector<room_closure> closures;
  std::vector<audit_record> audits;
  /// Writes to refuse before accepting again (database down).
  int refuse_writes = 0;
  /// The room was placed again: every write is refused as fenced.
  bool fenced = false;
  room_context ctx;
  int loads = 0;   ///< context requests
  int batches = 0; ///< batched writes (progress and audit entries)

  int sent_containing(const std::string& text) const {
    int n = 0;
    for (const auto& s : sent)
      n += s.find(text) != std::string::npos;
    return n;
  }
};

class scripted_link : public room_link {
 public:
  explicit scripted_link(std::shared_ptr<journal> j) : j_(std::move(j)) {}
  void fetch(const std::string& race) override { j_->fetches.push_back(race); }
  void connect(const std::string& slug) override {
    j_->connects.push_back(slug);
  }
  void send(std::string frame) override {
    j_->sent.push_back(std::move(frame));
  }
  void close() override { j_->closed = true; }

 private:
  std::shared_ptr<journal> j_;
};

caf::error refused_write(const std::shared_ptr<journal>& j) {
  if (j->fenced)
    return make_error(ec::fenced, "room 5 was placed again (test)");
  return make_error(ec::database_unavailable, "MariaDB is down (test)");
}

/// A persistence actor that answers from the journal. Any request the room
/// should not make fails the test.
persistence_actor::behavior_type fake_persistence(std::shared_ptr<journal> j) {
  auto unexpected = [](const char* what) {
    BOOST_ERROR("unexpected persistence request: " << what);
  };
  auto write = [j]() -> bool {
    if (j->fenced)
      return false;
    if (j->refuse_writes > 0) {
      --j->refuse_writes;
      return false;
    }
    return true;
  };
  return {
      [=](atom::tick) {},
      [=](atom::status) -> caf::result<database_status> {
        unexpected("status");
        return database_status{};
      },
      [=](atom::get, atom::bots) -> caf::result<std::vector<bot_record>> {
        unexpected("get bots");
        return std::vector<bot_record>{};
      },
      [=](atom::put, const bot_record&) -> caf::result<std::int32_t> {
        unexpected("put bot");
        return 0;
      },
      [=](atom::put, const bot_state_change&) -> caf::result<atom::ok> {
        unexpected("bot state");
        return atom::ok::value;
      },
      [=](atom::get, atom::rooms,
          bool) -> caf::result<std::vector<room_record>> {
        unexpected("get rooms");
        return std::vector<room_record>{};
      },
      [=](atom::get, atom::room, std::int32_t) -> caf::result<room_context> {
        ++j->loads;
        return j->ctx;
      },
      [=](atom::get, const room_changes&) -> caf::result<room_changes> {
        unexpected("room changes (the supervisor's)");
        return room_changes{};
      },
      [=](atom::put, const room_progress& p) -> caf::result<atom::ok> {
        if (!write())
          return refused_write(j);
        j->progress.push_back(p);
        return atom::ok::value;
      },
      [=](atom::put, const std::vector<std::vector<room_update>>&)
          -> caf::result<std::vector<update_reply>> {
        unexpected("room updates of several rooms");
        return std::vector<update_reply>{};
      },
      [=](atom::put,
          const std::vector<room_update>& u) -> caf::result<atom::ok> {
        if (!write())
          return refused_write(j);
        for (const auto& x : u) {
          if (x.progress)
            j->progress.push_back(*x.progress);
          if (x.audit)
            j->audits.push_back(*x.audit);
        }
        ++j->batches;
        return atom::ok::value;
      },
      [=](atom::put, const room_result& r) -> caf::result<result_outcome> {
        if (!write())
          return refused_write(j);
        j->results.push_back(r);
        return j->results.size() == 1 ? result_outcome::recorded
                                      : result_outcome::already_recorded;
      },
      [=](atom::put, const room_closure& c) -> caf::result<atom::ok> {
        if (!write())
          return refused_write(j);
        j->closures.push_back(c);
        return atom::ok::value;
      },
      [=](atom::put, const room_assignment&) -> caf::result<room_record> {
        return make_error(ec::refused, "rooms are not placed here");
      },
      [=](atom::put, const audit_record& a) -> caf::result<atom::ok> {
        if (!write())
          return refused_write(j);
        j->audits.push_back(a);
        return atom::ok::value;
      },
      [=](atom::get, atom::tasks) -> caf::result<std::vector<task_record>> {
        unexpected("get tasks");
        return std::vector<task_record>{};
      },
      [=](atom::put, const task_schedule&) -> caf::result<bool> {
        unexpected("task schedule");
        return false;
      },
      [=](atom::put, const task_claim&) -> caf::result<claim_outcome> {
        unexpected("task claim");
        return claim_outcome{};
      },
      [=](atom::put, const task_finish&) -> caf::result<bool> {
        unexpected("task finish");
        return false;
      },
      [=](atom::put, const task_invalid&) -> caf::result<atom::ok> {
        unexpected("task invalid");
        return atom::ok::value;
      },
      // A room never opens rooms or posts notifications.
      [=](atom::put, const opening_request&) -> caf::result<opening_result> {
        unexpected("opening request");
        return opening_result{};
      },
      [=](atom::put, const std::vector<opening_request>&)
          -> caf::result<std::vector<opening_reply>> {
        unexpected("opening requests");
        return std::vector<opening_reply>{};
      },
      [=](atom::put, const claim_attempt&) -> caf::result<bool> {
        unexpected("claim attempt");
        return false;
      },
      [=](atom::put, const claim_settled&) -> caf::result<room_context> {
        unexpected("claim settled");
        return room_context{};
      },
      [=](atom::put, const std::vector<claim_settled>&)
          -> caf::result<std::vector<settle_reply>> {
        unexpected("claims settled");
        return std::vector<settle_reply>{};
      },
      [=](atom::put, const claim_refused&) -> caf::result<bool> {
        unexpected("claim refused");
        return false;
      },
      [=](atom::put, const match_reason&) -> caf::result<bool> {
        unexpected("match reason");
        return false;
      },
      [=](atom::get, atom::claims) -> caf::result<std::vector<room_claim_row>> {
        unexpected("get claims");
        return std::vector<room_claim_row>{};
      },
      [=](atom::get,
          const plan_query&) -> caf::result<std::vector<tournament_plan>> {
        unexpected("plans");
        return std::vector<tournament_plan>{};
      },
      [=](atom::get, atom::notify) -> caf::result<std::vector<outbox_item>> {
        unexpected("outbox");
        return std::vector<outbox_item>{};
      },
      [=](atom::put, const outbox_result&) -> caf::result<atom::ok> {
        unexpected("outbox result");
        return atom::ok::value;
      },
      // Nor answers the HTTP API.
      [=](atom::get, const api_credentials&) -> caf::result<api_identity> {
        unexpected("api token");
        return api_identity{};
      },
      [=](atom::get, const tournament_query&)
          -> caf::result<std::vector<tournament_view>> {
        unexpected("api tournaments");
        return std::vector<tournament_view>{};
      },
      [=](atom::get,
          const match_query&) -> caf::result<std::vector<match_view>> {
        unexpected("api matches");
        return std::vector<match_view>{};
      },
      [=](atom::get, const room_query&) -> caf::result<std::vector<room_view>> {
        unexpected("api rooms");
        return std::vector<room_view>{};
      },
      [=](atom::put, const match_write&) -> caf::result<match_view> {
        unexpected("api match write");
        return match_view{};
      },
      [=](atom::get,
          const task_query&) -> caf::result<std::vector<task_record>> {
        unexpected("api task list");
        return std::vector<task_record>{};
      },
      [=](atom::put, const task_write&) -> caf::result<task_record> {
        unexpected("api task write");
        return task_record{};
      },
      [=](atom::get, const bot_query&) -> caf::result<std::vector<bot_view>> {
        unexpected("api bot list");
        return std::vector<bot_view>{};
      },
      [=](atom::put, const bot_write&) -> caf::result<bot_view> {
        unexpected("api bot write");
        return bot_view{};
      },
      [=](atom::get, const overview_query&) -> caf::result<overview_view> {
        unexpected("status page rows");
        return overview_view{};
      },
      [=](atom::get, atom::metrics) -> caf::result<database_gauges> {
        unexpected("metrics gauges");
        return database_gauges{};
      },
      [=](atom::put, const lease_claim&) -> caf::result<lease_state> {
        unexpected("coordinator lease claim");
        return lease_state{};
      },
      [=](atom::put, const lease_release&) -> caf::result<bool> {
        unexpected("coordinator lease release");
        return false;
      },
      [=](atom::put, const link_order&) -> caf::result<link_answer> {
        unexpected("racetime link order");
        return link_answer{};
      },
      [=](atom::put, const link_callback&) -> caf::result<link_answer> {
        unexpected("racetime link callback");
        return link_answer{};
      },
      [=](atom::get,
          const audit_query&) -> caf::result<std::vector<audit_entry>> {
        unexpected("audit listing");
        return std::vector<audit_entry>{};
      },
      [=](atom::get, atom::token) -> caf::result<std::vector<api_token_row>> {
        unexpected("token list");
        return std::vector<api_token_row>{};
      },
      [=](atom::put, const api_token_order&) -> caf::result<api_token_issued> {
        unexpected("token create");
        return api_token_issued{};
      },
      [=](atom::put,
          const api_token_revocation&) -> caf::result<api_token_row> {
        unexpected("token revoke");
        return api_token_row{};
      },
      [=](atom::login, const config::secret&) -> caf::result<api_token_row> {
        unexpected("console login");
        return api_token_row{};
      },
  };
}

protocol::entrant_snapshot entrant(const std::string& id,
                                   const std::string& status,
                                   std::optional<std::int32_t> place = {},
                                   std::optional<std::int64_t> time_us = {}) {
  protocol::entrant_snapshot e;
  e.user_id = id;
  e.user_name = id + "#0001";
  e.status = status;
  e.place = place;
  if (time_us)
    e.finish_time = std::chrono::microseconds{*time_us};
  return e;
}

race_snapshot race(std::uint32_t version, const std::string& status,
                   std::vector<protocol::entrant_snapshot> entrants = {}) {
  race_snapshot r;
  r.name = "alttpr/cool-doge-1234";
  r.version = version;
  r.status = status;
  r.opened_at = 1796140000000000;
  if (status == "in_progress" || status == "finished")
    r.started_at = 1796150000000000;
  if (status == "finished")
    r.ended_at = 1796153723000000;
  if (status == "cancelled")
    r.cancelled_at = 1796153723000000;
  r.entrants = std::move(entrants);
  return r;
}

struct fixture : test::deterministic_actor_system {
  std::shared_ptr<journal> j = std::make_shared<journal>();
  persistence_actor db;
  room_clock_actor clock; ///< exact: the test's time moves in whole steps
  race_room_actor room;
  caf::actor watcher;
  std::vector<std::string> downs;

  fixture() {
    db = sys->spawn(fake_persistence, j);
    clock = sys->spawn(room_clock, caf::timespan{0});
    j->ctx.room = {5,        "alttpr/cool-doge-1234",
                   "alttpr", "cool-doge-1234",
                   "open",   10,
                   1,        false,
                   "",       0};
    persistence::match_summary m;
    m.id = 10;
    m.tournament_id = 1;
    m.organization_id = 1;
    m.tournament_name = "Spring Cup";
    m.title = "Final";
    m.scheduled_at = timestamp{std::chrono::seconds{1796150000}};
    j->ctx.match = m;
    j->ctx.players = {
        {1,
         "Alice",
         std::string{"rt-alice"},
         std::string{"AliceRT"},
         "",
         {},
         {}},
        {2, "Bob", std::string{"rt-bob"}, std::string{"BobRT"}, "", {}, {}},
        {3, "Carol", std::nullopt, std::nullopt, "", {}, {}}};
  }

  ~fixture() {
    if (room)
      caf::anon_send_exit(room, caf::exit_reason::kill);
    caf::anon_send_exit(db, caf::exit_reason::kill);
    caf::anon_send_exit(clock, caf::exit_reason::kill);
    sched->run();
  }

  /// `loaded`: the context the room starts from, as its opener hands it.
  void start(std::optional<room_context> loaded = std::nullopt) {
    auto jj = j;
    room_link_factory links = [jj](caf::actor_addr, const room_record&,
                                   std::shared_ptr<protocol::token_source>) {
      return std::make_unique<scripted_link>(jj);
    };
    race_room_options o;
    o.tick_interval = 60s;
    o.write_delay = 0ms; // the test's clock does not move by itself
    o.retry = {1000ms, 60000ms, 2.0, 0.0, 60000ms};
    room = sys->spawn(race_room, j->ctx.room, std::move(loaded), db, clock,
                      links, nullptr, o);
    sched->run();
  }

  void fetched(race_snapshot r) {
    caf::anon_send(room, atom::fetched::value, std::move(r));
    sched->run();
  }

  /// An open race, its socket open: Alice and Bob invited.
  void open_with_both_invited() {
    start();
    fetched(race(1, "open"));
    caf::anon_send(room, atom::socket::value,
                   socket_event{socket_event::kind::opened, ""});
    sched->run();
    BOOST_TEST(j->sent_containing(R"("action":"invite")") == 2);
  }

  bool room_alive() {
    sched->run();
    return !room->getf(caf::abstract_actor::is_terminated_flag);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(race_room_actor_tests, fixture)

BOOST_AUTO_TEST_CASE(
    attaching_fetches_then_connects_and_invites_linked_players) {
  start();
  BOOST_REQUIRE_EQUAL(j->fetches.size(), 1u);
  BOOST_TEST(j->fetches[0] == "alttpr/cool-doge-1234");
  BOOST_TEST(j->connects.empty()); // the race first, then the socket
  fetched(race(1, "open"));
  BOOST_REQUIRE_EQUAL(j->connects.size(), 1u);
  BOOST_TEST(j->connects[0] == "cool-doge-1234");
  // The two linked players, each once; Carol is not linked.
  BOOST_TEST(j->sent_containing(R"("action":"invite")") == 2);
  BOOST_TEST(j->sent_containing("rt-alice") == 1);
  BOOST_TEST(j->sent_containing("rt-bob") == 1);
  BOOST_TEST(j->audits.size() == 2u);
  BOOST_TEST(j->audits[0].action == "racetime_room.invited");
  // Both invitations' audit entries went to the database in one batch.
  BOOST_TEST(j->batches == 1);
  // Nothing changed in the race, so nothing else is written.
  BOOST_TEST(j->progress.empty());
  // A newer race.data with the invitations shown invites nobody again.
  fetched(race(2, "open",
               {entrant("rt-alice", "invited"), entrant("rt-bob", "invited")}));
  BOOST_TEST(j->sent_containing(R"("action":"invite")") == 2);
}

BOOST_AUTO_TEST_CASE(after_a_reattach_nobody_is_invited_twice) {
  start();
  // racetime.gg shows both as entrants already (invited in an earlier life).
  fetched(race(7, "open",
               {entrant("rt-alice", "invited"), entrant("rt-bob", "ready")}));
  BOOST_TEST(j->sent_containing(R"("action":"invite")") == 0);
}

BOOST_AUTO_TEST_CASE(join_requests_of_match_players_only_are_accepted) {
  start();
  fetched(race(
      1, "open",
      {entrant("rt-alice", "requested"), entrant("stranger", "requested")}));
  BOOST_TEST(j->sent_containing(R"("action":"accept_request")") == 1);
  BOOST_TEST(j->sent_containing(R"("user":"rt-alice")") == 1);
  BOOST_TEST(j->sent_containing("stranger") == 0);
}

BOOST_AUTO_TEST_CASE(a_room_just_opened_connects_without_a_fetch) {
  // racetime.gg sends race.data as soon as the bot's socket opens, so the
  // room its opener created a moment ago needs no HTTP fetch first.
  j->ctx.room.just_opened = true;
  start();
  BOOST_TEST(j->fetches.empty());
  BOOST_REQUIRE_EQUAL(j->connects.size(), 1u);
  BOOST_TEST(j->connects[0] == "cool-doge-1234");
  // The first race.data (here as the snapshot the socket's frame becomes)
  // invites the linked players and does not connect again.
  fetched(race(1, "open"));
  BOOST_TEST(j->connects.size() == 1u);
  BOOST_TEST(j->sent_containing(R"("action":"invite")") == 2);
}

BOOST_AUTO_TEST_CASE(a_room_given_its_context_does_not_load_it) {
  // The opener's settle read the context in its transaction: the room
  // starts from it and connects without asking the database.
  j->ctx.room.just_opened = true;
  auto given = j->ctx;
  j->ctx.players.clear(); // what a load would give instead
  start(given);
  BOOST_TEST(j->loads == 0);
  BOOST_TEST(j->fetches.empty());
  BOOST_REQUIRE_EQUAL(j->connects.size(), 1u);
  fetched(race(1, "open"));
  // Both linked players of the given context are invited.
  BOOST_TEST(j->sent_containing(R"("action":"invite")") == 2);
  BOOST_TEST(j->loads == 0);
}

BOOST_AUTO_TEST_CASE(a_context_for_another_room_is_not_taken) {
  auto given = j->ctx;
  given.room.id = 6;
  start(given);
  BOOST_TEST(j->loads == 1);
}

BOOST_AUTO_TEST_CASE(older_race_data_is_ignored) {
  start();
  fetched(race(1, "open"));
  fetched(race(3, "in_progress", {entrant("rt-alice", "in_progress")}));
  auto writes = j->progress.size();
  fetched(race(2, "open", {entrant("rt-alice", "ready")})); // late v2
  BOOST_TEST(j->progress.size() == writes);
  BOOST_REQUIRE(!j->progress.empty());
  BOOST_TEST(j->progress.back().status.value_or("") == "in_progress");
  BOOST_TEST(j->progress.back().started_at.has_value());
}

BOOST_AUTO_TEST_CASE(a_finished_race_is_recorded_once_and_the_room_stops) {
  start();
  fetched(race(1, "open"));
  fetched(
      race(5, "finished",
           {entrant("rt-alice", "done", 1, 3723456789),
            entrant("rt-bob", "dnf"), entrant("stranger", "done", 2, 4e9)}));
  BOOST_REQUIRE_EQUAL(j->results.size(), 1u);
  const auto& r = j->results[0];
  BOOST_TEST(r.room_id == 5);
  BOOST_TEST(r.match_id.value_or(0) == 10);
  BOOST_REQUIRE_EQUAL(r.entrants.size(), 2u); // match players only
  BOOST_TEST(r.entrants[0].racetime_id == "rt-alice");
  BOOST_TEST(r.entrants[0].place.value_or(0) == 1);
  BOOST_TEST(r.entrants[1].status == "dnf");
  BOOST_TEST(!r.entrants[1].place.has_value());
  BOOST_TEST(
      (r.ended_at == timestamp{std::chrono::microseconds{1796153723000000}}));
  BOOST_TEST(j->closed);
  BOOST_TEST(!room_alive());
}

/// `r` as racetime.gg sends it when it ended `ago` before now (the room
/// counts its undo window from the race's end, on the wall clock).
race_snapshot ended(race_snapshot r, std::chrono::seconds ago = 0s) {
  r.ended_at = std::chrono::duration_cast<std::chrono::microseconds>(
                   (std::chrono::system_clock::now() - ago).time_since_epoch())
                   .count();
  return r;
}

BOOST_AUTO_TEST_CASE(a_race_reopened_by_an_undo_is_recorded_again_at_its_end) {
  start();
  fetched(race(1, "in_progress"));
  caf::anon_send(room, atom::socket::value,
                 socket_event{socket_event::kind::opened, ""});
  sched->run();
  fetched(ended(race(5, "finished",
                     {entrant("rt-alice", "done", 1, 3723456789),
                      entrant("rt-bob", "done", 2, 3800000000)})));
  BOOST_REQUIRE_EQUAL(j->results.size(), 1u);
  // racetime.gg lets Bob undo his finish for ten minutes: the room watches.
  BOOST_TEST(room_alive());
  BOOST_TEST(!j->closed);
  auto writes = j->progress.size();
  sched->advance_time(3min);
  sched->run();
  fetched(race(6, "in_progress",
               {entrant("rt-alice", "done", 1, 3723456789),
                entrant("rt-bob", "in_progress")}));
  // Running again: written as such (the database withdraws the result).
  BOOST_REQUIRE_EQUAL(j->progress.size(), writes + 1);
  BOOST_TEST(j->progress.back().status.value_or("") == "in_progress");
  BOOST_REQUIRE_EQUAL(j->progress.back().entrants.size(), 1u);
  BOOST_TEST(j->progress.back().entrants[0].racetime_id == "rt-bob");
  auto second = ended(race(7, "finished",
                           {entrant("rt-alice", "done", 2, 3723456789),
                            entrant("rt-bob", "done", 1, 3700000000)}));
  fetched(second);
  BOOST_REQUIRE_EQUAL(j->results.size(), 2u);
  BOOST_TEST(j->results[1].entrants[1].place.value_or(0) == 1);
  // A comment after the end (a newer version, the same end) writes
  // nothing; the window is counted from the new end.
  auto commented = second;
  commented.version = 8;
  fetched(commented);
  BOOST_TEST(j->results.size() == 2u);
  BOOST_TEST(j->progress.size() == writes + 1);
  sched->advance_time(10min);
  sched->run();
  BOOST_TEST(room_alive());
  // At the window's end one fetch finds the race still over: done.
  auto fetches = j->fetches.size();
  sched->advance_time(1min);
  sched->run();
  BOOST_TEST(j->fetches.size() > fetches);
  BOOST_TEST(room_alive());
  fetched(commented);
  BOOST_TEST(!room_alive());
  BOOST_TEST(j->closed);
}

BOOST_AUTO_TEST_CASE(
    a_disqualification_after_the_end_is_written_as_the_result) {
  start();
  fetched(race(1, "in_progress"));
  caf::anon_send(room, atom::socket::value,
                 socket_event{socket_event::kind::opened, ""});
  sched->run();
  auto first = ended(race(5, "finished",
                          {entrant("rt-alice", "done", 1, 3723456789),
                           entrant("rt-bob", "done", 2, 3800000000)}));
  fetched(first);
  BOOST_REQUIRE_EQUAL(j->results.size(), 1u);
  // A monitor disqualifies Alice: the same end, Bob moves up.
  auto dq = first;
  dq.version = 6;
  dq.entrants = {entrant("rt-alice", "dq"),
                 entrant("rt-bob", "done", 1, 3800000000)};
  fetched(dq);
  BOOST_REQUIRE_EQUAL(j->results.size(), 2u);
  BOOST_TEST(j->results[1].entrants[0].status == "dq");
  BOOST_TEST(j->results[1].entrants[1].place.value_or(0) == 1);
  BOOST_TEST((j->results[1].ended_at == j->results[0].ended_at));
  // A comment after it (a newer version, the same outcomes) writes nothing.
  auto commented = dq;
  commented.version = 7;
  fetched(commented);
  BOOST_TEST(j->results.size() == 2u);
  BOOST_TEST(room_alive());
}

BOOST_AUTO_TEST_CASE(an_undo_and_a_new_end_the_room_missed_are_both_written) {
  start();
  fetched(race(1, "in_progress"));
  auto first = ended(race(5, "finished",
                          {entrant("rt-alice", "done", 1, 3723456789),
                           entrant("rt-bob", "done", 2, 3800000000)}),
                     60s);
  fetched(first);
  BOOST_REQUIRE_EQUAL(j->results.size(), 1u);
  auto writes = j->progress.size();
  // The socket was away while Bob undid and finished again: the next
  // fetch shows another end.
  fetched(ended(race(9, "finished",
                     {entrant("rt-alice", "done", 2, 3723456789),
                      entrant("rt-bob", "done", 1, 3700000000)})));
  BOOST_REQUIRE_EQUAL(j->progress.size(), writes + 1);
  BOOST_TEST(j->progress.back().status.value_or("") == "in_progress");
  BOOST_REQUIRE_EQUAL(j->results.size(), 2u);
  BOOST_TEST(j->results[1].entrants[0].place.value_or(0) == 2);
  BOOST_TEST(room_alive());
}

BOOST_AUTO_TEST_CASE(a_room_attached_after_the_end_listens_for_an_undo) {
  // racecontrold restarted two minutes after the race ended: the room's
  // first fetch shows it finished.
  start();
  fetched(
      ended(race(5, "finished", {entrant("rt-alice", "done", 1, 1)}), 120s));
  BOOST_REQUIRE_EQUAL(j->results.size(), 1u);
  BOOST_TEST(room_alive());
  // Its socket, so that a reopening is heard at once.
  BOOST_REQUIRE_EQUAL(j->connects.size(), 1u);
  BOOST_TEST(j->connects[0] == "cool-doge-1234");
  fetched(race(6, "in_progress", {entrant("rt-alice", "in_progress")}));
  BOOST_REQUIRE(!j->progress.empty());
  BOOST_TEST(j->progress.back().status.value_or("") == "in_progress");
  BOOST_TEST(j->connects.size() == 1u); // not asked twice
}

BOOST_AUTO_TEST_CASE(a_race_that_ended_before_the_window_is_not_watched_on) {
  start();
  fetched(race(1, "in_progress"));
  // Seen finished twelve minutes after its end (racecontrold was down):
  // no undo is possible any more.
  fetched(
      ended(race(5, "finished", {entrant("rt-alice", "done", 1, 1)}), 12min));
  BOOST_REQUIRE_EQUAL(j->results.size(), 1u);
  BOOST_TEST(!room_alive());
}

BOOST_AUTO_TEST_CASE(another_races_data_is_not_taken_for_this_rooms) {
  start();
  fetched(race(1, "in_progress"));
  // racetime.gg attaches a bot socket to the newest race of that slug in
  // any category: a race opened later in another category with the same
  // slug would send its data here.
  auto other = race(9, "finished",
                    {entrant("rt-alice", "done", 1, 3600000000),
                     entrant("rt-bob", "done", 2, 3700000000)});
  other.name = "smz3/cool-doge-1234";
  fetched(other);
  BOOST_TEST(j->results.empty());
  BOOST_TEST(room_alive());
  // The room's own race still counts, from its next version on.
  fetched(race(2, "finished",
               {entrant("rt-alice", "done", 2, 3900000000),
                entrant("rt-bob", "done", 1, 3800000000)}));
  BOOST_REQUIRE_EQUAL(j->results.size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_result_is_kept_until_the_database_takes_it) {
  start();
  fetched(race(1, "open"));
  j->refuse_writes = 3;
  fetched(race(5, "finished", {entrant("rt-alice", "done", 1, 1000000)}));
  BOOST_TEST(j->results.empty());
  BOOST_TEST(room_alive());
  // Retries after 1 s, 2 s, 4 s: the third retry succeeds.
  sched->advance_time(1s);
  sched->run();
  sched->advance_time(2s);
  sched->run();
  BOOST_TEST(j->results.empty());
  sched->advance_time(4s);
  sched->run();
  BOOST_TEST(j->results.size() == 1u);
  BOOST_TEST(!room_alive());
}

BOOST_AUTO_TEST_CASE(a_stopping_room_asked_again_still_writes_what_it_holds) {
  start();
  fetched(race(1, "open"));
  auto before = j->progress.size();
  j->refuse_writes = 2; // the write as it comes, and again at the stop
  fetched(race(2, "open", {entrant("rt-alice", "ready")}));
  caf::anon_send_exit(room, caf::exit_reason::user_shutdown);
  BOOST_TEST(room_alive()); // its write waits for the database
  // Its supervisor ends meanwhile and asks every child it had to stop.
  caf::anon_send_exit(room, caf::exit_reason::user_shutdown);
  BOOST_TEST(room_alive());
  BOOST_TEST(j->progress.size() == before);
  sched->advance_time(2s);
  sched->run();
  BOOST_TEST(j->progress.size() > before);
  BOOST_TEST(!room_alive());
}

BOOST_AUTO_TEST_CASE(a_fenced_room_stops_at_once_without_writing_again) {
  start();
  fetched(race(1, "open"));
  auto sent = j->sent.size();
  j->fenced = true;
  fetched(race(5, "finished", {entrant("rt-alice", "done", 1, 1000000)}));
  BOOST_TEST(j->results.empty());
  BOOST_TEST(!room_alive());
  BOOST_TEST(j->closed);
  // No retry, no more frames: another node owns the room.
  sched->advance_time(60s);
  sched->run();
  BOOST_TEST(j->results.empty());
  BOOST_TEST(j->sent.size() == sent);
}

BOOST_AUTO_TEST_CASE(a_cancelled_race_is_closed_with_its_reason) {
  start();
  fetched(race(1, "open"));
  fetched(race(2, "cancelled"));
  BOOST_REQUIRE_EQUAL(j->closures.size(), 1u);
  BOOST_TEST(j->closures[0].status == "cancelled");
  BOOST_TEST(j->results.empty());
  BOOST_TEST(!room_alive());
}

BOOST_AUTO_TEST_CASE(
    a_room_cancelled_before_two_players_joined_gives_its_match_up) {
  // racetime.gg's racebot cancels a room 30 minutes after it opened while
  // fewer than two entrants joined: invited players have not.
  start();
  std::vector<protocol::entrant_snapshot> one_joined = {
      entrant("rt-alice", "not_ready"), entrant("rt-bob", "invited")};
  fetched(race(1, "open", one_joined));
  fetched(race(2, "cancelled", one_joined));
  BOOST_REQUIRE_EQUAL(j->closures.size(), 1u);
  BOOST_TEST(j->closures[0].status == "cancelled");
  BOOST_TEST(j->closures[0].release_match);
  BOOST_TEST(j->closures[0].reason.find("no room now") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(
    a_room_a_person_cancelled_soon_after_it_opened_keeps_its_match) {
  // Five minutes after it opened, with one player in: not the racebot's
  // 30-minute cancel but someone's decision on racetime.gg.
  start();
  std::vector<protocol::entrant_snapshot> one_joined = {
      entrant("rt-alice", "not_ready")};
  fetched(race(1, "open", one_joined));
  auto cancelled = race(2, "cancelled", one_joined);
  cancelled.cancelled_at = *cancelled.opened_at + 300'000'000;
  fetched(cancelled);
  BOOST_REQUIRE_EQUAL(j->closures.size(), 1u);
  BOOST_TEST(!j->closures[0].release_match);
}

BOOST_AUTO_TEST_CASE(a_room_cancelled_with_two_players_joined_keeps_its_match) {
  // Cancelled by someone on racetime.gg with the players in it: the match
  // keeps that room (its organizers decide).
  start();
  std::vector<protocol::entrant_snapshot> joined = {
      entrant("rt-alice", "ready"), entrant("rt-bob", "not_ready")};
  fetched(race(1, "open", joined));
  fetched(race(2, "cancelled", joined));
  BOOST_REQUIRE_EQUAL(j->closures.size(), 1u);
  BOOST_TEST(!j->closures[0].release_match);
  BOOST_TEST(j->closures[0].reason == "the race was cancelled on racetime.gg");
}

BOOST_AUTO_TEST_CASE(a_partitioned_race_is_closed_without_a_result) {
  // racetime.gg moved the entrants into partition races of their own,
  // which the room does not follow: it stops, saying why, and is not
  // watched again (the status is one rooms_to_watch leaves out).
  start();
  fetched(race(1, "open"));
  fetched(race(2, "partitioned", {entrant("rt-alice", "partitioned")}));
  BOOST_REQUIRE_EQUAL(j->closures.size(), 1u);
  BOOST_TEST(j->closures[0].status == "partitioned");
  BOOST_TEST(j->closures[0].reason.find("by hand") != std::string::npos);
  BOOST_TEST(!j->closures[0].park);
  BOOST_TEST(j->results.empty());
  BOOST_TEST(!room_alive());
}

BOOST_AUTO_TEST_CASE(
    a_cancelled_race_an_entrant_unforfeits_runs_on_to_its_end) {
  start();
  fetched(race(1, "in_progress", {entrant("rt-alice", "in_progress")}));
  // Cancelled a moment ago: racetime.gg lets a forfeit (every running
  // entrant's, after a cancel) be undone for ten minutes.
  auto cancelled = race(4, "cancelled", {entrant("rt-alice", "dnf")});
  cancelled.cancelled_at =
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  fetched(cancelled);
  BOOST_REQUIRE_EQUAL(j->closures.size(), 1u);
  BOOST_TEST(room_alive());
  // A newer version of the same cancellation writes nothing more.
  cancelled.version = 5;
  fetched(cancelled);
  BOOST_TEST(j->closures.size() == 1u);
  auto writes = j->progress.size();
  fetched(race(6, "in_progress", {entrant("rt-alice", "in_progress")}));
  BOOST_REQUIRE_EQUAL(j->progress.size(), writes + 1);
  BOOST_TEST(j->progress.back().status.value_or("") == "in_progress");
  fetched(ended(race(7, "finished", {entrant("rt-alice", "done", 1, 1)})));
  BOOST_TEST(j->results.size() == 1u);
  BOOST_TEST(room_alive());
}

BOOST_AUTO_TEST_CASE(a_vanished_race_closes_the_room) {
  start();
  caf::anon_send(room, atom::fetched::value,
                 fetch_failure{true, "racetime.gg has no race "
                                     "alttpr/cool-doge-1234 (404)"});
  sched->run();
  BOOST_REQUIRE_EQUAL(j->closures.size(), 1u);
  BOOST_TEST(j->closures[0].status == "gone");
  BOOST_TEST(j->connects.empty());
  BOOST_TEST(!room_alive());
}

BOOST_AUTO_TEST_CASE(a_failed_fetch_is_retried_with_backoff) {
  start();
  caf::anon_send(room, atom::fetched::value, fetch_failure{false, "HTTP 503"});
  sched->run();
  BOOST_TEST(j->fetches.size() == 1u);
  sched->advance_time(1s);
  sched->run();
  BOOST_TEST(j->fetches.size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_outage_keeps_one_fetch_retry_going_not_one_per_pass) {
  start();
  fetched(race(1, "in_progress"));
  caf::anon_send(room, atom::socket::value,
                 socket_event{socket_event::kind::lost, "reset"});
  sched->run();
  // racetime.gg answers every fetch with a 503 for twenty minutes. Each
  // pass used to start a retry loop of its own beside the ones before.
  std::size_t answered = 1; // the fetch at attach
  for (int second = 0; second < 1200; ++second) {
    sched->advance_time(1s);
    sched->run();
    while (answered < j->fetches.size()) {
      ++answered;
      caf::anon_send(room, atom::fetched::value,
                     fetch_failure{false, "HTTP 503"});
      sched->run();
    }
  }
  // One loop: the pass at one minute, retries after 1, 2, 4, ... 32 s,
  // then one a minute (25 fetches); a loop per pass made about 190.
  BOOST_TEST(j->fetches.size() >= 20u); // it never gives up
  BOOST_TEST(j->fetches.size() <= 30u);
  // Once racetime.gg answers, the passes fetch again, a minute apart.
  fetched(race(2, "in_progress"));
  auto before = j->fetches.size();
  for (int i = 0; i < 5; ++i) {
    sched->advance_time(60s);
    sched->run();
    while (answered < j->fetches.size()) {
      ++answered;
      fetched(race(3 + i, "in_progress"));
    }
  }
  BOOST_TEST(j->fetches.size() - before >= 4u);
  BOOST_TEST(j->fetches.size() - before <= 6u);
}

BOOST_AUTO_TEST_CASE(a_given_up_invitation_is_sent_again_by_the_next_pass) {
  open_with_both_invited();
  // Alice's invitation took; Bob's was refused twice and given up.
  fetched(race(2, "open", {entrant("rt-alice", "invited")}));
  caf::anon_send(room, atom::socket::value,
                 socket_event{socket_event::kind::dropped,
                              "refused: {\"action\":\"invite\",\"data\":"
                              "{\"user\":\"rt-bob\"}}"});
  sched->run();
  BOOST_TEST(j->sent_containing("rt-bob") == 1); // not at once
  // The race changes no more (nothing new to apply), yet within a minute
  // Bob is invited again, and Alice, whom the race shows, is not.
  sched->advance_time(60s);
  sched->run();
  BOOST_TEST(j->sent_containing("rt-bob") == 2);
  BOOST_TEST(j->sent_containing("rt-alice") == 1);
  // Once only: the passes after it (a quiet recheck among them) leave him be.
  for (int i = 0; i < 12; ++i) {
    sched->advance_time(60s);
    sched->run();
  }
  BOOST_TEST(j->sent_containing("rt-bob") == 2);
}

BOOST_AUTO_TEST_CASE(
    a_refused_invitation_is_sent_again_while_the_player_is_missing) {
  open_with_both_invited();
  // Alice's invitation took; Bob's was refused (he still races in another
  // race), and racetime.gg's error names no action.
  fetched(race(2, "open", {entrant("rt-alice", "invited")}));
  // Another action's error is no reason to invite anyone again.
  caf::anon_send(room, atom::frame::value,
                 std::string{R"({"type":"error","errors":["Specified user )"
                             R"(is not a race entrant."]})"});
  sched->run();
  sched->advance_time(60s);
  sched->run();
  BOOST_TEST(j->sent_containing("rt-bob") == 1);
  caf::anon_send(room, atom::frame::value,
                 std::string{R"({"type":"error","errors":["BobRT is not )"
                             R"(allowed to join this race."]})"});
  sched->run();
  sched->advance_time(60s);
  sched->run();
  BOOST_TEST(j->sent_containing("rt-bob") == 2);
  BOOST_TEST(j->sent_containing("rt-alice") == 1);
  // Audited once per player, not once per resend.
  auto invited = std::count_if(j->audits.begin(), j->audits.end(),
                               [](const audit_record& a) {
                                 return a.action == "racetime_room.invited";
                               });
  BOOST_TEST(invited == 2);
}

BOOST_AUTO_TEST_CASE(a_quiet_race_is_fetched_although_its_socket_is_open) {
  start();
  fetched(race(1, "in_progress"));
  caf::anon_send(room, atom::socket::value,
                 socket_event{socket_event::kind::opened, ""});
  sched->run();
  BOOST_REQUIRE_EQUAL(j->fetches.size(), 1u);
  // Nine quiet minutes, with race.data at the fifth: no fetch.
  for (int i = 0; i < 9; ++i) {
    sched->advance_time(60s);
    sched->run();
    if (i == 4)
      fetched(race(2, "in_progress"));
  }
  BOOST_TEST(j->fetches.size() == 1u);
  // Ten minutes after that race.data, a tick fetches.
  for (int i = 0; i < 6; ++i) {
    sched->advance_time(60s);
    sched->run();
  }
  BOOST_TEST(j->fetches.size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_open_socket_lets_the_room_sleep_until_its_recheck) {
  start();
  fetched(race(1, "in_progress"));
  caf::anon_send(room, atom::socket::value,
                 socket_event{socket_event::kind::opened, ""});
  sched->run();
  // After the pass armed at start (and the timeouts of its first
  // requests), nothing wakes it for six minutes; it used to wake every
  // minute.
  for (int i = 0; i < 3; ++i) {
    sched->advance_time(60s);
    sched->run();
  }
  std::size_t wakes = 0;
  for (int i = 0; i < 6; ++i) {
    wakes += sched->advance_time(60s);
    sched->run();
  }
  BOOST_TEST(wakes == 0u);
  BOOST_TEST(j->fetches.size() == 1u);
  // A lost socket brings the pass forward: a fetch within the minute, and
  // one a minute after, not two (the tick armed before is stale).
  caf::anon_send(room, atom::socket::value,
                 socket_event{socket_event::kind::lost, "reset"});
  sched->run();
  sched->advance_time(60s);
  sched->run();
  BOOST_TEST(j->fetches.size() == 2u);
  for (int i = 0; i < 10; ++i) {
    sched->advance_time(60s);
    sched->run();
  }
  BOOST_TEST(j->fetches.size() == 12u);
}

BOOST_AUTO_TEST_CASE(a_player_who_links_later_is_invited_when_told_to_reload) {
  start();
  fetched(race(1, "open",
               {entrant("rt-alice", "invited"), entrant("rt-bob", "invited")}));
  BOOST_TEST(j->sent_containing("rt-carol") == 0);
  BOOST_TEST(j->loads == 1);
  j->ctx.players[2].racetime_id = "rt-carol";
  j->ctx.players[2].racetime_name = "CarolRT";
  // The periodic pass does not ask the database (10,000 rooms would ask
  // every minute); the supervisor tells the rooms whose match changed.
  sched->advance_time(60s);
  sched->run();
  BOOST_TEST(j->loads == 1);
  BOOST_TEST(j->sent_containing("rt-carol") == 0);
  // The supervisor passes the fingerprint the database has now.
  caf::anon_send(room, atom::load::value, j->ctx.fingerprint + 1);
  j->ctx.fingerprint += 1;
  sched->run();
  BOOST_TEST(j->loads == 2);
  BOOST_TEST(j->sent_containing(R"("user":"rt-carol")") == 1);
}

BOOST_AUTO_TEST_CASE(a_room_told_of_its_own_writes_does_not_load_again) {
  j->ctx.fingerprint = 0x5eedf00d;
  start();
  fetched(race(1, "open",
               {entrant("rt-alice", "invited"), entrant("rt-bob", "invited")}));
  BOOST_TEST(j->loads == 1);
  // Its progress write stamped the rows; their fingerprint is the same.
  caf::anon_send(room, atom::load::value, std::uint64_t{0x5eedf00d});
  sched->run();
  BOOST_TEST(j->loads == 1);
  caf::anon_send(room, atom::load::value, std::uint64_t{0x5eedf00e});
  sched->run();
  BOOST_TEST(j->loads == 2);
}

BOOST_AUTO_TEST_SUITE_END()

// --- the plain decisions, without any actor -----------------------------

BOOST_AUTO_TEST_SUITE(room_plans)

BOOST_AUTO_TEST_CASE(chat_commands_and_their_answers) {
  BOOST_TEST(chat_command("!match") == "match");
  BOOST_TEST(chat_command("  !Players please") == "players");
  BOOST_TEST(chat_command("hello !match") == "");
  BOOST_TEST(chat_command(".ready") == "");
  room_context ctx;
  ctx.room.id = 5;
  persistence::match_summary m;
  m.tournament_name = "Spring Cup";
  m.title = "Final";
  m.scheduled_at = timestamp{std::chrono::seconds{1796150000}};
  ctx.match = m;
  ctx.players = {
      {1, "Alice", std::string{"rt-alice"}, std::string{"AliceRT"}, "", {}, {}},
      {3, "Carol", std::nullopt, std::nullopt, "", {}, {}}};
  auto now = timestamp{std::chrono::seconds{1796150000 - 3900}};
  BOOST_TEST(answer_command("match", ctx, nullptr, now) ==
             "Spring Cup - Final: Alice vs Carol - scheduled 2026-12-01 "
             "18:33 UTC.");
  BOOST_TEST(answer_command("time", ctx, nullptr, now) ==
             "Scheduled for 2026-12-01 18:33 UTC, in 1:05:00.");
  auto r = race(3, "open", {entrant("rt-alice", "ready")});
  BOOST_TEST(answer_command("players", ctx, &r, now) ==
             "Alice: linked (AliceRT), ready; Carol: not linked to "
             "racetime.gg");
  BOOST_TEST(answer_command("frobnicate", ctx, &r, now) == "");
  auto running = race(4, "in_progress");
  BOOST_TEST(answer_command("time", ctx, &running,
                            timestamp{std::chrono::seconds{1796150754}}) ==
             "The race has been running for 0:12:34.");
}

BOOST_AUTO_TEST_CASE(the_link_hands_over_only_frames_the_room_acts_on) {
  namespace real = test::real;
  auto chat = [](const std::string& from) {
    auto frame = real::bot_chat_message;
    auto at = frame.find(R"("user": null, "bot": "racecontrol")");
    BOOST_REQUIRE(at != std::string::npos);
    frame.replace(
        at, std::string{R"("user": null, "bot": "racecontrol")"}.size(), from);
    return frame;
  };
  auto person = chat(R"("user": )" + real::user_summary + R"(, "bot": null)");
  person.replace(person.find(R"("is_bot": true)"), 14, R"("is_bot": false)");
  auto system = chat(R"("user": null, "bot": null)");
  system.replace(system.find(R"("is_bot": true)"), 14, R"("is_bot": false)");
  system.replace(system.find(R"("is_system": false)"), 18,
                 R"("is_system": true)");
  const std::string data =
      R"({"type": "race.data", "date": "2026-12-01T13:16:47.850362+00:00", "race": )" +
      real::race_data + "}";
  BOOST_TEST(room_reads(data));
  BOOST_TEST(room_reads(person));
  BOOST_TEST(room_reads(real::permission_denied));
  // What the room could not read it reports, so it goes on.
  BOOST_TEST(room_reads("not json"));
  BOOST_TEST(room_reads(R"({"date": "2026-12-01T13:16:47Z"})"));
  // A bot's line, the server's own and the HTML after every race.data stop.
  BOOST_TEST(!room_reads(real::bot_chat_message));
  BOOST_TEST(!room_reads(system));
  BOOST_TEST(!room_reads(
      R"({"type": "race.renders", "date": "2026-12-01T13:16:47.850362+00:00", "renders": {"status": "<p>Open</p>"}, "version": 1})"));
  BOOST_TEST(!room_reads(
      R"({"type": "pong", "date": "2026-12-01T13:16:47.850362+00:00"})"));
}

BOOST_AUTO_TEST_CASE(answers_are_rate_limited) {
  answer_limiter limit{3, 5000ms};
  answer_limiter::time_point t{};
  BOOST_TEST(limit.allow("match", t));
  BOOST_TEST(!limit.allow("match", t + 1s)); // same command too soon
  BOOST_TEST(limit.allow("time", t + 1s));
  BOOST_TEST(limit.allow("players", t + 1s));
  BOOST_TEST(!limit.allow("help", t + 1s)); // the burst is used up
  BOOST_TEST(limit.allow("help", t + 6s));
}

BOOST_AUTO_TEST_CASE(progress_is_written_only_for_what_changed) {
  room_context ctx;
  ctx.room = {5, "a/b", "a", "b", "open", 10, 1, false, "", 0};
  ctx.players = {
      {1, "Alice", std::string{"rt-alice"}, std::string{"A"}, "ready", {}, {}}};
  room_memory memory;
  auto first = race(4, "open", {entrant("rt-alice", "ready")});
  auto p = plan_room(ctx, nullptr, first, memory, {});
  BOOST_TEST(!p.progress.has_value()); // the database knows all of it
  auto next = race(5, "open", {entrant("rt-alice", "not_ready")});
  p = plan_room(ctx, &first, next, memory, {});
  BOOST_REQUIRE(p.progress.has_value());
  BOOST_TEST(!p.progress->status.has_value());
  BOOST_REQUIRE_EQUAL(p.progress->entrants.size(), 1u);
  BOOST_TEST(p.progress->entrants[0].status == "not_ready");
  // A parked row watched again: its status is written once more (which
  // clears parked_at), then only changes again.
  ctx.room.parked = true;
  p = plan_room(ctx, nullptr, first, memory, {});
  BOOST_REQUIRE(p.progress.has_value());
  BOOST_TEST((p.progress->status == std::optional<std::string>{"open"}));
  BOOST_TEST(p.progress->entrants.empty());
  p = plan_room(ctx, &first, first, memory, {});
  BOOST_TEST(!p.progress.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
