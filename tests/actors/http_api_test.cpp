// The HTTP API of issue 12 over real sockets: racecontrold as a process
// against a scratch MariaDB and racetime-sim (tests/support/race_world).
// Tokens are stored as the repository stores them (SHA-256 in hex), so
// each test knows its tokens' text. Covers authentication and scopes,
// every endpoint with good and bad input, seed 001's two room endpoints'
// exact shapes (POST opening a real room in racetime-sim), and the
// OpenAPI document against the router's routes.

#define BOOST_TEST_MODULE http_api
#include <boost/test/unit_test.hpp>

#include "actors/http_api.hpp"
#include "protocol/json.hpp"
#include "tests/support/race_world.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <set>
#include <thread>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::race_world;

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;

// --- tokens ------------------------------------------------------------------

/// A well-formed token whose 43 characters are `c` (the test's own).
std::string token_of(char c) {
  return "rc_" + std::string(43, c);
}

const std::string admin_token = token_of('a');  // org 1: admin
const std::string reader_token = token_of('r'); // org 1: rooms:read only
const std::string writer_token = token_of('w'); // org 1: rooms+matches
const std::string other_token = token_of('o');  // org 2: admin
const std::string revoked_token = token_of('v');

void add_token(race_world& w, int org, const std::string& name,
               const std::string& token, const std::string& scopes,
               bool revoked = false) {
  w.execute("INSERT INTO api_tokens (organization_id, name, token_sha256, "
            "scopes, revoked_at) VALUES (" +
            std::to_string(org) + ", '" + name + "', SHA2('" + token +
            "', 256), '" + scopes + "', " +
            (revoked ? "UTC_TIMESTAMP(6)" : "NULL") + ")");
}

/// Organization 2 with a tournament and match 20 of its own; tokens for
/// both organizations.
void add_tokens(race_world& w) {
  w.execute("INSERT INTO organizations (id, name) VALUES (2, 'Rivals')");
  w.execute("INSERT INTO tournaments (id, organization_id, name) VALUES (2, "
            "2, 'Rival Cup')");
  w.execute("INSERT INTO matches (id, tournament_id, title) VALUES (20, 2, "
            "'Secret final')");
  add_token(w, 1, "admin", admin_token, R"(["admin"])");
  add_token(w, 1, "reader", reader_token, R"(["rooms:read"])");
  add_token(
      w, 1, "writer", writer_token,
      R"(["rooms:read", "rooms:write", "matches:read", "matches:write"])");
  add_token(w, 2, "rival", other_token, R"(["admin"])");
  add_token(w, 1, "old", revoked_token, R"(["admin"])", true);
}

// --- HTTP --------------------------------------------------------------------

struct answer {
  unsigned status = 0; ///< 0: no answer (the error in body)
  std::string body;
  std::string www_authenticate;
  std::string allow;

  rapidjson::Document json() const { return protocol::parse_json(body); }
  std::string error_code() const {
    auto doc = json();
    return doc["error"]["code"].GetString();
  }
  std::string error_message() const {
    auto doc = json();
    return doc["error"]["message"].GetString();
  }
  bool has_field(const char* name) const {
    auto doc = json();
    return doc["error"]["fields"].HasMember(name);
  }
};

/// Writes `text` as it is (a request, or its start) and reads one answer.
answer raw_call(std::uint16_t port, const std::string& text) {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  beast::error_code failure;
  stream.expires_after(20s);
  stream.async_connect({boost::asio::ip::make_address("127.0.0.1"), port},
                       [&](beast::error_code ec) {
                         if (ec)
                           return void(failure = ec);
                         boost::asio::async_write(
                             stream, boost::asio::buffer(text),
                             [&](beast::error_code ec, std::size_t) {
                               if (ec)
                                 return void(failure = ec);
                               bhttp::async_read(
                                   stream, buffer, res,
                                   [&](beast::error_code ec, std::size_t) {
                                     failure = ec;
                                   });
                             });
                       });
  io.run();
  if (failure)
    return {0, failure.message(), "", ""};
  return {res.result_int(), res.body(),
          std::string{res[bhttp::field::www_authenticate]},
          std::string{res[bhttp::field::allow]}};
}

answer call(std::uint16_t port, const std::string& method,
            const std::string& target, const std::string& token = "",
            const std::optional<std::string>& body = std::nullopt,
            const std::string& extra_headers = "") {
  std::string text = method + " " + target +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                     extra_headers;
  if (!token.empty())
    text += "Authorization: Bearer " + token + "\r\n";
  if (body)
    text += "Content-Type: application/json\r\nContent-Length: " +
            std::to_string(body->size()) + "\r\n";
  else
    text += "Content-Length: 0\r\n";
  return raw_call(port, text + "\r\n" + body.value_or(""));
}

std::set<std::string> keys(const rapidjson::Value& object) {
  std::set<std::string> out;
  for (const auto& m : object.GetObject())
    out.insert(m.name.GetString());
  return out;
}

struct api_world {
  race_world w;
  std::uint16_t port = 0;

  explicit api_world(test::race_world_options options = {})
      : w(std::move(options)) {
    add_tokens(w);
  }

  void start(std::vector<std::string> extra = {}) {
    w.start_daemon(std::move(extra));
    port = w.daemon().http_port(20s);
    BOOST_REQUIRE(port != 0);
  }

  answer get(const std::string& target, const std::string& token) {
    return call(port, "GET", target, token);
  }
};

test::race_world_options no_room() {
  test::race_world_options o;
  o.premade_room = false;
  return o;
}

} // namespace

// --- the OpenAPI document
// ------------------------------------------------------

BOOST_AUTO_TEST_CASE(openapi_lists_exactly_the_routes_the_router_has) {
  auto doc = protocol::parse_json(openapi_document());
  std::set<std::string> documented;
  for (const auto& path : doc["paths"].GetObject())
    for (const auto& method : path.value.GetObject()) {
      std::string verb = method.name.GetString();
      for (auto& c : verb)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(verb + " " + path.name.GetString());
    }
  std::set<std::string> routed;
  for (const auto& r : api_router(nullptr).routes())
    routed.insert(std::string{bhttp::to_string(r.method)} + " " + r.pattern);
  BOOST_TEST(routed.size() == api_router(nullptr).routes().size(),
             "a route is registered twice");
  BOOST_TEST(documented == routed, [&] {
    std::string out = "documented:";
    for (const auto& d : documented)
      out += " [" + d + "]";
    out += "\nrouted:";
    for (const auto& r : routed)
      out += " [" + r + "]";
    return out;
  }());
}

