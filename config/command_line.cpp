#include "config/command_line.hpp"

namespace racecontrol::config {

std::optional<std::string> command_line::value(const std::string& o) const {
  std::optional<std::string> out;
  for (const auto& [name, value] : options)
    if (name == o)
      out = value;
  return out;
}

command_line parse_command_line(const std::vector<std::string>& args,
                                const std::set<std::string>& flag_names,
                                const std::set<std::string>& option_names) {
  command_line out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--") {
      out.positional.insert(out.positional.end(), args.begin() + i + 1,
                            args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "h")
      name = "help";
    if (flag_names.count(name) > 0) {
      if (inline_value)
        throw config_error("option --" + name + " takes no value");
      out.flags.insert(name);
    } else if (option_names.count(name) > 0) {
      if (inline_value) {
        out.options.emplace_back(name, *inline_value);
      } else if (i + 1 < args.size()) {
        out.options.emplace_back(name, args[++i]);
      } else {
        throw config_error("option --" + name + " needs a value");
      }
    } else if (name.find('.') != std::string::npos && inline_value) {
      out.overrides.emplace_back(name, *inline_value);
    } else {
      throw config_error("unknown option '" + arg + "'; --help lists them");
    }
  }
  return out;
}

} // namespace racecontrol::config
