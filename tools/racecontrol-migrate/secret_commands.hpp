#pragma once

// `racecontrol-migrate secrets keygen|status|encrypt|rotate`: the key that
// seals bot client secrets and users' RaceTime tokens at rest (issue 12).
// Keys come from RACECONTROL_SECRET_KEY (and, while rotating,
// RACECONTROL_SECRET_KEY_OLD); no secret value is ever printed, only
// counts and key ids.

#include "config/command_line.hpp"
#include "tools/racecontrol-migrate/migrate_cli.hpp"
#include "tools/racecontrol-migrate/token_commands.hpp"

#include <ostream>

namespace racecontrol::tools {

/// `help secrets`.
extern const char* const secrets_help;

/// Runs `secrets SUBCOMMAND` (cli.positional[0] is "secrets"). Returns an
/// exit status (migrate_status); throws config::config_error for bad
/// arguments, a missing or malformed key and values no configured key
/// opens (nothing is changed then), and persistence::database_error when
/// MariaDB fails.
int run_secrets_command(const config::command_line& cli,
                        const database_opener& open, const env_reader& getenv,
                        std::ostream& out);

} // namespace racecontrol::tools