// --- authentication, scopes, organizations, the server's limits -------------

BOOST_AUTO_TEST_CASE(tokens_scopes_and_organizations) {
  api_world a;
  a.start();
  // Open to anyone.
  BOOST_TEST(a.get("/healthz", "").status == 200u);
  BOOST_TEST(call(a.port, "GET", "/api/openapi.json").status == 200u);
  BOOST_TEST(call(a.port, "GET", "/api/openapi.json").body ==
             openapi_document());
  // Missing, malformed, unknown and revoked tokens: 401 with the header.
  for (const auto& token :
       {std::string{}, std::string{"rc_short"}, token_of('u'), revoked_token}) {
    auto r = a.get("/api/matches/10", token);
    BOOST_TEST_CONTEXT("token '" << token.substr(0, 5) << "...'") {
      BOOST_TEST(r.status == 401u);
      BOOST_TEST(r.www_authenticate.find("Bearer") == 0u);
      BOOST_TEST(r.error_code() == "unauthorized");
    }
  }
  BOOST_TEST(
      a.get("/api/matches/10", revoked_token).error_message().find("revoked") !=
      std::string::npos);
  auto basic = raw_call(a.port, "GET /api/matches HTTP/1.1\r\nHost: x\r\n"
                                "Authorization: Basic YTpi\r\n"
                                "Connection: close\r\n\r\n");
  BOOST_TEST(basic.status == 401u);
  // A token without the scope: 403 naming it.
  auto wrong = a.get("/api/matches/10", reader_token);
  BOOST_TEST(wrong.status == 403u);
  BOOST_TEST(wrong.error_code() == "insufficient_scope");
  BOOST_TEST(wrong.error_message().find("matches:read") != std::string::npos);
  BOOST_TEST(call(a.port, "PATCH", "/api/matches/10", reader_token,
                  R"({"title": "x"})")
                 .status == 403u);
  // The scope it has works; admin allows everything.
  BOOST_TEST(a.get("/api/matches/10/racetime-room", reader_token).status ==
             200u);
  BOOST_TEST(a.get("/api/matches/10", admin_token).status == 200u);
  // Another organization's match: 403, nothing of it said.
  for (const auto& target :
       {"/api/matches/20", "/api/matches/20/racetime-room"}) {
    auto r = a.get(target, admin_token);
    BOOST_TEST(r.status == 403u);
    BOOST_TEST(r.error_code() == "forbidden");
    BOOST_TEST(r.body.find("Secret final") == std::string::npos);
  }
  BOOST_TEST(a.get("/api/tournaments/2", admin_token).status == 403u);
  BOOST_TEST(a.get("/api/matches/10", other_token).status == 403u);
  BOOST_TEST(a.get("/api/rooms/5", other_token).status == 403u);
  BOOST_TEST(call(a.port, "POST", "/api/matches/20/racetime-room", admin_token)
                 .status == 403u);
  BOOST_TEST(call(a.port, "PATCH", "/api/matches/20", admin_token,
                  R"({"title": "mine now"})")
                 .status == 403u);
  BOOST_TEST(a.w.scalar("SELECT title FROM matches WHERE id = 20") ==
             "Secret final");
  // A room whose match was deleted is no organization's: not even an
  // admin token of another one reads it (who asked for it, from where).
  a.w.execute("INSERT INTO racetime_rooms (id, slug, category, room_name, "
              "status, requested_by) VALUES (77, 'alttpr/orphan-room', "
              "'alttpr', 'orphan-room', 'finished', 'api-token:rival#9 from "
              "203.0.113.9')");
  auto orphan = a.get("/api/rooms/77", admin_token);
  BOOST_TEST(orphan.status == 403u);
  BOOST_TEST(orphan.body.find("203.0.113.9") == std::string::npos);
  // A room racetime.gg cancelled that gave its match up (the match has a
  // new room) stays its organization's.
  a.w.execute("INSERT INTO racetime_rooms (id, slug, category, room_name, "
              "status, released_match_id) VALUES (78, 'alttpr/released-room', "
              "'alttpr', 'released-room', 'cancelled', 20)");
  BOOST_TEST(a.get("/api/rooms/78", other_token).status == 200u);
  BOOST_TEST(a.get("/api/rooms/78", admin_token).status == 403u);
  // Lists show the token's organization only.
  auto rival = a.get("/api/matches", other_token).json();
  BOOST_TEST(rival["items"].Size() == 1u);
  BOOST_TEST(rival["items"][0]["id"].GetInt() == 20);
  // Unknown route, wrong method, unknown ids, bad ids.
  BOOST_TEST(a.get("/api/nowhere", admin_token).status == 404u);
  auto method = call(a.port, "DELETE", "/api/matches/10", admin_token);
  BOOST_TEST(method.status == 405u);
  BOOST_TEST(method.allow.find("PATCH") != std::string::npos);
  BOOST_TEST(a.get("/api/matches/999", admin_token).status == 404u);
  BOOST_TEST(a.get("/api/matches/abc", admin_token).status == 400u);
  BOOST_TEST(a.get("/api/matches?limit=0", admin_token).status == 400u);
  BOOST_TEST(a.get("/api/matches?upcoming=soon", admin_token).status == 400u);
  BOOST_TEST(a.get("/api/rooms?status=burning", admin_token).status == 400u);
  // A huge body is refused from its Content-Length, unread.
  auto huge = raw_call(a.port, "POST /api/matches HTTP/1.1\r\nHost: x\r\n"
                               "Authorization: Bearer " +
                                   admin_token +
                                   "\r\nContent-Length: 50000000\r\n\r\n");
  BOOST_TEST(huge.status == 413u);
  // Uses are recorded.
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM api_tokens WHERE last_used_at "
                       "IS NOT NULL AND name = 'admin'") == 1);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM api_tokens WHERE last_used_at "
                       "IS NOT NULL AND name = 'old'") == 0);
}

