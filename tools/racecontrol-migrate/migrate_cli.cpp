#include "tools/racecontrol-migrate/migrate_cli.hpp"

#include "config/command_line.hpp"
#include "config/settings.hpp"
#include "persistence/database.hpp"
#include "persistence/database_error.hpp"
#include "persistence/migration_lock.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/secret_box.hpp"
#include "racecontrol/version.hpp"
#include "tools/racecontrol-migrate/import/sahasrahbot_import.hpp"
#include "tools/racecontrol-migrate/secret_commands.hpp"
#include "tools/racecontrol-migrate/token_commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <ostream>

namespace racecontrol::tools {

namespace {

namespace fs = std::filesystem;
using persistence::migration;
using persistence::migration_set;
using persistence::migrator;

const char* overview =
    R"(usage: racecontrol-migrate [options] COMMAND [command options]

Applies, reverts, checks and writes racecontrol's schema migrations
(migrations/YYYYMMDD_NNNNNN_name.{up,down,verify}.sql, compiled into this
program). Progress is tracked in the table schema_migrations; a GET_LOCK
advisory lock keeps two runners from interleaving.

commands:
  up        apply pending migrations            (--to VERSION, --include-manual)
  down      revert the newest migrations        (--steps N, default 1)
  status    list applied and pending migrations
  verify    compare the live schema with what the migrations produce
  fresh     drop everything and re-apply        (needs two confirmations)
  new NAME  write a new, empty migration pair into --migrations DIR
  import-sahasrahbot --source URL [--target URL]
            import a SahasrahBot database (seed 002); help import-sahasrahbot
  token create --org ID --name NAME --scopes A,B [--created-by USER_ID]
  token list [--org ID]
  token revoke ID
            API bearer tokens; create prints the token once; help token
  secrets keygen|status|encrypt|rotate
            the key that encrypts bot secrets and RaceTime tokens at rest;
            help secrets
  help [COMMAND]

options:
  --database URL       mysql://user[:password]@host:port/db or
                       mysql://user@localhost/db?socket=PATH
                       (default: $DATABASE_URL, else database.url of --config)
  --config FILE        racecontrold's INI file: database.url and
                       database.production are read from it
  --migrations DIR     use the .sql files in DIR instead of the compiled-in set
  --lock-timeout TIME  how long to wait for another runner (default 30s)
  --help, --version

The password can also come from RACECONTROL_DATABASE_PASSWORD.

exit status: 0 done; 1 a migration failed, drift was found or the lock was
held; 2 bad arguments, refused, or the database cannot be reached.
)";

/// The choices seed 002 leaves open, as import-sahasrahbot makes them.
std::string import_choices_text() {
  std::string out = "Choices seed 002 leaves open (also in every report):\n";
  for (const auto& choice : import::import_choices()) {
    std::string line = "  -";
    std::size_t start = 0;
    while (start < choice.size()) {
      auto end = choice.find(' ', start);
      auto word = choice.substr(
          start, end == std::string::npos ? std::string::npos : end - start);
      if (line.size() + 1 + word.size() > 78) {
        out += line + "\n";
        line = "   ";
      }
      line += " " + word;
      start = end == std::string::npos ? choice.size() : end + 1;
    }
    out += line + "\n";
  }
  return out;
}

const std::map<std::string, std::string> command_help = {
    {"up", R"(usage: racecontrol-migrate up [--to VERSION] [--include-manual]

Applies pending migrations in version order. Each is recorded in
schema_migrations only after all its statements and its .verify.sql queries
succeeded; a failure names the migration, the statement and its line, and
leaves that migration unrecorded so a re-run (after fixing the cause) picks
it up again. Applied migrations whose files changed are refused.

  --to VERSION      stop after this version (e.g. 20261122_000010)
  --include-manual  also apply migrations marked `-- migrate: manual`, such as
                    the drop of matches.racetime_room_slug:
                      racecontrol-migrate up --to 20261122_000029 --include-manual
)"},
    {"down", R"(usage: racecontrol-migrate down [--steps N]

Reverts the newest N applied migrations (default 1), newest first, running
each one's .down.sql and removing its row from schema_migrations.
)"},
    {"status", R"(usage: racecontrol-migrate status

Lists every migration with its state (applied, pending, manual, EDITED when
the file changed after it was applied, UNKNOWN when the database has a
version this build does not know), when it was applied, how long it took
and the first characters of its checksum.
)"},
    {"verify", R"(usage: racecontrol-migrate verify

Trust, but verify: builds a shadow database from the applied migrations and
compares the live schema with it through information_schema (tables,
columns with type, nullability, default, extra, collation and comment,
indexes, unique keys, foreign keys), re-runs every .verify.sql query of the
applied migrations and checks the checksums. Prints each difference and
exits 1 when there is any. Needs CREATE and DROP DATABASE for the shadow.
)"},
    {"fresh",
     R"(usage: racecontrol-migrate fresh --yes-destroy-all-data --confirm-database NAME

DESTROYS ALL DATA: drops every table and view of the database, then applies
every migration. Refuses unless both confirmations are given and NAME is the
target database's name, and always refuses when --config marks the database
as production (database.production = true).
)"},
    {"import-sahasrahbot",
     std::string{
         R"(usage: racecontrol-migrate import-sahasrahbot --source URL --target URL
         [--phase users|orgs|tournaments|verification|presets|all] [--dry-run]
         [--batch-size N] [--guild-names FILE] [--report FILE] [--sample-size N]
         [--writers N]

Imports a SahasrahBot MySQL/MariaDB database (seed 002) into racecontrol's,
phase by phase: users, orgs (one organization per Discord guild),
tournaments (async tournaments with pools, permalinks, races, live races,
permissions, whitelists, audit logs, review notes), verification (racer
verification with one row per category, verified racers) and presets
(namespaces, collaborators, presets).

The source is only read, inside one consistent snapshot (a user with SELECT
only is enough). Each batch commits with its mapping rows (migration_*_map),
so a second run adds nothing and an interrupted run resumes where it stopped
and ends with exactly the rows of an uninterrupted one. A row that cannot be
imported is skipped and listed with its table, id and reason. After each
phase: source vs target counts, every imported row present, no orphaned
foreign keys, and random rows compared field by field; a failed validation
exits 1.

  --source URL       the SahasrahBot database
  --target URL       racecontrol's (default: --database, DATABASE_URL, --config)
  --phase P          one phase, a comma-separated list, or all (default)
  --dry-run          do everything inside one transaction, then roll it back
  --batch-size N     rows per batch (default 5000)
  --guild-names FILE "guild_id,name" lines naming the organizations
  --report FILE      also write the report as JSON
  --sample-size N    rows per table compared field by field (default 25)
  --writers N        connections writing batches at once (default 2; batches
                     still commit in order, so a stopped import resumes)

exit status: 0 imported and validated; 1 a validation check failed or a
database error stopped a phase; 2 bad arguments, refused before a phase ran
(an earlier phase missing, a source that is not SahasrahBot's, a target not
migrated), or a database that cannot be reached. --report FILE is written in
every case, with the reason when the import stopped.

)"} + import::import_rules_text() +
         "\n\n" + import_choices_text()},
    {"token", token_help},
    {"secrets", secrets_help},
    {"new", R"(usage: racecontrol-migrate new NAME [--migrations DIR]

Writes DIR/YYYYMMDD_NNNNNN_NAME.up.sql and .down.sql (today's UTC date, the
next sequence number) for you to fill in. NAME uses a-z, 0-9 and '_'.
DIR defaults to ./migrations.
)"},
};

/// What the command line asked for, and where to write.
struct invocation {
  config::command_line cli;
  std::string command;
  std::ostream& out;
  std::ostream& err;
  const env_reader& getenv;
};

/// The database to work on.
struct target {
  config::database_url url;
  bool production = false;
};

target resolve_target(const invocation& inv) {
  target t;
  std::optional<config::settings> settings;
  if (auto file = inv.cli.value("config")) {
    config::settings_sources sources;
    sources.config_file = *file;
    sources.getenv = inv.getenv;
    sources.require_bot_secrets = false;
    settings = config::load_settings(sources);
    t.production = settings->database_production;
  }
  std::optional<std::string> text = inv.cli.value("database");
  if (!text)
    if (const char* env = inv.getenv("DATABASE_URL"))
      text = std::string{env};
  if (text) {
    std::string error;
    auto url = config::parse_database_url(*text, error);
    if (!url)
      throw config::config_error("--database: " + error);
    t.url = *url;
  } else if (settings) {
    t.url = settings->database;
  } else {
    throw config::config_error("no database given: use --database URL, "
                               "DATABASE_URL, or --config FILE");
  }
  if (t.url.password.empty())
    if (const char* pw = inv.getenv(config::database_password_variable))
      t.url.password = config::secret{pw};
  return t;
}

migration_set load_set(const invocation& inv) {
  if (auto dir = inv.cli.value("migrations")) {
    try {
      return migration_set::from_directory(*dir);
    } catch (const std::runtime_error& e) {
      throw config::config_error(e.what());
    }
  }
  return migration_set::embedded();
}

std::chrono::seconds lock_timeout(const invocation& inv) {
  auto text = inv.cli.value("lock-timeout").value_or("30s");
  auto d = config::parse_duration(text);
  if (!d)
    throw config::config_error("--lock-timeout must be a duration like 30s, "
                               "got '" +
                               text + "'");
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

std::shared_ptr<odb::mysql::database> connect(const target& t) {
  persistence::database_options options;
  options.url = t.url;
  options.max_connections = 4;
  return persistence::open_database(options);
}

std::string format_time(racecontrol::timestamp t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                t.time_since_epoch())
                .count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(us / 1000 % 1000));
  return buf;
}

