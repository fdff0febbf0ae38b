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

/// The exception being handled, as a database_error kind and message;
/// anything that is neither ODB's nor database_error is rethrown. Call it
/// only inside a catch block.
inline std::pair<database_error::kind, std::string> classify_current() {
  try {
    throw;
  } catch (const database_error& e) {
    return {e.what_kind(), e.what()};
  } catch (const odb::connection_lost& e) {
    return {database_error::kind::connection, e.what()};
  } catch (const odb::recoverable& e) {
    return {database_error::kind::conflict, e.what()};
  } catch (const odb::mysql::database_exception& e) {
    return {classify_mysql_error(e.error()), e.message()};
  } catch (const odb::exception& e) {
    return {database_error::kind::statement, e.what()};
  }
}

} // namespace detail

namespace detail {

/// Runs `attempt(committing)` until it returns, again when the failure is
/// one worth_retrying allows (`attempt` sets `committing` just before it
/// commits), at most four times; every failure ends as database_error.
template <class Attempt>
auto retry_transaction(Attempt&& attempt)
    -> decltype(attempt(std::declval<bool&>())) {
  constexpr int max_attempts = 4;
  for (int n = 1;; ++n) {
    bool committing = false;
    database_error::kind failure;
    std::string message;
    try {
      return attempt(committing);
    } catch (...) {
      std::tie(failure, message) = classify_current();
    }
    if (failure == database_error::kind::connection && committing)
      throw database_error(failure,
                           "the connection broke while committing, so "
                           "whether the change was saved is unknown: " +
                               message);
    if (!worth_retrying(failure, committing, n))
      throw database_error(failure, message);
    if (n == max_attempts)
      throw database_error(failure, "gave up after " +
                                        std::to_string(max_attempts) +
                                        " attempts: " + message);
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
  return detail::retry_transaction([&](bool& committing) {
    odb::transaction tx(db.begin());
    auto& conn = static_cast<odb::mysql::connection&>(tx.connection());
    if constexpr (std::is_void_v<decltype(f(
                      std::declval<odb::mysql::connection&>()))>) {
      f(conn);
      committing = true;
      tx.commit();
    } else {
      auto result = f(conn);
      committing = true;
      tx.commit();
      return result;
    }
  });
}

/// in_transaction for `f`s that run only native SQL (sql.hpp): inside a
/// sql_transaction, so BEGIN and the statements `f` defers (sql_defer)
/// travel with the next statement it reads and the COMMIT. A room's hot
/// writes (settling its claim, its entrants and invitations) take two or
/// three round trips instead of five or six. ODB's generated statements
/// refuse to run in `f` (no ODB transaction is open).
template <class F>
auto in_sql_transaction(odb::mysql::database& db, F&& f)
    -> decltype(f(std::declval<odb::mysql::connection&>())) {
  return detail::retry_transaction([&](bool& committing) {
    auto handle = db.connection();
    auto& conn = static_cast<odb::mysql::connection&>(*handle);
    sql_transaction tx(conn);
    if constexpr (std::is_void_v<decltype(f(
                      std::declval<odb::mysql::connection&>()))>) {
      f(conn);
      committing = true;
      tx.commit();
    } else {
      auto result = f(conn);
      committing = true;
      tx.commit();
      return result;
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
    database_error::kind failure;
    std::string message;
    unsigned int number = 0;
    try {
      auto conn = db.connection();
      return f(static_cast<odb::mysql::connection&>(*conn));
    } catch (const database_error& e) {
      failure = e.what_kind();
      message = e.what();
      number = e.error_number();
    } catch (...) {
      std::tie(failure, message) = detail::classify_current();
    }
    if (failure != database_error::kind::connection || attempt == 2)
      throw database_error(failure, message, number);
  }
}

} // namespace racecontrol::persistence