// --- reads
// ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tournaments_matches_rooms_and_bots) {
  api_world a;
  a.start();
  // Seed 001's Check Room Status, exactly its keys.
  auto status = a.get("/api/matches/10/racetime-room", writer_token);
  BOOST_REQUIRE(status.status == 200u);
  auto st = status.json();
  BOOST_TEST(
      (keys(st) == std::set<std::string>{"has_room", "room_slug", "room_url",
                                         "created_at", "invited_count"}));
  BOOST_TEST(st["has_room"].GetBool());
  BOOST_TEST(st["room_slug"].GetString() == a.w.race_name());
  BOOST_TEST(std::string{st["room_url"].GetString()} ==
             a.w.sim().base().origin() + "/" + a.w.race_name());
  BOOST_TEST(st["invited_count"].GetInt() == 2); // Alice and Bob are linked
  BOOST_TEST(std::string{st["created_at"].GetString()}.size() == 20u);
  // The match: players, room, no reason.
  auto m = a.get("/api/matches/10", writer_token).json();
  BOOST_TEST(m["players"].Size() == 3u);
  BOOST_TEST(m["players"][2]["display_name"].GetString() ==
             std::string{"Carol"});
  BOOST_TEST(!m["players"][2]["racetime_linked"].GetBool());
  BOOST_TEST(m["room"]["id"].GetInt() == 5);
  BOOST_TEST(m["room_reason"].IsNull());
  // Pages: one match per page, then none.
  a.w.execute("INSERT INTO matches (id, tournament_id, title) VALUES (11, 1, "
              "'Semi')");
  auto first = a.get("/api/matches?limit=1", writer_token).json();
  BOOST_TEST(first["items"].Size() == 1u);
  BOOST_TEST(first["items"][0]["id"].GetInt() == 10);
  BOOST_REQUIRE(first["next"].IsString());
  auto second = a.get("/api/matches?limit=1&cursor=" +
                          std::string{first["next"].GetString()},
                      writer_token)
                    .json();
  BOOST_TEST(second["items"][0]["id"].GetInt() == 11);
  BOOST_TEST(second["next"].IsNull());
  BOOST_TEST(a.get("/api/matches?upcoming=true", writer_token)
                 .json()["items"]
                 .Size() == 1u); // only 10 is scheduled
  BOOST_TEST(a.get("/api/matches?tournament_id=1", writer_token)
                 .json()["items"]
                 .Size() == 2u);
  BOOST_TEST(a.get("/api/matches?tournament_id=1abc", writer_token).status ==
             400u);
  // Tournaments (admin token: tournaments:read).
  auto ts = a.get("/api/tournaments", admin_token).json();
  BOOST_TEST(ts["items"].Size() == 1u);
  BOOST_TEST(ts["items"][0]["name"].GetString() == std::string{"Spring Cup"});
  BOOST_TEST(a.get("/api/tournaments/1", admin_token)
                 .json()["racetime_bot_id"]
                 .GetInt() == 1);
  BOOST_TEST(a.get("/api/tournaments/99", admin_token).status == 404u);
  // Rooms, by status too.
  auto rooms = a.get("/api/rooms", writer_token).json();
  BOOST_TEST(rooms["items"].Size() == 1u);
  BOOST_TEST(rooms["items"][0]["results"].Size() == 3u);
  BOOST_TEST(a.get("/api/rooms?status=finished", writer_token)
                 .json()["items"]
                 .Size() == 0u);
  BOOST_TEST(a.get("/api/rooms/5", writer_token).json()["slug"].GetString() ==
             a.w.race_name());
  // Bots: those of the organization, with live status, never the secret.
  BOOST_TEST(a.get("/api/bots", admin_token).json()["items"].Size() == 0u);
  a.w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
              "organization_id) VALUES (1, 1)");
  auto bots = a.get("/api/bots", admin_token);
  BOOST_TEST(bots.status == 200u);
  BOOST_TEST(bots.json()["items"].Size() == 1u);
  BOOST_TEST(bots.body.find("bot-secret") == std::string::npos);
  BOOST_TEST(a.get("/api/bots", writer_token).status == 403u);
}

