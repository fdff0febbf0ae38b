#include "tools/racecontrol-migrate/import/import_engine.hpp"

#include "tools/racecontrol-migrate/import/text_fit.hpp"

#include "persistence/database_error.hpp"
#include "persistence/sql.hpp"

#include <mysqld_error.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <stdexcept>
#include <thread>

namespace racecontrol::tools::import {

using persistence::sql_execute;
using persistence::sql_identifier;
using persistence::sql_query;
using persistence::sql_quote;
using persistence::sql_scalar;

namespace {

void append_tsv(std::string& out, const value& v) {
  if (v.is_null)
    out += "\\N";
  else
    persistence::tsv_append(out, v.text);
}

/// A string literal for a utf8mb4 connection without NO_BACKSLASH_ESCAPES
/// (writer sessions make sure of that): what mysql_real_escape_string
/// gives, without needing a connection, so the reader thread can render.
void append_literal(std::string& out, std::string_view text) {
  out += '\'';
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* escaped = nullptr;
    switch (text[i]) {
      case '\0':
        escaped = "\\0";
        break;
      case '\n':
        escaped = "\\n";
        break;
      case '\r':
        escaped = "\\r";
        break;
      case '\\':
        escaped = "\\\\";
        break;
      case '\'':
        escaped = "\\'";
        break;
      case '"':
        escaped = "\\\"";
        break;
      case '\032':
        escaped = "\\Z";
        break;
      default:
        continue;
    }
    out.append(text.data() + start, i - start);
    out += escaped;
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
  out += '\'';
}

void append_sql(std::string& out, const value& v) {
  if (v.is_null)
    out += "NULL";
  else if (v.quoted)
    append_literal(out, v.text);
  else
    out += v.text;
}

/// "INSERT INTO `t` (`a`, `b`) VALUES " — the rows follow.
std::string insert_head(const std::string& table,
                        const std::vector<std::string>& columns) {
  std::string out = "INSERT INTO " + sql_identifier(table) + " (";
  for (std::size_t i = 0; i < columns.size(); ++i)
    out += (i ? ", " : "") + sql_identifier(columns[i]);
  return out + ") VALUES ";
}

/// The values of one row, comma-separated.
void append_tuple(std::string& out, const value* row, std::size_t width) {
  for (std::size_t k = 0; k < width; ++k) {
    if (k)
      out += ',';
    append_sql(out, row[k]);
  }
}

/// INSERT statements stay well below the server's max_allowed_packet.
constexpr std::size_t max_statement_bytes = 4 << 20;

/// Errors that concern the values of a row (a key it repeats, a value its
/// column cannot hold): the row can be skipped and the rest go on. Anything
/// else (a lost connection, a lock timeout, a statement the import got
/// wrong) stops the phase.
bool refuses_a_row(const persistence::database_error& e) {
  switch (e.error_number()) {
    case ER_DUP_ENTRY:
    case ER_DUP_KEY:
    case ER_BAD_NULL_ERROR:
    case ER_NO_DEFAULT_FOR_FIELD:
    case ER_WARN_NULL_TO_NOTNULL:
    case ER_WARN_DATA_OUT_OF_RANGE:
    case WARN_DATA_TRUNCATED:
    case ER_TRUNCATED_WRONG_VALUE:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_ILLEGAL_VALUE_FOR_TYPE:
    case ER_DATA_TOO_LONG:
    case ER_INVALID_CHARACTER_STRING:
    case ER_DATA_OUT_OF_RANGE:
    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2:
    case ER_CONSTRAINT_FAILED:
      return true;
    default:
      return false;
  }
}

/// The server's message without the statement sql_execute appends.
std::string server_message(const persistence::database_error& e) {
  std::string what = e.what();
  auto at = what.find(" [in: ");
  return at == std::string::npos ? what : what.substr(0, at);
}

/// Text for a bookkeeping column of `max` characters.
value bounded(const std::string& text, std::size_t max) {
  return value::string(std::string{utf8_prefix(text, max)});
}

} // namespace

/// One table's rows of a batch, each with the index of the source row it
/// came from, rendered for LOAD DATA (`tsv`) or as INSERT statements. The
/// cells of all rows lie in one vector (a row is columns.size() cells): a
/// vector per row would be a thousand allocations more per batch.
struct table_rows {
  std::string table;
  std::vector<std::string> columns;
  std::vector<value> cells;
  std::vector<std::size_t> owner;
  bool use_load_data = false;
  std::string tsv;
  std::vector<std::string> inserts;

