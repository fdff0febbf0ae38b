// RaceTime account linking end to end (issue 12, point 4) over real
// sockets: racecontrold (a process) against racetime-sim and a scratch
// MariaDB (tests/support/race_world). The test plays the browser: it
// follows racecontrold's redirect to racetime-sim's /o/authorize and the
// simulator's redirect back to the callback, then reads what racecontrold
// stored. Match 10's room is open, so the newly linked player is invited.

#define BOOST_TEST_MODULE racetime_link
#include <boost/test/unit_test.hpp>

#include "persistence/secret_box.hpp"
#include "protocol/json.hpp"
#include "protocol/url.hpp"
#include "tests/support/race_world.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::race_world;

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;

const std::string org_token = "rc_" + std::string(43, 'l');    // org 1
const std::string reader_token = "rc_" + std::string(43, 'r'); // rooms:read
const std::string rival_token = "rc_" + std::string(43, 'o');  // org 2

struct answer {
  unsigned status = 0;
  std::string body;
  std::string location;
};

/// One request on its own connection; `token` empty: none (a browser).
answer fetch(std::uint16_t port, const std::string& method,
             const std::string& target, const std::string& token = "") {
  net::io_context io;
  beast::tcp_stream stream{io};
  stream.expires_after(30s);
  stream.connect({net::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::empty_body> req{bhttp::string_to_verb(method), target,
                                        11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!token.empty())
    req.set(bhttp::field::authorization, "Bearer " + token);
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  return {res.result_int(), res.body(),
          std::string{res[bhttp::field::location]}};
}

/// The path and query of an absolute URL on 127.0.0.1 and its port.
std::pair<std::uint16_t, std::string> split(const std::string& url) {
  auto u = protocol::parse_url(url);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(u), url);
  return {u->port, u->target};
}

std::uint16_t free_port() {
  net::io_context io;
  net::ip::tcp::acceptor a{io, {net::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

struct link_world {
  std::uint16_t port = free_port();
  race_world w{options(port)};

  static test::race_world_options options(std::uint16_t port) {
    test::race_world_options o;
    o.link_redirect_uri =
        "http://127.0.0.1:" + std::to_string(port) + "/link/racetime/callback";
    return o;
  }

  link_world() {
    w.execute("INSERT INTO organizations (id, name) VALUES (2, 'Rivals')");
    add_token(1, "links", org_token, R"(["matches:write"])");
    add_token(1, "reader", reader_token, R"(["rooms:read"])");
    add_token(2, "rival", rival_token, R"(["admin"])");
    w.start_daemon({"--http.listen=127.0.0.1:" + std::to_string(port),
                    "--link.client_id=link-client",
                    "--link.client_secret=link-secret"});
  }

  void add_token(int org, const std::string& name, const std::string& token,
                 const std::string& scopes) {
    w.execute("INSERT INTO api_tokens (organization_id, name, token_sha256, "
              "scopes) VALUES (" +
              std::to_string(org) + ", '" + name + "', SHA2('" + token +
              "', 256), '" + scopes + "')");
  }

  /// Who racetime-sim's /o/authorize approves as.
  void log_in_at_racetime(const std::string& user) {
    auto r = w.sim().control_post("/authorize-user",
                                  R"({"user_id": ")" + user + R"("})");
    BOOST_REQUIRE(r.status == 200u);
  }

  /// POST /api/users/{id}/racetime-link: the link's state.
  std::string new_link(int user) {
    auto r = fetch(port, "POST",
                   "/api/users/" + std::to_string(user) + "/racetime-link",
                   org_token);
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    auto doc = protocol::parse_json(r.body);
    std::string url = doc["url"].GetString();
    BOOST_TEST(doc["user_id"].GetInt() == user);
    BOOST_TEST(std::string{doc["expires_at"].GetString()}.size() > 10u);
    auto prefix =
        "http://127.0.0.1:" + std::to_string(port) + "/link/racetime?state=";
    BOOST_REQUIRE_MESSAGE(url.rfind(prefix, 0) == 0, url);
    return url.substr(prefix.size());
  }

  /// The browser up to racetime.gg's redirect back: the callback's target.
  std::string authorize(const std::string& state) {
    auto opened = fetch(port, "GET", "/link/racetime?state=" + state);
    BOOST_REQUIRE_MESSAGE(opened.status == 302u, opened.body);
    auto [sim_port, authorize] = split(opened.location);
    auto granted = fetch(sim_port, "GET", authorize);
    BOOST_REQUIRE_MESSAGE(granted.status == 302u, granted.body);
    return split(granted.location).second;
  }

  /// The browser: the link, racetime.gg's authorize page, the callback.
  /// Returns the callback's answer (and the callback's target in `back`).
  answer follow(const std::string& state, std::string* back = nullptr) {
    auto opened = fetch(port, "GET", "/link/racetime?state=" + state);
    BOOST_REQUIRE_MESSAGE(opened.status == 302u, opened.body);
    BOOST_TEST(opened.location.find("/o/authorize?") != std::string::npos);
    BOOST_TEST(opened.location.find("client_id=link-client") !=
               std::string::npos);
    auto [sim_port, authorize] = split(opened.location);
    auto granted = fetch(sim_port, "GET", authorize);
    BOOST_REQUIRE_MESSAGE(granted.status == 302u, granted.body);
    auto [our_port, callback] = split(granted.location);
    BOOST_TEST(our_port == port);
    BOOST_TEST(callback.find("code=") != std::string::npos);
    if (back != nullptr)
      *back = callback;
    return fetch(port, "GET", callback);
  }

  std::string user_column(int user, const std::string& column) {
    return w.scalar("SELECT COALESCE(" + column +
                    ", 'NULL') FROM users WHERE "
                    "id = " +
                    std::to_string(user));
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(linking, link_world)

BOOST_AUTO_TEST_CASE(link_end_to_end_then_reuse_expiry_and_unlink) {
  log_in_at_racetime("u3");
  auto state = new_link(3);
  // Only the SHA-256 of the state is stored.
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_link_states WHERE "
                     "user_id = 3 AND state_sha256 = SHA2('" +
                     state + "', 256)") == 1);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_link_states WHERE "
                     "state_sha256 = '" +
                     state + "'") == 0);

  std::string callback;
  auto done = follow(state, &callback);
  BOOST_TEST(done.status == 200u, done.body);
  BOOST_TEST(done.body.find("Carol is linked as Racer3") != std::string::npos,
             done.body);
  BOOST_TEST(user_column(3, "racetime_id") == "u3");
  BOOST_TEST(user_column(3, "racetime_name") == "Racer3");
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'user.racetime_linked' AND entity_id = 3") == 1);

  // The raw column holds the token sealed; opened, it is a live token of
  // u3 at racetime.gg.
  auto raw = user_column(3, "racetime_access_token");
  BOOST_TEST(persistence::secret_box::is_sealed(raw), raw);
  auto box = persistence::secret_box::from_keys(test::daemon_secret_key());
  auto token = box->open(raw);
  BOOST_REQUIRE(static_cast<bool>(token));
  BOOST_TEST(raw.find(*token) == std::string::npos);
  auto who =
      test::sim_harness::await<protocol::racetime_result<protocol::user_info>>(
          [&](auto cb) {
            w.sim().api().user_info(*token, std::move(cb));
          });
  BOOST_REQUIRE(static_cast<bool>(who));
  BOOST_TEST(who->user.id == "u3");
  BOOST_TEST(persistence::secret_box::is_sealed(
      user_column(3, "racetime_refresh_token")));

  // The newly linked player is invited to the match's open room.
  BOOST_TEST(race_world::wait_until(
      [&] {
        return race_world::has_entrant(w.race(), "u3",
                                       protocol::entrant_status::invited);
      },
      20s));

  // Reused: the same callback and the same link are refused, nothing new.
  auto again = fetch(port, "GET", callback);
  BOOST_TEST(again.status == 400u);
  BOOST_TEST(again.body.find("used already") != std::string::npos, again.body);
  BOOST_TEST(fetch(port, "GET", "/link/racetime?state=" + state).status ==
             400u);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'user.racetime_linked'") == 1);

  // Expired: refused before racetime.gg is asked; nothing stored.
  auto late = new_link(3);
  w.execute("UPDATE racetime_link_states SET expires_at = UTC_TIMESTAMP(6) - "
            "INTERVAL 1 MINUTE WHERE state_sha256 = SHA2('" +
            late + "', 256)");
  auto expired = fetch(port, "GET", "/link/racetime?state=" + late);
  BOOST_TEST(expired.status == 400u);
  BOOST_TEST(expired.body.find("expired") != std::string::npos, expired.body);
  auto expired_cb =
      fetch(port, "GET", "/link/racetime/callback?code=x&state=" + late);
  BOOST_TEST(expired_cb.status == 400u);

  // Forged or missing states.
  auto forged =
      fetch(port, "GET", "/link/racetime?state=" + std::string(43, 'A'));
  BOOST_TEST(forged.status == 400u);
  BOOST_TEST(forged.body.find("not valid") != std::string::npos);
  BOOST_TEST(fetch(port, "GET", "/link/racetime").status == 400u);
  BOOST_TEST(
      fetch(port, "GET",
            "/link/racetime/callback?code=abc&state=" + std::string(43, 'B'))
          .status == 400u);

  // Unlink: the account and tokens are gone, audited.
  auto unlinked =
      fetch(port, "DELETE", "/api/users/3/racetime-link", org_token);
  BOOST_TEST(unlinked.status == 200u, unlinked.body);
  BOOST_TEST(protocol::parse_json(unlinked.body)["unlinked_racetime_name"]
                 .GetString() == std::string{"Racer3"});
  BOOST_TEST(user_column(3, "racetime_id") == "NULL");
  BOOST_TEST(user_column(3, "racetime_access_token") == "NULL");
  BOOST_TEST(w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                     "'user.racetime_unlinked' AND entity_id = 3") == 1);
}

BOOST_AUTO_TEST_CASE(an_account_linked_to_another_user_is_refused) {
  // racetime.gg's session is u1, already Alice's (user 1): Carol's link
  // must not take it.
  log_in_at_racetime("u1");
  auto state = new_link(3);
  auto r = follow(state);
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.body.find("already linked to another") != std::string::npos,
             r.body);
  BOOST_TEST(user_column(3, "racetime_id") == "NULL");
  BOOST_TEST(user_column(1, "racetime_id") == "u1");
  // The refusal did not use the link up (Carol can still link her own).
  log_in_at_racetime("u3");
  BOOST_TEST(follow(state).status == 200u);
  BOOST_TEST(user_column(3, "racetime_id") == "u3");
}

