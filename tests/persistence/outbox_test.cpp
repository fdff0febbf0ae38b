// The Discord outbox as the notifier works it: one head per channel, in
// order; a delivery or a failure lets the channel's next one go, a retry
// holds the channel until it is due; nothing is handed out twice at once.

#include <boost/test/unit_test.hpp>

#include "persistence/event_log.hpp"
#include "persistence/outbox_repository.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"
#include "tests/support/scratch_database.hpp"

using namespace racecontrol;
using namespace racecontrol::persistence;

namespace {

struct outbox_fixture {
  test::scratch_database scratch;
  outbox_repository repo{scratch.db()};

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  outbox_fixture() {
    exec("INSERT INTO organizations (id, name) VALUES (1, 'League')");
  }

  /// An event announced on the given channels, as the repositories write
  /// them.
  void announce(const std::string& event, const std::string& key,
                const std::vector<std::string>& channels) {
    in_transaction(scratch.db(), [&](odb::mysql::connection& conn) {
      append_event(conn,
                   {event, 1, "match", 10,
                    "JSON_OBJECT('event', " + sql_quote(conn, event) + ")",
                    key},
                   channels);
    });
  }

  std::vector<std::string> due_events() {
    std::vector<std::string> out;
    for (const auto& item : repo.due())
      out.push_back(item.channel_id + ":" + item.event);
    return out;
  }
};

using names = std::vector<std::string>;

} // namespace

BOOST_FIXTURE_TEST_SUITE(outbox, outbox_fixture)

BOOST_AUTO_TEST_CASE(each_event_is_audited_and_queued_once_per_channel) {
  announce("room_created", "room:5:created", {"111", "222"});
  announce("room_created", "room:5:created", {"111"}); // written again
  announce("room_created", "room:6:created", {});      // no channel
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log") == "3");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox") == "2");
  BOOST_TEST(scalar("SELECT COUNT(DISTINCT nonce) FROM discord_outbox") == "2");
  BOOST_TEST(scalar("SELECT MIN(JSON_VALUE(details, '$.event')) FROM "
                    "discord_outbox") == "room_created");
}

BOOST_AUTO_TEST_CASE(channels_go_in_order_and_a_retry_holds_its_channel) {
  announce("room_created", "a1", {"111"});
  announce("race_started", "a2", {"111"});
  announce("race_finished", "a3", {"111"});
  announce("room_created", "b1", {"222"});
  BOOST_TEST(due_events() == (names{"111:room_created", "222:room_created"}));
  auto heads = repo.due();
  repo.record({heads[0].id, outbox_result::kind::delivered, "9001", "", 0});
  BOOST_TEST(due_events() == (names{"111:race_started", "222:room_created"}));
  heads = repo.due();
  repo.record(
      {heads[0].id, outbox_result::kind::retry, "", "503 from Discord", 60000});
  // The channel's head waits a minute; its later messages wait behind it.
  BOOST_TEST(due_events() == (names{"222:room_created"}));
  BOOST_TEST(scalar("SELECT CONCAT_WS(',', attempts, last_error) FROM "
                    "discord_outbox WHERE id = " +
                    std::to_string(heads[0].id)) == "1,503 from Discord");
  // Discord refuses one for good: audited, and its channel moves on.
  repo.record({heads[1].id, outbox_result::kind::failed, "",
               "404 Unknown Channel (10003)", 0});
  BOOST_TEST(due_events().empty());
  BOOST_TEST(scalar("SELECT JSON_VALUE(details, '$.error') FROM audit_log "
                    "WHERE action = 'discord_delivery_failed'") ==
             "404 Unknown Channel (10003)");
  BOOST_TEST(scalar("SELECT GROUP_CONCAT(state ORDER BY id) FROM "
                    "discord_outbox") == "delivered,pending,pending,failed");
  BOOST_TEST(scalar("SELECT discord_message_id FROM discord_outbox WHERE "
                    "state = 'delivered'") == "9001");
  // A result for a row no longer pending changes nothing.
  repo.record({heads[1].id, outbox_result::kind::delivered, "1", "", 0});
  BOOST_TEST(scalar("SELECT state FROM discord_outbox WHERE id = " +
                    std::to_string(heads[1].id)) == "failed");
}

BOOST_AUTO_TEST_SUITE_END()
