#pragma once

// Native SQL on an ODB connection, for what ODB 2.4 cannot express: updates
// of a single column, information_schema queries, multi-row inserts.
// Values go into statements only through the quoting functions here.

#include "persistence/database_error.hpp"
#include "persistence/entities/timestamp.hxx"

#include <odb/mysql/connection.hxx>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace racecontrol::persistence {

using sql_value = std::optional<std::string>;
using sql_row = std::vector<sql_value>;

/// A string literal, escaped for the connection's character set.
std::string sql_quote(odb::mysql::connection& conn, std::string_view text);

/// A DATETIME(6) literal in UTC: '2026-11-22 19:00:00.000000'.
std::string sql_quote(timestamp value);

/// A TIME(6) literal for a race time: '1:02:03.456789'.
std::string sql_quote(race_duration value);

/// SQL that reads a DATETIME(6) column as microseconds since the epoch
/// (the session runs in UTC), so rows come back as plain integers.
std::string sql_epoch_us(const std::string& column);

/// The timestamp for sql_epoch_us's text, or nullopt for NULL.
std::optional<timestamp> sql_timestamp(const sql_value& epoch_us);

/// SQL that reads a TIME(6) column as microseconds.
std::string sql_time_us(const std::string& column);

/// The race time for sql_time_us's text, or nullopt for NULL.
std::optional<race_duration> sql_duration(const sql_value& us);

/// A value to put into a statement, rendered (escaped) only when a
/// connection is at hand.
using sql_param = std::variant<std::nullptr_t, bool, std::int64_t,
                               std::uint64_t, std::string, timestamp>;

/// The SQL literal for a parameter.
std::string sql_render(odb::mysql::connection& conn, const sql_param& value);

/// NULL for an empty optional, the value otherwise.
template <class T>
sql_param sql_nullable(const std::optional<T>& value) {
  if (!value)
    return nullptr;
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    return static_cast<std::int64_t>(*value);
  else if constexpr (std::is_integral_v<T>)
    return static_cast<std::uint64_t>(*value);
  else
    return *value;
}

/// An identifier in backticks (table and column names).
std::string sql_identifier(std::string_view name);

/// The statement as error messages show it: every quoted literal replaced
/// by `?` (values may be tokens or personal data; identifiers, keywords and
/// numbers stay), cut after 200 characters.
std::string sql_shape(std::string_view statement);

/// Runs a statement that returns no rows; returns the affected row count.
/// Throws database_error whose message includes the statement's shape
/// (sql_shape), never its values.
std::uint64_t sql_execute(odb::mysql::connection& conn,
                          const std::string& statement);

/// Loads tab-separated rows (NULL as \N; backslash, tab and newline
/// escaped with a backslash) into `table`'s `columns` with LOAD DATA LOCAL
/// INFILE, streamed from memory. The connection must have been opened with
/// database_options::local_infile. `tsv` holds exactly `rows` lines.
/// Returns the rows loaded; throws database_error when the server refuses
/// LOCAL (local_infile off) or stores anything but every row unchanged
/// (LOCAL turns duplicate keys and truncation into warnings).
std::uint64_t sql_load_data(odb::mysql::connection& conn,
                            const std::string& table,
                            const std::vector<std::string>& columns,
                            const std::string& tsv, std::uint64_t rows);

/// Appends `text` to a LOAD DATA buffer, escaped.
void tsv_append(std::string& out, std::string_view text);

/// Runs a statement whose answer (rows, affected count) no caller reads.
/// Inside an sql_pipeline on this connection it waits and goes to MariaDB
/// with the next statement that needs an answer, or with the COMMIT, in
/// the same round trip; its error then surfaces there, naming it. Anywhere
/// else it runs at once.
void sql_defer(odb::mysql::connection& conn, std::string statement);

/// A statement for sql_defer that fails its transaction (SIGNAL SQLSTATE
/// '45000') with `message` when `condition`, an SQL expression, holds: a
/// deferred write can carry its own check instead of the caller reading an
/// answer. `message` is the caller's own text (quotes and backslashes are
/// doubled).
std::string sql_signal_if(std::string_view condition, std::string_view message);

/// Whether `e` is the error of an sql_signal_if statement whose message
/// starts with `prefix`.
bool signalled(const database_error& e, std::string_view prefix);

/// Inside a pipelined transaction: the next statement, when it is a SELECT
/// that goes inside the compound (see sql_pipeline), carries the COMMIT
/// after it in that compound, so its rows and the commit are one round trip
/// and the transaction's own commit then has nothing left to send. Nothing
/// may run in the transaction after it (database_error). When the next
/// statement cannot carry it, the commit goes as usual, at the end.
/// Outside a pipeline it does nothing (each statement commits on its own).
void sql_commit_with_next(odb::mysql::connection& conn);

struct sql_pipeline_state;

/// One transaction whose statements travel together: START TRANSACTION and
/// the statements given to sql_defer go as one compound statement (which
/// MariaDB answers once) with the next statement that needs an answer, or
/// with the COMMIT. Each answer saved is a sleep of the calling thread and
/// its system calls; a room's entrant write waited for five answers and now
/// waits for one. Only sql_* functions may
/// run on the connection meanwhile: ODB's own statements would bypass what
/// waits. At most one per thread. Unless committed, its destructor rolls
/// back what went out (or drops the connection when it cannot). Needs a
/// connection of open_database's, which takes several statements at once.
class sql_pipeline {
 public:
  explicit sql_pipeline(odb::mysql::connection& conn);
  ~sql_pipeline();
  sql_pipeline(const sql_pipeline&) = delete;
  sql_pipeline& operator=(const sql_pipeline&) = delete;

  /// Sends what waits and COMMIT; throws database_error when any fails.
  /// Nothing to send when a statement carried the COMMIT already
  /// (sql_commit_with_next).
  void commit();

  /// Whether a COMMIT went out with a statement (sql_commit_with_next),
  /// answered or not: a connection lost since leaves the outcome unknown.
  bool commit_sent() const;

 private:
  odb::mysql::connection& conn_;
  std::unique_ptr<sql_pipeline_state> state_;
  bool committed_ = false;
};

/// Runs a query and returns every row, each value as text or NULL.
std::vector<sql_row> sql_query(odb::mysql::connection& conn,
                               const std::string& query);

/// The first column of the first row, or nullopt for no row / NULL.
sql_value sql_scalar(odb::mysql::connection& conn, const std::string& query);

/// An INT column's value as text (sql_query's), or nullopt for NULL.
std::optional<std::int32_t> sql_int(const sql_value& v);

/// SQL for a column that packs a subquery's rows into one JSON value, so a
/// parent row and its children come back in one round trip:
/// `COALESCE(JSON_ARRAYAGG(JSON_ARRAY(a, b, ...) ORDER BY ...), '[]')`.
/// sql_json_rows unpacks it.
std::string sql_json_rows_of(const std::vector<std::string>& columns,
                             const std::string& order_by);

/// The rows a sql_json_rows_of column packed, each value as text or NULL
/// like sql_query's. Throws database_error for text that is not such JSON.
std::vector<sql_row> sql_json_rows(const sql_value& packed);

} // namespace racecontrol::persistence