BOOST_AUTO_TEST_CASE(a_reloaded_callback_waits_for_the_first_one) {
  // racetime.gg is slow to exchange the code; the player reloads the
  // callback page meanwhile. The reload must not spend the one-time code
  // again and say nothing was stored while the first request links.
  log_in_at_racetime("u3");
  auto state = new_link(3);
  auto callback = authorize(state);
  auto r = w.sim().control_post(
      "/faults",
      R"({"path_prefix": "/o/token", "delay_ms": 1500, "count": 2})");
  BOOST_REQUIRE(r.status == 200u);
  answer first;
  std::thread browser{[&] {
    first = fetch(port, "GET", callback);
  }};
  std::this_thread::sleep_for(300ms);
  auto reload = fetch(port, "GET", callback);
  browser.join();
  BOOST_TEST(first.status == 200u, first.body);
  BOOST_TEST(reload.status == 409u, reload.body);
  BOOST_TEST(reload.body.find("being completed") != std::string::npos,
             reload.body);
  BOOST_TEST(user_column(3, "racetime_id") == "u3");
  // Once it ended, the link is used: a later reload says so.
  auto later = fetch(port, "GET", callback);
  BOOST_TEST(later.status == 400u, later.body);
}

BOOST_AUTO_TEST_CASE(only_the_newest_link_works_and_an_unlink_ends_it) {
  // A link posted in the wrong channel is revoked by issuing another; an
  // unlink ends a link not used yet. Each ended one says why.
  log_in_at_racetime("u3");
  auto leaked = new_link(3);
  auto fresh = new_link(3);
  auto old = fetch(port, "GET", "/link/racetime?state=" + leaked);
  BOOST_TEST(old.status == 400u);
  BOOST_TEST(old.body.find("newer link") != std::string::npos, old.body);
  BOOST_TEST(follow(fresh).status == 200u);
  BOOST_TEST(user_column(3, "racetime_id") == "u3");

  auto pending = new_link(3);
  BOOST_TEST(
      fetch(port, "DELETE", "/api/users/3/racetime-link", org_token).status ==
      200u);
  BOOST_TEST(fetch(port, "GET", "/link/racetime?state=" + pending).status ==
             400u);
  BOOST_TEST(user_column(3, "racetime_id") == "NULL");
}

