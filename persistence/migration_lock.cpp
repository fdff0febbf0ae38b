#include "persistence/migration_lock.hpp"

#include "persistence/database_error.hpp"
#include "persistence/sql.hpp"

namespace racecontrol::persistence {

migration_lock::migration_lock(odb::mysql::database& db,
                               std::chrono::seconds wait)
    : conn_(db.connection()),
      name_("racecontrol_migrate:" + std::string{db.db()}) {
  auto got = sql_scalar(*conn_, "SELECT GET_LOCK(" + sql_quote(*conn_, name_) +
                                    ", " + std::to_string(wait.count()) + ")");
  if (got && *got == "1")
    return;
  auto holder = sql_scalar(*conn_, "SELECT IS_USED_LOCK(" +
                                       sql_quote(*conn_, name_) + ")");
  std::string who = holder ? "connection " + *holder : "another session";
  if (holder) {
    auto host =
        sql_scalar(*conn_, "SELECT CONCAT(user, '@', host) FROM "
                           "information_schema.processlist WHERE id = " +
                               *holder);
    if (host)
      who += " (" + *host + ")";
  }
  conn_.reset();
  throw database_error(database_error::kind::conflict,
                       "another racecontrol-migrate is changing database " +
                           std::string{db.db()} + ": " + who +
                           " holds the migration lock; waited " +
                           std::to_string(wait.count()) +
                           " s. Let it finish, or raise --lock-timeout");
}

migration_lock::~migration_lock() {
  try {
    if (conn_)
      sql_query(*conn_,
                "SELECT RELEASE_LOCK(" + sql_quote(*conn_, name_) + ")");
  } catch (...) {
    // The lock also ends with the connection.
  }
}

} // namespace racecontrol::persistence