/// Prints "applying X ... " before each migration and "ok" after it.
migrator::progress_callback announce(std::ostream& out, const char* verb) {
  return [&out, verb](const migration& m) {
    out << verb << " " << m.version << "_" << m.name << "\n" << std::flush;
  };
}

int cmd_up(const invocation& inv, migrator& m) {
  auto to = inv.cli.value("to");
  auto applied =
      m.up(to, inv.cli.has("include-manual"), announce(inv.out, "applying"));
  if (applied.empty())
    inv.out << "nothing to apply: the schema is up to date\n";
  else
    inv.out << "applied " << applied.size() << " migration(s)\n";
  auto manual = m.pending(true).size() - m.pending(false).size();
  if (manual > 0 && !inv.cli.has("include-manual"))
    inv.out << manual
            << " manual migration(s) not applied; `status` lists "
               "them, `help up` says how to apply one\n";
  return migrate_ok;
}

int cmd_down(const invocation& inv, migrator& m) {
  int steps = 1;
  if (auto text = inv.cli.value("steps")) {
    char* end = nullptr;
    long n = std::strtol(text->c_str(), &end, 10);
    if (end == text->c_str() || *end != '\0' || n < 1 || n > 100000)
      throw config::config_error("--steps must be a positive number, got '" +
                                 *text + "'");
    steps = static_cast<int>(n);
  }
  auto reverted = m.down(steps, announce(inv.out, "reverting"));
  if (reverted.empty())
    inv.out << "nothing to revert: no migration is applied\n";
  else
    inv.out << "reverted " << reverted.size() << " migration(s)\n";
  return migrate_ok;
}

