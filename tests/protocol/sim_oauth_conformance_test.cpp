#include <boost/test/unit_test.hpp>

// racetime-sim's OAuth2 against racetime-protocol.md §7 "OAuth2 and
// tokens": the redirect_uri compared at /o/token, code expiry and reuse,
// invalid_scope, scopes binding HTTP only, /o/userinfo's 403 shapes,
// /o/authorize's error redirects, refresh rotation, PKCE.

#include "protocol/bot_actions.hpp"
#include "tests/support/frame_socket.hpp"
#include "tests/support/real_frames.hpp"
#include "tests/support/sim_harness.hpp"

#include <boost/beast/http/verb.hpp>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
namespace real = racecontrol::test::real;
using test::parse;

namespace {

const std::string callback = "http://localhost/callback";

struct oauth_fixture {
  test::sim_harness sim;

  oauth_fixture() { sim.seed_defaults(); }

  http_response send(http_request req) {
    auto outcome = sim.send(std::move(req));
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(outcome),
                          (outcome ? "" : outcome.error().message));
    return *outcome;
  }

  http_response get(const std::string& path_and_query,
                    const std::string& bearer = "") {
    http_request req;
    auto q = path_and_query.find('?');
    req.target = with_path(sim.base(), path_and_query.substr(0, q));
    if (q != std::string::npos)
      req.target.target += path_and_query.substr(q);
    if (!bearer.empty())
      req.headers.emplace_back("Authorization", "Bearer " + bearer);
    return send(req);
  }

  http_response post(const std::string& path, const form_fields& fields,
                     const std::string& bearer = "") {
    http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = with_path(sim.base(), path);
    req.body = encode_form(fields);
    req.content_type = "application/x-www-form-urlencoded";
    if (!bearer.empty())
      req.headers.emplace_back("Authorization", "Bearer " + bearer);
    return send(req);
  }

  /// /o/authorize with these query fields (client, response type and
  /// state added); returns the response.
  http_response authorize(form_fields extra) {
    form_fields q{{"client_id", "link-app"},
                  {"response_type", "code"},
                  {"state", "st4te"}};
    q.insert(q.end(), extra.begin(), extra.end());
    return get("/o/authorize?" + encode_form(q));
  }

