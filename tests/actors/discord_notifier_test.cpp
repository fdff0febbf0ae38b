// The Discord notifier end to end on real parts: outbox rows written as the
// repositories write them (real MariaDB), the persistence actor, the
// notifier and its link posting to discord-sim over sockets. Messages go
// out in order per channel, once each through 5xx, 429 and answers lost
// after Discord stored the message; one channel's trouble holds up no
// other; what a message says is checked too.

#define BOOST_TEST_MODULE actors_discord_notifier
#include <boost/test/unit_test.hpp>

#include "actors/discord_link.hpp"
#include "actors/discord_notifier.hpp"
#include "actors/event_message.hpp"
#include "actors/persistence_actor.hpp"
#include "persistence/event_log.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"
#include "protocol/json.hpp"
#include "tests/support/discord_harness.hpp"
#include "tests/support/scratch_database.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;

namespace {

const std::string channel_a = "100000000000000001";
const std::string channel_b = "100000000000000002";

struct notifier_fixture {
  test::scratch_database scratch;
  persistence::migration_set migrations =
      persistence::migration_set::embedded();
  test::discord_harness discord{[] {
    test::discord_harness_options o;
    o.channels = {channel_a, channel_b};
    o.bucket_limit = 50;
    return o;
  }()};
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  persistence_actor db;
  discord_notifier_actor notifier;

  notifier_fixture() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    exec("INSERT INTO organizations (id, name) VALUES (1, 'League')");
    db = sys->spawn(
        persistence_behavior,
        persistence_options{scratch.shared(), &migrations, 2, 10000ms});
  }

  ~notifier_fixture() {
    if (notifier)
      caf::anon_send_exit(notifier, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(db, caf::exit_reason::user_shutdown);
  }

  void start_notifier() { start_notifier(discord.token()); }

  void start_notifier(const config::secret& token) {
    discord_notifier_options o;
    o.poll_interval = 200ms;
    o.retry.initial = 100ms;
    o.retry.max = 1s;
    notifier =
        sys->spawn(discord_notifier, caf::actor_cast<outbox_store_actor>(db),
                   discord_link(discord.http(), discord.api_base(), token,
                                "https://racetime.example"),
                   o);
  }

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return persistence::sql_scalar(*conn, sql).value_or("NULL");
  }

  void announce(const std::string& event, const std::string& key,
                const std::string& channel, const std::string& details) {
    persistence::in_transaction(
        scratch.db(), [&](odb::mysql::connection& conn) {
          persistence::append_event(conn,
                                    {event, 1, "racetime_room", 5,
                                     persistence::sql_quote(conn, details),
                                     key},
                                    {channel});
        });
  }

  bool await_delivered(int n, std::chrono::seconds within = 20s) {
    auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
      if (scalar("SELECT COUNT(*) FROM discord_outbox WHERE state = "
                 "'delivered'") == std::to_string(n))
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  rapidjson::Document recorded(const std::string& channel) {
    auto res = discord.control_get("/messages?channel=" + channel);
    BOOST_REQUIRE_EQUAL(res.status, 200u);
    return protocol::parse_json(res.body);
  }
};

const char* room_details =
    R"({"slug": "alttpr/cool-doge-1234", "tournament": "Spring Cup",
        "goal": "Beat the game", "scheduled_at": "2026-12-01T20:00:00Z",
        "players": [{"name": "Alice", "discord_id": "111111111111111111"},
                    {"name": "Carol", "discord_id": null}]})";

} // namespace

BOOST_AUTO_TEST_SUITE(rendering)

