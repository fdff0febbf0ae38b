#include "tools/racecontrol-migrate/import/sahasrahbot_import.hpp"

#include "tools/racecontrol-migrate/import/sahasrahbot_context.hpp"

#include "persistence/database.hpp"
#include "persistence/migration_lock.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/migrator.hpp"
#include "persistence/sql.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <ostream>
#include <random>
#include <set>
#include <thread>

namespace racecontrol::tools::import {

using persistence::sql_execute;
using persistence::sql_identifier;
using persistence::sql_query;
using persistence::sql_quote;
using persistence::sql_scalar;
using clock_type = std::chrono::steady_clock;

const std::vector<std::string>& all_phases() {
  static const std::vector<std::string> phases{"users", "orgs", "tournaments",
                                               "verification", "presets"};
  return phases;
}

const std::vector<std::string>& import_choices() {
  static const std::vector<std::string> choices{
      "users without a Discord id: imported without one (discord_id NULL), "
      "with every row that refers to them; nothing in racecontrol finds them "
      "by Discord id until one is set",
      "preset namespace collaborators whose Discord id matches no user: "
      "imported with user_id NULL, keeping their discord_user_id, so the "
      "grant stays attached to that Discord id"};
  return choices;
}

const char* import_rules_text() {
  return R"rules(Rules (every value the import fills, maps or refuses):
  users      discord_user_id is the natural key: a user whose Discord id
             already exists in racecontrol is mapped to that user, not copied.
             A user without a Discord id is imported without one.
             rtgg_id/rtgg_access_token become racetime_id/access token (no
             refresh token or expiry exists in SahasrahBot). A racetime id
             already linked to another racecontrol user (compared as
             racecontrol's unique key compares: without case or accents) is
             dropped from the imported user (listed as adjusted). test_user
             rows are imported with is_test_user = 1. A non-positive Discord
             id is skipped.
  orgs       one organization per distinct guild id in asynctournament,
             racerverification and config, named from --guild-names or
             "Guild <id>" (cut to 255 characters; a name taken, without case
             or accents, gets " (<id>)" appended), created at the guild's
             earliest async tournament (a guild without one: its earliest
             racer verification; only in config: 2000-01-01, listed).
  members    derived only from rows that were imported, by the phase that
             imports them: the tournaments phase makes everyone in a guild's
             imported async races, whitelists and permissions a member
             ('admin' permissions admin, 'mod' moderator) and picks the
             owner: the owner of the guild's earliest imported async
             tournament if that Discord user is known, else its first
             imported admin (lowest SahasrahBot user id), else none
             (listed); the verification phase adds verified racers.
  tournaments  a tournament whose guild has no organization is skipped, and
             so are rows whose tournament/pool/permalink/user was not
             imported. allowed_reattempts NULL -> 0; reattempted NULL -> 0;
             review_status 'accepted' -> 'approved'; a permalink without url
             keeps url NULL. A race or live race status, or a review status,
             outside the known set is imported as 'unknown' (the original
             value listed as adjusted). A permission whose user was not
             imported but which names a Discord role is a role grant: kept
             with user NULL (listed); one with neither is skipped, and so is
             a role other than admin/mod. A reviewer, author, live race or
             audit user that was not imported is left empty (listed as
             adjusted). Audit logs become audit_log rows (action
             "async_tournament.<action>", details {"text", "source",
             "source_updated_at"}).
  verification  racetime_categories is split at commas, whitespace of any
             kind (also CR/LF) trimmed and blanks dropped; racetime.gg slugs
             are lower case, so ASCII letters are lower-cased; each is cut to
             50 characters (counted in characters, never splitting one); a
             category equal to an earlier one under racecontrol's collation
             is dropped. Lower-casing, cutting and dropping are listed. A
             second verified racer for the same verification and user is
             skipped (the first by id is kept).
  presets    a namespace without a name is named "user-<discord id>"; a taken
             name (without case or accents) gets "-<id>" appended;
             namespaces take their first preset's time as created_at.
             Collaborators get create/update/delete; one whose Discord id
             matches no user is kept with user_id NULL.
  any table  text longer than its racecontrol column is cut to the column's
             size in characters (listed); a value a column cannot hold (NULL
             where one is required, a number out of range, an unknown enum
             value) skips its row with the reason. A row the server still
             refuses (e.g. a key racecontrol already has) is skipped with
             the server's reason; the rest of its batch is imported.
  config     read to find guilds; the guild settings are not imported (seed
             002 defers them), and the report lists them, with every other
             source table that is not imported, as deliberately left out.
  Every skipped row is listed with its table, id and reason (and kept in
  migration_skipped); every adjusted one in migration_adjusted.)rules";
}

std::map<std::uint64_t, std::string> read_guild_names(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read guild names file " + path);
  std::map<std::uint64_t, std::string> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#')
      continue;
    auto sep = line.find_first_of(",\t");
    std::uint64_t id = 0;
    try {
      id = std::stoull(line.substr(0, sep));
    } catch (const std::exception&) {
      sep = std::string::npos;
    }
    if (sep == std::string::npos || id == 0 || sep + 1 >= line.size())
      throw std::runtime_error(path + ":" + std::to_string(number) +
                               ": expected 'guild_id,name'");
    out[id] = line.substr(sep + 1);
  }
  return out;
}