  std::size_t size() const { return owner.size(); }
  bool empty() const { return owner.empty(); }
  const value* row(std::size_t i) const {
    return cells.data() + i * columns.size();
  }

  void add(std::size_t from, std::vector<value> row) {
    for (auto& v : row)
      cells.push_back(std::move(v));
    owner.push_back(from);
  }

  /// Bytes the rows take as text, to size the buffers once: growing them
  /// by doubling makes the allocator consolidate its small chunks on every
  /// large free, which cost more than the rendering itself.
  std::size_t text_bytes() const {
    std::size_t n = 0;
    for (const auto& v : cells)
      n += v.text.size() + 4;
    return n;
  }

  void render(bool load_data) {
    use_load_data = load_data;
    tsv.clear();
    inserts.clear();
    auto bytes = text_bytes();
    auto width = columns.size();
    if (load_data) {
      tsv.reserve(bytes + bytes / 16);
      for (std::size_t i = 0; i < size(); ++i) {
        const auto* r = row(i);
        for (std::size_t k = 0; k < width; ++k) {
          if (k)
            tsv += '\t';
          append_tsv(tsv, r[k]);
        }
        tsv += '\n';
      }
      return;
    }
    auto head = insert_head(table, columns);
    for (std::size_t i = 0; i < size(); ++i) {
      if (inserts.empty() || inserts.back().size() > max_statement_bytes) {
        inserts.push_back(head);
        inserts.back().reserve(
            std::min(bytes + bytes / 16, max_statement_bytes + (64 << 10)));
      }
      auto& out = inserts.back();
      out += out.size() == head.size() ? "(" : ",(";
      append_tuple(out, row(i), width);
      out += ')';
    }
  }
};

/// A batch read, transformed and rendered, waiting to be written.
struct prepared_batch {
  std::size_t seq = 0;
  std::string after_id; ///< the batch holds every source id after this one
  std::vector<source_row> rows;
  std::vector<row_result> results;
  /// Target, map, extra tables, adjustments; then the skips (last, so the
  /// row-by-row path can add its own).
  std::vector<table_rows> tables;
};

std::string source_from_clause(const copy_plan& plan) {
  return plan.source_from.empty() ? sql_identifier(plan.source_table)
                                  : "(" + plan.source_from + ") AS src";
}

engine::engine(odb::mysql::connection& source, odb::mysql::connection& target,
               odb::mysql::database& target_pool, engine_options options,
               import_report& report)
    : source_(source), target_(target), target_pool_(target_pool),
      options_(std::move(options)), report_(report),
      columns_(target_columns::load(target)), load_data_(options_.load_data) {
  if (!options_.load_data)
    report_.bulk_write = "multi-row INSERT";
  if (options_.dry_run || options_.writers == 0)
    options_.writers = 1;
}

void engine::in_target_transaction(const std::function<void()>& f) {
  if (options_.dry_run) {
    f(); // inside the dry run's one transaction
    return;
  }
  sql_execute(target_, "START TRANSACTION");
  try {
    f();
    sql_execute(target_, "COMMIT");
  } catch (...) {
    try {
      sql_execute(target_, "ROLLBACK");
    } catch (...) {
      // The connection is gone; the server rolls back on its own.
    }
    throw;
  }
}

id_map engine::load_map(const std::string& map_table) {
  id_map out;
  auto rows = sql_query(target_, "SELECT old_id, new_id FROM " +
                                     sql_identifier(map_table));
  out.reserve(rows.size());
  for (const auto& r : rows)
    out.emplace(std::stoll(*r[0]), std::stoll(*r[1]));
  return out;
}

std::int64_t engine::id_base(const std::string& source_table,
                             const std::string& target_table) {
  return load_progress(source_table, target_table).id_base;
}

std::int64_t engine::derived_id_base(const std::string& name,
                                     const std::string& target_table) {
  auto p = load_progress(name, target_table);
  in_target_transaction([&] {
    sql_execute(target_, "INSERT IGNORE INTO migration_progress (source_table, "
                         "last_id, id_base) VALUES (" +
                             sql_quote(target_, name) + ", 0, " +
                             std::to_string(p.id_base) + ")");
  });
  return p.id_base;
}

engine::progress_row engine::load_progress(const std::string& source_table,
                                           const std::string& target_table) {
  auto rows = sql_query(target_, "SELECT last_id, id_base FROM "
                                 "migration_progress WHERE source_table = " +
                                     sql_quote(target_, source_table));
  if (!rows.empty())
    return {std::stoll(*rows[0][0]), std::stoll(*rows[0][1])};
  // First run for this table: new rows go above everything already there.
  auto top = sql_scalar(target_, "SELECT COALESCE(MAX(id), 0) FROM " +
                                     sql_identifier(target_table));
  return {0, std::stoll(top.value_or("0"))};
}

void engine::fit(const copy_plan& plan, row_result& r) const {
  fit(columns_.find_all(plan.target_table, plan.target_columns), r);
}

void engine::fit(const std::vector<const column_limits*>& limits,
                 row_result& r) const {
  if (r.what != row_result::kind::import)
    return;
  std::vector<std::pair<std::string, std::string>> cuts;
  for (std::size_t i = 0; i < r.values.size() && i < limits.size(); ++i) {
    auto& v = r.values[i];
    auto problem = target_columns::fit(limits[i], v.is_null, v.text, cuts);
    if (problem) {
      r = row_result::skip(*problem);
      return;
    }
  }
  for (auto& x : r.extras)
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      auto problem = columns_.fit(x.table, x.columns[i], x.values[i].is_null,
                                  x.values[i].text, cuts);
      if (problem) {
        r = row_result::skip(*problem);
        return;
      }
    }
  r.adjustments.insert(r.adjustments.end(), cuts.begin(), cuts.end());
}