BOOST_AUTO_TEST_CASE(a_room_message_mentions_its_players_and_links_the_room) {
  persistence::outbox_item item{
      1, channel_a, "room_created", room_details, "rc0123456789abcdef0123", 0};
  auto m = render_event(item, "https://racetime.gg");
  BOOST_TEST(m.content.find("https://racetime.gg/alttpr/cool-doge-1234") !=
             std::string::npos);
  BOOST_TEST(m.content.find("<@111111111111111111>") != std::string::npos);
  BOOST_TEST(m.content.find("Carol") != std::string::npos);
  BOOST_TEST(m.mention_users == std::vector<std::string>{"111111111111111111"});
  BOOST_TEST(m.nonce == "rc0123456789abcdef0123");
  BOOST_TEST(m.enforce_nonce);
  BOOST_REQUIRE(m.embeds.size() == 1u);
  BOOST_TEST(m.embeds[0].url == "https://racetime.gg/alttpr/cool-doge-1234");
  bool scheduled = false;
  for (const auto& f : m.embeds[0].fields)
    scheduled = scheduled || f.value == "<t:1796155200:F>";
  BOOST_TEST(scheduled);
  BOOST_TEST(protocol::validate(m).empty());
}

BOOST_AUTO_TEST_CASE(results_are_listed_by_place) {
  persistence::outbox_item item{
      2,
      channel_a,
      "race_finished",
      R"({"slug": "alttpr/cool-doge-1234", "results": [
          {"name": "Alice", "discord_id": "111111111111111111", "place": 1,
           "finish_time": "01:02:03.456789", "status": "done"},
          {"name": "Bob", "discord_id": null, "place": null,
           "finish_time": null, "status": "dnf"}]})",
      "rc1",
      0};
  auto m = render_event(item, "https://racetime.gg");
  BOOST_REQUIRE(m.embeds.size() == 1u);
  BOOST_TEST(m.embeds[0].description ==
             "1. <@111111111111111111> 01:02:03.456789\n- Bob (dnf)");
  BOOST_TEST(protocol::validate(m).empty());
}

namespace {

/// Whether `s` is well-formed UTF-8 (what Discord's JSON parser demands).
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80         ? 1
                    : (c >> 5) == 6  ? 2
                    : (c >> 4) == 14 ? 3
                    : (c >> 3) == 30 ? 4
                                     : 0;
    if (n == 0 || i + n > s.size())
      return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return false;
    i += n;
  }
  return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_long_name_and_many_players_are_shortened_not_refused) {
  // The tournament column takes 255 characters; 150 players with Discord
  // ids: Discord would refuse the title, the Players field, the content
  // and the mentions, and the announcement would be lost for good.
  std::string players;
  for (int i = 0; i < 150; ++i)
    players += std::string{i == 0 ? "" : ","} + R"({"name": "P)" +
               std::to_string(i) + R"(", "discord_id": ")" +
               std::to_string(100000000000000000LL + i) + R"("})";
  persistence::outbox_item item{
      1,
      channel_a,
      "room_created",
      R"({"slug": "alttpr/cool-doge-1234", "tournament": ")" +
          std::string(250, 'T') + R"(", "players": [)" + players + "]}",
      "rc1",
      0};
  auto m = render_event(item, "https://racetime.gg");
  auto problems = protocol::validate(m);
  BOOST_TEST(problems.empty(), (problems.empty() ? "" : problems.front()));
  BOOST_REQUIRE(m.embeds.size() == 1u);
  BOOST_TEST(protocol::discord_length(m.embeds[0].title) == 256u);
  BOOST_TEST(m.mention_users.size() == 100u);
  // Lists end at a whole mention, saying how many more there are.
  const auto& who = m.embeds[0].fields.back();
  BOOST_TEST(who.name == "Players");
  BOOST_TEST(who.value.find("more") != std::string::npos);
  BOOST_TEST(who.value.substr(who.value.rfind('<'), 4) == "<@10");
  BOOST_TEST(m.content.find("more") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_long_result_list_is_cut_at_a_whole_line) {
  // 300 finishers with Japanese names (three bytes a letter): the list
  // passes the description's 4096 characters; it is cut between lines, so
  // the body stays valid UTF-8.
  std::string results;
  for (int i = 1; i <= 300; ++i)
    results += std::string{i == 1 ? "" : ","} + R"({"name": "走者の名前です)" +
               std::to_string(i) + R"(", "discord_id": null, "place": )" +
               std::to_string(i) +
               R"(, "finish_time": "01:02:03.456789", "status": "done"})";
  persistence::outbox_item item{
      2,
      channel_a,
      "race_finished",
      R"({"slug": "alttpr/cool-doge-1234", "results": [)" + results + "]}",
      "rc2",
      0};
  auto m = render_event(item, "https://racetime.gg");
  BOOST_TEST(protocol::validate(m).empty());
  BOOST_REQUIRE(m.embeds.size() == 1u);
  const auto& text = m.embeds[0].description;
  BOOST_TEST(valid_utf8(text));
  BOOST_TEST(text.find("1. 走者の名前です1 01:02:03.456789\n") == 0u);
  auto last = text.substr(text.rfind('\n') + 1);
  BOOST_TEST(last.find("and ") == 0u, last);
  BOOST_TEST(last.find(" more") != std::string::npos, last);
  // The line before the note is whole.
  auto before = text.substr(0, text.rfind('\n'));
  before = before.substr(before.rfind('\n') + 1);
  BOOST_TEST(before.find("01:02:03.456789") != std::string::npos, before);
}