int cmd_status(const invocation& inv, migrator& m, const target& t) {
  auto states = m.states();
  std::map<persistence::migration_state::state, int> counts;
  for (const auto& st : states)
    ++counts[st.what];
  using state = persistence::migration_state::state;
  inv.out << "database " << t.url.database << " at " << t.url.location() << ": "
          << counts[state::applied] << " applied, " << counts[state::pending]
          << " pending, " << counts[state::manual] << " manual";
  if (counts[state::edited] + counts[state::unknown] > 0)
    inv.out << ", " << counts[state::edited] << " EDITED, "
            << counts[state::unknown] << " UNKNOWN";
  inv.out << "\n\n";
  size_t width = 4;
  for (const auto& st : states)
    width = std::max(width, st.name.size());
  inv.out << std::left << std::setw(17) << "version" << std::setw(width + 2)
          << "name" << std::setw(9) << "state" << std::setw(25)
          << "applied at (UTC)" << std::right << std::setw(8) << "ms"
          << "  checksum\n";
  for (const auto& st : states) {
    inv.out << std::left << std::setw(17) << st.version << std::setw(width + 2)
            << st.name << std::setw(9) << to_string(st.what) << std::setw(25)
            << (st.applied ? format_time(st.applied->applied_at) : "-")
            << std::right << std::setw(8)
            << (st.applied ? std::to_string(st.applied->execution_ms) : "-")
            << "  " << st.checksum.substr(0, 12) << "\n";
  }
  return migrate_ok;
}