// --- writes
// ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(creating_and_changing_matches) {
  api_world a;
  a.start();
  auto created = call(a.port, "POST", "/api/matches", writer_token,
                      R"({"tournament_id": 1, "title": "Robert'); DROP TABLE )"
                      R"(matches; -- \"quoted\"", "scheduled_at": )"
                      R"("2030-01-02T03:04:05Z", "players": [1, 2], )"
                      R"("goal": "All dungeons; --"})");
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  auto m = created.json();
  auto id = m["id"].GetInt();
  BOOST_TEST(m["title"].GetString() ==
             std::string{R"(Robert'); DROP TABLE matches; -- "quoted")"});
  BOOST_TEST(m["scheduled_at"].GetString() ==
             std::string{"2030-01-02T03:04:05Z"});
  BOOST_TEST(m["players"].Size() == 2u);
  // Stored verbatim.
  BOOST_TEST(a.w.scalar("SELECT title FROM matches WHERE id = " +
                        std::to_string(id)) ==
             R"(Robert'); DROP TABLE matches; -- "quoted")");
  BOOST_TEST(a.w.scalar("SELECT racetime_goal FROM matches WHERE id = " +
                        std::to_string(id)) == "All dungeons; --");
  // Audited with the token's identity.
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'match_created' AND JSON_VALUE(details, '$.actor') "
                       "LIKE 'api-token:writer#%'") == 1);
  // Bad input: malformed JSON, wrong types, unknown fields, missing ones.
  auto target = "/api/matches/" + std::to_string(id);
  auto malformed = call(a.port, "PATCH", target, writer_token, "{\"title\": ");
  BOOST_TEST(malformed.status == 400u);
  BOOST_TEST(malformed.error_code() == "malformed_json");
  // Not UTF-8: refused before MariaDB sees it (it answered 500, or cut the
  // title at the bad byte on a lenient server).
  auto latin1 =
      call(a.port, "PATCH", target, writer_token, "{\"title\": \"Fin\xe4le\"}");
  BOOST_TEST(latin1.status == 400u, latin1.body);
  BOOST_TEST(latin1.error_code() == "malformed_json");
  BOOST_TEST(latin1.error_message().find("UTF-8") != std::string::npos);
  auto surrogate = call(a.port, "PATCH", target, writer_token,
                        R"({"title": "lone \udc00 half"})");
  BOOST_TEST(surrogate.status == 400u, surrogate.body);
  auto types = call(a.port, "PATCH", target, writer_token,
                    R"({"title": 5, "invitational": "yes", "players": ["a"],)"
                    R"( "scheduled_at": "tomorrow", "colour": "red"})");
  // Readable JSON with wrong fields: 422, as for tasks and bots.
  BOOST_TEST(types.status == 422u);
  BOOST_TEST(types.error_code() == "invalid_fields");
  for (auto f : {"title", "invitational", "players", "scheduled_at", "colour"})
    BOOST_TEST(types.has_field(f), f);
  auto missing = call(a.port, "POST", "/api/matches", writer_token, "{}");
  BOOST_TEST(missing.status == 422u);
  BOOST_TEST(missing.has_field("tournament_id"));
  BOOST_TEST(call(a.port, "POST", "/api/matches", writer_token, "[1]").status ==
             400u);
  auto unknown_user =
      call(a.port, "PATCH", target, writer_token, R"({"players": [1, 77]})");
  BOOST_TEST(unknown_user.status == 422u);
  BOOST_TEST(unknown_user.has_field("players"));
  // Another organization's player is not this one's to add (nor, through
  // that, to link or unlink): refused as unknown, nothing of her said.
  a.w.execute("INSERT INTO users (id, display_name) VALUES (9, 'Dana')");
  a.w.execute("INSERT INTO organization_members (organization_id, user_id) "
              "VALUES (2, 9)");
  a.w.execute("INSERT INTO match_players (match_id, user_id) VALUES (20, 9)");
  auto rival = call(a.port, "POST", "/api/matches", writer_token,
                    R"({"tournament_id": 1, "title": "x", "players": [1, 9]})");
  BOOST_TEST(rival.status == 422u);
  BOOST_TEST(rival.error_code() == "unknown_users");
  BOOST_TEST(rival.body.find("Dana") == std::string::npos);
  BOOST_TEST(call(a.port, "PATCH", target, writer_token, R"({"players": [9]})")
                 .status == 422u);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM match_players WHERE user_id = "
                       "9") == 1);
  BOOST_TEST(call(a.port, "DELETE", "/api/users/9/racetime-link", writer_token)
                 .status == 403u);
  // A member of this organization too: she may play here.
  a.w.execute("INSERT INTO organization_members (organization_id, user_id) "
              "VALUES (1, 9)");
  auto member = call(a.port, "POST", "/api/matches", writer_token,
                     R"({"tournament_id": 1, "title": "x", "players": [9]})");
  BOOST_TEST(member.status == 201u, member.body);
  BOOST_TEST(call(a.port, "POST", "/api/matches", writer_token,
                  R"({"tournament_id": 2, "title": "x"})")
                 .status == 403u);
  // require_racetime_link: Carol has no linked account.
  a.w.execute("UPDATE tournaments SET require_racetime_link = 1 WHERE id = 1");
  auto unlinked =
      call(a.port, "PATCH", target, writer_token, R"({"players": [1, 2, 3]})");
  BOOST_TEST(unlinked.status == 422u);
  BOOST_TEST(unlinked.error_code() == "players_not_linked");
  BOOST_TEST(unlinked.error_message().find("Carol") != std::string::npos);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM match_players WHERE match_id = " +
                       std::to_string(id)) == 2);
  // Unscheduled, she may play; scheduling it then is refused.
  auto unscheduled = call(a.port, "PATCH", target, writer_token,
                          R"({"scheduled_at": null, "players": [1, 2, 3]})");
  BOOST_TEST(unscheduled.status == 200u, unscheduled.body);
  BOOST_TEST(unscheduled.json()["scheduled_at"].IsNull());
  BOOST_TEST(call(a.port, "PATCH", target, writer_token,
                  R"({"scheduled_at": "2030-01-02T03:04:05Z"})")
                 .status == 422u);
  // Flags and goal change; null clears the goal.
  auto flags = call(a.port, "PATCH", target, writer_token,
                    R"({"auto_create": false, "invitational": false, )"
                    R"("goal": null})");
  BOOST_TEST(flags.status == 200u, flags.body);
  BOOST_TEST(!flags.json()["racetime_auto_create"].GetBool());
  BOOST_TEST(flags.json()["racetime_goal"].IsNull());
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'match_updated' AND entity_id = " +
                       std::to_string(id)) == 2);
  BOOST_TEST(a.w.daemon().output().find(writer_token) == std::string::npos);
}

// --- seed 001's manual open
// ------------------------------------------------------