namespace {

/// Batches between the reader and the writers: at most one waiting per
/// writer, plus one being prepared.
class batch_queue {
 public:
  explicit batch_queue(std::size_t capacity) : capacity_(capacity) {}

  /// False once cancelled (the batch is dropped).
  bool push(prepared_batch b) {
    std::unique_lock<std::mutex> lock{mtx_};
    not_full_.wait(lock, [&] {
      return items_.size() < capacity_ || cancelled_;
    });
    if (cancelled_)
      return false;
    items_.push_back(std::move(b));
    not_empty_.notify_one();
    return true;
  }

  /// The next batch, or nothing once closed and drained (or cancelled).
  std::optional<prepared_batch> pop() {
    std::unique_lock<std::mutex> lock{mtx_};
    not_empty_.wait(lock, [&] {
      return !items_.empty() || closed_ || cancelled_;
    });
    if (cancelled_ || items_.empty())
      return std::nullopt;
    auto b = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return b;
  }

  void close() {
    std::lock_guard<std::mutex> lock{mtx_};
    closed_ = true;
    not_empty_.notify_all();
  }

  void cancel() {
    std::lock_guard<std::mutex> lock{mtx_};
    cancelled_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool cancelled() {
    std::lock_guard<std::mutex> lock{mtx_};
    return cancelled_;
  }

 private:
  std::size_t capacity_;
  std::mutex mtx_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<prepared_batch> items_;
  bool closed_ = false;
  bool cancelled_ = false;
};

/// Lets batches commit only in the order they were read, so that the
/// progress mark never passes a batch that has not committed.
class commit_order {
 public:
  /// Waits until every earlier batch committed; false if the copy failed.
  bool wait_turn(std::size_t seq) {
    std::unique_lock<std::mutex> lock{mtx_};
    turn_.wait(lock, [&] {
      return next_ == seq || failed_;
    });
    return !failed_;
  }