int cmd_verify(const invocation& inv, migrator& m, const target& t) {
  auto problems = m.verify();
  auto applied = m.applied().size();
  if (problems.empty()) {
    inv.out << "database " << t.url.database << " matches its " << applied
            << " applied migration(s)\n";
    return migrate_ok;
  }
  inv.out << "database " << t.url.database << " differs from what its "
          << applied << " applied migration(s) produce (" << problems.size()
          << " problem(s)):\n";
  for (const auto& p : problems)
    inv.out << "  - " << p << "\n";
  return migrate_failed;
}

/// Marks the database production; a user without ALTER on it gets a
/// warning, and the command goes on.
void mark_production(const invocation& inv, migrator& m, const target& t) {
  try {
    if (!m.marked_production())
      m.mark_production();
  } catch (const persistence::database_error& e) {
    inv.err << "racecontrol-migrate: warning: database " << t.url.database
            << " could not be marked production (" << e.what()
            << "); grant ALTER on it, or mark it once by hand: ALTER DATABASE "
            << t.url.database << " COMMENT = 'racecontrol: production'\n";
  }
}

int cmd_fresh(const invocation& inv, migrator& m, const target& t) {
  if (t.production)
    throw config::config_error(
        "refusing: the configuration marks database " + t.url.database +
        " as production (database.production = true); fresh never runs there");
  if (m.marked_production())
    throw config::config_error(
        "refusing: database " + t.url.database +
        " is marked production (a production racecontrold or "
        "racecontrol-migrate ran on it; its comment says so); fresh never "
        "runs there. If it truly is no longer production: ALTER DATABASE " +
        t.url.database + " COMMENT = ''");
  auto confirmed = inv.cli.value("confirm-database");
  if (!inv.cli.has("yes-destroy-all-data") || !confirmed)
    throw config::config_error(
        "refusing: fresh destroys all data; give --yes-destroy-all-data and "
        "--confirm-database " +
        t.url.database);
  if (*confirmed != t.url.database)
    throw config::config_error("refusing: --confirm-database " + *confirmed +
                               " does not name the target database " +
                               t.url.database);
  inv.out << "dropping every table of " << t.url.database << "\n";
  auto applied = m.fresh(announce(inv.out, "applying"));
  inv.out << "applied " << applied.size() << " migration(s)\n";
  return migrate_ok;
}

int cmd_new(const invocation& inv) {
  if (inv.cli.positional.size() != 2)
    throw config::config_error("new needs a NAME: racecontrol-migrate new "
                               "add_match_notes");
  const auto& name = inv.cli.positional[1];
  bool valid =
      !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_';
      });
  if (!valid)
    throw config::config_error("migration names use a-z, 0-9 and '_', not '" +
                               name + "'");
  fs::path dir = inv.cli.value("migrations").value_or("migrations");
  if (!fs::is_directory(dir))
    throw config::config_error("no migrations directory at " + dir.string() +
                               ": run from the repository root or pass "
                               "--migrations DIR");
  int last = 0;
  auto existing = load_set(inv);
  for (const auto& m : existing.all())
    last = std::max(last, std::stoi(m.version.substr(9)));
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char version[48];
  std::snprintf(version, sizeof version, "%04d%02d%02d_%06d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, last + 1);
  auto base = dir / (std::string{version} + "_" + name);
  auto up = base.string() + ".up.sql";
  auto down = base.string() + ".down.sql";
  std::ofstream(up) << "-- " << name
                    << ": what this migration changes and why.\n"
                       "-- Write statements that can run twice (IF NOT "
                       "EXISTS / IF EXISTS):\n"
                       "-- MariaDB DDL is not transactional.\n";
  std::ofstream(down) << "-- Reverts " << name << ".\n";
  inv.out << "created " << up << "\ncreated " << down << "\n";
  return migrate_ok;
}

