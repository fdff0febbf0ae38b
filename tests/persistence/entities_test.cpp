#define BOOST_TEST_MODULE persistence_entities
#include <boost/test/unit_test.hpp>

#include "persistence/audit_repository.hpp"
#include "persistence/database_error.hpp"
#include "persistence/match_player_repository.hpp"
#include "persistence/match_repository.hpp"
#include "persistence/organization_repository.hpp"
#include "persistence/racetime_bot_repository.hpp"
#include "persistence/racetime_room_repository.hpp"
#include "persistence/sql.hpp"
#include "persistence/tournament_repository.hpp"
#include "persistence/user_repository.hpp"
#include "tests/support/scratch_database.hpp"

using namespace racecontrol;
using namespace racecontrol::persistence;
using namespace std::chrono_literals;

namespace {

/// A migrated scratch database with one organization, bot and tournament.
struct fixture {
  test::scratch_database scratch;
  secret_box secrets = *secret_box::from_keys(secret_box::generate_key());
  organization_repository orgs{scratch.db()};
  user_repository users{scratch.db(), secrets};
  racetime_bot_repository bots{scratch.db(), secrets};
  tournament_repository tournaments{scratch.db()};
  match_repository matches{scratch.db()};
  match_player_repository players{scratch.db()};
  racetime_room_repository rooms{scratch.db()};
  std::int32_t org_id = 0;
  std::int32_t bot_id = 0;
  std::int32_t tournament_id = 0;

  fixture() {
    entities::organization org;
    org.name = "ALTTPR League";
    org_id = orgs.create(org);
    entities::racetime_bot bot;
    bot.category = "alttpr";
    bot.name = "racecontrol";
    bot.client_id = "client-1";
    bot.client_secret = "secret-1";
    bot_id = bots.create(bot);
    entities::tournament t;
    t.organization_id = org_id;
    t.name = "Spring Cup";
    t.racetime_bot_id = bot_id;
    t.racetime_auto_create_rooms = true;
    t.racetime_default_goal = std::string{"Beat the game"};
    tournament_id = tournaments.create(t);
  }

  std::int32_t add_match(const std::string& title,
                         std::optional<timestamp> at) {
    entities::match m;
    m.tournament_id = tournament_id;
    m.title = title;
    if (at)
      m.scheduled_at = *at;
    return matches.create(m);
  }

  entities::racetime_room room_for(std::optional<std::int32_t> match_id,
                                   const std::string& name) {
    entities::racetime_room r;
    r.slug = "alttpr/" + name;
    r.category = "alttpr";
    r.room_name = name;
    r.status = std::string{"open"};
    if (match_id)
      r.match_id = *match_id;
    r.bot_id = bot_id;
    return r;
  }

  database_error::kind error_kind_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const database_error& e) {
      return e.what_kind();
    }
    BOOST_FAIL("expected a database_error");
    return database_error::kind::statement;
  }
};