namespace {

/// A bar on a terminal, a line every few seconds elsewhere.
class progress_printer {
 public:
  progress_printer(std::ostream* out, bool terminal)
      : out_(out), terminal_(terminal) {}

  void update(const std::string& table, std::uint64_t done,
              std::uint64_t total) {
    if (out_ == nullptr)
      return;
    auto now = clock_type::now();
    if (table != table_) {
      table_ = table;
      started_ = now;
      last_ = {};
    }
    bool final = done >= total;
    if (!final && now - last_ < (terminal_ ? std::chrono::milliseconds{100}
                                           : std::chrono::milliseconds{5000}))
      return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - started_).count();
    double rate = secs > 0 ? done / secs : 0;
    double eta = rate > 0 ? (total - std::min(done, total)) / rate : 0;
    char buf[200];
    if (terminal_) {
      int filled = total ? static_cast<int>(30.0 * done / total) : 30;
      std::string bar(filled, '#');
      bar.resize(30, '.');
      std::snprintf(
          buf, sizeof buf, "\r%-30s [%s] %llu/%llu %.0f rows/s ETA %.0fs ",
          table.c_str(), bar.c_str(), static_cast<unsigned long long>(done),
          static_cast<unsigned long long>(total), rate, eta);
      *out_ << buf << (final ? "\n" : "") << std::flush;
    } else {
      std::snprintf(buf, sizeof buf,
                    "%s: %llu/%llu rows, %.0f rows/s, ETA %.0f s\n",
                    table.c_str(), static_cast<unsigned long long>(done),
                    static_cast<unsigned long long>(total), rate, eta);
      *out_ << buf << std::flush;
    }
  }

 private:
  std::ostream* out_;
  bool terminal_;
  std::string table_;
  clock_type::time_point started_;
  clock_type::time_point last_;
};

std::uint64_t count(odb::mysql::connection& conn, const std::string& sql) {
  return std::stoull(sql_scalar(conn, sql).value_or("0"));
}

/// Whether every source row of `table` has been handled by an earlier run.
bool finished(context& c, const std::string& source_table,
              const std::string& source_from) {
  auto top = count(c.e.source(),
                   "SELECT COALESCE(MAX(id), 0) FROM " +
                       (source_from.empty() ? sql_identifier(source_table)
                                            : "(" + source_from + ") AS src"));
  auto done =
      sql_scalar(c.e.target(), "SELECT last_id FROM migration_progress WHERE "
                               "source_table = " +
                                   sql_quote(c.e.target(), source_table));
  return top == 0 || (done && std::stoull(*done) >= top);
}

void require(const std::string& phase, bool ok, const std::string& earlier) {
  if (!ok)
    throw std::runtime_error("phase " + phase + " needs the " + earlier +
                             " phase to have finished: run --phase " + earlier +
                             " first (or --phase all)");
}

void load_orgs(context& c) {
  c.org_by_guild.clear();
  for (const auto& r : sql_query(c.e.target(), "SELECT guild_id, "
                                               "organization_id FROM "
                                               "migration_guild_org_map"))
    c.org_by_guild[std::stoll(*r[0])] = std::stoll(*r[1]);
}

void load_tournaments(context& c) {
  c.tournaments.clear();
  c.org_of_tournament.clear();
  for (const auto& r : sql_query(c.e.target(), "SELECT old_id, new_id, "
                                               "new_organization_id FROM "
                                               "migration_tournament_map")) {
    c.tournaments[std::stoll(*r[0])] = std::stoll(*r[1]);
    c.org_of_tournament[std::stoll(*r[1])] = std::stoll(*r[2]);
  }
  c.pools = c.e.load_map("migration_pool_map");
  c.permalinks = c.e.load_map("migration_permalink_map");
  c.live_races = c.e.load_map("migration_live_race_map");
  c.races = c.e.load_map("migration_race_map");
}