std::vector<std::string> phases_of(const std::string& text) {
  const auto& all = import::all_phases();
  if (text == "all")
    return all;
  std::vector<std::string> wanted;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    wanted.push_back(text.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  std::vector<std::string> out;
  for (const auto& p : all)
    if (std::find(wanted.begin(), wanted.end(), p) != wanted.end())
      out.push_back(p);
  for (const auto& w : wanted)
    if (std::find(all.begin(), all.end(), w) == all.end())
      throw config::config_error("unknown phase '" + w +
                                 "' (users, orgs, tournaments, verification, "
                                 "presets or all)");
  return out;
}

/// The key that seals imported RaceTime tokens: required by the users
/// phase, so no token is ever stored in plaintext.
persistence::secret_box import_secrets(const invocation& inv,
                                       const std::vector<std::string>& phases) {
  const char* key = inv.getenv(persistence::secret_box::key_variable);
  auto box = persistence::secret_box::from_keys(key == nullptr ? "" : key);
  if (!box)
    throw config::config_error(box.error().message);
  if (!box->has_key() &&
      std::find(phases.begin(), phases.end(), "users") != phases.end())
    throw config::config_error(
        std::string{"the users phase stores RaceTime tokens encrypted: set "} +
        persistence::secret_box::key_variable +
        " to racecontrold's key (`racecontrol-migrate secrets keygen` "
        "prints a new one)");
  return std::move(*box);
}

int cmd_import(const invocation& inv) {
  import::import_options o;
  auto source = inv.cli.value("source");
  if (!source)
    throw config::config_error("import-sahasrahbot needs --source URL (the "
                               "SahasrahBot database)");
  std::string error;
  auto source_url = config::parse_database_url(*source, error);
  if (!source_url)
    throw config::config_error("--source: " + error);
  o.source = *source_url;
  if (auto target = inv.cli.value("target")) {
    auto target_url = config::parse_database_url(*target, error);
    if (!target_url)
      throw config::config_error("--target: " + error);
    o.target = *target_url;
    if (o.target.password.empty())
      if (const char* pw = inv.getenv(config::database_password_variable))
        o.target.password = config::secret{pw};
  } else {
    o.target = resolve_target(inv).url;
  }
  o.phases = phases_of(inv.cli.value("phase").value_or("all"));
  o.dry_run = inv.cli.has("dry-run");
  o.secrets = import_secrets(inv, o.phases);
  try {
    o.batch_size = std::stoul(inv.cli.value("batch-size").value_or("5000"));
    o.sample_size = std::stoul(inv.cli.value("sample-size").value_or("25"));
    o.writers = std::stoul(inv.cli.value("writers").value_or("2"));
  } catch (const std::exception&) {
    throw config::config_error(
        "--batch-size, --sample-size and --writers take numbers");
  }
  if (o.writers == 0 || o.writers > 16)
    throw config::config_error("--writers must be 1 to 16");
  if (o.batch_size == 0 || o.batch_size > 100000)
    throw config::config_error("--batch-size must be 1 to 100000");
  if (auto names = inv.cli.value("guild-names")) {
    try {
      o.guild_names = import::read_guild_names(*names);
    } catch (const std::runtime_error& e) {
      throw config::config_error(e.what());
    }
  }
  o.progress = &inv.err;
  o.progress_is_terminal = &inv.err == &std::cerr && isatty(2);
  // Test hook for the resume tests of the CLI: die like kill -9 between a
  // batch's writes and its commit.
  if (const char* kill =
          inv.getenv("RACECONTROL_IMPORT_TEST_KILL_AFTER_BATCHES")) {
    auto after = std::stoul(kill);
    o.before_commit = [after](std::size_t batch) {
      if (batch >= after)
        std::_Exit(137);
    };
  }
  // The report is written whatever happens: when the import stops or its
  // validation fails, it is what the operator needs most.
  import::import_report report;
  int status = migrate_ok;
  std::string stopped;
  try {
    import::run_sahasrahbot_import(o, report);
    status = report.valid() ? migrate_ok : migrate_failed;
  } catch (const persistence::database_error& e) {
    stopped = e.what();
    status = e.what_kind() == persistence::database_error::kind::connection
                 ? migrate_usage
                 : migrate_failed;
  } catch (const std::runtime_error& e) {
    // Refused before or between phases: nothing half-done, say what to do.
    stopped = e.what();
    status = migrate_usage;
  }
  if (!report.tables.empty())
    inv.out << report.text();
  if (!stopped.empty())
    inv.err << "racecontrol-migrate: " << stopped << "\n";
  if (auto file = inv.cli.value("report")) {
    std::ofstream json(*file);
    json << report.json() << "\n";
    if (!json) {
      inv.err << "racecontrol-migrate: cannot write the report to " << *file
              << "\n";
      return migrate_usage;
    }
  }
  return status;
}

int dispatch(const invocation& inv) {
  if (inv.command == "new")
    return cmd_new(inv);
  if (inv.command == "import-sahasrahbot")
    return cmd_import(inv);
  if (inv.command == "token")
    return run_token_command(
        inv.cli,
        [&inv] {
          return connect(resolve_target(inv));
        },
        inv.out);
  if (inv.command == "secrets")
    return run_secrets_command(
        inv.cli,
        [&inv] {
          return connect(resolve_target(inv));
        },
        inv.getenv, inv.out);
  auto t = resolve_target(inv);
  auto set = load_set(inv);
  auto db = connect(t);
  migrator m{*db, set};
  if (inv.command == "status")
    return cmd_status(inv, m, t);
  persistence::migration_lock lock{*db, lock_timeout(inv)};
  // The database remembers it is production, for a later `fresh` run
  // without this configuration (by the commands that change it anyway).
  if (t.production && inv.command != "verify")
    mark_production(inv, m, t);
  if (inv.command == "up")
    return cmd_up(inv, m);
  if (inv.command == "down")
    return cmd_down(inv, m);
  if (inv.command == "verify")
    return cmd_verify(inv, m, t);
  if (inv.command == "fresh")
    return cmd_fresh(inv, m, t);
  throw config::config_error("unknown command '" + inv.command +
                             "'; racecontrol-migrate --help lists them");
}

int print_help(std::ostream& out, const std::string& command) {
  if (command.empty()) {
    out << overview;
    return migrate_ok;
  }
  auto it = command_help.find(command);
  if (it == command_help.end()) {
    out << "no help for '" << command << "'\n\n" << overview;
    return migrate_usage;
  }
  out << it->second;
  return migrate_ok;
}

} // namespace