  /// A code for u1 with `scope` and the registered redirect.
  std::string code(const std::string& scope = "read", form_fields extra = {}) {
    extra.emplace_back("redirect_uri", callback);
    extra.emplace_back("scope", scope);
    auto res = authorize(extra);
    BOOST_REQUIRE_EQUAL(res.status, 302u);
    auto location = *res.header("Location");
    auto at = location.find("code=");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, location);
    return location.substr(at + 5, 30);
  }

  http_response exchange(const std::string& code,
                         const std::string& redirect = callback,
                         form_fields extra = {}) {
    form_fields f{{"grant_type", "authorization_code"},
                  {"code", code},
                  {"redirect_uri", redirect},
                  {"client_id", "link-app"},
                  {"client_secret", "link-secret"}};
    f.insert(f.end(), extra.begin(), extra.end());
    return post("/o/token", f);
  }

  http_response client_credentials(std::optional<std::string> scope) {
    form_fields f{{"grant_type", "client_credentials"},
                  {"client_id", "bot-client"},
                  {"client_secret", "bot-secret"}};
    if (scope)
      f.emplace_back("scope", *scope);
    return post("/o/token", f);
  }

  static std::string compact(const std::string& json) {
    auto doc = parse(json);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    doc.Accept(w);
    return buffer.GetString();
  }

  static std::string field(const http_response& res, const char* key) {
    auto doc = parse(res.body);
    BOOST_REQUIRE_MESSAGE(doc.HasMember(key), res.body);
    return doc[key].GetString();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(oauth_conformance, oauth_fixture)

BOOST_AUTO_TEST_CASE(the_redirect_uri_is_compared_at_the_token_endpoint) {
  auto c = code();
  // Even the right path on another loopback port is wrong.
  auto wrong = exchange(c, "http://localhost:9/callback");
  BOOST_TEST(wrong.status == 400u);
  BOOST_TEST(compact(wrong.body) == compact(real::mismatching_redirect));
  // The code stays usable.
  auto right = exchange(c);
  BOOST_REQUIRE_EQUAL(right.status, 200u);
  BOOST_TEST(field(right, "scope") == "read");
  BOOST_TEST(*right.header("Cache-Control") == "no-store");
  BOOST_TEST(*right.header("Pragma") == "no-cache");
}

BOOST_AUTO_TEST_CASE(codes_are_single_use_and_expire) {
  auto c = code();
  auto first = exchange(c);
  BOOST_REQUIRE_EQUAL(first.status, 200u);
  auto again = exchange(c);
  BOOST_TEST(again.status == 400u);
  BOOST_TEST(compact(again.body) == compact(real::invalid_grant));
  // The tokens of the first exchange keep working.
  BOOST_TEST(get("/o/userinfo", field(first, "access_token")).status == 200u);
  auto late = code();
  sim.control_post("/codes/expire");
  auto expired = exchange(late);
  BOOST_TEST(expired.status == 400u);
  BOOST_TEST(compact(expired.body) == compact(real::invalid_grant));
}

BOOST_AUTO_TEST_CASE(an_empty_or_unknown_scope_is_refused) {
  for (const char* scope : {"", "read bogus", "admin"}) {
    auto res = client_credentials(std::string{scope});
    BOOST_TEST(res.status == 400u, scope);
    BOOST_TEST(compact(res.body) == compact(real::invalid_scope), scope);
  }
  auto all = client_credentials(std::nullopt);
  BOOST_TEST(field(all, "scope") ==
             "read chat_message race_action create_race");
  auto some = client_credentials(std::string{"race_action read"});
  BOOST_TEST(field(some, "scope") == "read race_action");
  // /o/authorize sends the browser back with the error.
  for (const char* scope : {"", "bogus"}) {
    auto res = authorize({{"redirect_uri", callback}, {"scope", scope}});
    BOOST_TEST(res.status == 302u);
    BOOST_TEST(*res.header("Location") ==
               callback + "?error=invalid_scope&state=st4te");
  }
}

BOOST_AUTO_TEST_CASE(scopes_bind_http_but_not_the_bot_socket) {
  auto full = field(client_credentials(std::nullopt), "access_token");
  auto read_only =
      field(client_credentials(std::string{"read"}), "access_token");
  race_settings s;
  s.goal = "Beat the game";
  auto form = startrace_form(s, {"Beat the game"});
  BOOST_TEST(post("/o/alttpr/startrace", form, read_only).status == 403u);
  auto created = post("/o/alttpr/startrace", form, full);
  BOOST_REQUIRE_EQUAL(created.status, 201u);
  auto name = created.header("Location")->substr(1);
  BOOST_TEST(
      post("/o/" + name + "/edit", edit_form(s, {"Beat the game"}), read_only)
          .status == 403u);
  BOOST_TEST(get("/o/alttpr/data", read_only).status == 200u);
  // The socket does not look at scopes.
  test::frame_socket ws(sim, "/ws/o/bot/" + name.substr(name.find('/') + 1),
                        read_only);
  ws.wait_for_type("race.renders");
  ws.send(serialize(user_action{user_action::kind::invite, "u1"}));
  ws.wait_for_chat("TestBot invites Racer1 to join the race.");
}

BOOST_AUTO_TEST_CASE(userinfo_refusals_have_two_shapes) {
  auto check_empty = [&](const http_response& res, const char* what) {
    BOOST_TEST(res.status == 403u, what);
    BOOST_TEST(res.body.empty(), what);
    BOOST_REQUIRE_MESSAGE(res.header("Content-Type") != nullptr, what);
    BOOST_TEST(res.header("Content-Type")->find("text/html") == 0u, what);
  };
  check_empty(get("/o/userinfo", "not-a-token"), "invalid token");
  check_empty(get("/o/userinfo"), "no token");
  auto no_read = exchange(code("chat_message"));
  BOOST_REQUIRE_EQUAL(no_read.status, 200u);
  check_empty(get("/o/userinfo", field(no_read, "access_token")),
              "no read scope");
  // A bot token: Django's HTML 403 page.
  auto bot = get("/o/userinfo", sim.bot_token("bot-client", "bot-secret"));
  BOOST_TEST(bot.status == 403u);
  BOOST_TEST(bot.header("Content-Type")->find("text/html") == 0u);
  BOOST_TEST(bot.body.find("403 Forbidden") != std::string::npos, bot.body);
  // Expired: the empty shape again.
  auto user = exchange(code());
  sim.control_post("/tokens/expire", R"({"client_id": "link-app"})");
  check_empty(get("/o/userinfo", field(user, "access_token")), "expired");
}

BOOST_AUTO_TEST_CASE(authorize_errors_redirect_or_show_a_page) {
  sim.control_post("/authorize-user", R"({"user_id": "u1", "consent": false})");
  auto denied = authorize({{"redirect_uri", callback}, {"scope", "read"}});
  BOOST_TEST(denied.status == 302u);
  BOOST_TEST(*denied.header("Location") ==
             callback + "?error=access_denied&state=st4te");
  sim.control_post("/authorize-user", R"({"user_id": "u1"})");
  auto mismatch = authorize(
      {{"redirect_uri", "http://localhost:9/callback"}, {"scope", "read"}});
  BOOST_TEST(mismatch.status == 400u);
  BOOST_TEST(mismatch.header("Content-Type")->find("text/html") == 0u);
  BOOST_TEST(mismatch.body.find("Error: invalid_request") != std::string::npos);
  BOOST_TEST(mismatch.body.find("Mismatching redirect URI.") !=
             std::string::npos);
  // Scopes joined with '+' are accepted.
  auto plus = get(
      "/o/authorize?client_id=link-app&response_type=code&state=s&"
      "redirect_uri=http%3A%2F%2Flocalhost%2Fcallback&scope=read+chat_message");
  BOOST_TEST(plus.status == 302u);
  BOOST_TEST(plus.header("Location")->find("?code=") != std::string::npos);
  sim.control_post("/authorize-user", R"({"user_id": ""})");
  auto login = authorize({{"redirect_uri", callback}, {"scope", "read"}});
  BOOST_TEST(login.status == 302u);
  BOOST_TEST(
      login.header("Location")->rfind("/account/auth?next=/o/authorize", 0) ==
          0u,
      *login.header("Location"));
}

BOOST_AUTO_TEST_CASE(refresh_rotates_both_tokens) {
  sim.control_post("/apps", R"({"client_id": "other-app",
      "client_secret": "other-secret", "redirect_uris": ["http://x/cb"]})");
  auto first = exchange(code());
  auto refresh = field(first, "refresh_token");
  form_fields f{{"grant_type", "refresh_token"},
                {"refresh_token", refresh},
                {"client_id", "link-app"},
                {"client_secret", "link-secret"}};
  // Another client's refresh token is nothing to this one.
  auto stolen = f;
  stolen[2].second = "other-app";
  stolen[3].second = "other-secret";
  BOOST_TEST(compact(post("/o/token", stolen).body) ==
             compact(real::invalid_grant));
  auto second = post("/o/token", f);
  BOOST_REQUIRE_EQUAL(second.status, 200u);
  BOOST_TEST(field(second, "refresh_token") != refresh);
  BOOST_TEST(compact(post("/o/token", f).body) == compact(real::invalid_grant));
  BOOST_TEST(get("/o/userinfo", field(first, "access_token")).status == 403u);
  BOOST_TEST(get("/o/userinfo", field(second, "access_token")).status == 200u);
}

BOOST_AUTO_TEST_CASE(pkce_is_optional_but_binding_once_used) {
  // RFC 7636's example pair.
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  auto c = code("read", {{"code_challenge", challenge},
                         {"code_challenge_method", "S256"}});
  auto without = exchange(c);
  BOOST_TEST(without.status == 400u);
  BOOST_TEST(field(without, "error") == "invalid_request");
  BOOST_TEST(field(without, "error_description") == "Code verifier required.");
  auto with = exchange(c, callback, {{"code_verifier", verifier}});
  BOOST_TEST(with.status == 200u, with.body);
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_is_invalid_client) {
  auto res = post("/o/token", {{"grant_type", "client_credentials"},
                               {"client_id", "bot-client"},
                               {"client_secret", "wrong"}});
  BOOST_TEST(res.status == 401u);
  BOOST_TEST(compact(res.body) == compact(real::invalid_client));
  BOOST_TEST(*res.header("WWW-Authenticate") ==
             "Bearer error=\"invalid_client\"");
}

BOOST_AUTO_TEST_SUITE_END()