/// A fixed time with microseconds, to check DATETIME(6) round trips.
timestamp at(int minutes_after) {
  return timestamp{std::chrono::seconds{1795311600}} + 123456us +
         std::chrono::minutes{minutes_after};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(entity_tests, fixture)

BOOST_AUTO_TEST_CASE(organization_persist_load_delete) {
  auto loaded = orgs.find(org_id);
  BOOST_REQUIRE(loaded);
  BOOST_TEST(loaded->name == "ALTTPR League");
  BOOST_TEST(loaded->is_active);
  BOOST_TEST(loaded->description.null());
  BOOST_TEST(orgs.find_by_name("ALTTPR League")->id == org_id);
  entities::organization dup;
  dup.name = "ALTTPR League";
  BOOST_TEST((error_kind_of([&] {
                orgs.create(dup);
              }) == database_error::kind::constraint));
  entities::organization other;
  other.name = "Other";
  auto other_id = orgs.create(other);
  BOOST_TEST(orgs.remove(other_id));
  BOOST_TEST(!orgs.find(other_id));
  BOOST_TEST(!orgs.remove(other_id));
}

BOOST_AUTO_TEST_CASE(user_fields_and_racetime_link) {
  entities::user u;
  u.discord_id = 184088893281697792ULL; // a real-sized snowflake
  u.discord_username = std::string{"synack"};
  u.display_name = std::string{"Synack ✓"};
  auto id = users.create(u);
  auto loaded = users.find_by_discord_id(184088893281697792ULL);
  BOOST_REQUIRE(loaded);
  BOOST_TEST(loaded->id == id);
  BOOST_TEST(loaded->display_name.get() == "Synack ✓");
  BOOST_TEST(loaded->racetime_id.null());
  BOOST_TEST((loaded->created_at == u.created_at));

  racetime_link link{"4BlRneEk9jxN6Qka", "RacerOne", "access-xyz",
                     std::string{"refresh-xyz"}, at(600)};
  BOOST_TEST(users.link_racetime(id, link));
  auto linked = users.find_by_racetime_id("4BlRneEk9jxN6Qka");
  BOOST_REQUIRE(linked);
  BOOST_TEST(linked->racetime_name.get() == "RacerOne");
  // Stored sealed; racetime_tokens() opens them.
  BOOST_TEST(secret_box::is_sealed(linked->racetime_access_token.get()));
  BOOST_TEST(linked->racetime_access_token.get().find("access-xyz") ==
             std::string::npos);
  BOOST_TEST(secret_box::is_sealed(linked->racetime_refresh_token.get()));
  auto tokens = users.racetime_tokens(id);
  BOOST_REQUIRE(tokens);
  BOOST_TEST(tokens->access_token == "access-xyz");
  BOOST_TEST(tokens->refresh_token.value() == "refresh-xyz");
  BOOST_TEST(tokens->racetime_name == "RacerOne");
  BOOST_TEST((linked->racetime_token_expires_at.get() == at(600)));
  // Only the link columns changed.
  BOOST_TEST(linked->discord_username.get() == "synack");
  BOOST_TEST((linked->created_at == u.created_at));
  BOOST_TEST((linked->updated_at > u.updated_at));

  BOOST_TEST(users.unlink_racetime(id));
  auto unlinked = users.find(id);
  BOOST_TEST(unlinked->racetime_id.null());
  BOOST_TEST(unlinked->racetime_access_token.null());
  BOOST_TEST(!users.racetime_tokens(id));
  BOOST_TEST(!users.find_by_racetime_id("4BlRneEk9jxN6Qka"));
  BOOST_TEST(!users.link_racetime(id + 1000, link));
}

BOOST_AUTO_TEST_CASE(bot_status_enum_round_trip) {
  auto bot = bots.find_by_category("alttpr");
  BOOST_REQUIRE(bot);
  BOOST_TEST((bot->status == entities::bot_status::unknown));
  BOOST_TEST(bot->client_secret == "secret-1");
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::auth_failed,
                             std::string{"401 invalid_client"}));
  auto failed = bots.find(bot_id);
  BOOST_TEST((failed->status == entities::bot_status::auth_failed));
  BOOST_TEST(failed->status_message.get() == "401 invalid_client");
  BOOST_TEST(failed->last_connected_at.null());
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::connected,
                             std::nullopt, at(0)));
  auto ok = bots.find(bot_id);
  BOOST_TEST((ok->status == entities::bot_status::connected));
  BOOST_TEST(ok->status_message.null());
  BOOST_TEST((ok->last_connected_at.get() == at(0)));
  // Failing and recovering are events (audited, announced to the
  // tournaments that use the bot), once each however often repeated.
  auto events = [&] {
    auto conn = scratch.db().connection();
    return sql_scalar(*conn, "SELECT COALESCE(GROUP_CONCAT(action ORDER BY "
                             "id), '') FROM audit_log WHERE entity_type = "
                             "'racetime_bot'")
        .value_or("");
  };
  BOOST_TEST(events() == "bot_auth_failed,bot_recovered");
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::disconnected,
                             std::string{"racecontrold stopped"}));
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::connected,
                             std::nullopt, at(1)));
  BOOST_TEST(events() == "bot_auth_failed,bot_recovered");
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::auth_failed,
                             std::string{"403"}));
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::disconnected,
                             std::string{"racecontrold stopped"}));
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::auth_failed,
                             std::string{"403"}));
  BOOST_TEST(events() == "bot_auth_failed,bot_recovered,bot_auth_failed");
  BOOST_TEST(bots.set_status(bot_id, entities::bot_status::connected,
                             std::nullopt, at(0)));
  BOOST_TEST(!bots.set_status(bot_id + 1000, entities::bot_status::connected,
                              std::nullopt));
  // The database stores the enumerator's name, readable in SQL.
  auto conn = scratch.db().connection();
  BOOST_TEST(sql_scalar(*conn, "SELECT status FROM racetime_bots WHERE id = " +
                                   std::to_string(bot_id))
                 .value() == "connected");

  entities::racetime_bot inactive;
  inactive.category = "smz3";
  inactive.name = "off";
  inactive.client_id = "c";
  inactive.client_secret = "s";
  inactive.is_active = false;
  bots.create(inactive);
  auto active = bots.active();
  BOOST_REQUIRE_EQUAL(active.size(), 1u);
  BOOST_TEST(active[0].category == "alttpr");
  entities::racetime_bot same_category = inactive;
  same_category.is_active = true;
  BOOST_TEST((error_kind_of([&] {
                bots.create(same_category);
              }) == database_error::kind::constraint));
}

