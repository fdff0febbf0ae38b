#define BOOST_TEST_MODULE admin_console_world
#include <boost/test/unit_test.hpp>

// The admin console against racecontrold and racetime-sim (race_world):
// `open-room` really opens the match's room in the simulator with the
// overrides given, and the room then shows in `rooms --active` and `room`.
// The session logs in with an admin API token stored as its SHA-256, as
// racecontrol-migrate or the console would have made it.

#include "tests/support/line_client.hpp"
#include "tests/support/race_world.hpp"

#include <regex>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::line_client;
using test::race_world;

namespace {

const std::string admin_token = "rc_" + std::string(42, 'B') + "A";

std::uint16_t console_port(test::daemon_process& d) {
  std::smatch m;
  auto out = d.output();
  if (!std::regex_search(out, m,
                         std::regex{"console: listening on 127.0.0.1:(\\d+)"}))
    return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

std::string ask(line_client& c, const std::string& command) {
  BOOST_REQUIRE(c.line(command));
  return c.read_answer(60s);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Evaluates `expr` once (it may be a command sent to the console).
#define CHECK_HAS(expr, part)                                                  \
  do {                                                                         \
    const std::string checked_text_ = (expr);                                  \
    BOOST_TEST(has(checked_text_, part), "[" << checked_text_ << "]");         \
  } while (false)

} // namespace

BOOST_AUTO_TEST_CASE(open_room_opens_the_match_room_in_racetime_sim) {
  test::race_world_options o;
  o.premade_room = false;
  race_world w{o};
  w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
            "organization_id) VALUES (1, 1)");
  w.execute("INSERT INTO api_tokens (organization_id, name, token_sha256, "
            "scopes) VALUES (1, 'ops', SHA2('" +
            admin_token + "', 256), '[\"admin\"]')");
  w.start_daemon({"--console.listen=127.0.0.1:0"});
  auto port = console_port(w.daemon());
  BOOST_REQUIRE_MESSAGE(port != 0, w.daemon().output());

  line_client c{port};
  CHECK_HAS(c.read_answer(10s), "racecontrol console on ");
  CHECK_HAS(ask(c, "login " + admin_token), "logged in (token 1 (ops))");
  BOOST_REQUIRE_MESSAGE(race_world::wait_until(
                            [&] {
                              return has(ask(c, "bots"), "connected");
                            },
                            20s),
                        w.daemon().output());

  auto opened = ask(c, "open-room 10 --goal \"All dungeons\" "
                       "--invitational no");
  CHECK_HAS(opened, "room opened:");
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(
      std::regex_search(opened, m, std::regex{"room +([a-z0-9-]+/[a-z0-9-]+)"}),
      opened);
  auto slug = m[1].str();
  CHECK_HAS(opened, "All dungeons");
  w.use_race(slug);
  BOOST_TEST(w.race().goal.name == "All dungeons");
  BOOST_TEST(w.race().status_info.value == "open");
  BOOST_TEST(w.scalar("SELECT requested_by FROM racetime_rooms") ==
             "console: token 1 (ops)");

  // Asked again: the same room, nothing new.
  CHECK_HAS(ask(c, "open-room 10"), "the match already had its room:");
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_rooms") == 1);

  BOOST_TEST(race_world::wait_until(
      [&] {
        return has(ask(c, "rooms --active"), slug);
      },
      20s));
  auto room = ask(c, "room " + slug);
  CHECK_HAS(room, "match            10 ");
  CHECK_HAS(room, "watcher          ");
  BOOST_TEST(!has(w.daemon().output(), admin_token));
  BOOST_TEST(w.stop_daemon() == 0);
}