  void committed(std::size_t seq) {
    std::lock_guard<std::mutex> lock{mtx_};
    next_ = seq + 1;
    turn_.notify_all();
  }

  void fail() {
    std::lock_guard<std::mutex> lock{mtx_};
    failed_ = true;
    turn_.notify_all();
  }

 private:
  std::mutex mtx_;
  std::condition_variable turn_;
  std::size_t next_ = 0;
  bool failed_ = false;
};

std::int64_t new_id(const row_result& r, std::int64_t id_base,
                    const std::string& old_id) {
  return r.what == row_result::kind::import ? id_base + std::stoll(old_id)
                                            : r.existing_id;
}

std::string map_key(const copy_plan& plan, const source_row& row) {
  return plan.map_old_value ? plan.map_old_value(row) : *row[0];
}

/// One adjustment row per rule and source row (the bookkeeping table's
/// key), details of a repeated rule joined.
std::vector<std::pair<std::string, std::string>>
merged(const std::vector<std::pair<std::string, std::string>>& adjustments) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [rule, detail] : adjustments) {
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& a) {
      return a.first == rule;
    });
    if (same == out.end())
      out.emplace_back(rule, detail);
    else if (!detail.empty())
      same->second += (same->second.empty() ? "" : "; ") + detail;
  }
  return out;
}

/// A writer's own target connection: foreign key checks off for the
/// session (as on the main one) and backslash escapes on (the literals the
/// reader renders use them).
odb::mysql::connection_ptr writer_connection(odb::mysql::database& pool) {
  auto conn = pool.connection();
  sql_execute(*conn, "SET SESSION foreign_key_checks = 0, sql_mode = "
                     "REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')");
  return conn;
}

} // namespace

void engine::prepare_batch(const copy_plan& plan,
                           const std::vector<const column_limits*>& limits,
                           std::size_t writers, prepared_batch& b,
                           std::int64_t id_base) {
  b.results.reserve(b.rows.size());
  for (auto& row : b.rows) {
    try {
      b.results.push_back(plan.transform(row, false));
      fit(limits, b.results.back());
    } catch (const std::exception& e) {
      // A broken source row is listed, never fatal.
      b.results.push_back(
          row_result::skip(std::string{"unreadable row: "} + e.what()));
    }
    const auto& r = b.results.back();
    if (r.what != row_result::kind::skip && plan.on_mapped)
      plan.on_mapped(std::stoll(*row[0]), new_id(r, id_base, *row[0]), row);
  }

  std::vector<std::string> columns{"id"};
  columns.insert(columns.end(), plan.target_columns.begin(),
                 plan.target_columns.end());
  table_rows target{plan.target_table, columns, {}, {}, false, {}, {}};
  columns = {plan.map_old_column, plan.map_new_column};
  columns.insert(columns.end(), plan.map_extra_columns.begin(),
                 plan.map_extra_columns.end());
  table_rows map{plan.map_table, columns, {}, {}, false, {}, {}};
  table_rows skipped{"migration_skipped",
                     {"source_table", "source_id", "reason"},
                     {},
                     {},
                     false,
                     {},
                     {}};
  table_rows adjusted{"migration_adjusted",
                      {"source_table", "source_id", "rule", "detail"},
                      {},
                      {},
                      false,
                      {},
                      {}};
  std::map<std::string, table_rows> extras;
  target.cells.reserve(b.rows.size() * target.columns.size());
  target.owner.reserve(b.rows.size());
  map.cells.reserve(b.rows.size() * map.columns.size());
  map.owner.reserve(b.rows.size());
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& old_id = b.rows[i][0];
    auto& r = b.results[i];
    if (r.what == row_result::kind::skip) {
      skipped.add(i, {value::string(plan.source_table),
                      value::raw_number(old_id), bounded(r.skip_reason, 500)});
      continue;
    }
    auto id = value::number(new_id(r, id_base, *old_id));
    if (r.what == row_result::kind::import) {
      target.cells.push_back(id);
      for (auto& v : r.values)
        target.cells.push_back(std::move(v));
      target.owner.push_back(i);
    }
    std::vector<value> m{value::raw_number(map_key(plan, b.rows[i])), id};
    for (auto& v : r.map_extra)
      m.push_back(std::move(v));
    map.add(i, std::move(m));
    for (auto& x : r.extras) {
      if (std::find(plan.extra_tables.begin(), plan.extra_tables.end(),
                    x.table) == plan.extra_tables.end())
        throw std::logic_error("plan " + plan.source_table +
                               " writes undeclared extra table " + x.table);
      auto& t = extras[x.table];
      t.table = x.table;
      t.columns = x.columns;
      t.add(i, std::move(x.values));
    }
    for (const auto& [rule, detail] : merged(r.adjustments))
      adjusted.add(i,
                   {value::string(plan.source_table), value::raw_number(old_id),
                    bounded(rule, 100), bounded(detail, 500)});
  }
  b.tables.push_back(std::move(target));
  b.tables.push_back(std::move(map));
  for (auto& [name, t] : extras)
    b.tables.push_back(std::move(t));
  b.tables.push_back(std::move(adjusted));
  b.tables.push_back(std::move(skipped));
  bool load_data = load_data_;
  for (auto& t : b.tables)
    // LOAD DATA into a table with an AUTO_INCREMENT column holds a table
    // lock for the statement: with several writers, plain INSERTs (which
    // do not) let them load the same table at once.
    t.render(load_data &&
             !(writers > 1 && columns_.has_auto_increment(t.table)));
}

