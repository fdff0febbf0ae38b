#include "tools/racecontrol-migrate/secret_commands.hpp"

#include "config/ini_document.hpp"
#include "persistence/secret_box.hpp"
#include "persistence/secret_columns.hpp"

namespace racecontrol::tools {

const char* const secrets_help =
    R"(usage: racecontrol-migrate secrets keygen
       racecontrol-migrate secrets status
       racecontrol-migrate secrets encrypt
       racecontrol-migrate secrets rotate

Bot client secrets (racetime_bots.client_secret) and users' RaceTime tokens
(users.racetime_access_token, users.racetime_refresh_token) are stored
encrypted with AES-256-GCM under RACECONTROL_SECRET_KEY (32 random bytes,
base64), as "v1:<key id>:<base64>"; the key id is the first 8 hex digits of
the key's SHA-256. racecontrold refuses to start without the key.

  keygen   prints a new random key (put it in the EnvironmentFile).
  status   counts plaintext values and sealed values by key id.
  encrypt  seals every value still stored in plaintext (rows from before
           encryption, or written by hand) under RACECONTROL_SECRET_KEY, in
           one transaction. Run it once after upgrading.
  rotate   re-seals every value under RACECONTROL_SECRET_KEY, opening those
           sealed under the previous key with RACECONTROL_SECRET_KEY_OLD, in
           one transaction: either every value moves to the new key or none
           does. Then restart racecontrold with the new key only.

exit status: 0 done; 2 a missing or malformed key, a value no configured key
opens (nothing changed), or a database that cannot be reached.
)";

namespace {

persistence::secret_box box_from(const env_reader& getenv, bool need_old) {
  auto read = [&](const char* name) {
    const char* v = getenv(name);
    return std::string{v == nullptr ? "" : v};
  };
  auto box = persistence::secret_box::from_keys(
      read(persistence::secret_box::key_variable),
      read(persistence::secret_box::old_key_variable));
  if (!box)
    throw config::config_error(box.error().message);
  if (!box->has_key())
    throw config::config_error(
        std::string{persistence::secret_box::key_variable} +
        " is not set; `racecontrol-migrate secrets keygen` prints a new key");
  if (need_old && read(persistence::secret_box::old_key_variable).empty())
    throw config::config_error(std::string{"rotate needs the new key in "} +
                               persistence::secret_box::key_variable +
                               " and the current one in " +
                               persistence::secret_box::old_key_variable);
  return std::move(*box);
}

int status(const database_opener& open, const env_reader& getenv,
           std::ostream& out) {
  auto box = box_from(getenv, false);
  auto census = persistence::count_secrets(*open(), box);
  out << "key id " << box.key_id() << "\n"
      << "sealed with a configured key: " << census.sealed << "\n"
      << "plaintext: " << census.plaintext
      << (census.plaintext ? " (run `racecontrol-migrate secrets encrypt`)"
                           : "")
      << "\n";
  for (const auto& u : census.unopenable)
    out << "not openable: " << u << "\n";
  return census.unopenable.empty() ? migrate_ok : migrate_failed;
}

template <class F>
int rewrite(F&& f, const char* verb, std::ostream& out) {
  try {
    auto n = f();
    out << verb << " " << n << " secret(s)\n";
    return migrate_ok;
  } catch (const persistence::secret_failure& e) {
    throw config::config_error(std::string{e.what()} + " (nothing changed)");
  }
}

} // namespace

int run_secrets_command(const config::command_line& cli,
                        const database_opener& open, const env_reader& getenv,
                        std::ostream& out) {
  std::string sub = cli.positional.size() > 1 ? cli.positional[1] : "";
  if (cli.positional.size() > 2)
    throw config::config_error("unexpected argument '" + cli.positional[2] +
                               "'");
  if (sub == "keygen") {
    out << persistence::secret_box::generate_key() << "\n";
    return migrate_ok;
  }
  if (sub == "status")
    return status(open, getenv, out);
  if (sub == "encrypt") {
    auto box = box_from(getenv, false);
    return rewrite(
        [&] {
          auto db = open();
          if (auto problem = persistence::secret_key_problem(*db, box))
            throw config::config_error(*problem);
          return persistence::seal_plaintext_secrets(*db, box);
        },
        "encrypted", out);
  }
  if (sub == "rotate") {
    auto box = box_from(getenv, true);
    return rewrite(
        [&] {
          return persistence::rotate_secrets(*open(), box);
        },
        ("re-encrypted under key id " + box.key_id() + ":").c_str(), out);
  }
  throw config::config_error(
      (sub.empty() ? std::string{"secrets needs a subcommand"}
                   : "unknown secrets subcommand '" + sub + "'") +
      ": keygen, status, encrypt or rotate (help secrets)");
}

} // namespace racecontrol::tools