BOOST_AUTO_TEST_CASE(a_refused_bot_is_announced_with_racetime_gg_s_reason) {
  persistence::outbox_item item{4,
                                channel_a,
                                "bot_auth_failed",
                                R"({"bot": "League bot", "category": "alttpr",
          "message": "403 with a fresh token: check scope create_race"})",
                                "rc3",
                                0};
  auto m = render_event(item, "https://racetime.gg");
  BOOST_TEST(m.content.find("League bot (alttpr)") != std::string::npos);
  BOOST_REQUIRE(m.embeds.size() == 1u);
  BOOST_TEST(m.embeds[0].description.find("create_race") != std::string::npos);
  BOOST_TEST(protocol::validate(m).empty());
}

BOOST_AUTO_TEST_CASE(a_reopened_race_says_its_result_no_longer_stands) {
  persistence::outbox_item item{4,
                                channel_a,
                                "race_reopened",
                                R"({"from": "finished", "to": "in_progress",
          "slug": "alttpr/cool-doge-1234"})",
                                "rc4",
                                0};
  auto m = render_event(item, "https://racetime.gg");
  BOOST_TEST(m.content ==
             "Race reopened: https://racetime.gg/alttpr/cool-doge-1234");
  BOOST_REQUIRE(m.embeds.size() == 1u);
  BOOST_TEST(m.embeds[0].title == "Result withdrawn");
  BOOST_TEST(m.embeds[0].description.find("no longer stands") !=
             std::string::npos);
  BOOST_TEST(protocol::validate(m).empty());
  // Reopened from a cancellation: no result was posted to withdraw.
  item.details_json = R"({"from": "cancelled", "to": "in_progress",
      "slug": "alttpr/cool-doge-1234"})";
  m = render_event(item, "https://racetime.gg");
  BOOST_REQUIRE(m.embeds.size() == 1u);
  BOOST_TEST(m.embeds[0].title == "Cancellation undone");
  BOOST_TEST(m.embeds[0].description.find("no longer stands") ==
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_details_still_make_a_message) {
  persistence::outbox_item item{3,           channel_a, "race_started",
                                "{not json", "rc2",     0};
  auto m = render_event(item, "https://racetime.gg");
  BOOST_TEST(m.content.find("race_started") != std::string::npos);
  BOOST_TEST(m.nonce == "rc2");
  BOOST_TEST(protocol::validate(m).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(delivery, notifier_fixture)

BOOST_AUTO_TEST_CASE(messages_go_out_in_order_once_each) {
  announce("room_created", "room:5:created", channel_a, room_details);
  announce("race_started", "room:5:started", channel_a,
           R"({"slug": "alttpr/cool-doge-1234"})");
  announce("race_finished", "room:5:finished", channel_a,
           R"({"slug": "alttpr/cool-doge-1234", "results": []})");
  start_notifier();
  BOOST_REQUIRE(await_delivered(3));
  auto doc = recorded(channel_a);
  BOOST_REQUIRE_EQUAL(doc["messages"].Size(), 3u);
  BOOST_TEST(std::string{doc["messages"][0]["content"].GetString()}.find(
                 "Race room open") == 0u);
  BOOST_TEST(std::string{doc["messages"][1]["content"].GetString()}.find(
                 "Race started") == 0u);
  BOOST_TEST(std::string{doc["messages"][2]["content"].GetString()}.find(
                 "Race finished") == 0u);
  // Each row keeps Discord's message id and its own nonce was sent.
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE "
                    "discord_message_id IS NOT NULL") == "3");
  BOOST_TEST(std::string{doc["messages"][0]["nonce"].GetString()} ==
             scalar("SELECT nonce FROM discord_outbox ORDER BY id LIMIT 1"));
}

