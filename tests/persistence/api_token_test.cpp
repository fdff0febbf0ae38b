// API tokens against the real MariaDB: a created token authenticates with
// its scopes and nothing else does; revoked tokens stay refused; the
// database never holds the token's text; bad requests write nothing.

#include <boost/test/unit_test.hpp>

#include "persistence/api_token_repository.hpp"
#include "persistence/sql.hpp"
#include "tests/support/scratch_database.hpp"

#include <set>

using namespace racecontrol;
using namespace racecontrol::persistence;

namespace {

struct token_fixture {
  test::scratch_database scratch;
  api_token_repository repo{scratch.db()};

  void exec(const std::string& sql) {
    auto conn = scratch.db().connection();
    sql_execute(*conn, sql);
  }

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return sql_scalar(*conn, sql).value_or("NULL");
  }

  token_fixture() {
    exec("INSERT INTO organizations (id, name) VALUES (1, 'League'), "
         "(2, 'Other League')");
    exec("INSERT INTO users (id, discord_id, display_name) VALUES "
         "(7, 77, 'Ops')");
  }

  api_token_created create(std::int32_t org, const std::string& name,
                           const std::vector<std::string>& scopes,
                           std::optional<std::int32_t> by = std::nullopt) {
    auto r = repo.create(org, name, scopes, by);
    if (auto* refused = std::get_if<api_token_refused>(&r))
      BOOST_FAIL("create refused: " << refused->message);
    return std::get<api_token_created>(std::move(r));
  }

  std::string refusal_of(const std::vector<std::string>& scopes,
                         std::int32_t org = 1, const std::string& name = "n",
                         std::optional<std::int32_t> by = std::nullopt) {
    auto r = repo.create(org, name, scopes, by);
    BOOST_TEST_REQUIRE(std::holds_alternative<api_token_refused>(r));
    return std::get<api_token_refused>(r).message;
  }

  /// "accepted", or why the token was refused ("unknown", "revoked"...).
  std::string outcome(std::string_view token) {
    auto r = repo.authenticate(token);
    if (auto* why = std::get_if<api_token_refusal>(&r))
      return to_string(*why);
    return "accepted";
  }

