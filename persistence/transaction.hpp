#pragma once

// One database transaction per repository call, with ODB's exceptions turned
// into database_error and transient failures (deadlock, lost connection)
// retried a few times.

#include "persistence/database_error.hpp"

#include <odb/exceptions.hxx>
#include <odb/mysql/connection.hxx>
#include <odb/mysql/database.hxx>
#include <odb/mysql/exceptions.hxx>
#include <odb/transaction.hxx>

#include <string>
#include <type_traits>
#include <utility>

namespace racecontrol::persistence {

/// Runs `f(connection&)` inside a transaction and commits. `f` may run more
/// than once when the server reports a recoverable failure, so it must not
/// have effects outside the database.
template <class F>
auto in_transaction(odb::mysql::database& db, F&& f)
    -> decltype(f(std::declval<odb::mysql::connection&>())) {
  using result_type = decltype(f(std::declval<odb::mysql::connection&>()));
  constexpr int max_attempts = 3;
  for (int attempt = 1;; ++attempt) {
    try {
      odb::transaction tx(db.begin());
      auto& conn = static_cast<odb::mysql::connection&>(tx.connection());
      if constexpr (std::is_void_v<result_type>) {
        f(conn);
        tx.commit();
        return;
      } else {
        result_type result = f(conn);
        tx.commit();
        return result;
      }
    } catch (const odb::recoverable& e) {
      if (attempt == max_attempts)
        throw database_error(database_error::kind::conflict,
                             std::string{"database busy after "} +
                                 std::to_string(max_attempts) +
                                 " attempts: " + e.what());
    } catch (const odb::mysql::database_exception& e) {
      throw database_error(classify_mysql_error(e.error()), e.message());
    } catch (const odb::exception& e) {
      throw database_error(database_error::kind::statement, e.what());
    }
  }
}

} // namespace racecontrol::persistence