BOOST_AUTO_TEST_CASE(post_racetime_room_opens_a_real_room) {
  api_world a{no_room()};
  a.w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
              "organization_id) VALUES (1, 1)");
  a.start();
  // No room yet: seed 001's shape with nulls.
  auto none = a.get("/api/matches/10/racetime-room", writer_token).json();
  BOOST_TEST(!none["has_room"].GetBool());
  BOOST_TEST(none["room_slug"].IsNull());
  BOOST_TEST(none["invited_count"].IsNull());
  BOOST_TEST(keys(none).size() == 5u);
  // Wrong override types: 422 naming them, nothing opened.
  auto bad = call(a.port, "POST", "/api/matches/10/racetime-room", writer_token,
                  R"({"goal": 3, "invitational": "yes"})");
  BOOST_TEST(bad.status == 422u);
  BOOST_TEST(bad.has_field("goal"));
  BOOST_TEST(bad.has_field("invitational"));
  BOOST_TEST(call(a.port, "POST", "/api/matches/10/racetime-room", writer_token,
                  "{oops")
                 .status == 400u);
  // Open it (the bot may still be connecting: 503 until it is).
  answer opened;
  race_world::wait_until(
      [&] {
        opened =
            call(a.port, "POST", "/api/matches/10/racetime-room", writer_token,
                 R"({"goal": "Beat the game - Finals", "invitational": )"
                 R"(false})");
        return opened.status != 503u;
      },
      30s);
  BOOST_REQUIRE_MESSAGE(opened.status == 201u, opened.body
                                                   << "\n"
                                                   << a.w.daemon().output());
  auto room = opened.json();
  BOOST_TEST((keys(room) == std::set<std::string>{"room_slug", "room_url",
                                                  "invited_players", "goal"}));
  BOOST_TEST(room["goal"].GetString() == std::string{"Beat the game - Finals"});
  BOOST_TEST(room["invited_players"].GetInt() == 2);
  std::string slug = room["room_slug"].GetString();
  BOOST_TEST(slug.find("alttpr/") == 0u);
  // The room is real in racetime-sim, with the overrides.
  a.w.use_race(slug);
  BOOST_TEST(a.w.race().goal.name == "Beat the game - Finals");
  BOOST_TEST(a.w.race().status_info.value == "open");
  BOOST_TEST(a.w.scalar("SELECT requested_by FROM racetime_rooms WHERE "
                        "match_id = 10")
                 .find("api-token:writer#") == 0u);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'room_opened_manually' AND JSON_VALUE(details, "
                       "'$.requested_by') LIKE 'api-token:writer#%'") == 1);
  // Asked again: the same room, 200.
  auto again =
      call(a.port, "POST", "/api/matches/10/racetime-room", writer_token);
  BOOST_TEST(again.status == 200u);
  BOOST_TEST(again.json()["room_slug"].GetString() == slug);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM racetime_rooms") == 1);
  auto status = a.get("/api/matches/10/racetime-room", writer_token).json();
  BOOST_TEST(status["has_room"].GetBool());
  BOOST_TEST(status["room_slug"].GetString() == slug);
  BOOST_TEST(status["invited_count"].GetInt() == 2);
  // A tournament requiring linked accounts: 422 naming Carol.
  a.w.execute("UPDATE tournaments SET require_racetime_link = 1 WHERE id = 1");
  a.w.execute("INSERT INTO matches (id, tournament_id, title) VALUES (12, 1, "
              "'Other')");
  a.w.execute("INSERT INTO match_players (match_id, user_id) VALUES (12, 1), "
              "(12, 3)");
  auto unlinked =
      call(a.port, "POST", "/api/matches/12/racetime-room", writer_token);
  BOOST_TEST(unlinked.status == 422u, unlinked.body);
  BOOST_TEST(unlinked.error_code() == "players_not_linked");
  BOOST_TEST(unlinked.error_message().find("Carol") != std::string::npos);
  BOOST_TEST(
      call(a.port, "POST", "/api/matches/999/racetime-room", writer_token)
          .status == 404u);
}

// --- the audit log
// ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(audit_log_filters_pages_and_organizations) {
  api_world a;
  a.w.execute("INSERT INTO audit_log (id, organization_id, action, "
              "entity_type, entity_id, details, created_at) VALUES "
              "(101, 1, 'match_created', 'match', 10, '{}', "
              "'2026-11-01 10:00:00'), "
              "(102, 1, 'match_updated', 'match', 10, "
              "'{\"note\": \"it''s \\\\\"quoted\\\\\"\"}', "
              "'2026-11-02 10:00:00'), "
              "(103, 1, 'match_updated', 'match', 11, '{}', "
              "'2026-11-03 10:00:00'), "
              "(104, 1, 'room_created', 'racetime_room', 5, '{}', "
              "'2026-11-04 10:00:00'), "
              "(105, 2, 'match_created', 'match', 20, '{}', "
              "'2026-11-05 10:00:00')");
  a.start();
  auto list = [&](const std::string& query, const std::string& token) {
    auto r = a.get("/api/audit" + query, token);
    BOOST_REQUIRE_MESSAGE(r.status == 200u, query << ": " << r.body);
    auto doc = r.json();
    std::vector<std::int64_t> ids;
    for (const auto& e : doc["items"].GetArray())
      ids.push_back(e["id"].GetInt64());
    return std::make_pair(ids, doc["next"].IsNull() ? std::string{}
                                                    : doc["next"].GetString());
  };
  using ids = std::vector<std::int64_t>;
  // Only the token's organization, newest first; the organization's own
  // entries include the daemon's (none of these ids below 101).
  auto [mine, none] = list("?until=2026-12-01T00:00:00Z", admin_token);
  BOOST_TEST(mine == (ids{104, 103, 102, 101}));
  BOOST_TEST(none.empty());
  BOOST_TEST(list("?until=2026-12-01T00:00:00Z", other_token).first ==
             (ids{105}));
  // Filters: entity, time.
  BOOST_TEST(list("?entity_type=match&entity_id=10&until=2026-12-01T00:00:00Z",
                  admin_token)
                 .first == (ids{102, 101}));
  BOOST_TEST(list("?since=2026-11-02T00:00:00Z&until=2026-11-04T00:00:00Z",
                  admin_token)
                 .first == (ids{103, 102}));
  // SQL in a filter is a value like any other: no rows, no error.
  BOOST_TEST(
      list("?entity_type=match'%20OR%20'1'%3D'1", admin_token).first.empty());
  // Details come back as the JSON stored, quotes and all.
  auto one =
      a.get("/api/audit?entity_type=match&entity_id=10&limit=1&until=2026-12-"
            "01T00:00:00Z",
            admin_token)
          .json();
  BOOST_TEST(one["items"][0]["details"]["note"].GetString() ==
             std::string{R"(it's "quoted")"});
  BOOST_TEST(one["items"][0]["entity_type"].GetString() ==
             std::string{"match"});
  // Pages go to older entries.
  auto [first, next] = list("?until=2026-12-01T00:00:00Z&limit=3", admin_token);
  BOOST_TEST(first == (ids{104, 103, 102}));
  BOOST_REQUIRE(next == "102");
  auto [second, end] =
      list("?until=2026-12-01T00:00:00Z&limit=3&cursor=" + next, admin_token);
  BOOST_TEST(second == (ids{101}));
  BOOST_TEST(end.empty());
  // Bad input names the parameter; a token without audit:read is refused.
  for (const auto& [query, field] :
       std::vector<std::pair<std::string, std::string>>{
           {"?entity_id=abc", "entity_id"},
           {"?entity_id=-3", "entity_id"},
           {"?entity_id=%2B10", "entity_id"},
           {"?entity_id=%2010", "entity_id"},
           {"?since=yesterday", "since"},
           {"?until=2026-13-45", "until"},
           {"?limit=0", "limit"},
           {"?cursor=x", "cursor"}}) {
    auto r = a.get("/api/audit" + query, admin_token);
    BOOST_TEST(r.status == 400u, query);
    BOOST_TEST(r.has_field(field.c_str()), query);
  }
  auto scope = a.get("/api/audit", writer_token);
  BOOST_TEST(scope.status == 403u);
  BOOST_TEST(scope.error_message().find("audit:read") != std::string::npos);
  BOOST_TEST(a.get("/api/audit", "").status == 401u);
}

