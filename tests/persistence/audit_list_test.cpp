// The audit listing (the console's `audit`, later GET /api/audit): newest
// first, each filter on its own and together, pages by id, the limit.

#include <boost/test/unit_test.hpp>

#include "persistence/audit_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

using namespace racecontrol;
using namespace racecontrol::persistence;

namespace {

struct audit_fixture {
  test::scratch_database scratch;
  audit_repository repo{scratch.db()};

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    sql_execute(*conn, sql);
  }

  audit_fixture() {
    exec("INSERT INTO organizations (id, name) VALUES (1, 'League'), (2, "
         "'Other')");
    // Six entries, an hour apart, the oldest first.
    exec("INSERT INTO audit_log (id, organization_id, action, entity_type, "
         "entity_id, details, created_at) VALUES "
         "(1, 1, 'match.created', 'match', 7, '{\"a\": 1}', "
         "'2026-12-01 10:00:00'), "
         "(2, 1, 'match.updated', 'match', 7, NULL, '2026-12-01 11:00:00'), "
         "(3, 1, 'match.created', 'match', 8, '{}', '2026-12-01 12:00:00'), "
         "(4, 2, 'room.created', 'racetime_room', 7, '{}', "
         "'2026-12-01 13:00:00'), "
         "(5, NULL, 'console.drain', 'node', NULL, '{}', "
         "'2026-12-01 14:00:00'), "
         "(6, 1, 'match.deleted', 'match', 7, '{}', '2026-12-01 15:00:00')");
  }

  std::vector<std::int64_t> ids(const audit_query& q) {
    std::vector<std::int64_t> out;
    for (const auto& e : repo.list(q))
      out.push_back(e.id);
    return out;
  }
};

using id_list = std::vector<std::int64_t>;

timestamp at(int hour) {
  return timestamp{} +
         std::chrono::seconds{1796119200 + (hour - 10) * 3600}; // 2026-12-01
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(audit_listing, audit_fixture)

BOOST_AUTO_TEST_CASE(newest_first_with_every_field) {
  auto all = repo.list({});
  BOOST_REQUIRE(all.size() == 6u);
  BOOST_TEST(all[0].id == 6);
  BOOST_TEST(all[5].id == 1);
  BOOST_TEST(all[5].action == "match.created");
  BOOST_TEST(all[5].entity_type == "match");
  BOOST_TEST(*all[5].entity_id == 7);
  BOOST_TEST(*all[5].organization_id == 1);
  BOOST_TEST(!all[5].user_id);
  BOOST_TEST(all[5].details_json == R"({"a": 1})");
  BOOST_TEST((all[5].created_at == at(10)));
  BOOST_TEST(all[4].details_json == "{}"); // NULL details
  BOOST_TEST(!all[1].organization_id);
  BOOST_TEST(!all[1].entity_id);
}

BOOST_AUTO_TEST_CASE(filters_alone_and_together) {
  audit_query q;
  q.entity_type = "match";
  BOOST_TEST(ids(q) == (id_list{6, 3, 2, 1}));
  q.entity_id = 7;
  BOOST_TEST(ids(q) == (id_list{6, 2, 1}));
  q.since = at(11);
  BOOST_TEST(ids(q) == (id_list{6, 2}));
  q.before_id = 6;
  BOOST_TEST(ids(q) == (id_list{2}));

  audit_query org;
  org.organization_id = 2;
  BOOST_TEST(ids(org) == (id_list{4}));

  audit_query quoted;
  quoted.entity_type = "match' OR '1'='1";
  BOOST_TEST(ids(quoted).empty());
}

BOOST_AUTO_TEST_CASE(the_limit_and_pages) {
  audit_query q;
  q.limit = 2;
  BOOST_TEST(ids(q) == (id_list{6, 5}));
  q.before_id = 5;
  BOOST_TEST(ids(q) == (id_list{4, 3}));
  q.before_id = 3;
  BOOST_TEST(ids(q) == (id_list{2, 1}));
  q.limit = 100000; // capped, not refused
  BOOST_TEST(ids(q) == (id_list{2, 1}));
}

BOOST_AUTO_TEST_SUITE_END()
