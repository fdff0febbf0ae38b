#include "persistence/sql.hpp"

#include "persistence/database_error.hpp"
#include "persistence/entities/mysql_value_traits.hxx"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <strings.h>

namespace racecontrol::persistence {

namespace {

/// Throws the connection's last error as a database_error naming the
/// statement by `shape` (sql_shape's, never values).
[[noreturn]] void fail_shaped(odb::mysql::connection& conn,
                              const std::string& shape) {
  MYSQL* handle = conn.handle();
  unsigned int number = mysql_errno(handle);
  auto kind = classify_mysql_error(number);
  // A broken connection must not go back to the pool for the next caller
  // (or the retry) to fail on.
  // Nor one whose client is out of step with the server (2014, "commands
  // out of sync"): every later statement on it would fail.
  if (kind == database_error::kind::connection ||
      number == CR_COMMANDS_OUT_OF_SYNC)
    conn.mark_failed();
  throw database_error(
      kind, std::string{mysql_error(handle)} + " [in: " + shape + "]", number);
}

} // namespace

std::string sql_shape(std::string_view statement) {
  constexpr std::size_t max_shown = 200;
  std::string out;
  out.reserve(std::min(statement.size(), max_shown) + 8);
  for (std::size_t i = 0; i < statement.size() && out.size() < max_shown;) {
    char c = statement[i];
    if (c != '\'' && c != '"') {
      out.push_back(c);
      ++i;
      continue;
    }
    // A literal: skip to its closing quote (backslash escapes and doubled
    // quotes stay inside), and show only that a value was there.
    std::size_t j = i + 1;
    while (j < statement.size()) {
      if (statement[j] == '\\') {
        j += 2;
      } else if (statement[j] == c) {
        if (j + 1 < statement.size() && statement[j + 1] == c)
          j += 2;
        else
          break;
      } else {
        ++j;
      }
    }
    out += "?";
    i = j + 1;
  }
  if (out.size() >= max_shown)
    out += "…";
  return out;
}

namespace {

[[noreturn]] void fail(odb::mysql::connection& conn,
                       const std::string& statement) {
  fail_shaped(conn, sql_shape(statement));
}

} // namespace

std::string sql_quote(odb::mysql::connection& conn, std::string_view text) {
  std::string out(text.size() * 2 + 3, '\0');
  out[0] = '\'';
  auto n = mysql_real_escape_string(conn.handle(), out.data() + 1, text.data(),
                                    static_cast<unsigned long>(text.size()));
  out.resize(n + 1);
  out.push_back('\'');
  return out;
}

std::string sql_quote(timestamp value) {
  MYSQL_TIME t;
  detail::to_mysql_time(t, value);
  char buf[40];
  std::snprintf(buf, sizeof buf, "'%04u-%02u-%02u %02u:%02u:%02u.%06lu'",
                t.year, t.month, t.day, t.hour, t.minute, t.second,
                t.second_part);
  return buf;
}

std::string sql_quote(race_duration value) {
  auto us = value.count();
  char buf[48];
  std::snprintf(buf, sizeof buf, "'%lld:%02lld:%02lld.%06lld'",
                static_cast<long long>(us / 3'600'000'000LL),
                static_cast<long long>(us / 60'000'000LL % 60),
                static_cast<long long>(us / 1'000'000LL % 60),
                static_cast<long long>(us % 1'000'000LL));
  return buf;
}

std::string sql_epoch_us(const std::string& column) {
  return "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', " + column + ")";
}

std::optional<timestamp> sql_timestamp(const sql_value& epoch_us) {
  if (!epoch_us)
    return std::nullopt;
  return timestamp{std::chrono::microseconds{std::stoll(*epoch_us)}};
}

std::string sql_time_us(const std::string& column) {
  // TIME_TO_SEC keeps the fraction in MariaDB, so only its whole seconds
  // count.
  return "CAST(FLOOR(TIME_TO_SEC(" + column + ")) * 1000000 + MICROSECOND(" +
         column + ") AS SIGNED)";
}

std::optional<race_duration> sql_duration(const sql_value& us) {
  if (!us)
    return std::nullopt;
  return race_duration{std::stoll(*us)};
}

std::string sql_render(odb::mysql::connection& conn, const sql_param& value) {
  struct visitor {
    odb::mysql::connection& conn;
    std::string operator()(std::nullptr_t) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "1" : "0"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(std::uint64_t u) const { return std::to_string(u); }
    std::string operator()(const std::string& s) const {
      return sql_quote(conn, s);
    }
    std::string operator()(timestamp t) const { return sql_quote(t); }
  };
  return std::visit(visitor{conn}, value);
}

std::string sql_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`')
      out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

/// The transaction whose statements this thread sends together (at most
/// one: a transaction runs on one thread, on one connection).
struct sql_pipeline_state {
  MYSQL* handle = nullptr;
  std::vector<std::string> deferred;
  bool begun = false;            ///< START TRANSACTION went out
  bool broken = false;           ///< deferred statements failed: no COMMIT
  bool commit_with_next = false; ///< sql_commit_with_next was asked
  bool commit_sent = false;      ///< a statement carried the COMMIT
  bool committed = false;        ///< ... and its compound succeeded
};

namespace {

using pipeline_state = sql_pipeline_state;

thread_local pipeline_state* active_pipeline = nullptr;

pipeline_state* pipeline_of(odb::mysql::connection& conn) {
  auto* p = active_pipeline;
  return p != nullptr && p->handle == conn.handle() ? p : nullptr;
}

/// `statements` as one statement: a compound statement (BEGIN NOT ATOMIC
/// ... END) when there are several. The server answers it once, when the
/// last has run; separate statements' answers come one by one, and each
/// wakes the waiting thread again.
std::string as_one_statement(const std::vector<std::string>& statements) {
  if (statements.size() == 1)
    return statements.front();
  std::string out = "BEGIN NOT ATOMIC ";
  // The `;` on a line of its own: a statement ending in a line comment
  // must not swallow it.
  for (const auto& s : statements)
    out += s + "\n;\n";
  return out + "END";
}

/// The shapes of a compound's statements, for its error: MariaDB does not
/// say which of them failed.
std::string shapes_of(const std::vector<std::string>& statements) {
  std::string out;
  for (const auto& s : statements)
    out += (out.empty() ? "" : " | ") + sql_shape(s);
  return out;
}

/// The statements deferred on the pipeline, taken out of it.
std::vector<std::string> take_deferred(pipeline_state& pipeline) {
  auto out = std::move(pipeline.deferred);
  pipeline.deferred.clear();
  pipeline.begun = true;
  return out;
}

/// Reads and drops every result still pending, so the connection stays in
/// step; an error among them ends the sequence and is not reported (the
/// caller throws its own).
void drain(MYSQL* handle) {
  while (mysql_more_results(handle)) {
    if (mysql_next_result(handle) > 0)
      return;
    if (MYSQL_RES* res = mysql_store_result(handle))
      mysql_free_result(res);
  }
}

/// Throws when the text just run held more statements than its caller
/// knew of (a stray `;` or a trailing comment, now that connections take
/// several statements at once): the extra answers are read, not trusted.
/// `shape` makes the statement's shape for the error only (it reads the whole
/// text, which every statement would otherwise pay for).
template <class Shape>
void check_answered_once(odb::mysql::connection& conn, Shape&& shape) {
  MYSQL* handle = conn.handle();
  if (!mysql_more_results(handle))
    return;
  drain(handle);
  throw database_error(database_error::kind::statement,
                       "the statement text held more than one statement (a "
                       "stray ';' or a comment after the last one?) [in: " +
                           shape() + "]");
}

/// Refuses the rows of the current result, which a deferred statement
/// returned: they and the rest are read, and the connection, whose
/// transaction is then in an unknown state, is not handed out again.
/// `where` names the statements.
[[noreturn]] void refuse_rows(odb::mysql::connection& conn,
                              const std::string& where) {
  MYSQL* handle = conn.handle();
  if (MYSQL_RES* res = mysql_store_result(handle))
    mysql_free_result(res);
  drain(handle);
  conn.mark_failed();
  throw database_error(database_error::kind::statement,
                       "a deferred statement returned rows (sql_defer takes "
                       "statements without a result) [" +
                           where + "]");
}

/// The answer to the deferred statements sent as one (the current result):
/// throws when it is not the single status the statements' kind promises
/// (a statement that returned rows breaks that promise).
void check_deferred_answer(odb::mysql::connection& conn,
                           const std::vector<std::string>& deferred) {
  if (mysql_field_count(conn.handle()) != 0)
    refuse_rows(conn, "in: " + shapes_of(deferred));
}

/// Runs the deferred statements as one, with nothing after them.
void run_deferred(odb::mysql::connection& conn, pipeline_state& pipeline) {
  auto deferred = take_deferred(pipeline);
  conn.clear();
  auto text = as_one_statement(deferred);
  if (mysql_real_query(conn.handle(), text.data(),
                       static_cast<unsigned long>(text.size())) != 0)
    fail_shaped(conn, shapes_of(deferred));
  check_deferred_answer(conn, deferred);
  check_answered_once(conn, [&] {
    return shapes_of(deferred);
  });
}

/// Whether `statement` may go inside a compound, whose rows come back with
/// the compound's own answer: a SELECT with no `;` and no line comment.
/// Inside, a second statement would run unseen (the compound answers once)
/// and a line comment would swallow the compound's next `;`; such text goes
/// after the compound, where check_answered_once sees it.
bool goes_inside(const std::string& statement) {
  auto first = statement.find_first_not_of(" \t\n(");
  return first != std::string::npos &&
         strncasecmp(statement.c_str() + first, "SELECT", 6) == 0 &&
         statement.find_first_of(";#") == std::string::npos &&
         statement.find("--") == std::string::npos;
}

/// Throws when the pipeline's COMMIT went out already: `statement` would
/// run outside the transaction, in a commit of its own.
void refuse_after_commit(const pipeline_state& pipeline,
                         const std::string& statement) {
  if (pipeline.commit_sent)
    throw database_error(database_error::kind::statement,
                         "the transaction committed with an earlier "
                         "statement; nothing may follow it [" +
                             sql_shape(statement) + "]");
}

/// How `send` sent a statement.
enum class sent {
  alone,
  /// Last in a compound with the deferred statements: its result comes
  /// first, the compound's own status after it (read by finish_compound).
  inside_compound,
};

/// Sends `statement`, preceded by the statements deferred on the
/// connection, in one round trip; on return the statement's own result is
/// the current one. A SELECT goes inside their compound statement, whose
/// rows and status MariaDB sends at once (goes_inside); any other goes after
/// it (its answer and the compound's are two, each a wake-up of the reader).
/// A deferred statement that fails throws, naming the deferred ones; the
/// server then runs nothing after it, and the pipeline refuses to commit
/// what ran before it.
sent send(odb::mysql::connection& conn, const std::string& statement) {
  conn.clear();
  MYSQL* handle = conn.handle();
  auto* pipeline = pipeline_of(conn);
  if (pipeline != nullptr)
    refuse_after_commit(*pipeline, statement);
  bool carry_commit = pipeline != nullptr && pipeline->commit_with_next &&
                      goes_inside(statement);
  if (pipeline != nullptr)
    pipeline->commit_with_next = false;
  if (pipeline == nullptr || (pipeline->deferred.empty() && !carry_commit)) {
    if (mysql_real_query(handle, statement.data(),
                         static_cast<unsigned long>(statement.size())) != 0)
      fail(conn, statement);
    return sent::alone;
  }
  auto deferred = take_deferred(*pipeline);
  pipeline->broken = true; // until the deferred ones answered
  if (goes_inside(statement)) {
    deferred.push_back(statement);
    if (carry_commit) {
      deferred.push_back("COMMIT");
      pipeline->commit_sent = true;
    }
    auto text = as_one_statement(deferred);
    if (mysql_real_query(handle, text.data(),
                         static_cast<unsigned long>(text.size())) != 0)
      fail_shaped(conn, shapes_of(deferred));
    return sent::inside_compound;
  }
  auto text = as_one_statement(deferred) + "\n;\n" + statement;
  if (mysql_real_query(handle, text.data(),
                       static_cast<unsigned long>(text.size())) != 0)
    fail_shaped(conn, shapes_of(deferred));
  check_deferred_answer(conn, deferred);
  pipeline->broken = false;
  int more = mysql_next_result(handle);
  if (more > 0)
    fail(conn, statement);
  if (more < 0)
    throw database_error(database_error::kind::statement,
                         "MariaDB answered fewer statements than it was "
                         "sent [missing: " +
                             sql_shape(statement) + "]");
  return sent::alone;
}

/// Reads the status of the compound a SELECT went inside, after the
/// SELECT's rows. Rows instead mean a deferred statement returned rows and
/// they were taken for the SELECT's.
void finish_compound(odb::mysql::connection& conn, const std::string& query) {
  MYSQL* handle = conn.handle();
  int more = mysql_more_results(handle) ? mysql_next_result(handle) : -1;
  if (more > 0)
    fail(conn, query);
  if (more == 0 && mysql_field_count(handle) != 0)
    refuse_rows(conn, "before: " + sql_shape(query));
  check_answered_once(conn, [&] {
    return sql_shape(query);
  });
  if (auto* pipeline = pipeline_of(conn)) {
    pipeline->broken = false;
    // The compound's status is its last statement's: the COMMIT's.
    pipeline->committed = pipeline->commit_sent;
  }
}

/// Reads what may follow a statement's own result: the status of the
/// compound it went inside, or nothing (checked).
void finish_statement(odb::mysql::connection& conn, sent how,
                      const std::string& statement) {
  if (how == sent::inside_compound)
    finish_compound(conn, statement);
  else
    check_answered_once(conn, [&] {
      return sql_shape(statement);
    });
}

} // namespace

sql_pipeline::sql_pipeline(odb::mysql::connection& conn)
    : conn_(conn), state_(std::make_unique<sql_pipeline_state>()) {
  if (active_pipeline != nullptr)
    throw database_error(database_error::kind::statement,
                         "a pipelined transaction is already open on this "
                         "thread");
  state_->handle = conn.handle();
  state_->deferred.push_back("START TRANSACTION");
  active_pipeline = state_.get();
}

sql_pipeline::~sql_pipeline() {
  active_pipeline = nullptr;
  if (committed_ || state_->committed || !state_->begun || conn_.failed())
    return;
  // The transaction must not stay open on a connection the pool hands out
  // again; one that cannot roll back is dropped.
  conn_.clear();
  if (mysql_real_query(state_->handle, "ROLLBACK", 8) != 0)
    conn_.mark_failed();
}

void sql_pipeline::commit() {
  if (state_->committed) {
    committed_ = true;
    return;
  }
  if (!state_->begun && state_->deferred.size() == 1) {
    // Nothing was read or written: there is nothing to commit.
    state_->deferred.clear();
    committed_ = true;
    return;
  }
  // A caller that caught the error of statements that waited (thrown from
  // its next statement) must not commit what ran before them.
  if (state_->broken)
    throw database_error(database_error::kind::statement,
                         "a statement of this transaction failed, so it is "
                         "rolled back, not committed");
  state_->deferred.push_back("COMMIT");
  run_deferred(conn_, *state_);
  committed_ = true;
}

bool sql_pipeline::commit_sent() const {
  return state_->commit_sent;
}

void sql_commit_with_next(odb::mysql::connection& conn) {
  if (auto* pipeline = pipeline_of(conn))
    pipeline->commit_with_next = true;
}

std::string sql_signal_if(std::string_view condition,
                          std::string_view message) {
  std::string text;
  for (char c : message) {
    if (c == '\'' || c == '\\')
      text += c; // doubled: a quote ends the literal, a backslash escapes
    text += c;
  }
  return "IF " + std::string{condition} +
         " THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '" + text +
         "'; END IF";
}

bool signalled(const database_error& e, std::string_view prefix) {
  // ER_SIGNAL_EXCEPTION with the caller's text at the start: nothing else
  // raises that error number with it.
  return e.error_number() == ER_SIGNAL_EXCEPTION &&
         std::string_view{e.what()}.substr(0, prefix.size()) == prefix;
}

void sql_defer(odb::mysql::connection& conn, std::string statement) {
  if (auto* pipeline = pipeline_of(conn)) {
    refuse_after_commit(*pipeline, statement);
    pipeline->deferred.push_back(std::move(statement));
  } else
    sql_execute(conn, statement);
}

std::uint64_t sql_execute(odb::mysql::connection& conn,
                          const std::string& statement) {
  auto how = send(conn, statement);
  MYSQL* handle = conn.handle();
  // A statement may still produce a result (e.g. SELECT in a script).
  if (MYSQL_RES* res = mysql_store_result(handle))
    mysql_free_result(res);
  else if (mysql_field_count(handle) != 0)
    fail(conn, statement);
  auto affected = mysql_affected_rows(handle);
  finish_statement(conn, how, statement);
  return affected;
}

std::vector<sql_row> sql_query(odb::mysql::connection& conn,
                               const std::string& query) {
  auto how = send(conn, query);
  MYSQL* handle = conn.handle();
  MYSQL_RES* res = mysql_store_result(handle);
  if (res == nullptr) {
    if (mysql_field_count(handle) != 0)
      fail(conn, query);
    // Inside a compound, a SELECT without rows to send (SELECT ... INTO)
    // leaves the compound's status as the only answer.
    finish_statement(conn, how, query);
    return {};
  }
  std::vector<sql_row> rows;
  auto columns = mysql_num_fields(res);
  rows.reserve(mysql_num_rows(res));
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    auto* lengths = mysql_fetch_lengths(res);
    sql_row out;
    out.reserve(columns);
    for (unsigned i = 0; i < columns; ++i) {
      if (row[i] == nullptr)
        out.emplace_back(std::nullopt);
      else
        out.emplace_back(std::string{row[i], lengths[i]});
    }
    rows.push_back(std::move(out));
  }
  mysql_free_result(res);
  finish_statement(conn, how, query);
  return rows;
}

namespace {

/// The in-memory "file" LOAD DATA LOCAL reads; the file name the server
/// asks for is ignored, so no local file can ever be read.
struct infile_source {
  const std::string* data;
  std::size_t offset;
};

int infile_init(void** ptr, const char*, void* userdata) {
  *ptr = userdata;
  return 0;
}

int infile_read(void* ptr, char* buf, unsigned int len) {
  auto* src = static_cast<infile_source*>(ptr);
  auto n = std::min<std::size_t>(len, src->data->size() - src->offset);
  std::memcpy(buf, src->data->data() + src->offset, n);
  src->offset += n;
  return static_cast<int>(n);
}

void infile_end(void*) {}

int infile_error(void*, char* buf, unsigned int len) {
  std::snprintf(buf, len, "in-memory LOAD DATA source failed");
  return 1;
}

} // namespace

void tsv_append(std::string& out, std::string_view text) {
  // Runs of ordinary characters are copied whole; only the four that the
  // LOAD DATA format gives a meaning are escaped.
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* escaped = nullptr;
    switch (text[i]) {
      case '\\':
        escaped = "\\\\";
        break;
      case '\t':
        escaped = "\\t";
        break;
      case '\n':
        escaped = "\\n";
        break;
      case '\0':
        escaped = "\\0";
        break;
      default:
        continue;
    }
    out.append(text.data() + start, i - start);
    out += escaped;
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

std::uint64_t sql_load_data(odb::mysql::connection& conn,
                            const std::string& table,
                            const std::vector<std::string>& columns,
                            const std::string& tsv, std::uint64_t rows) {
  infile_source src{&tsv, 0};
  conn.clear();
  mysql_set_local_infile_handler(conn.handle(), infile_init, infile_read,
                                 infile_end, infile_error, &src);
  std::string statement = "LOAD DATA LOCAL INFILE 'racecontrol-batch' INTO "
                          "TABLE " +
                          sql_identifier(table) +
                          " CHARACTER SET utf8mb4 FIELDS TERMINATED BY "
                          "'\\t' ESCAPED BY '\\\\' LINES TERMINATED BY "
                          "'\\n' (";
  for (std::size_t i = 0; i < columns.size(); ++i)
    statement += (i ? ", " : "") + sql_identifier(columns[i]);
  statement += ")";
  std::uint64_t n = 0;
  try {
    n = sql_execute(conn, statement);
  } catch (...) {
    mysql_set_local_infile_default(conn.handle());
    throw;
  }
  mysql_set_local_infile_default(conn.handle());
  // With LOCAL the server cannot stop the upload, so it turns duplicate keys
  // and values that do not fit into warnings and carries on; any warning
  // means a row was dropped or changed, which the caller must not commit.
  if (mysql_warning_count(conn.handle()) == 0 && n == rows)
    return n;
  std::string detail;
  unsigned int first = 0;
  for (const auto& w : sql_query(conn, "SHOW WARNINGS LIMIT 3")) {
    if (first == 0 && w[1])
      first = static_cast<unsigned int>(std::stoul(*w[1]));
    detail += "; " + w[2].value_or("");
  }
  throw database_error(database_error::kind::statement,
                       "LOAD DATA into " + table + " stored " +
                           std::to_string(n) + " of " + std::to_string(rows) +
                           " rows" + detail,
                       first);
}

sql_value sql_scalar(odb::mysql::connection& conn, const std::string& query) {
  auto rows = sql_query(conn, query);
  if (rows.empty() || rows.front().empty())
    return std::nullopt;
  return rows.front().front();
}

std::optional<std::int32_t> sql_int(const sql_value& v) {
  if (!v)
    return std::nullopt;
  return std::stoi(*v);
}

std::string sql_json_rows_of(const std::vector<std::string>& columns,
                             const std::string& order_by) {
  std::string list;
  for (const auto& c : columns)
    list += (list.empty() ? "" : ", ") + c;
  return "COALESCE(JSON_ARRAYAGG(JSON_ARRAY(" + list + ") ORDER BY " +
         order_by + "), '[]')";
}

std::vector<sql_row> sql_json_rows(const sql_value& packed) {
  auto bad = [](const std::string& why) {
    return database_error(database_error::kind::statement,
                          "a packed row set is not what was asked for: " + why);
  };
  std::vector<sql_row> rows;
  if (!packed)
    return rows;
  rapidjson::Document doc;
  doc.Parse(packed->data(), packed->size());
  if (doc.HasParseError() || !doc.IsArray())
    throw bad("not a JSON array");
  rows.reserve(doc.Size());
  for (const auto& r : doc.GetArray()) {
    if (!r.IsArray())
      throw bad("a row is not an array");
    sql_row row;
    row.reserve(r.Size());
    for (const auto& v : r.GetArray()) {
      if (v.IsNull())
        row.emplace_back(std::nullopt);
      else if (v.IsString())
        row.emplace_back(std::string{v.GetString(), v.GetStringLength()});
      else if (v.IsInt64())
        row.emplace_back(std::to_string(v.GetInt64()));
      else if (v.IsUint64())
        row.emplace_back(std::to_string(v.GetUint64()));
      else if (v.IsBool())
        row.emplace_back(v.GetBool() ? "1" : "0");
      else
        throw bad("a value is neither text, an integer, a boolean nor null");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

} // namespace racecontrol::persistence
