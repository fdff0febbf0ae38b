#include "tools/racecontrol-migrate/import/import_engine.hpp"

#include "persistence/database_error.hpp"
#include "persistence/sql.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace racecontrol::tools::import {

using persistence::sql_execute;
using persistence::sql_identifier;
using persistence::sql_query;
using persistence::sql_quote;
using persistence::sql_scalar;

namespace {

void append_tsv(std::string& out, const value& v) {
  if (!v.text)
    out += "\\N";
  else
    persistence::tsv_append(out, *v.text);
}

void append(std::string& out, odb::mysql::connection& conn, const value& v) {
  if (!v.text)
    out += "NULL";
  else if (v.quoted)
    out += sql_quote(conn, *v.text);
  else
    out += *v.text;
}

/// "INSERT INTO `t` (`a`, `b`) VALUES " — the rows follow.
std::string insert_head(const std::string& table,
                        const std::vector<std::string>& columns) {
  std::string out = "INSERT INTO " + sql_identifier(table) + " (";
  for (std::size_t i = 0; i < columns.size(); ++i)
    out += (i ? ", " : "") + sql_identifier(columns[i]);
  return out + ") VALUES ";
}

} // namespace

std::string source_from_clause(const copy_plan& plan) {
  return plan.source_from.empty() ? sql_identifier(plan.source_table)
                                  : "(" + plan.source_from + ") AS src";
}

engine::engine(odb::mysql::connection& source, odb::mysql::connection& target,
               engine_options options, import_report& report)
    : source_(source), target_(target), options_(std::move(options)),
      report_(report), load_data_(options_.load_data) {
  if (!options_.load_data)
    report_.bulk_write = "multi-row INSERT";
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

/// Rows a batch adds to a table other than its target and map: skip
/// reasons, adjustments, rows of other tables (e.g. category rows).
struct side_rows {
  std::string table;
  std::vector<std::string> columns;
  std::vector<std::vector<value>> rows;
  std::string tsv; ///< empty unless rendered for LOAD DATA
};

/// A batch read, transformed and (for LOAD DATA) rendered, waiting to be
/// written.
struct prepared_batch {
  std::vector<source_row> rows;
  std::vector<row_result> results;
  std::string insert_tsv, map_tsv; ///< empty unless rendered for LOAD DATA
  std::vector<side_rows> side;
  bool end = false;
};

namespace {

/// Two batches in flight at most: one being written, one being prepared.
class batch_queue {
 public:
  void push(prepared_batch b) {
    std::unique_lock<std::mutex> lock{mtx_};
    not_full_.wait(lock, [&] {
      return items_.size() < 2 || cancelled_;
    });
    if (cancelled_)
      return;
    items_.push_back(std::move(b));
    not_empty_.notify_one();
  }

  prepared_batch pop() {
    std::unique_lock<std::mutex> lock{mtx_};
    not_empty_.wait(lock, [&] {
      return !items_.empty();
    });
    auto b = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return b;
  }

  void cancel() {
    std::lock_guard<std::mutex> lock{mtx_};
    cancelled_ = true;
    not_full_.notify_all();
  }

  bool cancelled() {
    std::lock_guard<std::mutex> lock{mtx_};
    return cancelled_;
  }

 private:
  std::mutex mtx_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<prepared_batch> items_;
  bool cancelled_ = false;
};

std::int64_t new_id(const row_result& r, std::int64_t id_base,
                    const std::string& old_id) {
  return r.what == row_result::kind::import ? id_base + std::stoll(old_id)
                                            : r.existing_id;
}

std::string map_key(const copy_plan& plan, const source_row& row) {
  return plan.map_old_value ? plan.map_old_value(row) : *row[0];
}

/// The target and map rows of a batch as LOAD DATA text. Needs no
/// connection, so the reader thread does it while the writer writes.
void render_tsv(const copy_plan& plan, prepared_batch& b,
                std::int64_t id_base) {
  b.insert_tsv.reserve(b.rows.size() * 256);
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& r = b.results[i];
    if (r.what == row_result::kind::skip)
      continue;
    auto id = std::to_string(new_id(r, id_base, *b.rows[i][0]));
    if (r.what == row_result::kind::import) {
      b.insert_tsv += id;
      for (const auto& v : r.values) {
        b.insert_tsv += '\t';
        append_tsv(b.insert_tsv, v);
      }
      b.insert_tsv += '\n';
    }
    b.map_tsv += map_key(plan, b.rows[i]);
    b.map_tsv += '\t';
    b.map_tsv += id;
    for (const auto& v : r.map_extra) {
      b.map_tsv += '\t';
      append_tsv(b.map_tsv, v);
    }
    b.map_tsv += '\n';
  }
}

/// INSERT statements stay well below the server's max_allowed_packet.
constexpr std::size_t max_statement_bytes = 4 << 20;

/// Adds one "(..)" tuple to the last chunk, starting a new chunk when full.
std::string& next_tuple(std::vector<std::string>& chunks) {
  if (chunks.empty() || chunks.back().size() > max_statement_bytes)
    chunks.emplace_back();
  auto& out = chunks.back();
  out += out.empty() ? "(" : ",(";
  return out;
}

/// The same rows as INSERT tuples "(..),(..)", in chunks.
std::vector<std::string> render_tuples(odb::mysql::connection& conn,
                                       const copy_plan& plan,
                                       const prepared_batch& b,
                                       std::int64_t id_base, bool map_rows) {
  std::vector<std::string> chunks;
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& r = b.results[i];
    if (r.what == row_result::kind::skip ||
        (!map_rows && r.what != row_result::kind::import))
      continue;
    auto id = std::to_string(new_id(r, id_base, *b.rows[i][0]));
    auto& out = next_tuple(chunks);
    out += map_rows ? map_key(plan, b.rows[i]) + "," + id : id;
    for (const auto& v : map_rows ? r.map_extra : r.values) {
      out += ',';
      append(out, conn, v);
    }
    out += ')';
  }
  return chunks;
}

