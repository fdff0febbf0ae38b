#include "persistence/migrator.hpp"

#include "persistence/entities/mysql_value_traits.hxx"
#include "persistence/sql.hpp"
#include "persistence/sql_script.hpp"

#include <odb/mysql/connection.hxx>
#include <odb/mysql/exceptions.hxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

namespace racecontrol::persistence {

namespace {

constexpr const char* tracking_table_ddl = R"(
CREATE TABLE IF NOT EXISTS `schema_migrations` (
    `version` VARCHAR(32) NOT NULL PRIMARY KEY,
    `name` VARCHAR(255) NOT NULL,
    `checksum` CHAR(64) NOT NULL COMMENT 'SHA-256 of the up script',
    `applied_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `execution_ms` BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)";

timestamp parse_datetime(const std::string& text) {
  // "YYYY-MM-DD HH:MM:SS[.ffffff]" as the server prints DATETIME(6).
  MYSQL_TIME t{};
  unsigned long fraction = 0;
  std::sscanf(text.c_str(), "%4u-%2u-%2u %2u:%2u:%2u.%6lu", &t.year, &t.month,
              &t.day, &t.hour, &t.minute, &t.second, &fraction);
  t.second_part = fraction;
  return detail::from_mysql_time(t);
}

} // namespace

migrator::migrator(odb::mysql::database& db, const migration_set& set)
  : db_(db), set_(set) {
}

void migrator::ensure_tracking_table() {
  auto conn = db_.connection();
  sql_execute(*conn, tracking_table_ddl);
}

std::vector<applied_migration> migrator::applied() {
  ensure_tracking_table();
  auto conn = db_.connection();
  std::vector<applied_migration> out;
  for (auto& row : sql_query(*conn, "SELECT version, name, checksum, "
                                    "applied_at, execution_ms FROM "
                                    "schema_migrations ORDER BY version")) {
    applied_migration a;
    a.version = row[0].value_or("");
    a.name = row[1].value_or("");
    a.checksum = row[2].value_or("");
    a.applied_at = parse_datetime(row[3].value_or(""));
    a.execution_ms = std::stoll(row[4].value_or("0"));
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<const migration*> migrator::pending(bool include_manual) {
  std::set<std::string> done;
  for (auto& a : applied())
    done.insert(a.version);
  std::vector<const migration*> out;
  for (auto& m : set_.all())
    if (done.count(m.version) == 0 && (include_manual || !m.manual))
      out.push_back(&m);
  return out;
}

void migrator::check_applied_match_files() {
  for (auto& a : applied()) {
    const migration* m = set_.find(a.version);
    if (m == nullptr)
      throw database_error(
        database_error::kind::statement,
        "the database has migration " + a.version + "_" + a.name
          + " applied, which this build does not know: it was written by a "
            "newer racecontrol, or its file was removed");
    if (m->checksum != a.checksum)
      throw database_error(
        database_error::kind::statement,
        "migration " + m->up_file()
          + " was edited after it was applied (recorded checksum "
          + a.checksum.substr(0, 12) + "…, file now "
          + m->checksum.substr(0, 12)
          + "…): restore the file and put the change in a new migration");
  }
}

void migrator::run_script(const std::string& sql, const std::string& file) {
  auto conn = db_.connection();
  auto statements = split_sql_script(sql);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const auto& st = statements[i];
    try {
      sql_execute(*conn, st.text);
    } catch (const database_error& e) {
      throw migration_failure(
        e.what_kind(),
        "migration " + file + " failed at statement " + std::to_string(i + 1)
          + " (line " + std::to_string(st.line) + "): " + e.what(),
        file, i + 1, st.text);
    }
  }
}

void migrator::record(const migration& m, std::int64_t execution_ms) {
  auto conn = db_.connection();
  sql_execute(*conn,
              "INSERT INTO schema_migrations (version, name, checksum, "
              "execution_ms) VALUES ("
                + sql_quote(*conn, m.version) + ", " + sql_quote(*conn, m.name)
                + ", " + sql_quote(*conn, m.checksum) + ", "
                + std::to_string(execution_ms) + ")");
}

std::vector<const migration*>
migrator::up(const std::optional<std::string>& to, bool include_manual,
             const progress_callback& before_each) {
  if (to && set_.find(*to) == nullptr)
    throw database_error(database_error::kind::statement,
                         "no migration has version " + *to);
  check_applied_match_files();
  std::vector<const migration*> done;
  for (const migration* m : pending(true)) {
    if (to && m->version > *to)
      break;
    // A manual migration runs only when asked for and named by --to.
    if (m->manual && !(include_manual && to && m->version == *to))
      continue;
    if (before_each)
      before_each(*m);
    auto start = std::chrono::steady_clock::now();
    run_script(m->up_sql, m->up_file());
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
    record(*m, elapsed.count());
    done.push_back(m);
  }
  return done;
}

} // namespace racecontrol::persistence
