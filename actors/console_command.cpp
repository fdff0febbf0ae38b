#include "actors/console_command.hpp"

#include "actors/text_table.hpp"

#include <algorithm>
#include <limits>

namespace racecontrol {

const std::vector<console_command_spec>& console_commands() {
  static const std::vector<console_command_spec> specs = {
      {"help", "help", "this list", 0, 0, {}},
      {"status",
       "status",
       "the node, its database, bots, rooms and sessions",
       0,
       0,
       {}},
      {"bots", "bots", "every racetime.gg bot and how it is doing", 0, 0, {}},
      {"bot reload",
       "bot reload",
       "re-read the bots from the database (start, restart, stop)",
       0,
       0,
       {}},
      {"rooms",
       "rooms [--active]",
       "rooms whose race has not ended and their watchers; --active: only "
       "those watched now",
       0,
       0,
       {{"active", false}}},
      {"nodes",
       "nodes",
       "the cluster's nodes: name, role, state, rooms placed, when each "
       "joined, "
       "last heartbeat",
       0,
       0,
       {}},
      {"room",
       "room SLUG",
       "one room (category/name or name) with its match and players",
       1,
       1,
       {}},
      {"matches",
       "matches [--upcoming]",
       "matches of active tournaments from a day ago to a week ahead, with "
       "their room or why it is not open; --upcoming: from now",
       0,
       0,
       {{"upcoming", false}}},
      {"open-room",
       "open-room MATCH [--goal G] [--invitational yes|no]",
       "open match MATCH's race room now",
       1,
       1,
       {{"goal", true}, {"invitational", true}}},
      {"tasks", "tasks", "scheduled tasks and their last runs", 0, 0, {}},
      {"task run", "task run ID", "run scheduled task ID now", 1, 1, {}},
      {"audit",
       "audit [--tail N] [--entity TYPE] [--id ID]",
       "the newest audit entries (20 by default, at most 1000)",
       0,
       0,
       {{"tail", true}, {"entity", true}, {"id", true}}},
      {"token create",
       "token create --org ID --name NAME --scopes A,B",
       "make an API token; it is shown once",
       0,
       0,
       {{"org", true}, {"name", true}, {"scopes", true}}},
      {"token list",
       "token list",
       "every API token (never the token itself)",
       0,
       0,
       {}},
      {"token revoke",
       "token revoke ID",
       "revoke API token ID for good",
       1,
       1,
       {}},
      {"log-level",
       "log-level LEVEL",
       "set the log level: trace, debug, info, warn, error, critical, off",
       1,
       1,
       {}},
      {"drain",
       "drain [off|NODE]",
       "stop opening new rooms on this node (rooms open stay watched); off "
       "resumes; on a coordinator, drain NODE moves worker NODE's rooms to "
       "the other workers",
       0,
       1,
       {}},
      {"shutdown",
       "shutdown",
       "stop racecontrold in order, like SIGTERM",
       0,
       0,
       {}},
      {"quit", "quit", "end this session", 0, 0, {}},
  };
  return specs;
}

std::optional<std::string>
console_command::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end())
    return std::nullopt;
  return it->second;
}

std::variant<std::vector<std::string>, console_parse_error>
split_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '\\') {
      if (i + 1 == line.size())
        return console_parse_error{
            "the line ends with a backslash; quote it: '\\'"};
      word += line[++i];
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (c == '"')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (in_word)
        words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    word += c;
    in_word = true;
  }
  if (quote != 0)
    return console_parse_error{std::string{"unclosed "} +
                               (quote == '"' ? "double" : "single") +
                               " quote; close it or escape it with \\"};
  if (in_word)
    words.push_back(std::move(word));
  return words;
}

