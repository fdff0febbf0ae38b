#include "persistence/migrator.hpp"

#include "persistence/entities/mysql_value_traits.hxx"
#include "persistence/schema_snapshot.hpp"
#include "persistence/sql.hpp"
#include "persistence/sql_script.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

namespace racecontrol::persistence {

namespace {

/// What a production database's comment holds (see mark_production).
constexpr const char* production_mark = "racecontrol: production";

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

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now() - since)
      .count();
}

std::string shadow_name(const std::string& live) {
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "_verify_%06x", rd() & 0xffffff);
  return live.substr(0, 64 - std::string{suffix}.size()) + suffix;
}

} // namespace

const char* to_string(migration_state::state s) {
  switch (s) {
    case migration_state::state::applied:
      return "applied";
    case migration_state::state::pending:
      return "pending";
    case migration_state::state::manual:
      return "manual";
    case migration_state::state::edited:
      return "EDITED";
    case migration_state::state::unknown:
      return "UNKNOWN";
  }
  return "?";
}

migrator::migrator(odb::mysql::database& db, const migration_set& set)
    : db_(db), set_(set) {}

void migrator::ensure_tracking_table() {
  auto conn = db_.connection();
  sql_execute(*conn, tracking_table_ddl);
}

std::vector<applied_migration> migrator::applied() {
  // Only reads: status queries (the daemon asks every few seconds) must not
  // run DDL. A database without the tracking table has applied nothing.
  auto conn = db_.connection();
  std::vector<applied_migration> out;
  if (sql_scalar(*conn, "SELECT COUNT(*) FROM information_schema.tables "
                        "WHERE table_schema = DATABASE() AND table_name = "
                        "'schema_migrations'") == "0")
    return out;
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

std::vector<migration_state> migrator::states() {
  std::vector<migration_state> out;
  auto rows = applied();
  for (const auto& m : set_.all()) {
    migration_state st{m.version, m.name, migration_state::state::pending,
                       m.checksum, std::nullopt};
    auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& a) {
      return a.version == m.version;
    });
    if (it != rows.end()) {
      st.applied = *it;
      st.what = it->checksum == m.checksum ? migration_state::state::applied
                                           : migration_state::state::edited;
    } else if (m.manual) {
      st.what = migration_state::state::manual;
    }
    out.push_back(std::move(st));
  }
  for (const auto& a : rows)
    if (set_.find(a.version) == nullptr)
      out.push_back(
          {a.version, a.name, migration_state::state::unknown, a.checksum, a});
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.version < y.version;
  });
  return out;
}

void migrator::check_applied_match_files() {
  for (auto& a : applied()) {
    const migration* m = set_.find(a.version);
    if (m == nullptr)
      throw database_error(
          database_error::kind::statement,
          "the database has migration " + a.version + "_" + a.name +
              " applied, which this build does not know: it was written by a "
              "newer racecontrol, or its file was removed");
    if (m->checksum != a.checksum)
      throw database_error(
          database_error::kind::statement,
          "migration " + m->up_file() +
              " was edited after it was applied (recorded checksum " +
              a.checksum.substr(0, 12) + "…, file now " +
              m->checksum.substr(0, 12) +
              "…): restore the file and put the change in a new migration");
  }
}

void migrator::run_script(odb::mysql::connection& conn, const std::string& sql,
                          const std::string& file) {
  // The same strict mode whatever the server's default: on a server
  // configured leniently, a value that does not fit (a sealed secret copied
  // back into a shorter column by a down, an unknown ENUM value) would be
  // cut or blanked with a warning and the migration recorded as done.
  // The connection goes back to the pool the daemon writes through (a
  // racecontrold --migrate): it gets the server's mode back.
  auto before = sql_scalar(conn, "SELECT @@SESSION.sql_mode").value_or("");
  sql_execute(conn, "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,"
                    "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
                    "NO_ENGINE_SUBSTITUTION'");
  auto restore = [&] {
    sql_execute(conn, "SET SESSION sql_mode = " + sql_quote(conn, before));
  };
  auto statements = split_sql_script(sql);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const auto& st = statements[i];
    try {
      sql_execute(conn, st.text);
    } catch (const database_error& e) {
      try {
        restore();
      } catch (const database_error&) {
        // The connection itself failed: the pool drops it.
      }
      throw migration_failure(e.what_kind(),
                              "migration " + file + " failed at statement " +
                                  std::to_string(i + 1) + " (line " +
                                  std::to_string(st.line) + "): " + e.what(),
                              file, i + 1, st.text);
    }
  }
  restore();
}

