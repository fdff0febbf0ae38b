#pragma once

#include <stdexcept>
#include <string>

namespace racecontrol::persistence {

/// A database failure, with a message a person can act on (which server,
/// which table or migration, what to do next). ODB reports errors as
/// exceptions; the persistence actor and the tools turn them into values.
class database_error : public std::runtime_error {
 public:
  enum class kind {
    connection, ///< cannot reach or log in to the server
    constraint, ///< a unique or foreign key rejected the change
    conflict,   ///< deadlock or lock wait timeout: retrying may succeed
    statement,  ///< any other failed statement
    /// The connection broke while the COMMIT was on its way: the change may
    /// or may not be saved, so it is not run again by itself.
    outcome_unknown,
  };

  database_error(kind k, const std::string& message,
                 unsigned int error_number = 0)
      : std::runtime_error(message), kind_(k), error_number_(error_number) {}

  kind what_kind() const noexcept { return kind_; }

  /// The server's error (or first warning) number; 0 when not from one.
  unsigned int error_number() const noexcept { return error_number_; }

 private:
  kind kind_;
  unsigned int error_number_;
};

/// Classifies a MariaDB error number.
database_error::kind classify_mysql_error(unsigned int error_number);

} // namespace racecontrol::persistence
