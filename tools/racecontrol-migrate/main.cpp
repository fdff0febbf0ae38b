// racecontrol-migrate: schema migrations (and, later, data imports) for
// racecontrol's MariaDB database. See migrate_cli.cpp for the commands.

#include "tools/racecontrol-migrate/migrate_cli.hpp"

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  return racecontrol::tools::run_migrate_cli(
      std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr,
      [](const char* name) {
        return std::getenv(name);
      });
}
