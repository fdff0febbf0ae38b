// The room opener driven with CAF's test coordinator against stand-ins for
// the database, the bots, the room supervisor and the tournament: the store
// holds its answer to the opener's first request until the test releases
// it, so a manual request can arrive exactly between the two, the
// interleaving that the daemon's tests reach only by chance.

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"
#include "actors/match_room_settings.hpp"
#include "actors/messages.hpp"
#include "actors/room_checks.hpp"
#include "actors/room_opener.hpp"
#include "tests/support/deterministic_actor_system.hpp"
#include "tests/support/ready_match.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

/// What the stand-ins saw and what the store holds for the match.
struct world {
  match_open_context match;
  start_race_outcome::kind startrace = start_race_outcome::kind::created;
  std::vector<opening_request> asked;
  std::vector<caf::response_promise> unanswered;
  std::vector<start_race_request> starts;
  std::vector<std::string> settled; ///< slugs, "adopted " first if so
  std::vector<std::string> watched;
  std::vector<match_outcome> outcomes;
  std::vector<std::string> answers; ///< each manual requester's, in order
  /// How many more category lists leave the room out (racetime.gg's list
  /// is cached, so a new room shows up late).
  int hidden_listings = 0;

  /// What the persistence worker answers (open_match): the match as loaded,
  /// and its room claimed or its reason stored as the same decision says.
  opening_result answer(const opening_request& r) {
    opening_result out;
    out.context = match;
    auto d = decide_open(match, r);
    if (d.what == open_decision::kind::claim) {
      room_claim_row row;
      row.room_id = 40;
      row.match_id = match.match_id;
      row.claim_state = "creating";
      row.marker = r.marker;
      row.startrace_attempts = 1; // the first attempt is written ahead
      row.last_attempt_at = std::chrono::system_clock::now();
      row.category = match.bot_category;
      row.bot_id = match.bot_id;
      row.requested_by = d.requested_by;
      row.requested_goal = d.overrides.goal;
      row.requested_invitational = d.overrides.invitational;
      match.room = row;
      out.claim = room_claim_result{true, row};
    } else if (d.what == open_decision::kind::blocked) {
      out.reason_changed = match.reason_code != d.reason.code;
      match.reason_code = d.reason.code;
    }
    return out;
  }
};

using world_ptr = std::shared_ptr<world>;

using release_atom = caf::atom_constant<caf::atom("t_release")>;

/// The database: untyped so that the test can tell it to release an answer
/// (as an automation_store_actor it answers the opener's requests alike).
caf::behavior store(caf::event_based_actor* self, world_ptr w) {
  return {
      [self, w](atom::put, const opening_request& r) {
        w->asked.push_back(r);
        w->unanswered.push_back(self->make_response_promise());
        return w->unanswered.back();
      },
      [w](release_atom) {
        // The answer to the oldest request it holds.
        auto index = w->asked.size() - w->unanswered.size();
        auto rp = w->unanswered.front();
        w->unanswered.erase(w->unanswered.begin());
        rp.deliver(w->answer(w->asked.at(index)));
      },
      [](atom::put, const claim_attempt&) {
        return true;
      },
      [w](atom::put, const claim_settled& s) {
        w->settled.push_back((s.adopted ? "adopted " : "") + s.slug);
        w->match.room->claim_state = "created";
        w->match.room->slug = s.slug;
        room_context ctx;
        ctx.room.id = s.room_id;
        ctx.room.slug = s.slug;
        ctx.room.match_id = w->match.match_id;
        return ctx;
      },
      [](atom::put, const claim_refused&) {
        return true;
      },
      [](atom::put, const match_reason&) {
        return true;
      },
      [](atom::get, atom::claims) {
        return std::vector<room_claim_row>{};
      },
      [](atom::get, const plan_query&) {
        return std::vector<tournament_plan>{};
      },
  };
}

room_bots_actor::behavior_type bots(world_ptr w) {
  return {
      [w](atom::start, const start_race_request& r) {
        w->starts.push_back(r);
        start_race_outcome o;
        o.what = w->startrace;
        if (o.what == start_race_outcome::kind::created)
          o.race_name = "alttpr/cool-doge-1234";
        return o;
      },
      [w](atom::fetch, atom::races, std::int32_t) {
        // racetime.gg made the room although its answer was lost.
        category_races races;
        if (w->hidden_listings > 0) {
          --w->hidden_listings;
          return races;
        }
        if (!w->starts.empty())
          races.races.push_back({"alttpr/lost-answer-0042",
                                 "Demo Cup - Final | " + w->starts[0].marker,
                                 "invitational", std::nullopt});
        return races;
      },
      [](atom::status) {
        return std::vector<bot_info>{test::connected_bot()};
      },
  };
}

room_watcher_actor::behavior_type watcher(world_ptr w) {
  return {
      [w](atom::watch, const room_record& r) {
        w->watched.push_back(r.slug);
        return atom::ok::value;
      },
      [w](atom::watch, const room_context& c) {
        w->watched.push_back(c.room.slug);
        return atom::ok::value;
      },
  };
}