// --- scheduled tasks
// -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(scheduled_tasks_crud_run_now_and_the_scheduler) {
  api_world a;
  add_token(a.w, 1, "ops", token_of('t'), R"(["tasks:read", "tasks:write"])");
  const auto ops = token_of('t');
  a.start();
  const std::string name = R"(Poll 'rooms'; DROP TABLE scheduled_tasks; -- ")";
  auto created = call(a.port, "POST", "/api/tasks", ops,
                      R"({"name": "Poll 'rooms'; DROP TABLE scheduled_tasks; )"
                      R"(-- \"", "task_type": "RACETIME_POLL_OPEN_ROOMS", )"
                      R"("schedule_type": "INTERVAL", "interval_seconds": )"
                      R"(3600})");
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  auto task = created.json();
  auto id = std::to_string(task["id"].GetInt());
  BOOST_TEST(task["name"].GetString() == name);
  BOOST_TEST(task["is_active"].GetBool());
  BOOST_TEST(task["config"].IsObject());
  BOOST_TEST(a.w.scalar("SELECT name FROM scheduled_tasks WHERE id = " + id) ==
             name);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'task_created' AND entity_id = " +
                       id +
                       " AND JSON_VALUE(details, '$.actor') LIKE "
                       "'api-token:ops#%' AND organization_id = 1") == 1);
  // The scheduler hears of it at once (its periodic reload is a minute
  // away): a new INTERVAL task is due at once and runs.
  BOOST_TEST(race_world::wait_until(
                 [&] {
                   return a.w.scalar("SELECT COALESCE(last_run_status, '') "
                                     "FROM scheduled_tasks WHERE id = " +
                                     id) == "succeeded";
                 },
                 15s),
             a.w.daemon().output());
  // A new schedule is planned afresh: daily at 04:00 UTC.
  auto cron = call(a.port, "PATCH", "/api/tasks/" + id, ops,
                   R"({"schedule_type": "CRON", "cron_expression": )"
                   R"("0 4 * * *"})");
  BOOST_REQUIRE_MESSAGE(cron.status == 200u, cron.body);
  BOOST_TEST(cron.json()["cron_expression"].GetString() ==
             std::string{"0 4 * * *"});
  BOOST_TEST(race_world::wait_until(
      [&] {
        return a.w.scalar("SELECT COALESCE(DATE_FORMAT(next_run_at, "
                          "'%H:%i:%s'), '') FROM scheduled_tasks WHERE id = " +
                          id) == "04:00:00";
      },
      15s));
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'task_updated' AND entity_id = " +
                       id +
                       " AND JSON_CONTAINS(JSON_EXTRACT(details, '$.fields'), "
                       "'\"schedule\"')") == 1);
  // Reads.
  auto listed = a.get("/api/tasks", ops).json();
  BOOST_TEST(listed["items"].Size() == 1u);
  BOOST_TEST(
      a.get("/api/tasks/" + id, ops).json()["schedule_type"].GetString() ==
      std::string{"CRON"});
  // Run now: the scheduler claims and runs it; the schedule stays.
  answer run;
  race_world::wait_until(
      [&] {
        run = call(a.port, "POST", "/api/tasks/" + id + "/run", ops);
        return run.status != 503u && run.status != 409u;
      },
      15s);
  BOOST_TEST(run.status == 202u, run.body);
  BOOST_TEST(race_world::wait_until(
      [&] {
        return a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                         "'task_run' AND entity_id = " +
                         id) == 1;
      },
      10s));
  // Bad input: malformed JSON, wrong types, unknown fields, bad schedules.
  auto target = "/api/tasks/" + id;
  auto malformed = call(a.port, "PATCH", target, ops, R"({"name": )");
  BOOST_TEST(malformed.status == 400u);
  BOOST_TEST(malformed.error_code() == "malformed_json");
  auto types = call(a.port, "PATCH", target, ops,
                    R"({"name": 5, "interval_seconds": "x", "is_active": )"
                    R"("yes", "config": [1], "run_at": "soon", "colour": 1})");
  BOOST_TEST(types.status == 422u);
  for (auto f :
       {"name", "interval_seconds", "is_active", "config", "run_at", "colour"})
    BOOST_TEST(types.has_field(f), f);
  auto bad_cron = call(a.port, "PATCH", target, ops,
                       R"({"cron_expression": "61 * * * *"})");
  BOOST_TEST(bad_cron.status == 422u);
  BOOST_TEST(bad_cron.has_field("cron_expression"));
  auto no_interval = call(a.port, "PATCH", target, ops,
                          R"({"schedule_type": "INTERVAL", )"
                          R"("interval_seconds": null})");
  BOOST_TEST(no_interval.status == 422u);
  BOOST_TEST(no_interval.has_field("interval_seconds"));
  auto missing = call(a.port, "POST", "/api/tasks", ops, R"({"name": "x"})");
  BOOST_TEST(missing.status == 422u);
  BOOST_TEST(missing.has_field("task_type"));
  BOOST_TEST(missing.has_field("schedule_type"));
  auto kind = call(a.port, "POST", "/api/tasks", ops,
                   R"({"name": "x", "task_type": "NUKE", )"
                   R"("schedule_type": "ONE_TIME", "run_at": )"
                   R"("2030-01-01T00:00:00Z"})");
  BOOST_TEST(kind.status == 422u);
  BOOST_TEST(kind.has_field("task_type"));
  BOOST_TEST(call(a.port, "PATCH", target, ops, "{}").status == 422u);
  BOOST_TEST(call(a.port, "POST", "/api/tasks", ops, "[]").status == 400u);
  // A task may open only its own organization's matches.
  auto foreign = call(a.port, "POST", "/api/tasks", ops,
                      R"({"name": "steal", "task_type": "RACETIME_OPEN_ROOM",)"
                      R"( "schedule_type": "ONE_TIME", "run_at": )"
                      R"("2030-01-01T00:00:00Z", "config": {"match_id": 20}})");
  BOOST_TEST(foreign.status == 422u, foreign.body);
  BOOST_TEST(foreign.has_field("config"));
  // A config the scheduler could not read at its run is refused now.
  for (const char* config : {R"({"match_id": 10, "goal": 5})",
                             R"({"match_id": 10, "invitational": "yes"})"}) {
    auto unreadable = call(
        a.port, "POST", "/api/tasks", ops,
        std::string{R"({"name": "odd", "task_type": "RACETIME_OPEN_ROOM", )"
                    R"("schedule_type": "ONE_TIME", "run_at": )"
                    R"("2030-01-01T00:00:00Z", "config": )"} +
            config + "}");
    BOOST_TEST(unreadable.status == 422u, config << ": " << unreadable.body);
    BOOST_TEST(unreadable.has_field("config"), config);
  }
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM scheduled_tasks") == 1);
  // Other organizations and scopes.
  BOOST_TEST(a.get(target, other_token).status == 403u);
  BOOST_TEST(
      call(a.port, "PATCH", target, other_token, R"({"name": "x"})").status ==
      403u);
  BOOST_TEST(call(a.port, "DELETE", target, other_token).status == 403u);
  BOOST_TEST(call(a.port, "POST", target + "/run", other_token).status == 403u);
  BOOST_TEST(a.get("/api/tasks", other_token).json()["items"].Size() == 0u);
  BOOST_TEST(a.get("/api/tasks", writer_token).status == 403u);
  BOOST_TEST(a.w.scalar("SELECT name FROM scheduled_tasks WHERE id = " + id) ==
             name);
  // Inactive: not run; deleted: gone.
  BOOST_TEST(
      call(a.port, "PATCH", target, ops, R"({"is_active": false})").status ==
      200u);
  auto inactive = call(a.port, "POST", target + "/run", ops);
  BOOST_TEST(inactive.status == 409u);
  BOOST_TEST(inactive.error_code() == "task_inactive");
  BOOST_TEST(call(a.port, "DELETE", target, ops).status == 204u);
  BOOST_TEST(a.get(target, ops).status == 404u);
  BOOST_TEST(call(a.port, "DELETE", target, ops).status == 404u);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'task_deleted' AND entity_id = " +
                       id) == 1);
  BOOST_TEST(a.w.daemon().output().find(ops) == std::string::npos);
}

