#pragma once

// One database transaction per repository call, with ODB's exceptions turned
// into database_error and transient failures (deadlock, lock wait timeout,
// a connection lost before the commit) retried a few times.

#include "persistence/database_error.hpp"
#include "persistence/sql.hpp"

#include <odb/exceptions.hxx>
#include <odb/mysql/connection.hxx>
#include <odb/mysql/database.hxx>
#include <odb/mysql/exceptions.hxx>
#include <odb/transaction.hxx>

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace racecontrol::persistence {

namespace detail {

/// Whether a failed attempt may run again: the server rolled the whole
/// transaction back (deadlock, lock wait timeout), or the connection broke
/// before the commit was sent — tried once more, on a fresh connection,
/// because a pooled connection the server has since closed is the usual
/// cause; a server that is really gone fails the second time too. A
/// connection lost while committing leaves the outcome unknown, and running
/// `f` again could apply it twice.
inline bool worth_retrying(database_error::kind k, bool committing,
                           int attempt) {
  using kind = database_error::kind;
  return k == kind::conflict ||
         (k == kind::connection && !committing && attempt == 1);
}

/// What a failed attempt threw: the database_error it ends as.
struct failure_info {
  database_error::kind kind = database_error::kind::statement;
  std::string message;
  unsigned int number = 0; ///< the server's or the client's error number
};

/// The exception being handled, as a database_error's kind, message and
/// number; anything that is neither ODB's nor database_error is rethrown.
/// Call it only inside a catch block.
inline failure_info classify_current() {
  try {
    throw;
  } catch (const database_error& e) {
    return {e.what_kind(), e.what(), e.error_number()};
  } catch (const odb::connection_lost& e) {
    return {database_error::kind::connection, e.what()};
  } catch (const odb::recoverable& e) {
    return {database_error::kind::conflict, e.what()};
  } catch (const odb::mysql::database_exception& e) {
    return {classify_mysql_error(e.error()), e.message(), e.error()};
  } catch (const odb::exception& e) {
    return {database_error::kind::statement, e.what()};
  }
}

/// The retry loop of the transactions below: `attempt_once(committing)`
/// runs one try and sets `committing` before it sends the COMMIT.
template <class Attempt>
auto with_retries(Attempt&& attempt_once)
    -> decltype(attempt_once(std::declval<bool&>())) {
  constexpr int max_attempts = 4;
  for (int attempt = 1;; ++attempt) {
    bool committing = false;
    failure_info failed;
    try {
      return attempt_once(committing);
    } catch (...) {
      failed = classify_current();
    }
    auto [failure, message, number] = failed;
    if (failure == database_error::kind::connection && committing)
      throw database_error(database_error::kind::outcome_unknown,
                           "the connection broke while committing, so "
                           "whether the change was saved is unknown: " +
                               message,
                           number);
    if (!worth_retrying(failure, committing, attempt))
      throw database_error(failure, message, number);
    if (attempt == max_attempts)
      throw database_error(failure,
                           "gave up after " + std::to_string(max_attempts) +
                               " attempts: " + message,
                           number);
  }
}

/// `f(conn)`, then `tx.commit()`, with `committing` set in between.
template <class F, class Tx>
auto run_and_commit(F& f, odb::mysql::connection& conn, Tx& tx,
                    bool& committing)
    -> decltype(f(std::declval<odb::mysql::connection&>())) {
  using result_type = decltype(f(std::declval<odb::mysql::connection&>()));
  if constexpr (std::is_void_v<result_type>) {
    f(conn);
    committing = true;
    tx.commit();
  } else {
    result_type result = f(conn);
    committing = true;
    tx.commit();
    return result;
  }
}

} // namespace detail

/// Runs `f(connection&)` inside a transaction and commits. `f` may run more
/// than once when the server reports a deadlock, a lock wait timeout or a
/// connection lost before the commit, so it must not have effects outside
/// the database. Whatever `f` throws (ODB's exceptions or database_error
/// from sql_execute) ends as database_error.
template <class F>
auto in_transaction(odb::mysql::database& db, F&& f)
    -> decltype(f(std::declval<odb::mysql::connection&>())) {
  return detail::with_retries([&](bool& committing) {
    odb::transaction tx(db.begin());
    auto& conn = static_cast<odb::mysql::connection&>(tx.connection());
    return detail::run_and_commit(f, conn, tx, committing);
  });
}

/// in_transaction for an `f` that uses only the sql_* functions: its
/// statements travel together (sql_pipeline), START TRANSACTION with the
/// first, those it gives to sql_defer with the next that needs an answer or
/// with the COMMIT (which a last SELECT may carry: sql_commit_with_next).
/// Same retries and the same guarantees.
template <class F>
auto in_pipelined_transaction(odb::mysql::database& db, F&& f)
    -> decltype(f(std::declval<odb::mysql::connection&>())) {
  return detail::with_retries([&](bool& committing) {
    odb::mysql::connection_ptr conn = db.connection();
    sql_pipeline tx(*conn);
    try {
      return detail::run_and_commit(f, *conn, tx, committing);
    } catch (...) {
      // A statement of f's may have carried the COMMIT
      // (sql_commit_with_next): a connection lost since is not retried.
      committing = committing || tx.commit_sent();
      throw;
    }
  });
}

/// Runs `f(connection&)` outside an explicit transaction: each statement
/// commits on its own when it runs, two round trips fewer than
/// in_transaction's BEGIN and COMMIT. For reads whose caller checks again
/// before it acts (a match's context before its claim, a room's before it
/// is watched, the outbox's heads) and for a write of one statement. A lost
/// connection is tried once more on a fresh one, so `f` must be safe to run
/// twice: reading twice is harmless; a write must recognise its own effect
/// when the first try's statement reached the server.
template <class F>
auto in_autocommit(odb::mysql::database& db, F&& f)
    -> decltype(f(std::declval<odb::mysql::connection&>())) {
  for (int attempt = 1;; ++attempt) {
    detail::failure_info failed;
    try {
      auto conn = db.connection();
      return f(static_cast<odb::mysql::connection&>(*conn));
    } catch (...) {
      failed = detail::classify_current();
    }
    if (failed.kind != database_error::kind::connection || attempt == 2)
      throw database_error(failed.kind, failed.message, failed.number);
  }
}

} // namespace racecontrol::persistence
