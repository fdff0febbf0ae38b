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
    : database_error(k, message),
      file(std::move(file)),
      statement_index(statement_index),
      statement(std::move(statement)) {
  }

  std::string file;
  std::size_t statement_index; ///< 1-based
  std::string statement;
};

/// Applies and tracks the migrations of a migration_set on one database.
class migrator {
public:
  migrator(odb::mysql::database& db, const migration_set& set);

  /// Creates `schema_migrations` when it is missing.
  void ensure_tracking_table();

  /// What the tracking table says, in version order.
  std::vector<applied_migration> applied();

  /// Migrations not yet applied, in order; manual ones only when asked.
  std::vector<const migration*> pending(bool include_manual = false);

  /// Throws database_error when an applied migration's file changed since
  /// (checksum mismatch) or is unknown to this build.
  void check_applied_match_files();

  using progress_callback = std::function<void(const migration&)>;

  /// Applies pending migrations in order, each recorded only after all its
  /// statements succeeded. With `to`, stops after that version (and may then
  /// apply a manual migration named by it). Returns what was applied.
  std::vector<const migration*>
  up(const std::optional<std::string>& to = std::nullopt,
     bool include_manual = false, const progress_callback& before_each = {});

  /// Runs one script's statements; throws migration_failure.
  void run_script(const std::string& sql, const std::string& file);

  odb::mysql::database& database() noexcept {
    return db_;
  }

  const migration_set& migrations() const noexcept {
    return set_;
  }

private:
  void record(const migration& m, std::int64_t execution_ms);

  odb::mysql::database& db_;
  const migration_set& set_;
};

} // namespace racecontrol::persistence