namespace {

const console_command_spec* find_spec(const std::string& name) {
  for (const auto& spec : console_commands())
    if (spec.name == name)
      return &spec;
  return nullptr;
}

/// The subcommands of a group ("bot" → "bot reload"), for the hint.
std::string subcommands(const std::string& group) {
  std::string out;
  for (const auto& spec : console_commands())
    if (spec.name.rfind(group + " ", 0) == 0)
      out += (out.empty() ? "" : ", ") + spec.usage;
  return out;
}

console_parse_error usage_error(const console_command_spec& spec,
                                const std::string& problem) {
  return {problem + "; usage: " + spec.usage};
}

/// Reads the words after the command name into arguments and options.
std::optional<console_parse_error>
read_arguments(console_command& cmd, const std::vector<std::string>& words,
               std::size_t first) {
  const auto& spec = *cmd.spec;
  for (std::size_t i = first; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w.size() < 3 || w.compare(0, 2, "--") != 0) {
      cmd.args.push_back(w);
      continue;
    }
    auto eq = w.find('=');
    auto name =
        w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    auto o = std::find_if(spec.options.begin(), spec.options.end(),
                          [&](const auto& x) {
                            return x.name == name;
                          });
    if (o == spec.options.end())
      return usage_error(spec, "unknown option --" + name + " for '" +
                                   spec.name + "'");
    if (!o->takes_value) {
      if (eq != std::string::npos)
        return usage_error(spec, "--" + name + " takes no value");
      cmd.options[name] = "";
    } else if (eq != std::string::npos) {
      cmd.options[name] = w.substr(eq + 1);
    } else if (i + 1 < words.size()) {
      cmd.options[name] = words[++i];
    } else {
      return usage_error(spec, "--" + name + " needs a value");
    }
  }
  if (cmd.args.size() < spec.min_args)
    return usage_error(spec, "'" + spec.name + "' needs " +
                                 std::to_string(spec.min_args) +
                                 " argument(s)");
  if (cmd.args.size() > spec.max_args)
    return usage_error(spec, "too many arguments for '" + spec.name + "'");
  return std::nullopt;
}

} // namespace

std::variant<console_command, console_parse_error>
parse_console_line(std::string_view line) {
  auto split = split_words(line);
  if (auto* err = std::get_if<console_parse_error>(&split))
    return *err;
  const auto& words = std::get<std::vector<std::string>>(split);
  console_command cmd;
  if (words.empty())
    return cmd;
  std::size_t first = 1;
  if (words.size() > 1)
    if (auto* two = find_spec(words[0] + " " + words[1])) {
      cmd.spec = two;
      first = 2;
    }
  if (cmd.spec == nullptr)
    cmd.spec = find_spec(words[0]);
  if (cmd.spec == nullptr) {
    auto group = subcommands(words[0]);
    if (!group.empty())
      return console_parse_error{
          (words.size() > 1
               ? "unknown '" + words[0] + "' command '" + words[1] + "'"
               : "'" + words[0] + "' needs a subcommand") +
          "; try " + group};
    return console_parse_error{"unknown command '" + words[0] + "'; try help"};
  }
  if (auto err = read_arguments(cmd, words, first))
    return *err;
  return cmd;
}

std::string console_help() {
  text_table t{{"command", "what it does"}};
  for (const auto& spec : console_commands())
    t.add({spec.usage, spec.summary});
  return t.render() +
         "Quote words with blanks: token create --org 1 --name \"results "
         "bot\" --scopes rooms:read\n";
}

std::optional<std::int32_t> parse_console_id(std::string_view text) {
  if (text.empty() || text.size() > 10 ||
      !std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return std::nullopt;
  auto value = std::stoll(std::string{text});
  if (value < 1 || value > std::numeric_limits<std::int32_t>::max())
    return std::nullopt;
  return static_cast<std::int32_t>(value);
}

std::optional<bool> parse_yes_no(std::string_view text) {
  if (text == "yes" || text == "true" || text == "on")
    return true;
  if (text == "no" || text == "false" || text == "off")
    return false;
  return std::nullopt;
}

} // namespace racecontrol