BOOST_AUTO_TEST_CASE(server_errors_and_lost_answers_never_post_twice) {
  // Two 503s, then a message stored but answered 502: the same nonce goes
  // each time, and Discord keeps one message.
  discord.control_post("/faults", R"({"status": 503, "count": 2})");
  discord.control_post("/faults", R"({"serve_then_status": 502, "count": 1})");
  announce("room_created", "room:5:created", channel_a, room_details);
  start_notifier();
  BOOST_REQUIRE(await_delivered(1));
  auto doc = recorded(channel_a);
  BOOST_TEST(doc["messages"].Size() == 1u);
  BOOST_TEST(doc["nonces"][0]["posts"].GetInt64() >= 4);
  BOOST_TEST(doc["nonces"][0]["messages"].GetInt64() == 1);
  BOOST_TEST(scalar("SELECT attempts FROM discord_outbox") == "4");
}

BOOST_AUTO_TEST_CASE(a_429_is_waited_out_and_holds_up_only_its_channel) {
  discord.control_post(
      "/faults",
      R"({"status": 429, "retry_after": 1.5, "count": 1, "channel": ")" +
          channel_a + R"("})");
  announce("room_created", "room:5:created", channel_a, room_details);
  announce("room_created", "room:6:created", channel_b, room_details);
  auto started = std::chrono::steady_clock::now();
  start_notifier();
  // Channel B does not wait for A's rate limit.
  BOOST_REQUIRE(await_delivered(1, 5s));
  BOOST_TEST(scalar("SELECT channel_id FROM discord_outbox WHERE state = "
                    "'delivered'") == channel_b);
  BOOST_REQUIRE(await_delivered(2));
  auto waited = std::chrono::steady_clock::now() - started;
  BOOST_TEST((waited >= 1500ms));
  BOOST_TEST(recorded(channel_a)["messages"].Size() == 1u);
  // Two attempts: the 429, then the post after the wait.
  BOOST_TEST(scalar("SELECT attempts FROM discord_outbox WHERE channel_id = " +
                    channel_a) == "2");
}

BOOST_AUTO_TEST_CASE(a_global_429_holds_every_channel) {
  discord.control_post("/faults",
                       R"({"status": 429, "retry_after": 1.5, "global": true, )"
                       R"("count": 1, "channel": ")" +
                           channel_a + R"("})");
  announce("room_created", "room:5:created", channel_a, room_details);
  start_notifier();
  auto until = std::chrono::steady_clock::now() + 10s;
  while (scalar("SELECT attempts FROM discord_outbox") != "1" &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE(scalar("SELECT attempts FROM discord_outbox") == "1");
  // Another channel's message during the hold waits for its end.
  auto held_from = std::chrono::steady_clock::now();
  announce("room_created", "room:6:created", channel_b, room_details);
  auto b_delivered = [&] {
    return scalar("SELECT state FROM discord_outbox WHERE channel_id = " +
                  channel_b) == "delivered";
  };
  until = std::chrono::steady_clock::now() + 10s;
  while (!b_delivered() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE(b_delivered());
  BOOST_TEST((std::chrono::steady_clock::now() - held_from >= 1200ms));
  BOOST_REQUIRE(await_delivered(2));
  // Nothing went to Discord for it before: one POST carried its nonce.
  auto doc = recorded(channel_b);
  BOOST_REQUIRE_EQUAL(doc["nonces"].Size(), 1u);
  BOOST_TEST(doc["nonces"][0]["posts"].GetInt64() == 1);
}

BOOST_AUTO_TEST_CASE(a_refused_bot_token_keeps_every_notification_waiting) {
  // A rotated or mistyped token: Discord refuses every post alike, so none
  // is given up for good; they wait until racecontrold has a valid one.
  announce("room_created", "room:5:created", channel_a, room_details);
  announce("room_created", "room:6:created", channel_b, room_details);
  start_notifier(config::secret{"not-the-bot-token"});
  auto until = std::chrono::steady_clock::now() + 10s;
  while (scalar("SELECT COUNT(*) FROM discord_outbox WHERE attempts > 0") !=
             "2" &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE state = "
                    "'pending' AND last_error LIKE '%bot token%'") == "2");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'discord_delivery_failed'") == "0");
}