std::vector<std::string>
migrator::run_verification(odb::mysql::connection& conn, const migration& m) {
  std::vector<std::string> problems;
  auto queries = split_sql_script(m.verify_sql);
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto value = sql_scalar(conn, queries[i].text);
    if (!value || *value != "0")
      problems.push_back(
          "migration " + m.version + "_" + m.name + ".verify.sql query " +
          std::to_string(i + 1) + " (line " + std::to_string(queries[i].line) +
          ") returned " + value.value_or("NULL") + ", expected 0");
  }
  return problems;
}

void migrator::record(const migration& m, std::int64_t execution_ms) {
  auto conn = db_.connection();
  sql_execute(*conn, "INSERT INTO schema_migrations (version, name, checksum, "
                     "execution_ms) VALUES (" +
                         sql_quote(*conn, m.version) + ", " +
                         sql_quote(*conn, m.name) + ", " +
                         sql_quote(*conn, m.checksum) + ", " +
                         std::to_string(execution_ms) + ")");
}

std::vector<const migration*>
migrator::up(const std::optional<std::string>& to, bool include_manual,
             const progress_callback& before_each) {
  if (to && set_.find(*to) == nullptr)
    throw database_error(database_error::kind::statement,
                         "no migration has version " + *to +
                             " (racecontrol-migrate status lists them)");
  ensure_tracking_table();
  check_applied_match_files();
  std::vector<const migration*> done;
  for (const migration* m : pending(include_manual)) {
    if (to && m->version > *to)
      break;
    if (before_each)
      before_each(*m);
    auto start = std::chrono::steady_clock::now();
    auto conn = db_.connection();
    run_script(*conn, m->up_sql, m->up_file());
    auto problems = run_verification(*conn, *m);
    if (!problems.empty())
      throw migration_failure(
          database_error::kind::statement,
          problems.front() + "; the migration is not recorded as applied",
          m->version + "_" + m->name + ".verify.sql", 0, "");
    record(*m, elapsed_ms(start));
    done.push_back(m);
  }
  return done;
}

std::vector<const migration*>
migrator::down(int steps, const progress_callback& before_each) {
  if (steps < 1)
    throw database_error(database_error::kind::statement,
                         "down needs at least one step");
  check_applied_match_files();
  // Newest first by when they were applied: a manual migration applied
  // later than a higher version is reverted first.
  auto rows = applied();
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.applied_at < b.applied_at ||
           (a.applied_at == b.applied_at && a.version < b.version);
  });
  std::vector<const migration*> done;
  for (auto it = rows.rbegin(); it != rows.rend() && steps > 0; ++it, --steps) {
    const migration* m = set_.find(it->version);
    if (before_each)
      before_each(*m);
    auto conn = db_.connection();
    run_script(*conn, m->down_sql, m->down_file());
    sql_execute(*conn, "DELETE FROM schema_migrations WHERE version = " +
                           sql_quote(*conn, m->version));
    done.push_back(m);
  }
  return done;
}

std::vector<const migration*>
migrator::fresh(const progress_callback& before_each) {
  if (marked_production())
    throw database_error(database_error::kind::statement,
                         "refusing: the database is marked production (its "
                         "comment says '" +
                             std::string{production_mark} +
                             "'); fresh never runs there");
  {
    auto conn = db_.connection();
    auto objects = sql_query(*conn, "SELECT table_name, table_type FROM "
                                    "information_schema.tables WHERE "
                                    "table_schema = DATABASE()");
    // Foreign keys would dictate an order; on this session they are off.
    sql_execute(*conn, "SET FOREIGN_KEY_CHECKS = 0");
    for (const auto& row : objects) {
      bool view = row[1].value_or("") == "VIEW";
      sql_execute(*conn, std::string{view ? "DROP VIEW IF EXISTS "
                                          : "DROP TABLE IF EXISTS "} +
                             sql_identifier(row[0].value_or("")));
    }
    sql_execute(*conn, "SET FOREIGN_KEY_CHECKS = 1");
  }
  return up(std::nullopt, false, before_each);
}

