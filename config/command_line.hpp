#pragma once

#include "config/ini_document.hpp"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::config {

/// A command line split into what the programs of racecontrol accept:
/// flags (`--migrate`), options with a value (`--config FILE` or
/// `--config=FILE`), setting overrides (`--section.key=value`) and
/// positional arguments.
struct command_line {
  std::set<std::string> flags;
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::pair<std::string, std::string>> overrides;
  std::vector<std::string> positional;

  bool has(const std::string& flag) const { return flags.count(flag) > 0; }

  /// The last value given for an option.
  std::optional<std::string> value(const std::string& option) const;
};

/// Parses argv (without argv[0]). `flag_names` and `option_names` are the
/// accepted names without dashes; anything else that starts with `--` and
/// has a dot and `=` is a setting override. Throws config_error for unknown
/// options, naming them.
command_line parse_command_line(const std::vector<std::string>& args,
                                const std::set<std::string>& flag_names,
                                const std::set<std::string>& option_names);

} // namespace racecontrol::config