BOOST_AUTO_TEST_CASE(a_refused_message_is_given_up_and_the_channel_moves_on) {
  // A channel Discord does not know: refused for good (404, 10003), audited;
  // the next message of that channel is not held behind it forever.
  const std::string unknown = "100000000000000099";
  announce("room_created", "room:5:created", unknown, room_details);
  announce("race_started", "room:5:started", unknown,
           R"({"slug": "alttpr/cool-doge-1234"})");
  start_notifier();
  auto until = std::chrono::steady_clock::now() + 20s;
  while (scalar("SELECT COUNT(*) FROM discord_outbox WHERE state = 'failed'") !=
             "2" &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM discord_outbox WHERE state = "
                    "'failed'") == "2");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'discord_delivery_failed'") == "2");
  BOOST_TEST(
      scalar("SELECT MIN(last_error) FROM discord_outbox").find("10003") !=
      std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stale_reads)

namespace {

/// An outbox of one row that answers a read asked for while the row is in
/// flight only after the row's outcome is stored, and then still lists it
/// as pending: a read that a parallel store worker ran before the outcome
/// committed.
caf::behavior lagging_outbox(caf::event_based_actor* self, outbox_item row,
                             std::shared_ptr<std::atomic<int>> reads) {
  auto stored = std::make_shared<bool>(false);
  auto held = std::make_shared<
      std::optional<caf::typed_response_promise<std::vector<outbox_item>>>>();
  return {
      [=](atom::get, atom::notify) -> caf::result<std::vector<outbox_item>> {
        auto n = ++*reads;
        if (*stored)
          return std::vector<outbox_item>{};
        if (n == 1)
          return std::vector<outbox_item>{row};
        *held = self->make_response_promise<std::vector<outbox_item>>();
        return **held;
      },
      [=](atom::put, const outbox_result&) {
        *stored = true;
        // The stale answer goes after this one's reply.
        self->send(self, atom::flush::value);
        return atom::ok::value;
      },
      [=](atom::flush) {
        if (*held)
          (*held)->deliver(std::vector<outbox_item>{row});
        held->reset();
      },
  };
}

} // namespace

BOOST_AUTO_TEST_CASE(a_read_from_before_an_outcome_was_stored_posts_nothing) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  caf::actor_system sys{cfg};
  outbox_item row{7, channel_a, "room_created", "{}", "rcnonce7", 0};
  auto reads = std::make_shared<std::atomic<int>>(0);
  auto store = sys.spawn(lagging_outbox, row, reads);
  auto posts = std::make_shared<std::atomic<int>>(0);
  auto notifier_slot = std::make_shared<discord_notifier_actor>();
  // Posting tells the notifier the outbox changed (as a new room does), so
  // it reads while the row is in flight; then Discord has the message.
  discord_sender sender =
      [posts, notifier_slot](const outbox_item&,
                             std::function<void(outbox_result)> done) {
        ++*posts;
        caf::anon_send(*notifier_slot, atom::notify::value);
        done({0, outbox_result::kind::delivered, "m1", "", 0});
      };
  discord_notifier_options o;
  o.poll_interval = 1h; // only the start and the notify read
  *notifier_slot = sys.spawn(
      discord_notifier, caf::actor_cast<outbox_store_actor>(store), sender, o);
  for (int i = 0; i < 200 && *reads < 3; ++i)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(*posts == 1);
  // The stale answer was set aside and the outbox read again.
  BOOST_TEST(*reads >= 3);
  caf::anon_send_exit(*notifier_slot, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