// --- bots
// ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bots_create_change_deactivate_secret_write_only) {
  api_world a;
  add_token(a.w, 1, "botops", token_of('b'), R"(["bots:read", "bots:write"])");
  const auto ops = token_of('b');
  a.w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
              "organization_id) VALUES (1, 1)");
  a.start();
  // Only the organization's bots; another's is 403.
  auto mine = a.get("/api/bots", ops).json();
  BOOST_REQUIRE(mine["items"].Size() == 1u);
  BOOST_TEST(mine["items"][0]["category"].GetString() == std::string{"alttpr"});
  BOOST_TEST(a.get("/api/bots", other_token).json()["items"].Size() == 0u);
  BOOST_TEST(a.get("/api/bots/1", other_token).status == 403u);
  BOOST_TEST(
      call(a.port, "PATCH", "/api/bots/1", other_token, R"({"name": "mine"})")
          .status == 403u);
  BOOST_TEST(call(a.port, "DELETE", "/api/bots/1", other_token).status == 403u);
  BOOST_TEST(a.get("/api/bots", writer_token).status == 403u);
  BOOST_TEST(a.get("/api/bots/99", ops).status == 404u);
  // Create: the secret goes in and never comes out.
  const std::string secret = "smz3-secret-value";
  const std::string name = R"(SMZ3 "bot"'; DROP TABLE racetime_bots; --)";
  auto created = call(a.port, "POST", "/api/bots", ops,
                      R"({"category": "smz3", "name": "SMZ3 \"bot\"'; DROP )"
                      R"(TABLE racetime_bots; --", "client_id": "smz3-client",)"
                      R"( "client_secret": ")" +
                          secret + R"("})");
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  BOOST_TEST(created.body.find(secret) == std::string::npos);
  BOOST_TEST(created.body.find("client_secret") == std::string::npos);
  auto bot = created.json();
  auto id = std::to_string(bot["id"].GetInt());
  BOOST_TEST(bot["name"].GetString() == name);
  BOOST_TEST(a.w.scalar("SELECT name FROM racetime_bots WHERE id = " + id) ==
             name);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM racetime_bot_organizations "
                       "WHERE organization_id = 1 AND bot_id = " +
                       id) == 1);
  // The bot supervisor reloaded before the answer: the bot runs.
  BOOST_TEST(bot["running"].GetBool(), created.body);
  auto listed = a.get("/api/bots", ops);
  BOOST_TEST(listed.json()["items"].Size() == 2u);
  BOOST_TEST(listed.body.find(secret) == std::string::npos);
  BOOST_TEST(listed.body.find("bot-secret") == std::string::npos);
  // One bot per category.
  auto taken = call(a.port, "POST", "/api/bots", ops,
                    R"({"category": "alttpr", "name": "x", "client_id": "y",)"
                    R"( "client_secret": "z"})");
  BOOST_TEST(taken.status == 409u);
  BOOST_TEST(taken.error_code() == "category_taken");
  // Bad input.
  auto types = call(a.port, "POST", "/api/bots", ops,
                    R"({"category": "Bad Cat!", "name": 3, "client_id": "",)"
                    R"( "client_secret": null, "is_active": true})");
  BOOST_TEST(types.status == 422u);
  for (auto f : {"category", "name", "client_id", "client_secret", "is_active"})
    BOOST_TEST(types.has_field(f), f);
  auto missing = call(a.port, "POST", "/api/bots", ops, R"({"name": "x"})");
  BOOST_TEST(missing.status == 422u);
  BOOST_TEST(missing.has_field("client_secret"));
  BOOST_TEST(call(a.port, "POST", "/api/bots", ops, "{nope").status == 400u);
  auto target = "/api/bots/" + id;
  auto moved = call(a.port, "PATCH", target, ops, R"({"category": "other"})");
  BOOST_TEST(moved.status == 422u);
  BOOST_TEST(moved.has_field("category"));
  BOOST_TEST(
      call(a.port, "PATCH", target, ops, R"({"is_active": "no"})").status ==
      422u);
  // Change the name and the secret: audited by field name only.
  auto changed = call(a.port, "PATCH", target, ops,
                      R"({"name": "renamed", "client_secret": "new-secret"})");
  BOOST_REQUIRE_MESSAGE(changed.status == 200u, changed.body);
  BOOST_TEST(changed.json()["name"].GetString() == std::string{"renamed"});
  BOOST_TEST(changed.body.find("new-secret") == std::string::npos);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'bot_updated' AND entity_id = " +
                       id +
                       " AND JSON_CONTAINS(JSON_EXTRACT(details, '$.fields'), "
                       "'\"client_secret\"') AND JSON_VALUE(details, "
                       "'$.actor') LIKE 'api-token:botops#%'") == 1);
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE details LIKE "
                       "'%secret-value%' OR details LIKE '%new-secret%'") == 0);
  // Deactivate: the row stays, the bot stops.
  auto off = call(a.port, "DELETE", target, ops);
  BOOST_REQUIRE_MESSAGE(off.status == 200u, off.body);
  BOOST_TEST(!off.json()["is_active"].GetBool());
  BOOST_TEST(!off.json()["running"].GetBool(), off.body);
  BOOST_TEST(a.w.scalar("SELECT is_active FROM racetime_bots WHERE id = " +
                        id) == "0");
  BOOST_TEST(a.w.count("SELECT COUNT(*) FROM audit_log WHERE action = "
                       "'bot_deactivated' AND entity_id = " +
                       id) == 1);
  auto on = call(a.port, "PATCH", target, ops, R"({"is_active": true})");
  BOOST_TEST(on.json()["running"].GetBool(), on.body);
  // A bot another organization uses too: its own bots:write may not change
  // it (the change would touch their rooms); an admin token may.
  a.w.execute("INSERT INTO racetime_bot_organizations (bot_id, "
              "organization_id) VALUES (1, 2)");
  auto shared =
      call(a.port, "PATCH", "/api/bots/1", ops, R"({"name": "ours now"})");
  BOOST_TEST(shared.status == 403u, shared.body);
  BOOST_TEST(shared.error_code() == "bot_shared");
  BOOST_TEST(shared.body.find("1 other organization") != std::string::npos,
             shared.body);
  BOOST_TEST(call(a.port, "DELETE", "/api/bots/1", ops).status == 403u);
  BOOST_TEST(a.w.scalar("SELECT is_active FROM racetime_bots WHERE id = 1") ==
             "1");
  auto by_admin = call(a.port, "PATCH", "/api/bots/1", admin_token,
                       R"({"name": "Shared bot"})");
  BOOST_TEST(by_admin.status == 200u, by_admin.body);
  BOOST_TEST(a.w.scalar("SELECT name FROM racetime_bots WHERE id = 1") ==
             "Shared bot");
  // Nothing secret in the daemon's log.
  auto log = a.w.daemon().output();
  for (const auto& s : {secret, std::string{"new-secret"}, ops})
    BOOST_TEST(log.find(s) == std::string::npos, s);
}