  api_token_identity identity(std::string_view token) {
    auto r = repo.authenticate(token);
    if (auto* why = std::get_if<api_token_refusal>(&r))
      BOOST_FAIL("token refused: " << to_string(*why));
    return std::get<api_token_identity>(r);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(api_tokens, token_fixture)

BOOST_AUTO_TEST_CASE(created_token_authenticates_with_its_scopes) {
  auto made = create(1, "results bot", {"rooms:write", "rooms:read"}, 7);
  const auto& token = made.plaintext.reveal();
  BOOST_TEST(token.size() == 46u);
  BOOST_TEST(token.rfind("rc_", 0) == 0u);
  BOOST_TEST(made.token.organization_id == 1);
  BOOST_TEST(made.token.organization_name == "League");
  BOOST_TEST(made.token.created_by_id.value_or(0) == 7);
  // Stored in the fixed list's order.
  BOOST_TEST((made.token.scopes ==
              std::vector<std::string>{"rooms:read", "rooms:write"}));

  auto who = identity(token);
  BOOST_TEST(who.id == made.token.id);
  BOOST_TEST(who.organization_id == 1);
  BOOST_TEST(who.name == "results bot");
  BOOST_TEST(who.allows("rooms:read"));
  BOOST_TEST(who.allows("rooms:write"));
  BOOST_TEST(!who.allows("matches:read"));
  BOOST_TEST(!who.allows("admin"));
}

BOOST_AUTO_TEST_CASE(tokens_are_distinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i)
    seen.insert(
        create(1, "t" + std::to_string(i), {"rooms:read"}).plaintext.reveal());
  BOOST_TEST(seen.size() == 20u);
}

BOOST_AUTO_TEST_CASE(admin_implies_every_scope) {
  auto who = identity(create(1, "ops", {"admin"}).plaintext.reveal());
  for (const auto& scope : api_token_scopes())
    BOOST_TEST(who.allows(scope), scope);
  BOOST_TEST(scope_allows({"admin"}, "rooms:write"));
  BOOST_TEST(!scope_allows({"rooms:read"}, "rooms:write"));
  BOOST_TEST(!scope_allows({}, "rooms:read"));
}

BOOST_AUTO_TEST_CASE(wrong_empty_and_near_miss_tokens_are_refused) {
  auto token = create(1, "bot", {"rooms:read"}).plaintext.reveal();
  BOOST_TEST(outcome("") == "malformed");
  BOOST_TEST(outcome("Bearer " + token) == "malformed");
  BOOST_TEST(outcome(token + "x") == "malformed");
  BOOST_TEST(outcome(token.substr(0, token.size() - 1)) == "malformed");
  // Well formed, never issued.
  BOOST_TEST(outcome("rc_" + std::string(43, 'A')) == "unknown");
  // One character changed, at the start, the middle and the end (whose
  // low bits base64 decoding would ignore: the text is hashed, not the
  // bytes), and the case of one letter flipped.
  for (std::size_t at : {std::size_t{3}, token.size() / 2, token.size() - 1}) {
    auto near = token;
    near[at] = near[at] == 'A' ? 'B' : 'A';
    BOOST_TEST(outcome(near) == "unknown", at);
  }
  auto letter = token.find_first_of(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 3);
  BOOST_TEST_REQUIRE(letter != std::string::npos);
  auto flipped = token;
  flipped[letter] ^= 0x20;
  BOOST_TEST(outcome(flipped) == "unknown");
  // The original still works.
  BOOST_TEST(outcome(token) == "accepted");
}

BOOST_AUTO_TEST_CASE(upper_case_hash_in_the_table_does_not_match) {
  // The column's collation is case-insensitive, so the index lookup finds a
  // hash stored in upper case; the exact comparison must still refuse it.
  auto made = create(1, "bot", {"rooms:read"});
  exec("UPDATE api_tokens SET token_sha256 = UPPER(token_sha256) WHERE id = " +
       std::to_string(made.token.id));
  BOOST_TEST(outcome(made.plaintext.reveal()) == "unknown");
}

BOOST_AUTO_TEST_CASE(revoked_token_is_refused_and_revoke_is_idempotent) {
  auto made = create(1, "bot", {"rooms:read"});
  auto other = create(1, "other", {"rooms:read"});
  auto first = repo.revoke(made.token.id);
  BOOST_TEST((first.outcome == api_token_revoke_outcome::revoked));
  BOOST_TEST_REQUIRE(first.token.has_value());
  BOOST_TEST_REQUIRE(first.token->revoked_at.has_value());
  BOOST_TEST(outcome(made.plaintext.reveal()) == "revoked");

  auto second = repo.revoke(made.token.id);
  BOOST_TEST((second.outcome == api_token_revoke_outcome::already_revoked));
  BOOST_TEST_REQUIRE(second.token.has_value());
  // The second revoke kept the first time.
  BOOST_TEST((second.token->revoked_at == first.token->revoked_at));
  BOOST_TEST(outcome(made.plaintext.reveal()) == "revoked");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'api_token_revoked' AND entity_id = " +
                    std::to_string(made.token.id)) == "1");

  BOOST_TEST(
      (repo.revoke(9999).outcome == api_token_revoke_outcome::not_found));
  // Revoking one token leaves the others alone.
  BOOST_TEST(outcome(other.plaintext.reveal()) == "accepted");
}

BOOST_AUTO_TEST_CASE(database_holds_no_plaintext) {
  auto made = create(1, "bot", {"rooms:read", "admin"}, 7);
  const auto& token = made.plaintext.reveal();
  BOOST_TEST(outcome(token) == "accepted"); // sets last_used_at too
  auto conn = scratch.db().connection();
  auto rows = sql_query(*conn, "SELECT * FROM api_tokens WHERE id = " +
                                   std::to_string(made.token.id));
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows.front().size() == 9u);
  std::string hash;
  for (const auto& value : rows.front()) {
    if (!value)
      continue;
    BOOST_TEST(!contains(*value, token), *value);
    BOOST_TEST(!contains(*value, token.substr(3)), *value);
    if (value->size() == 64)
      hash = *value;
  }
  // What is stored is the hex SHA-256 of the whole token text.
  BOOST_TEST(hash == sql_scalar(*conn, "SELECT SHA2(" +
                                           sql_quote(*conn, token) + ", 256)")
                         .value_or(""));
  // Nor did the audit entries take it (or its hash) along.
  for (const auto& row :
       sql_query(*conn, "SELECT action, details FROM audit_log")) {
    BOOST_TEST(!contains(row[1].value_or(""), token.substr(3)));
    BOOST_TEST(!contains(row[1].value_or(""), hash));
  }
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log WHERE action = "
                    "'api_token_created' AND user_id = 7 AND "
                    "JSON_VALUE(details, '$.name') = 'bot'") == "1");
  // Listings carry no hash either: there is no field for it.
  auto listed = repo.list(1);
  BOOST_TEST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed.front().name == "bot");
}