std::vector<copy_plan> plans_of(context& c, const std::string& phase) {
  if (phase == "users") {
    load_user_lookups(c);
    return {users_plan(c)};
  }
  load_user_lookups(c);
  require(phase, finished(c, "users", ""), "users");
  if (phase == "presets") {
    c.namespaces = c.e.load_map("migration_namespace_map");
    c.namespace_names.clear();
    for (const auto& r : sql_query(c.e.target(), "SELECT name FROM "
                                                 "preset_namespace"))
      c.namespace_names.insert(c.keys.key(*r[0]));
    return preset_plans(c);
  }
  load_orgs(c);
  if (phase == "orgs") {
    c.org_names.clear();
    for (const auto& r :
         sql_query(c.e.target(), "SELECT name FROM organizations"))
      c.org_names.insert(c.keys.key(*r[0]));
    return {guilds_plan(c)};
  }
  require(phase, finished(c, "guilds", guilds_source_sql()), "orgs");
  if (phase == "tournaments") {
    load_tournaments(c);
    return tournament_plans(c);
  }
  c.verifications = c.e.load_map("migration_verification_map");
  c.verified_pairs.clear();
  for (const auto& r : sql_query(c.e.target(), "SELECT racer_verification_id, "
                                               "user_id FROM verified_racer"))
    c.verified_pairs.insert({std::stoll(*r[0]), std::stoll(*r[1])});
  return verification_plans(c);
}

// --- validation ------------------------------------------------------------

void check(import_report& report, const std::string& phase,
           const std::string& what, bool ok, std::string detail) {
  report.validations.push_back({phase, what, ok, std::move(detail)});
}

/// Up to sample_size random (old_id, new_id) rows of a map table, found by
/// probing random keys: ORDER BY RAND() would sort the whole map.
std::vector<persistence::sql_row>
random_mappings(context& c, const std::string& map_table) {
  auto bounds =
      sql_query(c.e.target(), "SELECT MIN(old_id), MAX(old_id) FROM " +
                                  sql_identifier(map_table));
  std::vector<persistence::sql_row> out;
  if (bounds.empty() || !bounds[0][0])
    return out;
  auto low = std::stoll(*bounds[0][0]);
  auto high = std::stoll(*bounds[0][1]);
  static std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> key(low, high);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < c.options.sample_size; ++i) {
    auto row =
        sql_query(c.e.target(),
                  "SELECT old_id, new_id FROM " + sql_identifier(map_table) +
                      " WHERE old_id >= " + std::to_string(key(random)) +
                      " ORDER BY old_id LIMIT 1");
    if (!row.empty() && seen.insert(*row[0][0]).second)
      out.push_back(std::move(row[0]));
  }
  return out;
}

void sample(context& c, const copy_plan& plan, const std::string& phase,
            import_report& report) {
  auto base = c.e.id_base(plan.source_table, plan.target_table);
  auto picks = random_mappings(c, plan.map_table);
  std::string columns;
  for (const auto& col : plan.target_columns)
    columns += (columns.empty() ? "" : ", ") + sql_identifier(col);
  std::vector<std::string> problems;
  std::size_t compared = 0;
  for (const auto& pick : picks) {
    auto old_id = std::stoll(*pick[0]);
    auto new_id = std::stoll(*pick[1]);
    if (new_id != base + old_id)
      continue; // mapped onto a row racecontrol already had
    auto src = sql_query(c.e.source(), "SELECT " + plan.source_columns +
                                           " FROM " + source_from_clause(plan) +
                                           " WHERE id = " + *pick[0]);
    auto dst = sql_query(c.e.target(), "SELECT " + columns + " FROM " +
                                           sql_identifier(plan.target_table) +
                                           " WHERE id = " + *pick[1]);
    if (src.empty() || dst.empty()) {
      problems.push_back(
          plan.source_table + " " + *pick[0] +
          (src.empty() ? ": gone from the source" : ": gone from the target"));
      continue;
    }
    row_result expected;
    try {
      expected = plan.transform(src[0], true);
      c.e.fit(plan, expected);
    } catch (const std::exception& e) {
      problems.push_back(plan.source_table + " " + *pick[0] +
                         ": cannot be read again: " + e.what());
      continue;
    }
    if (expected.what != row_result::kind::import) {
      problems.push_back(
          plan.source_table + " " + *pick[0] +
          " was imported, but its rules now say: " +
          (expected.skip_reason.empty() ? "map it" : expected.skip_reason));
      continue;
    }
    ++compared;
    for (std::size_t i = 0; i < expected.values.size(); ++i)
      if (std::find(expected.not_comparable.begin(),
                    expected.not_comparable.end(),
                    i) == expected.not_comparable.end() &&
          expected.values[i].optional() != dst[0][i])
        problems.push_back(plan.source_table + " " + *pick[0] + " -> " +
                           plan.target_table + " " + *pick[1] + "." +
                           plan.target_columns[i] + ": expected '" +
                           expected.values[i].optional().value_or("NULL") +
                           "', found '" + dst[0][i].value_or("NULL") + "'");
  }
  check(report, phase,
        plan.target_table + ": " + std::to_string(compared) +
            " random rows compared field by field with the source",
        problems.empty(),
        problems.empty()
            ? ""
            : problems.front() +
                  (problems.size() > 1
                       ? " (+" + std::to_string(problems.size() - 1) + " more)"
                       : ""));
}