BOOST_AUTO_TEST_CASE(tournament_settings_and_bot_deletion) {
  auto t = tournaments.find(tournament_id);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->room_open_minutes_before == 60);
  BOOST_TEST(!t->require_racetime_link);
  BOOST_TEST(t->racetime_bot_id.get() == bot_id);
  BOOST_TEST(tournaments.with_auto_create_rooms().size() == 1u);
  entities::tournament manual;
  manual.organization_id = org_id;
  manual.name = "Manual Cup";
  tournaments.create(manual);
  BOOST_TEST(tournaments.with_auto_create_rooms().size() == 1u);
  BOOST_TEST(tournaments.of_organization(org_id).size() == 2u);
  // Deleting the bot leaves the tournament without one (ON DELETE SET NULL).
  BOOST_TEST(bots.remove(bot_id));
  BOOST_TEST(tournaments.find(tournament_id)->racetime_bot_id.null());
  entities::tournament orphan;
  orphan.organization_id = org_id + 999;
  orphan.name = "No such organization";
  BOOST_TEST((error_kind_of([&] {
                tournaments.create(orphan);
              }) == database_error::kind::constraint));
}

BOOST_AUTO_TEST_CASE(matches_in_a_time_window) {
  auto early = add_match("early", at(0));
  auto edge = add_match("edge", at(60));
  auto inside = add_match("inside", at(30));
  add_match("late", at(61));
  add_match("unscheduled", std::nullopt);
  auto window = matches.scheduled_between(at(0), at(60));
  BOOST_REQUIRE_EQUAL(window.size(), 2u); // [from, to): edge is excluded
  BOOST_TEST(window[0].id == early);
  BOOST_TEST(window[1].id == inside);
  BOOST_TEST((window[0].scheduled_at.get() == at(0))); // microseconds kept
  BOOST_TEST(matches.scheduled_between(at(60), at(61)).front().id == edge);
  BOOST_TEST(matches.of_tournament(tournament_id).size() == 5u);
  BOOST_TEST(window[0].racetime_invitational);
  BOOST_TEST(window[0].racetime_auto_create);
}

BOOST_AUTO_TEST_CASE(update_one_column_then_delete) {
  auto id = add_match("Final", at(0));
  auto before = matches.find(id);
  BOOST_TEST(matches.set_checked_in(id, at(5)));
  auto after = matches.find(id);
  BOOST_TEST((after->checked_in_at.get() == at(5)));
  BOOST_TEST(after->started_at.null());
  BOOST_TEST(after->title.get() == "Final");
  BOOST_TEST((after->scheduled_at.get() == before->scheduled_at.get()));
  BOOST_TEST(matches.set_started(id, at(10)));
  BOOST_TEST(matches.set_finished(id, at(100)));
  auto done = matches.find(id);
  BOOST_TEST((done->started_at.get() == at(10)));
  BOOST_TEST((done->finished_at.get() == at(100)));
  BOOST_TEST((done->checked_in_at.get() == at(5)));
  BOOST_TEST(matches.remove(id));
  BOOST_TEST(!matches.find(id));
  BOOST_TEST(!matches.set_checked_in(id, at(5)));
}