opener_parent_actor::behavior_type parent(world_ptr w) {
  return {
      [w](atom::opened, const match_outcome& o) {
        w->outcomes.push_back(o);
      },
  };
}

struct fixture : test::deterministic_actor_system {
  world_ptr w = std::make_shared<world>();
  caf::actor store_actor;
  automation_store_actor db;
  room_bots_actor bot_supervisor;
  room_watcher_actor rooms;
  opener_parent_actor tournament;

  fixture() {
    w->match = test::ready_match(std::chrono::system_clock::now() + 50min);
    store_actor = sys->spawn(store, w);
    db = caf::actor_cast<automation_store_actor>(store_actor);
    bot_supervisor = sys->spawn(bots, w);
    rooms = sys->spawn(watcher, w);
    tournament = sys->spawn(parent, w);
    sched->run();
  }

  ~fixture() {
    for (auto a : {store_actor, caf::actor_cast<caf::actor>(bot_supervisor),
                   caf::actor_cast<caf::actor>(rooms),
                   caf::actor_cast<caf::actor>(tournament)})
      caf::anon_send_exit(a, caf::exit_reason::kill);
    sched->run();
  }

  room_opener_actor opener(opener_mode mode) {
    room_opener_options o;
    o.node_name = "test-node";
    auto a = sys->spawn(room_opener, w->match.match_id, mode, db,
                        bot_supervisor, rooms, tournament, o);
    sched->run();
    return a;
  }

  /// The database answers the opener's oldest request it holds.
  void release() {
    BOOST_REQUIRE(!w->unanswered.empty());
    caf::anon_send(store_actor, release_atom::value);
    sched->run();
  }