BOOST_AUTO_TEST_CASE(a_made_up_state_is_refused_before_anything_keeps_it) {
  // Text of anyone's choosing in state= went to the log scrubber for good:
  // "linked" would then be blanked out of every later log line (and each
  // request grew the registry). It is refused on its shape now.
  for (const std::string target :
       {"/link/racetime?state=linked",
        "/link/racetime/callback?code=abc&state=linked"}) {
    auto r = fetch(port, "GET", target);
    BOOST_TEST(r.status == 400u, target);
    BOOST_TEST(r.body.find("not valid") != std::string::npos, r.body);
  }
  log_in_at_racetime("u3");
  BOOST_REQUIRE(follow(new_link(3)).status == 200u);
  BOOST_TEST(test::race_world::wait_until(
      [&] {
        return w.daemon().output().find("linked racetime.gg account") !=
               std::string::npos;
      },
      10s));
}

BOOST_AUTO_TEST_CASE(tokens_scopes_and_organizations) {
  // No token, a token without matches:write, another organization, an
  // unknown user.
  BOOST_TEST(fetch(port, "POST", "/api/users/3/racetime-link").status == 401u);
  BOOST_TEST(
      fetch(port, "POST", "/api/users/3/racetime-link", reader_token).status ==
      403u);
  auto rival = fetch(port, "POST", "/api/users/3/racetime-link", rival_token);
  BOOST_TEST(rival.status == 403u, rival.body);
  BOOST_TEST(
      fetch(port, "DELETE", "/api/users/3/racetime-link", rival_token).status ==
      403u);
  BOOST_TEST(
      fetch(port, "POST", "/api/users/999/racetime-link", org_token).status ==
      404u);
  BOOST_TEST(
      fetch(port, "POST", "/api/users/x/racetime-link", org_token).status ==
      400u);
  BOOST_TEST(w.count("SELECT COUNT(*) FROM racetime_link_states") == 0);
  // racetime.gg refusing the authorization (the user pressed "Cancel").
  auto state = new_link(3);
  auto denied =
      fetch(port, "GET",
            "/link/racetime/callback?error=access_denied&state=" + state);
  BOOST_TEST(denied.status == 400u);
  BOOST_TEST(user_column(3, "racetime_id") == "NULL");
}

