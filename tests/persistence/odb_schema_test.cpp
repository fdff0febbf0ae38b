#include <boost/test/unit_test.hpp>

#include "persistence/entities/api_token-odb.hxx"
#include "persistence/entities/audit_log_entry-odb.hxx"
#include "persistence/entities/discord_guild-odb.hxx"
#include "persistence/entities/organization-odb.hxx"
#include "persistence/entities/organization_member-odb.hxx"
#include "persistence/entities/racetime_bot_organization-odb.hxx"
#include "persistence/entities/scheduled_task-odb.hxx"
#include "persistence/entities/user-odb.hxx"
#include "persistence/schema_snapshot.hpp"
#include "persistence/sql.hpp"
#include "persistence/sql_script.hpp"
#include "persistence/transaction.hpp"
#include "tests/support/scratch_database.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace racecontrol;
using namespace racecontrol::persistence;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(odb_mapping)

// The migrations are the schema's source of truth; ODB's generated schema is
// only its idea of the tables. Every column ODB maps must exist in the
// migrated schema with the same type and nullability, or loads would fail.
BOOST_AUTO_TEST_CASE(odb_columns_match_the_migrated_schema) {
  test::scratch_database migrated;
  test::scratch_database odb_only{false};
  fs::path dir = RACECONTROL_BINARY_DIR "/odb/persistence/entities";
  int files = 0;
  {
    auto conn = odb_only.db().connection();
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".sql")
        continue;
      ++files;
      std::ifstream in(entry.path());
      std::stringstream sql;
      sql << in.rdbuf();
      for (const auto& st : split_sql_script(sql.str()))
        sql_execute(*conn, st.text);
    }
  }
  BOOST_TEST(files >= 13);
  auto conn = migrated.db().connection();
  auto odb = inspect_schema(*conn, odb_only.url().database);
  auto live = inspect_schema(*conn, migrated.url().database);
  BOOST_TEST(odb.tables.size() == static_cast<size_t>(files));
  for (const auto& [table, shape] : odb.tables) {
    auto it = live.tables.find(table);
    BOOST_TEST_REQUIRE((it != live.tables.end()), table << " is not migrated");
    for (const auto& [column, want] : shape.columns) {
      auto have = it->second.columns.find(column);
      BOOST_TEST_REQUIRE((have != it->second.columns.end()),
                         table << "." << column << " is mapped but missing");
      BOOST_TEST(have->second.type == want.type, table << "." << column);
      BOOST_TEST(have->second.nullable == want.nullable,
                 table << "." << column);
    }
  }
}

BOOST_AUTO_TEST_CASE(daemon_entities_round_trip) {
  test::scratch_database scratch;
  auto& db = scratch.db();
  auto now = now_us();
  in_transaction(db, [&](odb::mysql::connection&) {
    entities::organization org;
    org.name = "Org";
    org.created_at = org.updated_at = now;
    db.persist(org);
    entities::user u;
    u.created_at = u.updated_at = now;
    u.twitch_name = std::string{"synack"};
    u.is_test_user = true;
    db.persist(u);

    entities::organization_member member;
    member.organization_id = org.id;
    member.user_id = u.id;
    member.role = entities::member_role::moderator;
    member.created_at = member.updated_at = now;
    db.persist(member);
    entities::discord_guild guild;
    guild.organization_id = org.id;
    guild.guild_id = 18446744073709551000ULL; // near the top of BIGINT UNSIGNED
    guild.guild_name = "ALTTPR";
    guild.created_at = guild.updated_at = now;
    db.persist(guild);
    entities::scheduled_task task;
    task.organization_id = org.id;
    task.name = "Auto-Create Race Rooms";
    task.schedule_type = entities::schedule_type::INTERVAL;
    task.interval_seconds = 300;
    task.next_run_at = now;
    task.created_at = task.updated_at = now;
    db.persist(task);
    entities::audit_log_entry entry;
    entry.organization_id = org.id;
    entry.action = "racetime_room.created";
    entry.entity_type = std::string{"match"};
    entry.entity_id = 7;
    entry.details = std::string{R"({"slug":"alttpr/cool-doge-1234"})"};
    entry.created_at = now;
    db.persist(entry);
    entities::api_token token;
    token.organization_id = org.id;
    token.name = "bracket bot";
    token.token_sha256 = std::string(64, 'a');
    token.scopes = R"(["rooms:write"])";
    token.created_at = now;
    db.persist(token);

    auto m = db.load<entities::organization_member>(member.id);
    BOOST_TEST((m->role == entities::member_role::moderator));
    BOOST_TEST(db.load<entities::discord_guild>(guild.id)->guild_id ==
               18446744073709551000ULL);
    auto t = db.load<entities::scheduled_task>(task.id);
    BOOST_TEST((t->task_type == entities::task_type::RACETIME_OPEN_ROOM));
    BOOST_TEST(t->config == "{}");
    BOOST_TEST(t->interval_seconds.get() == 300);
    BOOST_TEST((t->next_run_at.get() == now));
    auto e = db.load<entities::audit_log_entry>(entry.id);
    BOOST_TEST(e->details.get() == R"({"slug":"alttpr/cool-doge-1234"})");
    BOOST_TEST(db.load<entities::api_token>(token.id)->scopes ==
               R"(["rooms:write"])");
    BOOST_TEST(db.load<entities::user>(u.id)->is_test_user);
  });
  // The JSON columns really are JSON: the server rejects malformed text.
  BOOST_CHECK_THROW(in_transaction(db,
                                   [&](odb::mysql::connection&) {
                                     entities::audit_log_entry bad;
                                     bad.action = "x";
                                     bad.details = std::string{"{not json"};
                                     bad.created_at = now;
                                     db.persist(bad);
                                   }),
                    database_error);
}

BOOST_AUTO_TEST_SUITE_END()