  /// A manual request from an actor of its own, its answer written down.
  void ask(const room_opener_actor& a, manual_open request) {
    auto log = w;
    sys->spawn([a, request, log](caf::event_based_actor* self) {
      self->request(a, caf::infinite, atom::open::value, request)
          .then(
              [log](const room_answer& r) {
                log->answers.push_back(r.slug + " goal=" + r.goal +
                                       (r.existed ? " existed" : ""));
              },
              [log](const caf::error& err) {
                log->answers.push_back("refused: " + describe(err));
              });
    });
    sched->run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(room_opener_suite, fixture)

BOOST_AUTO_TEST_CASE(a_manual_request_during_an_automatic_ask_gets_its_room) {
  auto a = opener(opener_mode::automatic);
  BOOST_REQUIRE_EQUAL(w->asked.size(), 1u);
  BOOST_TEST(!w->asked[0].manual);
  ask(a, {7, std::nullopt, std::nullopt, "organizer"});
  // Still one question in flight: the request waits for its answer.
  BOOST_TEST(w->asked.size() == 1u);
  release();
  // The automatic open's claim stands and the request gets its room.
  BOOST_TEST(w->asked.size() == 1u);
  BOOST_TEST(w->starts.size() == 1u);
  BOOST_REQUIRE_EQUAL(w->answers.size(), 1u);
  BOOST_TEST(w->answers[0] == "alttpr/cool-doge-1234 goal=Beat the game");
  BOOST_TEST(w->watched == std::vector<std::string>{"alttpr/cool-doge-1234"});
  BOOST_REQUIRE_EQUAL(w->outcomes.size(), 1u);
  BOOST_TEST(w->outcomes[0].has_room);
}

BOOST_AUTO_TEST_CASE(
    a_manual_request_during_a_blocked_automatic_ask_asks_again) {
  // Check 4 stops an automatic open; a manual one skips it.
  w->match.match_auto_create = false;
  auto a = opener(opener_mode::automatic);
  BOOST_REQUIRE_EQUAL(w->asked.size(), 1u);
  ask(a, {7, std::string{"Custom goal"}, false, "organizer"});
  release();
  // Nothing was claimed for the automatic open, so the manual request is
  // asked for at once (no backoff: the clock did not move), as it asks.
  BOOST_REQUIRE_EQUAL(w->asked.size(), 2u);
  BOOST_TEST(w->asked[1].manual);
  BOOST_TEST(w->asked[1].requested_by == "organizer");
  BOOST_TEST(w->asked[1].goal.value_or("") == "Custom goal");
  BOOST_TEST(w->asked[1].invitational.value_or(true) == false);
  BOOST_TEST(w->answers.empty());
  release();
  BOOST_REQUIRE_EQUAL(w->starts.size(), 1u);
  BOOST_TEST(w->starts[0].settings.goal == "Custom goal");
  BOOST_TEST(!w->starts[0].settings.invitational);
  BOOST_TEST(w->match.room->requested_by == "organizer");
  BOOST_REQUIRE_EQUAL(w->answers.size(), 1u);
  BOOST_TEST(w->answers[0] == "alttpr/cool-doge-1234 goal=Custom goal");
  BOOST_REQUIRE_EQUAL(w->outcomes.size(), 1u);
  BOOST_TEST(w->outcomes[0].has_room);
}

BOOST_AUTO_TEST_CASE(
    two_manual_requests_get_one_room_with_the_first_ones_goal) {
  auto a = opener(opener_mode::manual);
  BOOST_TEST(w->asked.empty()); // a manual opener waits for its request
  ask(a, {7, std::string{"First goal"}, std::nullopt, "alice"});
  ask(a, {7, std::string{"Second goal"}, std::nullopt, "bob"});
  BOOST_REQUIRE_EQUAL(w->asked.size(), 1u);
  BOOST_TEST(w->asked[0].requested_by == "alice");
  release();
  BOOST_TEST(w->asked.size() == 1u);
  BOOST_TEST(w->starts.size() == 1u);
  BOOST_TEST(w->answers == (std::vector<std::string>{
                               "alttpr/cool-doge-1234 goal=First goal",
                               "alttpr/cool-doge-1234 goal=First goal"}));
  BOOST_TEST(w->outcomes.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_match_with_its_room_answers_with_that_room) {
  room_claim_row row;
  row.room_id = 12;
  row.match_id = 7;
  row.claim_state = "created";
  row.marker = make_marker(7);
  row.slug = "alttpr/old-room-0001";
  row.category = "alttpr";
  row.status = "open";
  w->match.room = row;
  auto a = opener(opener_mode::manual);
  ask(a, {7, std::nullopt, std::nullopt, "organizer"});
  release();
  BOOST_TEST(w->starts.empty());
  BOOST_TEST(w->answers ==
             std::vector<std::string>{
                 "alttpr/old-room-0001 goal=Beat the game existed"});
  BOOST_REQUIRE_EQUAL(w->outcomes.size(), 1u);
  BOOST_TEST(w->outcomes[0].has_room);
}

BOOST_AUTO_TEST_CASE(an_unknown_startrace_outcome_adopts_the_marked_room) {
  w->startrace = start_race_outcome::kind::unknown;
  opener(opener_mode::automatic);
  release();
  // Never sent twice blindly: the room carrying the claim's marker is
  // found in the category's list and adopted.
  BOOST_TEST(w->starts.size() == 1u);
  BOOST_TEST(w->settled ==
             std::vector<std::string>{"adopted alttpr/lost-answer-0042"});
  BOOST_TEST(w->watched == std::vector<std::string>{"alttpr/lost-answer-0042"});
  BOOST_REQUIRE_EQUAL(w->outcomes.size(), 1u);
  BOOST_TEST(w->outcomes[0].has_room);
}

BOOST_AUTO_TEST_CASE(a_room_listed_late_after_a_late_answer_is_not_made_twice) {
  // search_after counts from when the attempt was written; the request may
  // have left much later (a queue, a slow connect), so a room made then is
  // listed later still. The search goes on for listing_lag after it began:
  // here the list leaves the room out twice, past search_after (1 ms).
  w->startrace = start_race_outcome::kind::unknown;
  w->hidden_listings = 2;
  room_opener_options o;
  o.node_name = "test-node";
  o.search_after = 1ms;
  o.search_interval = 10ms;
  o.listing_lag = 5s;
  sys->spawn(room_opener, w->match.match_id, opener_mode::automatic, db,
             bot_supervisor, rooms, tournament, o);
  sched->run();
  release();
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(5ms); // past search_after on the wall clock
    sched->advance_time(10ms);
    sched->run();
  }
  BOOST_TEST(w->starts.size() == 1u);
  BOOST_TEST(w->settled ==
             std::vector<std::string>{"adopted alttpr/lost-answer-0042"});
}

BOOST_AUTO_TEST_CASE(
    startrace_that_cannot_go_out_gives_up_once_the_window_passes) {
  // Due now, with a grace that ends 300 ms from now; racetime.gg (or the
  // bot) cannot be reached, so startrace is never sent.
  room_opener_options o;
  o.node_name = "test-node";
  o.grace = 2s;
  w->match.room_open_minutes_before = 0;
  w->match.scheduled_at = std::chrono::system_clock::now() - 1700ms;
  w->startrace = start_race_outcome::kind::not_sent;
  auto a = sys->spawn(room_opener, w->match.match_id, opener_mode::automatic,
                      db, bot_supervisor, rooms, tournament, o);
  sched->run();
  release();
  BOOST_TEST(w->starts.size() == 1u);
  BOOST_TEST(w->outcomes.empty()); // it tries again, within the window
  // The retry comes after the window closed: no startrace hours late (the
  // match may have been played); the claim is given up with the reason.
  std::this_thread::sleep_for(400ms);
  sched->advance_time(10min);
  sched->run();
  BOOST_TEST(w->starts.size() == 1u);
  BOOST_TEST(w->outcomes.size() == 1u);
  for (const auto& outcome : w->outcomes) {
    BOOST_TEST(!outcome.has_room);
    BOOST_TEST(outcome.reason_code == "window_passed");
  }
  caf::anon_send_exit(a, caf::exit_reason::kill); // one that kept trying
  sched->run();
}

BOOST_AUTO_TEST_SUITE_END()
