#pragma once

// racecontrol's error codes as a CAF error category, so failures travel
// between actors (and nodes) as values with a message a person can act on.

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <exception>
#include <string>

namespace racecontrol {

enum class ec : std::uint8_t {
  unspecified = 1,
  /// MariaDB could not be reached or refused the login.
  database_unavailable,
  /// A unique or foreign key rejected a change.
  database_constraint,
  /// Any other failed database statement.
  database_failure,
  /// The schema is behind this build; run racecontrol-migrate up.
  migrations_pending,
  /// A component kept failing beyond its restart budget.
  component_failed,
  /// The room, match or bot asked for does not exist.
  not_found,
  /// An actor's handler threw: a defect, reported with its message.
  unexpected_exception,
  /// A request that cannot be done now, and the message says why (a room
  /// whose match is not linked, a bot that is not connected, ...).
  refused,
  /// A room's write came from a placement that is no longer the room's
  /// (another node owns it now): the writer must stop acting for it.
  fenced,
  /// The connection to MariaDB broke while a change was being committed:
  /// it may or may not be saved (a blind retry could apply it twice).
  database_outcome_unknown,
};

const char* to_string(ec code);

/// The category atom CAF uses to render our errors.
using ec_category = caf::atom_constant<caf::atom("racectl")>;

inline caf::error make_error(ec code, std::string message) {
  return caf::error{static_cast<std::uint8_t>(code), ec_category::value,
                    caf::make_message(std::move(message))};
}

/// A refusal (ec::refused) that also says which stable reason it is
/// ("players_not_linked") and, when it is about one input, its name: the
/// HTTP API picks the status by the code and names the field.
inline caf::error make_refusal(std::string code, std::string message,
                               std::string field = "") {
  return caf::error{
      static_cast<std::uint8_t>(ec::refused), ec_category::value,
      caf::make_message(std::move(message), std::move(code), std::move(field))};
}

/// The reason code of a make_refusal error, "" for any other error.
std::string refusal_code(const caf::error& err);

/// The input a make_refusal error is about, "" when none.
std::string refusal_field(const caf::error& err);

/// Whether `err` is our error `code`.
inline bool is(const caf::error& err, ec code) {
  return err.category() == ec_category::value &&
         err.code() == static_cast<std::uint8_t>(code);
}

/// "database_unavailable: cannot connect to ..." for any of our errors, and
/// CAF's own rendering for the rest.
std::string describe(const caf::error& err);

/// An exception handler for actors: the actor ends with an
/// unexpected_exception error that carries the exception's message (CAF's
/// default keeps only its type), so supervisors can log and record it.
caf::error exception_error(std::exception_ptr& eptr);

} // namespace racecontrol
