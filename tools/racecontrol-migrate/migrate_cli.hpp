#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace racecontrol::tools {

/// Reads an environment variable; nullptr when unset.
using env_reader = std::function<const char*(const char*)>;

/// Exit statuses of racecontrol-migrate.
enum migrate_status : int {
  migrate_ok = 0,
  migrate_failed = 1, ///< a migration failed, drift was found, lock was held
  migrate_usage = 2,  ///< bad arguments, bad config, refused, no database
};

/// Runs `racecontrol-migrate <args>`, writing results to `out` and problems
/// to `err`. Everything the program does is here, so tests run it in-process.
int run_migrate_cli(const std::vector<std::string>& args, std::ostream& out,
                    std::ostream& err, const env_reader& getenv);

} // namespace racecontrol::tools
