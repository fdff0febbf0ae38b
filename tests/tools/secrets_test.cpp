// Secrets at rest (issue 12, point 5): secret_box on its own, then the
// repositories and `racecontrol-migrate secrets` against real MariaDB.

#include <boost/test/unit_test.hpp>

#include "persistence/racetime_bot_repository.hpp"
#include "persistence/secret_box.hpp"
#include "persistence/secret_columns.hpp"
#include "persistence/sql.hpp"
#include "persistence/user_repository.hpp"
#include "tests/support/scratch_database.hpp"
#include "tools/racecontrol-migrate/migrate_cli.hpp"

#include <map>
#include <sstream>

using namespace racecontrol;
using persistence::secret_box;
using persistence::secret_error;

namespace {

secret_box box_of(const std::string& key, const std::string& old = "") {
  auto box = secret_box::from_keys(key, old);
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(box),
                        (box ? "" : box.error().message));
  return *box;
}

struct result {
  int status;
  std::string out;
  std::string err;
};

result migrate(std::vector<std::string> args,
               std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  int status = tools::run_migrate_cli(
      args, out, err, [env = std::move(env)](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      });
  return {status, out.str(), err.str()};
}

struct world {
  test::scratch_database scratch;
  std::string url = scratch.url().to_string();

  std::string scalar(const std::string& sql) {
    auto conn = scratch.db().connection();
    return persistence::sql_scalar(*conn, sql).value_or("NULL");
  }
  void execute(const std::string& sql) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(*conn, sql);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(secret_box_alone)

BOOST_AUTO_TEST_CASE(round_trip_with_a_fresh_nonce_each_time) {
  auto box = box_of(secret_box::generate_key());
  auto a = box.seal("client-secret-123");
  auto b = box.seal("client-secret-123");
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  BOOST_TEST(*a != *b); // random nonce per value
  BOOST_TEST(a->rfind("v1:" + box.key_id() + ":", 0) == 0);
  BOOST_TEST(a->find("client-secret-123") == std::string::npos);
  BOOST_TEST(*box.open(*a) == "client-secret-123");
  BOOST_TEST(*box.open(*box.seal("")) == "");
  // Legacy plaintext passes through.
  BOOST_TEST(*box.open("plain-old") == "plain-old");
}

BOOST_AUTO_TEST_CASE(tampered_values_are_refused) {
  auto box = box_of(secret_box::generate_key());
  auto sealed = *box.seal("token-abcdef");
  // Flip one character of the base64 body, then cut the tag short.
  auto flipped = sealed;
  auto& c = flipped[flipped.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  auto opened = box.open(flipped);
  BOOST_REQUIRE(!opened);
  BOOST_TEST((opened.error().what == secret_error::kind::tampered));
  BOOST_TEST(opened.error().message.find("token-abcdef") == std::string::npos);
  BOOST_TEST(!box.open(sealed.substr(0, sealed.size() - 8)));
  BOOST_TEST(!box.open("v1:" + box.key_id() + ":"));
  BOOST_TEST(!box.open("v1:" + box.key_id() + ":not base64!"));
}

BOOST_AUTO_TEST_CASE(the_wrong_key_is_refused_with_its_id) {
  auto writer_key = secret_box::generate_key();
  auto writer = box_of(writer_key);
  auto reader = box_of(secret_box::generate_key());
  auto sealed = *writer.seal("secret-value-9");
  auto opened = reader.open(sealed);
  BOOST_REQUIRE(!opened);
  BOOST_TEST((opened.error().what == secret_error::kind::unknown_key));
  const auto& m = opened.error().message;
  BOOST_TEST(m.find("key id " + writer.key_id()) != std::string::npos, m);
  BOOST_TEST(m.find("RACECONTROL_SECRET_KEY") != std::string::npos, m);
  BOOST_TEST(m.find("secret-value-9") == std::string::npos, m);
  // Without any key: sealing is refused, opening names the key id.
  secret_box none;
  BOOST_TEST((none.seal("x").error().what == secret_error::kind::no_key));
  BOOST_TEST(none.open(sealed).error().message.find("is not set") !=
             std::string::npos);
  // During rotation the old key opens what it sealed; seal uses the new.
  auto rotating = box_of(secret_box::generate_key(), writer_key);
  BOOST_TEST(*rotating.open(sealed) == "secret-value-9");
  BOOST_TEST(secret_box::key_id_of(*rotating.seal("x")) == rotating.key_id());
}

BOOST_AUTO_TEST_CASE(malformed_keys_are_refused) {
  for (std::string bad :
       {"short", "AAAA", "not base64 at all, no no no no no"}) {
    auto box = secret_box::from_keys(bad);
    BOOST_REQUIRE(!box);
    BOOST_TEST((box.error().what == secret_error::kind::bad_key));
    BOOST_TEST(box.error().message.find("32 bytes") != std::string::npos);
  }
  BOOST_TEST(!secret_box::from_keys(secret_box::generate_key(), "bad"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(secrets_in_mariadb, world)

BOOST_AUTO_TEST_CASE(repositories_never_store_plaintext) {
  auto box = box_of(secret_box::generate_key());
  persistence::racetime_bot_repository bots{scratch.db(), box};
  auto id = bots.save_configured("alttpr", "Bot", "cid", "bot-secret-XYZ");
  auto raw = scalar("SELECT client_secret FROM racetime_bots WHERE id = " +
                    std::to_string(id));
  BOOST_TEST(raw.find("bot-secret-XYZ") == std::string::npos);
  BOOST_TEST(*box.open(raw) == "bot-secret-XYZ");
  // Without a key nothing is written.
  secret_box none;
  persistence::racetime_bot_repository keyless{scratch.db(), none};
  BOOST_CHECK_THROW(keyless.save_configured("other", "B", "c", "s"),
                    persistence::secret_failure);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM racetime_bots") == "1");
}

BOOST_AUTO_TEST_CASE(encrypt_then_rotate_with_the_cli) {
  auto old_key = secret_box::generate_key();
  auto new_key = secret_box::generate_key();
  // Rows from before encryption.
  execute("INSERT INTO racetime_bots (category, name, client_id, "
          "client_secret) VALUES ('alttpr', 'Bot', 'cid', 'plain-secret-1')");
  execute("INSERT INTO users (display_name, racetime_id, racetime_name, "
          "racetime_access_token, racetime_refresh_token) VALUES ('A', 'u1', "
          "'Racer1', 'plain-access-1', 'plain-refresh-1')");
  auto status = migrate({"secrets", "status", "--database", url},
                        {{"RACECONTROL_SECRET_KEY", old_key}});
  BOOST_TEST(status.status == 0, status.err);
  BOOST_TEST(status.out.find("plaintext: 3") != std::string::npos, status.out);

  // No key: refused, nothing changed.
  auto refused = migrate({"secrets", "encrypt", "--database", url});
  BOOST_TEST(refused.status == 2);
  BOOST_TEST(refused.err.find("RACECONTROL_SECRET_KEY is not set") !=
                 std::string::npos,
             refused.err);
  BOOST_TEST(scalar("SELECT client_secret FROM racetime_bots") ==
             "plain-secret-1");

  auto enc = migrate({"secrets", "encrypt", "--database", url},
                     {{"RACECONTROL_SECRET_KEY", old_key}});
  BOOST_TEST(enc.status == 0, enc.err);
  BOOST_TEST(enc.out.find("encrypted 3 secret(s)") != std::string::npos,
             enc.out);
  auto old_box = box_of(old_key);
  for (auto [column, plain] : std::map<std::string, std::string>{
           {"(SELECT client_secret FROM racetime_bots)", "plain-secret-1"},
           {"(SELECT racetime_access_token FROM users)", "plain-access-1"},
           {"(SELECT racetime_refresh_token FROM users)", "plain-refresh-1"}}) {
    auto raw = scalar("SELECT " + column);
    BOOST_TEST(raw.find(plain) == std::string::npos, raw);
    BOOST_TEST(*old_box.open(raw) == plain);
  }
  // Encrypting again changes nothing.
  auto again = migrate({"secrets", "encrypt", "--database", url},
                       {{"RACECONTROL_SECRET_KEY", old_key}});
  BOOST_TEST(again.out.find("encrypted 0 secret(s)") != std::string::npos);

  // The wrong key is named: the rows were written with old_key's id.
  auto wrong = migrate({"secrets", "encrypt", "--database", url},
                       {{"RACECONTROL_SECRET_KEY", new_key}});
  BOOST_TEST(wrong.status == 2);
  BOOST_TEST(wrong.err.find("key id " + old_box.key_id()) != std::string::npos,
             wrong.err);
  auto problem = persistence::secret_key_problem(scratch.db(), box_of(new_key));
  BOOST_REQUIRE(problem);
  BOOST_TEST(problem->find(old_box.key_id()) != std::string::npos);

  // Rotation without the old key is refused; with it every value moves.
  auto half = migrate({"secrets", "rotate", "--database", url},
                      {{"RACECONTROL_SECRET_KEY", new_key}});
  BOOST_TEST(half.status == 2);
  auto rot = migrate({"secrets", "rotate", "--database", url},
                     {{"RACECONTROL_SECRET_KEY", new_key},
                      {"RACECONTROL_SECRET_KEY_OLD", old_key}});
  BOOST_TEST(rot.status == 0, rot.err);
  auto new_box = box_of(new_key);
  auto raw = scalar("SELECT racetime_access_token FROM users");
  BOOST_TEST(secret_box::key_id_of(raw) == new_box.key_id());
  BOOST_TEST(*new_box.open(raw) == "plain-access-1");
  BOOST_TEST(!old_box.open(raw));
  BOOST_TEST(!persistence::secret_key_problem(scratch.db(), new_box));
}

BOOST_AUTO_TEST_CASE(rotation_is_all_or_nothing) {
  auto a = secret_box::generate_key();
  auto b = secret_box::generate_key();
  auto c = secret_box::generate_key();
  auto box_a = box_of(a);
  execute("INSERT INTO racetime_bots (category, name, client_id, "
          "client_secret) VALUES ('alttpr', 'Bot', 'cid', '" +
          *box_a.seal("s-1") + "')");
  // A value under a third key that neither key given opens.
  execute("INSERT INTO users (display_name, racetime_access_token) VALUES "
          "('A', '" +
          *box_of(c).seal("t-1") + "')");
  auto before = scalar("SELECT client_secret FROM racetime_bots");
  auto rot = migrate(
      {"secrets", "rotate", "--database", url},
      {{"RACECONTROL_SECRET_KEY", b}, {"RACECONTROL_SECRET_KEY_OLD", a}});
  BOOST_TEST(rot.status == 2);
  BOOST_TEST(rot.err.find("nothing changed") != std::string::npos, rot.err);
  BOOST_TEST(scalar("SELECT client_secret FROM racetime_bots") == before);
}

BOOST_AUTO_TEST_CASE(keygen_prints_a_usable_key) {
  auto gen = migrate({"secrets", "keygen"});
  BOOST_TEST(gen.status == 0);
  auto key = gen.out.substr(0, gen.out.find('\n'));
  BOOST_TEST(key.size() == 44u);
  BOOST_TEST(static_cast<bool>(secret_box::from_keys(key)));
}

BOOST_AUTO_TEST_SUITE_END()