BOOST_AUTO_TEST_CASE(match_players_and_results) {
  auto match_id = add_match("Semi", at(0));
  entities::user a, b;
  a.discord_id = 1001u;
  b.discord_id = 1002u;
  auto a_id = users.create(a);
  auto b_id = users.create(b);
  entities::match_player pa, pb;
  pa.match_id = pb.match_id = match_id;
  pa.user_id = a_id;
  pb.user_id = b_id;
  players.create(pa);
  players.create(pb);
  BOOST_TEST(players.record_result(
      match_id, a_id,
      {"done", 1, std::chrono::hours{1} + 32min + 5s + 123456us}));
  BOOST_TEST(players.record_result(match_id, b_id,
                                   {"dnf", std::nullopt, std::nullopt}));
  auto list = players.of_match(match_id);
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  BOOST_TEST(list[0].entrant_status.get() == "done");
  BOOST_TEST(list[0].finish_place.get() == 1);
  BOOST_TEST(list[0].finish_time.get().count() == 5525123456LL);
  BOOST_TEST(list[1].entrant_status.get() == "dnf");
  BOOST_TEST(list[1].finish_place.null());
  BOOST_TEST(list[1].finish_time.null());
  // A long race (over 24 h fits TIME(6)) survives too.
  BOOST_TEST(players.record_result(match_id, a_id,
                                   {"done", 1, std::chrono::hours{30} + 1s}));
  BOOST_TEST(players.of_match(match_id)[0].finish_time.get().count() ==
             (std::chrono::hours{30} + 1s).count() * 1000000);
  entities::match_player again = pa;
  BOOST_TEST((error_kind_of([&] {
                players.create(again);
              }) == database_error::kind::constraint));
  BOOST_TEST(matches.remove(match_id));
  BOOST_TEST(players.of_match(match_id).empty()); // ON DELETE CASCADE
}

BOOST_AUTO_TEST_CASE(one_room_per_match_and_set_null_on_delete) {
  auto match_id = add_match("Quarter", at(0));
  auto room = room_for(match_id, "cool-doge-1234");
  auto room_id = rooms.create(room);
  auto by_match = rooms.find_by_match(match_id);
  BOOST_REQUIRE(by_match);
  BOOST_TEST(*by_match->slug == "alttpr/cool-doge-1234");
  BOOST_TEST(*by_match->room_name == "cool-doge-1234");
  BOOST_TEST(by_match->claim_state == "created");
  BOOST_TEST(by_match->bot_id.get() == bot_id);
  BOOST_TEST(rooms.find_by_slug("alttpr/cool-doge-1234")->id == room_id);

  // The database itself refuses a second room for the same match...
  auto second = room_for(match_id, "other-room-5678");
  BOOST_TEST((error_kind_of([&] {
                rooms.create(second);
              }) == database_error::kind::constraint));
  // ...and a second row with the same slug.
  auto same_slug = room_for(std::nullopt, "cool-doge-1234");
  BOOST_TEST((error_kind_of([&] {
                rooms.create(same_slug);
              }) == database_error::kind::constraint));

  BOOST_TEST(rooms.set_status(room_id, "in_progress"));
  BOOST_TEST(rooms.find(room_id)->status.get() == "in_progress");
  BOOST_TEST(rooms.unfinished().size() == 1u);
  BOOST_TEST(rooms.set_status(room_id, "finished"));
  BOOST_TEST(rooms.unfinished().empty());

  // Deleting the match keeps the room as history, unlinked.
  BOOST_TEST(matches.remove(match_id));
  auto kept = rooms.find(room_id);
  BOOST_REQUIRE(kept);
  BOOST_TEST(kept->match_id.null());
  // With the match gone, a new match can get a room again.
  auto next = add_match("Replay", at(1));
  auto replay = room_for(next, "replay-room-0001");
  BOOST_TEST(rooms.create(replay) > room_id);
}

BOOST_AUTO_TEST_CASE(audit_details_must_be_one_json_document) {
  audit_repository audit{scratch.db()};
  audit_record good;
  good.organization_id = org_id;
  good.action = "racetime_room.invited";
  good.entity_type = "racetime_room";
  good.entity_id = 7;
  good.details_json = R"({"racetime_id": "u1", "name": "O'Brien \"Ace\""})";
  audit.append(good);
  // MariaDB's JSON column takes any text; these must not reach it.
  for (const char* bad :
       {"{\"racetime_id\": ", "{} {}", "not json", "{'a': 1}"}) {
    auto entry = good;
    entry.details_json = bad;
    BOOST_TEST((error_kind_of([&] {
                  audit.append(entry);
                }) == database_error::kind::statement),
               bad);
  }
  auto conn = scratch.db().connection();
  BOOST_TEST(*sql_scalar(*conn, "SELECT COUNT(*) FROM audit_log") == "1");
  BOOST_TEST(*sql_scalar(*conn, "SELECT JSON_VALUE(details, '$.name') FROM "
                                "audit_log") == "O'Brien \"Ace\"");
}

BOOST_AUTO_TEST_SUITE_END()
