#pragma once

// The admin console's command line, as plain functions the console actor
// calls and the unit tests check without sockets or actors: splitting a
// line into words (quotes group words), finding the command among the
// known ones, and checking its arguments and options. Every failure is a
// sentence the operator can act on, with a hint.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace racecontrol {

/// An option a command takes: `--active` (a flag) or `--goal G`.
struct console_option_spec {
  std::string name; ///< without the dashes
  bool takes_value = false;
};

/// One command the console knows. Names of two words ("bot reload") are
/// a group and a subcommand.
struct console_command_spec {
  std::string name;
  std::string usage;   ///< "open-room MATCH [--goal G] [--invitational yes|no]"
  std::string summary; ///< one line for `help`
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  std::vector<console_option_spec> options;
};

/// Every command, in the order `help` lists them.
const std::vector<console_command_spec>& console_commands();

/// A line split into words and checked against its command's spec.
struct console_command {
  const console_command_spec* spec = nullptr;
  std::vector<std::string> args;
  /// Options given, by name; flags map to "".
  std::map<std::string, std::string> options;

  const std::string& name() const { return spec->name; }
  bool has(const std::string& option) const {
    return options.count(option) != 0;
  }
  std::optional<std::string> option(const std::string& name) const;
};

/// Why a line is not a usable command: one line ending in a hint.
struct console_parse_error {
  std::string message;
};

/// Splits a line into words: blanks separate words; "double" and 'single'
/// quotes group blanks into a word (quotes can be joined to other text:
/// --name="a b"); outside single quotes a backslash takes the next
/// character literally. An unclosed quote or a trailing backslash is an
/// error.
std::variant<std::vector<std::string>, console_parse_error>
split_words(std::string_view line);

/// The command a line names with its arguments and options (`--name
/// value` or `--name=value`). An empty line gives a command without spec
/// (nothing to do). Errors: an unknown command (`unknown command 'x'; try
/// help`), an unknown option, an option without its value, too many or too
/// few arguments (each naming the command's usage).
std::variant<console_command, console_parse_error>
parse_console_line(std::string_view line);

/// The `help` text: every command's usage and summary, aligned.
std::string console_help();

/// A positive database id ("17"), or nullopt.
std::optional<std::int32_t> parse_console_id(std::string_view text);

/// "yes"/"no" (also true/false, on/off), or nullopt.
std::optional<bool> parse_yes_no(std::string_view text);

} // namespace racecontrol