void migrator::mark_production() {
  auto conn = db_.connection();
  auto rows = sql_query(*conn, "SELECT DATABASE(), SCHEMA_COMMENT FROM "
                               "information_schema.SCHEMATA WHERE "
                               "SCHEMA_NAME = DATABASE()");
  if (rows.empty())
    return;
  // An operator's own comment stays, the mark after it.
  auto comment = rows[0][1].value_or("");
  comment += (comment.empty() ? "" : "; ") + std::string{production_mark};
  sql_execute(*conn, "ALTER DATABASE " +
                         sql_identifier(rows[0][0].value_or("")) +
                         " COMMENT = " + sql_quote(*conn, comment));
}

bool migrator::marked_production() {
  auto conn = db_.connection();
  auto comment = sql_scalar(*conn, "SELECT SCHEMA_COMMENT FROM "
                                   "information_schema.SCHEMATA WHERE "
                                   "SCHEMA_NAME = DATABASE()");
  return comment && comment->find(production_mark) != std::string::npos;
}

std::vector<std::string> migrator::verify() {
  std::vector<std::string> problems;
  auto states_now = states();
  for (const auto& st : states_now) {
    if (st.what == migration_state::state::edited)
      problems.push_back("migration " + st.version + "_" + st.name +
                         ".up.sql was edited after it was applied");
    if (st.what == migration_state::state::unknown)
      problems.push_back("migration " + st.version + "_" + st.name +
                         " is applied but this build has no file for it");
  }
  std::string live = db_.db();
  std::string shadow = shadow_name(live);
  auto conn = db_.connection();
  // The shadow connection switches databases; never give it back to the
  // pool in that state.
  conn->mark_failed();
  auto charset = sql_query(*conn, "SELECT default_character_set_name, "
                                  "default_collation_name FROM "
                                  "information_schema.schemata WHERE "
                                  "schema_name = DATABASE()");
  sql_execute(*conn, "CREATE DATABASE " + sql_identifier(shadow) +
                         " CHARACTER SET " +
                         charset.at(0)[0].value_or("utf8mb4") + " COLLATE " +
                         charset.at(0)[1].value_or("utf8mb4_unicode_ci"));
  try {
    sql_execute(*conn, "USE " + sql_identifier(shadow));
    sql_execute(*conn, tracking_table_ddl);
    for (const auto& st : states_now)
      if (st.applied && st.what != migration_state::state::unknown) {
        const migration* m = set_.find(st.version);
        run_script(*conn, m->up_sql, m->up_file());
      }
    auto expected = inspect_schema(*conn, shadow);
    auto actual = inspect_schema(*conn, live);
    for (auto& line : diff_schemas(expected, actual))
      problems.push_back(std::move(line));
    sql_execute(*conn, "USE " + sql_identifier(live));
    sql_execute(*conn, "DROP DATABASE " + sql_identifier(shadow));
  } catch (...) {
    sql_execute(*conn, "DROP DATABASE IF EXISTS " + sql_identifier(shadow));
    throw;
  }
  std::set<std::string> retired;
  for (const auto& st : states_now)
    if (st.what == migration_state::state::applied)
      for (const auto& v : set_.find(st.version)->retires_verify)
        retired.insert(v);
  for (const auto& st : states_now)
    if (st.what == migration_state::state::applied &&
        !retired.count(st.version))
      for (auto& p : run_verification(*conn, *set_.find(st.version)))
        problems.push_back(std::move(p));
  return problems;
}

} // namespace racecontrol::persistence