std::size_t count_rows(const prepared_batch& b, bool map_rows) {
  std::size_t n = 0;
  for (const auto& r : b.results)
    n += r.what == row_result::kind::import ||
         (map_rows && r.what == row_result::kind::map_existing);
  return n;
}

} // namespace

/// The side rows of a batch, per table, rendered for LOAD DATA if
/// `render` (no connection needed: the reader thread does it).
std::vector<side_rows> collect_side_rows(const copy_plan& plan,
                                         const prepared_batch& b, bool render) {
  side_rows skipped{
      "migration_skipped", {"source_table", "source_id", "reason"}, {}, {}};
  side_rows adjusted{"migration_adjusted",
                     {"source_table", "source_id", "rule", "detail"},
                     {},
                     {}};
  std::map<std::string, side_rows> extras;
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& old_id = b.rows[i][0];
    const auto& r = b.results[i];
    if (r.what == row_result::kind::skip)
      skipped.rows.push_back({value::string(plan.source_table),
                              value::raw_number(old_id),
                              value::string(r.skip_reason.substr(0, 500))});
    for (const auto& [rule, detail] : r.adjustments)
      adjusted.rows.push_back({value::string(plan.source_table),
                               value::raw_number(old_id), value::string(rule),
                               value::string(detail.substr(0, 500))});
    for (const auto& x : r.extras) {
      auto& t = extras[x.table];
      t.table = x.table;
      t.columns = x.columns;
      t.rows.push_back(x.values);
    }
  }
  std::vector<side_rows> out;
  for (auto& [name, t] : extras)
    out.push_back(std::move(t));
  for (auto* t : {&skipped, &adjusted})
    if (!t->rows.empty())
      out.push_back(std::move(*t));
  if (render)
    for (auto& t : out)
      for (const auto& row : t.rows) {
        for (std::size_t k = 0; k < row.size(); ++k) {
          if (k)
            t.tsv += '\t';
          append_tsv(t.tsv, row[k]);
        }
        t.tsv += '\n';
      }
  return out;
}

void engine::copy(const copy_plan& plan) {
  auto start = std::chrono::steady_clock::now();
  auto& table = report_.table(plan.source_table);
  table.target_table = plan.target_table;
  auto progress = load_progress(plan.source_table, plan.target_table);
  auto total = std::stoull(
      sql_scalar(source_, "SELECT COUNT(*) FROM " + source_from_clause(plan) +
                              " WHERE id > " + std::to_string(progress.last_id))
          .value_or("0"));
  // The reader thread owns the source connection and the lookups that
  // transforms and on_mapped use; this thread only writes the target.
  batch_queue queue;
  std::exception_ptr reader_error;
  double read_seconds = 0;
  std::thread reader([&, last = progress.last_id,
                      base = progress.id_base]() mutable {
    try {
      for (;;) {
        auto read_start = std::chrono::steady_clock::now();
        prepared_batch b;
        b.rows = sql_query(source_, "SELECT " + plan.source_columns + " FROM " +
                                        source_from_clause(plan) +
                                        " WHERE id > " + std::to_string(last) +
                                        " ORDER BY id LIMIT " +
                                        std::to_string(options_.batch_size));
        read_seconds += std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - read_start)
                            .count();
        if (b.rows.empty() || queue.cancelled())
          break;
        transform_batch(plan, b, base);
        bool render = load_data_;
        if (render)
          render_tsv(plan, b, base);
        b.side = collect_side_rows(plan, b, render);
        last = std::stoll(*b.rows.back()[0]);
        queue.push(std::move(b));
      }
    } catch (...) {
      reader_error = std::current_exception();
    }
    prepared_batch end;
    end.end = true;
    queue.push(std::move(end));
  });
  std::uint64_t handled = 0;
  try {
    for (auto b = queue.pop(); !b.end; b = queue.pop()) {
      auto write_start = std::chrono::steady_clock::now();
      write_batch(plan, b, progress);
      table.write_seconds += std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - write_start)
                                 .count();
      for (const auto& r : b.results)
        ++(r.what == row_result::kind::skip ? table.skipped_this_run
                                            : table.imported_this_run);
      progress.last_id = std::stoll(*b.rows.back()[0]);
      handled += b.rows.size();
      if (options_.progress)
        options_.progress(plan.source_table, handled, total);
    }
  } catch (...) {
    queue.cancel();
    reader.join();
    throw;
  }
  reader.join();
  if (reader_error)
    std::rethrow_exception(reader_error);
  table.read_seconds += read_seconds;
  table.seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
}