/// Answers COUNT(*) queries on the target. Each is one index scan on the
/// server, so outside a dry run they are spread over two connections of
/// their own (validation is mostly waiting for the server, and the server
/// has a thread per connection). A dry run's rows exist only in the
/// import's open transaction, so there they run on that connection.
class target_counter {
 public:
  explicit target_counter(context& c) : c_(c) {}

  /// Queues a query; its answer is at the returned index after run().
  std::size_t add(std::string sql) {
    queries_.push_back(std::move(sql));
    return queries_.size() - 1;
  }

  /// Runs the queued queries; `meanwhile` runs in this thread (the source
  /// counts, on the snapshot connection) while the workers wait on the
  /// target.
  void run(const std::function<void()>& meanwhile) {
    answers_.assign(queries_.size(), 0);
    if (c_.options.dry_run || !c_.target_pool) {
      meanwhile();
      for (std::size_t i = 0; i < queries_.size(); ++i)
        answers_[i] = count(c_.e.target(), queries_[i]);
      return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> failures(2);
    std::vector<std::thread> workers;
    for (std::size_t w = 0; w < failures.size(); ++w)
      workers.emplace_back([&, w] {
        try {
          auto conn = c_.target_pool->connection();
          for (auto i = next++; i < queries_.size(); i = next++)
            answers_[i] = count(*conn, queries_[i]);
        } catch (...) {
          failures[w] = std::current_exception();
          next = queries_.size();
        }
      });
    std::exception_ptr mine;
    try {
      meanwhile();
    } catch (...) {
      mine = std::current_exception();
    }
    for (auto& w : workers)
      w.join();
    for (auto& f : failures)
      if (f)
        std::rethrow_exception(f);
    if (mine)
      std::rethrow_exception(mine);
  }

  std::uint64_t operator[](std::size_t i) const { return answers_.at(i); }

 private:
  context& c_;
  std::vector<std::string> queries_;
  std::vector<std::uint64_t> answers_;
};

/// Per plan, the indexes of its counts in a target_counter.
struct plan_counts {
  std::uint64_t source_rows = 0;
  std::size_t mapped = 0;
  std::size_t skipped = 0;
  std::size_t missing = 0;
};

/// Counts source vs target per table, checks every imported row is present
/// and every foreign key the phase wrote points at a row, and compares a
/// random sample field by field. The orphan checks are one query per key:
/// each reads only the key's index, where one pass per table over all its
/// keys would read whole rows (measured 0.3 s per key against 5 s for the
/// five keys of a million races together). Fills the report's per-table
/// totals (over every run) from the same counts.
void validate(context& c, const std::string& phase,
              const std::vector<copy_plan>& plans, import_report& report) {
  target_counter counter{c};
  std::vector<plan_counts> per_plan(plans.size());
  for (std::size_t p = 0; p < plans.size(); ++p) {
    const auto& plan = plans[p];
    per_plan[p].mapped =
        counter.add("SELECT COUNT(*) FROM " + sql_identifier(plan.map_table));
    per_plan[p].skipped = counter.add(
        "SELECT COUNT(*) FROM migration_skipped WHERE source_table = " +
        sql_quote(c.e.target(), plan.source_table));
    per_plan[p].missing =
        counter.add("SELECT COUNT(*) FROM " + sql_identifier(plan.map_table) +
                    " m LEFT JOIN " + sql_identifier(plan.target_table) +
                    " t ON t.id = m." + sql_identifier(plan.map_new_column) +
                    " WHERE t.id IS NULL");
  }
  auto references = phase_references(phase);
  std::vector<std::size_t> orphan_counts;
  for (const auto& ref : references)
    orphan_counts.push_back(counter.add(
        std::string{"SELECT COUNT(*) FROM "} + ref.table + " t LEFT JOIN " +
        ref.referenced + " r ON r.id = t." + ref.column + " WHERE t." +
        ref.column + " IS NOT NULL AND r.id IS NULL"));
  counter.run([&] {
    for (std::size_t p = 0; p < plans.size(); ++p)
      per_plan[p].source_rows = count(
          c.e.source(), "SELECT COUNT(*) FROM " + source_from_clause(plans[p]));
  });

  for (std::size_t p = 0; p < plans.size(); ++p) {
    const auto& plan = plans[p];
    auto& t = report.table(plan.source_table);
    t.phase = phase;
    t.target_table = plan.target_table;
    t.source_rows = per_plan[p].source_rows;
    t.imported = counter[per_plan[p].mapped];
    t.skipped = counter[per_plan[p].skipped];
    check(report, phase,
          plan.source_table + ": " + std::to_string(t.source_rows) +
              " source rows = " + std::to_string(t.imported) + " imported + " +
              std::to_string(t.skipped) + " skipped",
          t.source_rows == t.imported + t.skipped, "");
    auto missing = counter[per_plan[p].missing];
    check(report, phase,
          plan.target_table + ": every imported " + plan.source_table +
              " row is present",
          missing == 0,
          missing ? std::to_string(missing) + " mapped rows are missing from " +
                        plan.target_table
                  : "");
    if (!plan.map_old_value && c.options.sample_size > 0)
      sample(c, plan, phase, report);
  }
  for (std::size_t r = 0; r < references.size(); ++r) {
    const auto& ref = references[r];
    auto orphans = counter[orphan_counts[r]];
    check(report, phase,
          std::string{ref.table} + "." + ref.column + " -> " + ref.referenced +
              ": no orphans",
          orphans == 0,
          orphans ? std::to_string(orphans) + " rows point nowhere" : "");
  }
}

/// The skipped rows and value adjustments of every run of the given source
/// tables, read back from the bookkeeping tables (the counts were filled in
/// by validate).
void finalize(context& c, const std::vector<std::string>& tables,
              import_report& report) {
  for (const auto& table : tables) {
    auto quoted = sql_quote(c.e.target(), table);
    for (const auto& r :
         sql_query(c.e.target(), "SELECT source_id, reason FROM "
                                 "migration_skipped WHERE source_table = " +
                                     quoted + " ORDER BY source_id"))
      report.skipped.push_back({table, std::stoll(*r[0]), *r[1]});
    for (const auto& r :
         sql_query(c.e.target(), "SELECT rule, COUNT(*) FROM "
                                 "migration_adjusted WHERE source_table = " +
                                     quoted + " GROUP BY rule ORDER BY rule")) {
      adjustment_count a{table, *r[0], std::stoull(*r[1]), {}};
      for (const auto& e : sql_query(
               c.e.target(),
               "SELECT source_id, detail FROM migration_adjusted WHERE "
               "source_table = " +
                   quoted + " AND rule = " + sql_quote(c.e.target(), a.rule) +
                   " AND detail <> '' ORDER BY source_id LIMIT 3"))
        a.examples.push_back("id " + *e[0] + ": " + e[1].value_or(""));
      report.adjustments.push_back(std::move(a));
    }
  }
}

void open_snapshot(odb::mysql::connection& source) {
  // One consistent view for the whole import: a running SahasrahBot does
  // not make counts drift. READ ONLY: the source is never written.
  sql_execute(source,
              "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  sql_execute(source, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
}

void check_target_schema(odb::mysql::database& target) {
  auto set = persistence::migration_set::embedded();
  persistence::migrator m{target, set};
  m.ensure_tracking_table();
  auto pending = m.pending();
  if (!pending.empty())
    throw std::runtime_error(
        "the target database is not migrated to this build's schema (" +
        std::to_string(pending.size()) + " pending, the first " +
        pending.front()->version +
        "): run `racecontrol-migrate up` on it "
        "first");
}

/// The source tables whose skipped and adjusted rows a phase reports.
std::vector<std::string> reported_tables(const std::string& phase,
                                         const std::vector<copy_plan>& plans) {
  std::vector<std::string> out;
  for (const auto& p : plans)
    out.push_back(p.source_table);
  if (phase == "tournaments")
    out.push_back("guilds"); // organizations left without an owner
  return out;
}

void run_phases(const import_options& options, import_report& report) {
  persistence::database_options so;
  so.url = options.source;
  so.max_connections = 2;
  auto source_db = persistence::open_database(so);
  persistence::database_options to;
  to.url = options.target;
  // The import's own, the migration lock's, a writer each, one for
  // collation keys and two for validation counts.
  to.max_connections = 5 + std::max<std::size_t>(options.writers, 1);
  // Only the engine's in-memory handler uses it. Without it the client
  // library refuses LOAD DATA LOCAL and the engine falls back to INSERT.
  to.local_infile = options.allow_local_infile;
  auto target_db = persistence::open_database(to);
  persistence::migration_lock lock{*target_db, std::chrono::seconds{30}};
  check_target_schema(*target_db);
  auto source = source_db->connection();
  auto target = target_db->connection();
  auto checks_start = clock_type::now();
  open_snapshot(*source);
  check_source_schema(*source, options.phases);
  report.not_imported = not_imported_tables(*source);
  report.steps.emplace_back(
      "checking both schemas",
      std::chrono::duration<double>(clock_type::now() - checks_start).count());
  // Every reference is resolved from the maps before a row is written, and
  // each phase ends with orphan checks over every foreign key; with the
  // server's per-row checks off for this session, batches load at bulk
  // speed (as a mysqldump restore does).
  // Backslash escapes on as on the writers' connections: a dry run writes
  // its rows here, with the literals the reader renders (which use them).
  sql_execute(*target, "SET SESSION foreign_key_checks = 0, sql_mode = "
                       "REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')");

  progress_printer printer{options.progress, options.progress_is_terminal};
  engine_options eo;
  eo.batch_size = options.batch_size;
  eo.dry_run = options.dry_run;
  eo.writers = options.writers;
  eo.before_commit = options.before_commit;
  eo.progress = [&](const std::string& t, std::uint64_t done,
                    std::uint64_t total) {
    printer.update(t, done, total);
  };
  engine e{*source, *target, *target_db, eo, report};
  context c{e, options, *target_db};
  if (options.dry_run)
    sql_execute(*target, "START TRANSACTION");
  std::vector<std::string> tables;
  try {
    auto step = [&](const std::string& name, auto&& f) {
      auto start = clock_type::now();
      f();
      report.steps.emplace_back(
          name,
          std::chrono::duration<double>(clock_type::now() - start).count());
    };
    for (const auto& phase : options.phases) {
      std::vector<copy_plan> plans;
      step(phase + ": loading maps and lookups", [&] {
        plans = plans_of(c, phase);
        check_plan_reads(phase, plans);
      });
      for (const auto& plan : plans)
        e.copy(plan);
      step(phase + ": deriving members", [&] {
        derive_members(c, phase);
      });
      if (options.before_validation)
        options.before_validation(phase);
      auto validation_start = clock_type::now();
      validate(c, phase, plans, report);
      report.validation_seconds +=
          std::chrono::duration<double>(clock_type::now() - validation_start)
              .count();
      for (auto& t : reported_tables(phase, plans))
        if (std::find(tables.begin(), tables.end(), t) == tables.end())
          tables.push_back(std::move(t));
    }
    step("reading skipped and adjusted rows back", [&] {
      finalize(c, tables, report);
    });
  } catch (...) {
    if (options.dry_run) {
      try {
        sql_execute(*target, "ROLLBACK");
      } catch (...) {
        // The connection is gone; the server rolls back on its own.
      }
    }
    throw;
  }
  if (options.dry_run)
    sql_execute(*target, "ROLLBACK");
  sql_execute(*target, "SET SESSION foreign_key_checks = 1");
  sql_execute(*source, "COMMIT");
}

} // namespace

void run_sahasrahbot_import(const import_options& options,
                            import_report& report) {
  auto started = clock_type::now();
  report.dry_run = options.dry_run;
  report.phases = options.phases;
  report.choices = import_choices();
  try {
    run_phases(options, report);
  } catch (const std::exception& e) {
    report.error = e.what();
    report.seconds =
        std::chrono::duration<double>(clock_type::now() - started).count();
    throw;
  }
  report.seconds =
      std::chrono::duration<double>(clock_type::now() - started).count();
}

import_report run_sahasrahbot_import(const import_options& options) {
  import_report report;
  run_sahasrahbot_import(options, report);
  return report;
}

} // namespace racecontrol::tools::import