// --- X-Forwarded-For
// -------------------------------------------------------------

namespace {

const std::string forwarded = "X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\n"
                              "X-Forwarded-Proto: https\r\n";

/// Creates a task with X-Forwarded-* headers and answers the audited actor.
std::string audited_actor(api_world& a, const std::string& name) {
  auto r = call(a.port, "POST", "/api/tasks", admin_token,
                R"({"name": ")" + name +
                    R"(", "task_type": "CUSTOM", "schedule_type": )"
                    R"("ONE_TIME", "run_at": "2030-01-01T00:00:00Z", )"
                    R"("is_active": false})",
                forwarded);
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  return a.w.scalar("SELECT JSON_VALUE(details, '$.actor') FROM audit_log "
                    "WHERE action = 'task_created' AND entity_id = " +
                    std::to_string(r.json()["id"].GetInt()));
}

} // namespace

BOOST_AUTO_TEST_CASE(forwarded_for_is_ignored_unless_the_proxy_is_trusted) {
  api_world a;
  a.start();
  auto actor = audited_actor(a, "untrusted");
  BOOST_TEST(actor.find("api-token:admin#") == 0u, actor);
  BOOST_TEST(actor.find(" from 127.0.0.1") != std::string::npos, actor);
  BOOST_TEST(actor.find("203.0.113.7") == std::string::npos, actor);
}

BOOST_AUTO_TEST_CASE(forwarded_for_names_the_client_behind_a_trusted_proxy) {
  api_world a;
  a.start({"--http.trusted_proxies=127.0.0.1,::1"});
  auto actor = audited_actor(a, "trusted");
  BOOST_TEST(actor.find(" from 203.0.113.7") != std::string::npos, actor);
  // The log names the client too (a refused token, here).
  BOOST_TEST(
      call(a.port, "GET", "/api/tasks", token_of('u'), std::nullopt, forwarded)
          .status == 401u);
  BOOST_TEST(race_world::wait_until(
      [&] {
        return a.w.daemon().output().find(
                   "GET /api/tasks from 203.0.113.7: unknown token") !=
               std::string::npos;
      },
      5s));
}