void engine::transform_batch(const copy_plan& plan, prepared_batch& b,
                             std::int64_t id_base) {
  b.results.reserve(b.rows.size());
  for (const auto& row : b.rows) {
    try {
      b.results.push_back(plan.transform(row, false));
    } catch (const std::exception& e) {
      // A broken source row is listed, never fatal.
      b.results.push_back(
          row_result::skip(std::string{"unreadable row: "} + e.what()));
    }
    const auto& r = b.results.back();
    if (r.what != row_result::kind::skip && plan.on_mapped)
      plan.on_mapped(std::stoll(*row[0]), new_id(r, id_base, *row[0]), row);
  }
}

void engine::write_rows(
    const std::string& table, const std::vector<std::string>& columns,
    const std::string& tsv, std::size_t rows,
    const std::function<std::vector<std::string>()>& tuples) {
  if (rows == 0)
    return;
  if (load_data_ && !tsv.empty()) {
    try {
      persistence::sql_load_data(target_, table, columns, tsv, rows);
      return;
    } catch (const persistence::database_error& e) {
      // The server (or its configuration) does not allow LOAD DATA LOCAL:
      // multi-row INSERT from here on. Anything else is a real failure.
      std::string what = e.what();
      if (what.find("LOAD DATA LOCAL") == std::string::npos &&
          what.find("not allowed") == std::string::npos)
        throw;
      load_data_ = false;
      report_.bulk_write =
          "multi-row INSERT (LOAD DATA LOCAL was refused: " + what + ")";
    }
  }
  for (const auto& chunk : tuples())
    sql_execute(target_, insert_head(table, columns) + chunk);
}

void engine::write_batch(const copy_plan& plan, const prepared_batch& b,
                         progress_row& progress) {
  std::vector<std::string> columns{"id"};
  columns.insert(columns.end(), plan.target_columns.begin(),
                 plan.target_columns.end());
  std::vector<std::string> map_columns{plan.map_old_column,
                                       plan.map_new_column};
  map_columns.insert(map_columns.end(), plan.map_extra_columns.begin(),
                     plan.map_extra_columns.end());
  auto last_id = *b.rows.back()[0];
  auto base = progress.id_base;
  in_target_transaction([&] {
    write_rows(plan.target_table, columns, b.insert_tsv, count_rows(b, false),
               [&] {
                 return render_tuples(target_, plan, b, base, false);
               });
    write_rows(plan.map_table, map_columns, b.map_tsv, count_rows(b, true),
               [&] {
                 return render_tuples(target_, plan, b, base, true);
               });
    for (const auto& t : b.side)
      write_rows(t.table, t.columns, t.tsv, t.rows.size(), [&, &t = t] {
        std::vector<std::string> chunks;
        for (const auto& row : t.rows) {
          auto& out = next_tuple(chunks);
          for (std::size_t k = 0; k < row.size(); ++k) {
            if (k)
              out += ',';
            append(out, target_, row[k]);
          }
          out += ')';
        }
        return chunks;
      });
    sql_execute(target_,
                "INSERT INTO migration_progress (source_table, last_id, "
                "id_base) VALUES (" +
                    sql_quote(target_, plan.source_table) + "," + last_id +
                    "," + std::to_string(base) +
                    ") ON DUPLICATE KEY UPDATE last_id = VALUES(last_id)");
    ++batches_;
    if (options_.before_commit)
      options_.before_commit(batches_);
  });
}

} // namespace racecontrol::tools::import