BOOST_AUTO_TEST_CASE(unknown_scope_or_organization_writes_nothing) {
  auto before_audit = scalar("SELECT COUNT(*) FROM audit_log");
  auto unknown = refusal_of({"rooms:read", "rooms:delete"});
  BOOST_TEST(contains(unknown, "unknown scope 'rooms:delete'"), unknown);
  BOOST_TEST(contains(unknown, "rooms:read, rooms:write"), unknown);
  BOOST_TEST(contains(refusal_of({}), "at least one scope"));
  auto org = refusal_of({"rooms:read"}, 42);
  BOOST_TEST(contains(org, "organization 42 does not exist"), org);
  auto user = refusal_of({"rooms:read"}, 1, "n", 4242);
  BOOST_TEST(contains(user, "user 4242"), user);
  BOOST_TEST(contains(refusal_of({"rooms:read"}, 1, "  "), "needs a name"));
  BOOST_TEST(contains(refusal_of({"rooms:read"}, 1, std::string(256, 'x')),
                      "256 characters"));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM api_tokens") == "0");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM audit_log") == before_audit);
  // 255 characters (multi-byte ones too) fit.
  std::string longest;
  for (int i = 0; i < 255; ++i)
    longest += "é";
  BOOST_TEST(create(1, longest, {"rooms:read"}).token.name == longest);
}

BOOST_AUTO_TEST_CASE(last_used_at_is_recorded_at_most_once_a_minute) {
  auto made = create(1, "bot", {"rooms:read"});
  auto id = std::to_string(made.token.id);
  auto last_used = [&] {
    return scalar("SELECT last_used_at FROM api_tokens WHERE id = " + id);
  };
  BOOST_TEST(last_used() == "NULL");
  BOOST_TEST(outcome(made.plaintext.reveal()) == "accepted");
  auto first = last_used();
  BOOST_TEST(first != "NULL");
  BOOST_TEST(repo.list(1).front().last_used_at.has_value());
  // Within the minute: no write.
  BOOST_TEST(outcome(made.plaintext.reveal()) == "accepted");
  BOOST_TEST(last_used() == first);
  // A use recorded more than a minute ago is recorded again.
  exec("UPDATE api_tokens SET last_used_at = last_used_at - INTERVAL 2 "
       "MINUTE WHERE id = " +
       id);
  auto aged = last_used();
  BOOST_TEST(outcome(made.plaintext.reveal()) == "accepted");
  BOOST_TEST(last_used() != aged);
  BOOST_TEST(last_used() >= first);
  // A refused (revoked) token's attempts are not uses.
  repo.revoke(made.token.id);
  exec("UPDATE api_tokens SET last_used_at = NULL WHERE id = " + id);
  BOOST_TEST(outcome(made.plaintext.reveal()) == "revoked");
  BOOST_TEST(last_used() == "NULL");
}

BOOST_AUTO_TEST_CASE(names_with_quotes_and_sql_are_stored_verbatim) {
  std::vector<std::string> names = {
      "O'Brien's \"bot\"", "x'); DROP TABLE api_tokens; --",
      "back\\slash ` tick", "line\nbreak\ttab", "🏁 finish"};
  for (const auto& name : names) {
    auto made = create(1, name, {"matches:read"});
    BOOST_TEST(identity(made.plaintext.reveal()).name == name);
  }
  auto listed = repo.list(1);
  BOOST_TEST_REQUIRE(listed.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i)
    BOOST_TEST(listed[i].name == names[i]);
}

BOOST_AUTO_TEST_CASE(list_filters_by_organization) {
  auto a = create(1, "a", {"rooms:read"});
  auto b = create(2, "b", {"bots:write", "tasks:read"});
  repo.revoke(a.token.id);
  auto all = repo.list();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].id == a.token.id);
  BOOST_TEST(all[0].revoked_at.has_value());
  BOOST_TEST(all[1].organization_name == "Other League");
  BOOST_TEST(
      (all[1].scopes == std::vector<std::string>{"bots:write", "tasks:read"}));
  BOOST_TEST(!all[1].revoked_at.has_value());
  auto second = repo.list(2);
  BOOST_TEST_REQUIRE(second.size() == 1u);
  BOOST_TEST(second.front().id == b.token.id);
  BOOST_TEST(repo.list(3).empty());
}

BOOST_AUTO_TEST_SUITE_END()
