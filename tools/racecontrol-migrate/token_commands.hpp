#pragma once

// `racecontrol-migrate token create|list|revoke`: API bearer tokens (issue
// 12) for operators without the HTTP API or the console. The token's text
// is written to stdout once, by `create`, and nowhere else.

#include "config/command_line.hpp"

#include <odb/mysql/database.hxx>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

namespace racecontrol::tools {

/// How to reach the database, called once the arguments are known good.
using database_opener = std::function<std::shared_ptr<odb::mysql::database>()>;

/// `help token`.
extern const char* const token_help;

/// Runs `token SUBCOMMAND` (cli.positional[0] is "token"). Returns an exit
/// status (migrate_status); throws config::config_error for bad arguments
/// and refusals (unknown scope, organization or token id), naming what to
/// fix, and persistence::database_error when MariaDB fails.
int run_token_command(const config::command_line& cli,
                      const database_opener& open, std::ostream& out);

} // namespace racecontrol::tools