void engine::write_rows(odb::mysql::connection& conn, table_rows& t) {
  if (t.empty())
    return;
  if (t.use_load_data && load_data_) {
    try {
      persistence::sql_load_data(conn, t.table, t.columns, t.tsv, t.size());
      return;
    } catch (const persistence::database_error& e) {
      // The server (or its configuration) does not allow LOAD DATA LOCAL:
      // multi-row INSERT from here on. Anything else is a real failure.
      std::string what = e.what();
      if (what.find("LOAD DATA LOCAL") == std::string::npos &&
          what.find("not allowed") == std::string::npos)
        throw;
      load_data_ = false;
      std::lock_guard<std::mutex> lock{report_mutex_};
      report_.bulk_write =
          "multi-row INSERT (LOAD DATA LOCAL was refused: " + what + ")";
    }
  }
  if (t.use_load_data)
    t.render(false);
  for (const auto& statement : t.inserts)
    sql_execute(conn, statement);
}

void engine::write_batch(odb::mysql::connection& conn, const copy_plan& plan,
                         prepared_batch& b, std::vector<std::size_t>& refused) {
  sql_execute(conn, "SAVEPOINT import_batch");
  try {
    for (auto& t : b.tables)
      write_rows(conn, t);
  } catch (const persistence::database_error& e) {
    if (!refuses_a_row(e))
      throw;
    // One of the rows does not fit after all (a key the target already
    // has, ...): find which, row by row.
    sql_execute(conn, "ROLLBACK TO SAVEPOINT import_batch");
    write_row_by_row(conn, plan, b, refused);
  }
}

void engine::write_row_by_row(odb::mysql::connection& conn,
                              const copy_plan& plan, prepared_batch& b,
                              std::vector<std::size_t>& refused) {
  auto& skipped = b.tables.back();
  std::vector<std::size_t> cursor(b.tables.size() - 1, 0);
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    if (b.results[i].what == row_result::kind::skip)
      continue;
    sql_execute(conn, "SAVEPOINT import_row");
    try {
      for (std::size_t k = 0; k + 1 < b.tables.size(); ++k) {
        auto& t = b.tables[k];
        for (auto& c = cursor[k]; c < t.size() && t.owner[c] == i; ++c) {
          auto statement = insert_head(t.table, t.columns) + "(";
          append_tuple(statement, t.row(c), t.columns.size());
          sql_execute(conn, statement + ")");
        }
      }
    } catch (const persistence::database_error& e) {
      if (!refuses_a_row(e))
        throw;
      sql_execute(conn, "ROLLBACK TO SAVEPOINT import_row");
      for (std::size_t k = 0; k + 1 < b.tables.size(); ++k) {
        auto& t = b.tables[k];
        while (cursor[k] < t.size() && t.owner[cursor[k]] == i)
          ++cursor[k];
      }
      refused.push_back(i);
      skipped.add(
          i,
          {value::string(plan.source_table), value::raw_number(b.rows[i][0]),
           bounded("the target refused the row: " + server_message(e), 500)});
    }
  }
  skipped.render(false);
  write_rows(conn, skipped);
}

