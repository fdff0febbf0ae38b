#pragma once

#include <odb/mysql/database.hxx>

#include <chrono>
#include <string>

namespace racecontrol::persistence {

/// MariaDB's advisory lock (GET_LOCK) on "racecontrol_migrate:<database>",
/// held on a connection of its own for as long as this object lives, so two
/// runners never interleave their statements. A second runner waits up to
/// `wait` and then fails with a database_error naming who holds it.
class migration_lock {
 public:
  migration_lock(odb::mysql::database& db, std::chrono::seconds wait);
  ~migration_lock();

  migration_lock(const migration_lock&) = delete;
  migration_lock& operator=(const migration_lock&) = delete;

 private:
  odb::mysql::connection_ptr conn_;
  std::string name_;
};

} // namespace racecontrol::persistence
