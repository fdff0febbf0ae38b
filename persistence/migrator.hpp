#pragma once

#include "persistence/database_error.hpp"
#include "persistence/entities/timestamp.hxx"
#include "persistence/migration_set.hpp"

#include <odb/mysql/database.hxx>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

/// A row of the tracking table `schema_migrations`.
struct applied_migration {
  std::string version;
  std::string name;
  std::string checksum;
  timestamp applied_at;
  std::int64_t execution_ms = 0;
};

/// A migration failed part-way. MariaDB DDL is not transactional, so the
/// statements before `statement_index` took effect; the migration is not
/// recorded as applied, and migrations are written to be re-run.
class migration_failure : public database_error {
 public:
  migration_failure(kind k, const std::string& message, std::string file,
                    std::size_t statement_index, std::string statement)
      : database_error(k, message), file(std::move(file)),
        statement_index(statement_index), statement(std::move(statement)) {}

  std::string file;
  std::size_t statement_index; ///< 1-based
  std::string statement;
};

/// One line of `racecontrol-migrate status`.
struct migration_state {
  enum class state {
    applied,
    pending,
    manual,  ///< not applied, and `up` leaves it alone
    edited,  ///< applied, but the file's checksum changed since
    unknown, ///< applied, but this build has no file for it
  };
  std::string version;
  std::string name;
  state what = state::pending;
  std::string checksum; ///< of the file, or the recorded one when unknown
  std::optional<applied_migration> applied;
};

const char* to_string(migration_state::state s);

/// Applies, reverts, tracks and verifies the migrations of a set on one
/// database. Callers that change the schema should hold a migration_lock.
class migrator {
 public:
  migrator(odb::mysql::database& db, const migration_set& set);

  using progress_callback = std::function<void(const migration&)>;

  /// Creates `schema_migrations` when it is missing.
  void ensure_tracking_table();

  /// What the tracking table says, in version order; empty when the table
  /// does not exist yet. Never changes the database.
  std::vector<applied_migration> applied();

  /// Migrations not yet applied, in order; manual ones only when asked.
  std::vector<const migration*> pending(bool include_manual = false);

  /// Every migration of the set and every applied version, in order.
  std::vector<migration_state> states();

  /// Throws database_error when an applied migration's file changed since
  /// (checksum mismatch) or is unknown to this build.
  void check_applied_match_files();

  /// Applies pending migrations in order, each recorded only after all its
  /// statements and verification queries succeeded. With `to`, stops after
  /// that version. Manual migrations run only with `include_manual`.
  std::vector<const migration*>
  up(const std::optional<std::string>& to = std::nullopt,
     bool include_manual = false, const progress_callback& before_each = {});

  /// Reverts the `steps` most recently applied migrations, newest first.
  std::vector<const migration*> down(int steps = 1,
                                     const progress_callback& before_each = {});

  /// Drops every table and view of the database, then applies `up()`.
  /// Refuses (database_error) a database marked production.
  std::vector<const migration*>
  fresh(const progress_callback& before_each = {});

  /// Marks the database production in its own comment (ALTER DATABASE ...
  /// COMMENT, which `fresh` keeps, as it drops tables only), so that
  /// `fresh` refuses it whatever configuration the next caller brings.
  /// Needs the ALTER privilege on the database (database_error otherwise).
  void mark_production();
  /// Whether mark_production() marked the database.
  bool marked_production();

  /// Checks that the live schema is what the applied migrations produce:
  /// builds a shadow database from the same migrations and compares both
  /// through information_schema; also re-runs every verification query and
  /// checks checksums. Returns the problems found, empty when all is well.
  std::vector<std::string> verify();

  odb::mysql::database& database() noexcept { return db_; }

  const migration_set& migrations() const noexcept { return set_; }

 private:
  void run_script(odb::mysql::connection& conn, const std::string& sql,
                  const std::string& file);
  /// The problems the verification queries of `m` report (each must be 0).
  std::vector<std::string> run_verification(odb::mysql::connection& conn,
                                            const migration& m);
  void record(const migration& m, std::int64_t execution_ms);

  odb::mysql::database& db_;
  const migration_set& set_;
};

} // namespace racecontrol::persistence