BOOST_AUTO_TEST_SUITE_END()

// --- the daemon and its secret key ------------------------------------------

BOOST_AUTO_TEST_CASE(the_daemon_needs_the_key_its_secrets_were_written_with) {
  race_world w;
  auto url = "--database.url=" + w.url().to_string();
  // race_world's URL leaves the password out; the test server's has it.
  auto password = test::test_server_url().password.reveal();
  // Without a key: one line, exit status 2.
  {
    test::daemon_process d({url}, {{"RACECONTROL_DATABASE_PASSWORD", password},
                                   {"RACECONTROL_SECRET_KEY", ""}});
    BOOST_REQUIRE(d.exited(20000ms));
    BOOST_TEST(d.exit_code == 2, d.error_output());
    BOOST_TEST(d.error_output().find(
                   "racecontrold: RACECONTROL_SECRET_KEY is not set") !=
                   std::string::npos,
               d.error_output());
  }
  // A sealed row under another key: refused, naming that key's id.
  auto other = persistence::secret_box::from_keys(
      persistence::secret_box::generate_key());
  w.execute("UPDATE racetime_bots SET client_secret = '" +
            *other->seal("bot-secret") + "' WHERE id = 1");
  test::daemon_process d({url}, {{"RACECONTROL_DATABASE_PASSWORD", password}});
  BOOST_REQUIRE(d.exited(20000ms));
  BOOST_TEST(d.exit_code == 2, d.error_output());
  BOOST_TEST(d.error_output().find("key id " + other->key_id()) !=
                 std::string::npos,
             d.error_output());
  BOOST_TEST(d.error_output().find("bot-secret") == std::string::npos);
}