int run_migrate_cli(const std::vector<std::string>& args, std::ostream& out,
                    std::ostream& err, const env_reader& getenv) {
  try {
    auto cli = config::parse_command_line(
        args,
        {"help", "version", "include-manual", "yes-destroy-all-data",
         "dry-run"},
        {"database", "config", "migrations", "lock-timeout", "to", "steps",
         "confirm-database", "source", "target", "phase", "batch-size",
         "guild-names", "report", "sample-size", "writers", "org", "name",
         "scopes", "created-by"});
    if (!cli.overrides.empty())
      throw config::config_error("unknown option '--" + cli.overrides[0].first +
                                 "'; --help lists them");
    std::string command = cli.positional.empty() ? "" : cli.positional[0];
    if (cli.has("version")) {
      out << "racecontrol-migrate " << racecontrol::version << "\n";
      return migrate_ok;
    }
    if (command == "help")
      return print_help(out,
                        cli.positional.size() > 1 ? cli.positional[1] : "");
    if (cli.has("help") || command.empty()) {
      if (command.empty() && !cli.has("help")) {
        err << "racecontrol-migrate: no command given\n\n" << overview;
        return migrate_usage;
      }
      return print_help(out, command);
    }
    if (command != "new" && command != "token" && command != "secrets" &&
        cli.positional.size() > 1)
      throw config::config_error("unexpected argument '" + cli.positional[1] +
                                 "'");
    return dispatch({cli, command, out, err, getenv});
  } catch (const config::config_error& e) {
    err << "racecontrol-migrate: " << e.what() << "\n";
    return migrate_usage;
  } catch (const persistence::migration_failure& e) {
    err << "racecontrol-migrate: " << e.what() << "\n";
    if (!e.statement.empty())
      err << "  statement: " << e.statement.substr(0, 500) << "\n";
    return migrate_failed;
  } catch (const persistence::database_error& e) {
    err << "racecontrol-migrate: " << e.what() << "\n";
    return e.what_kind() == persistence::database_error::kind::connection
               ? migrate_usage
               : migrate_failed;
  }
}

} // namespace racecontrol::tools