void engine::copy(const copy_plan& plan) {
  auto start = std::chrono::steady_clock::now();
  {
    auto& table = report_.table(plan.source_table);
    table.target_table = plan.target_table;
  }
  auto progress = load_progress(plan.source_table, plan.target_table);
  auto total = std::stoull(
      sql_scalar(source_, "SELECT COUNT(*) FROM " + source_from_clause(plan) +
                              " WHERE id > " + std::to_string(progress.last_id))
          .value_or("0"));
  // Two open batch transactions can only wait on each other through a
  // unique key other than the id; tables that have one get one writer.
  bool parallel = !options_.dry_run &&
                  !columns_.has_secondary_unique_key(plan.target_table);
  for (const auto& t : plan.extra_tables)
    parallel = parallel && !columns_.has_secondary_unique_key(t);
  std::size_t writers = parallel ? options_.writers : 1;

  // The reader thread owns the source connection and the lookups that
  // transforms and on_mapped use; writer threads only write the target.
  batch_queue queue{writers};
  commit_order order;
  std::mutex errors_mutex;
  std::exception_ptr first_error;
  auto failed = [&](std::exception_ptr e) {
    {
      std::lock_guard<std::mutex> lock{errors_mutex};
      if (!first_error)
        first_error = e;
    }
    order.fail();
    queue.cancel();
  };
  double read_seconds = 0, prepare_seconds = 0, reader_waited = 0;
  // Written batches go back to the reading thread to be freed there: the
  // allocator then gets its memory back in the thread that took it.
  std::mutex done_mutex;
  std::vector<prepared_batch> done;
  auto limits = columns_.find_all(plan.target_table, plan.target_columns);
  std::thread reader([&, last = progress.last_id,
                      base = progress.id_base]() mutable {
    try {
      for (std::size_t seq = 0;; ++seq) {
        {
          std::vector<prepared_batch> written;
          {
            std::lock_guard<std::mutex> lock{done_mutex};
            written.swap(done);
          }
        }
        auto read_start = std::chrono::steady_clock::now();
        prepared_batch b;
        b.seq = seq;
        b.after_id = std::to_string(last);
        b.rows =
            sql_query(source_, "SELECT " + plan.source_columns + " FROM " +
                                   source_from_clause(plan) + " WHERE id > " +
                                   b.after_id + " ORDER BY id LIMIT " +
                                   std::to_string(options_.batch_size));
        read_seconds += std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - read_start)
                            .count();
        if (b.rows.empty() || queue.cancelled())
          break;
        auto prepare_start = std::chrono::steady_clock::now();
        prepare_batch(plan, limits, writers, b, base);
        last = std::stoll(*b.rows.back()[0]);
        auto push_start = std::chrono::steady_clock::now();
        prepare_seconds +=
            std::chrono::duration<double>(push_start - prepare_start).count();
        if (!queue.push(std::move(b)))
          break;
        reader_waited += std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - push_start)
                             .count();
      }
    } catch (...) {
      failed(std::current_exception());
    }
    queue.close();
  });

  std::mutex refused_mutex;
  std::vector<std::pair<std::int64_t, source_row>> refused_rows;
  std::uint64_t handled = 0;
  auto base = progress.id_base;
  auto write_loop = [&] {
    odb::mysql::connection_ptr own;
    if (!options_.dry_run)
      own = writer_connection(target_pool_);
    auto& conn = options_.dry_run ? target_ : *own;
    for (;;) {
      auto pop_start = std::chrono::steady_clock::now();
      auto b = queue.pop();
      auto write_start = std::chrono::steady_clock::now();
      {
        std::lock_guard<std::mutex> lock{report_mutex_};
        report_.table(plan.source_table).writers_waited_seconds +=
            std::chrono::duration<double>(write_start - pop_start).count();
      }
      if (!b)
        break;
      bool open = false;
      try {
        if (!options_.dry_run) {
          sql_execute(conn, "START TRANSACTION");
          open = true;
        }
        std::vector<std::size_t> refused;
        write_batch(conn, plan, *b, refused);
        auto turn_start = std::chrono::steady_clock::now();
        if (!order.wait_turn(b->seq))
          throw import_interrupted{}; // another writer failed: not ours
        auto turn_waited = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - turn_start)
                               .count();
        const auto& last_id = *b->rows.back()[0];
        sql_execute(conn, "INSERT INTO migration_progress (source_table, "
                          "last_id, id_base) VALUES (" +
                              sql_quote(conn, plan.source_table) + "," +
                              last_id + "," + std::to_string(base) +
                              ") ON DUPLICATE KEY UPDATE last_id = "
                              "VALUES(last_id)");
        ++batches_;
        if (options_.before_commit)
          options_.before_commit(batches_);
        if (open)
          sql_execute(conn, "COMMIT");
        open = false;
        {
          std::lock_guard<std::mutex> lock{report_mutex_};
          auto& table = report_.table(plan.source_table);
          table.write_seconds +=
              std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            write_start)
                  .count() -
              turn_waited;
          table.turn_waited_seconds += turn_waited;
          std::size_t skips = refused.size();
          for (const auto& r : b->results)
            skips += r.what == row_result::kind::skip;
          table.skipped_this_run += skips;
          table.imported_this_run += b->rows.size() - skips;
        }
        {
          std::lock_guard<std::mutex> lock{refused_mutex};
          for (auto i : refused)
            refused_rows.emplace_back(std::stoll(*b->rows[i][0]),
                                      std::move(b->rows[i]));
        }
        handled += b->rows.size();
        if (options_.progress)
          options_.progress(plan.source_table, handled, total);
        order.committed(b->seq);
        std::lock_guard<std::mutex> lock{done_mutex};
        done.push_back(std::move(*b));
      } catch (...) {
        if (open) {
          try {
            sql_execute(conn, "ROLLBACK");
          } catch (...) {
            // The connection is gone; the server rolls back on its own.
          }
        }
        failed(std::current_exception());
        break;
      }
    }
    if (own) {
      try {
        sql_execute(*own, "SET SESSION foreign_key_checks = 1");
      } catch (...) {
        // A broken connection is not reused by the pool.
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < writers; ++w)
    pool.emplace_back([&] {
      try {
        write_loop();
      } catch (...) {
        failed(std::current_exception());
      }
    });
  try {
    write_loop();
  } catch (...) {
    failed(std::current_exception());
  }
  for (auto& t : pool)
    t.join();
  reader.join();
  if (first_error) {
    try {
      std::rethrow_exception(first_error);
    } catch (const persistence::database_error& e) {
      // Which table, not the statement: it can hold row values (tokens).
      throw persistence::database_error(e.what_kind(),
                                        server_message(e) + " (importing " +
                                            plan.source_table + " into " +
                                            plan.target_table + ")",
                                        e.error_number());
    }
  }
  if (plan.on_refused)
    for (const auto& [old_id, row] : refused_rows)
      plan.on_refused(old_id, row);
  std::lock_guard<std::mutex> lock{report_mutex_};
  auto& table = report_.table(plan.source_table);
  table.read_seconds += read_seconds;
  table.prepare_seconds += prepare_seconds;
  table.reader_waited_seconds += reader_waited;
  table.seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
}

} // namespace racecontrol::tools::import
