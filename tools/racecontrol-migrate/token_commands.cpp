#include "tools/racecontrol-migrate/token_commands.hpp"

#include "config/ini_document.hpp"
#include "persistence/api_token_repository.hpp"
#include "tools/racecontrol-migrate/migrate_cli.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>

namespace racecontrol::tools {

const char* const token_help =
    R"(usage: racecontrol-migrate token create --org ID --name NAME --scopes A,B
                                 [--created-by USER_ID]
       racecontrol-migrate token list [--org ID]
       racecontrol-migrate token revoke ID

API bearer tokens of an organization (the HTTP API takes them as
`Authorization: Bearer rc_...`).

  create  makes a token and prints it once: MariaDB keeps only its SHA-256,
          so it cannot be shown again (revoke it and create another when it
          is lost). Scopes, comma-separated:
            rooms:read rooms:write matches:read matches:write
            tournaments:read tournaments:write bots:read bots:write
            tasks:read tasks:write audit:read admin
          (admin implies every other scope). --created-by names the user
          (users.id) the audit log credits.
  list    every token (of one organization with --org): id, organization,
          name, scopes, created, last used (recorded at most once a minute),
          revoked. Times are UTC. Never the token or its hash.
  revoke  revokes a token for good; revoking it again changes nothing.

exit status: 0 done; 2 bad arguments, an unknown scope, organization, user
or token id, or a database that cannot be reached.
)";

namespace {

using persistence::api_token_info;
using persistence::api_token_repository;

/// A positive database id given as text, or a config_error naming `what`.
std::int32_t parse_id(const std::string& text, const std::string& what) {
  bool digits = !text.empty() && text.size() <= 10 &&
                std::all_of(text.begin(), text.end(), [](char c) {
                  return c >= '0' && c <= '9';
                });
  long long value = digits ? std::stoll(text) : 0;
  if (value < 1 || value > std::numeric_limits<std::int32_t>::max())
    throw config::config_error(what +
                               " must be a positive number (an id), "
                               "got '" +
                               text + "'");
  return static_cast<std::int32_t>(value);
}

std::vector<std::string> split_scopes(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto item = text.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    auto first = item.find_first_not_of(' ');
    if (first != std::string::npos)
      out.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string utc(const std::optional<timestamp>& t) {
  if (!t)
    return "-";
  auto secs = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

/// A name as one table cell: control characters (a newline would break the
/// table) shown escaped.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += '?';
    else
      out += c;
  }
  return out;
}

/// Characters on screen, not bytes, so UTF-8 names keep columns aligned.
std::size_t width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
}

/// Rows of cells as left-aligned columns two spaces apart.
void print_table(std::ostream& out,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths.resize(std::max(widths.size(), row.size()));
      widths[i] = std::max(widths[i], width(row[i]));
    }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - width(row[i]) + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string describe(const api_token_info& t) {
  return "token " + std::to_string(t.id) + " \"" + cell(t.name) +
         "\" of organization " + std::to_string(t.organization_id) + " (" +
         cell(t.organization_name) + ")";
}

int create(const config::command_line& cli, const database_opener& open,
           std::ostream& out) {
  auto org = cli.value("org");
  auto name = cli.value("name");
  auto scopes = cli.value("scopes");
  if (!org || !name || !scopes)
    throw config::config_error(
        "token create needs --org ID, --name NAME and --scopes A,B, e.g. "
        "token create --org 1 --name \"results bot\" --scopes "
        "rooms:read,matches:read");
  auto organization_id = parse_id(*org, "--org");
  std::optional<std::int32_t> created_by;
  if (auto by = cli.value("created-by"))
    created_by = parse_id(*by, "--created-by");
  auto db = open();
  api_token_repository repo{*db};
  auto made =
      repo.create(organization_id, *name, split_scopes(*scopes), created_by);
  if (auto* refused = std::get_if<persistence::api_token_refused>(&made))
    throw config::config_error(refused->message);
  const auto& created = std::get<persistence::api_token_created>(made);
  out << "created " << describe(created.token) << " with scopes "
      << joined(created.token.scopes) << ":\n\n"
      << created.plaintext.reveal() << "\n\n"
      << "Copy it now: only its SHA-256 is stored, so it will not be shown "
         "again.\n";
  return migrate_ok;
}

int list(const config::command_line& cli, const database_opener& open,
         std::ostream& out) {
  std::optional<std::int32_t> organization_id;
  if (auto org = cli.value("org"))
    organization_id = parse_id(*org, "--org");
  auto db = open();
  auto tokens = api_token_repository{*db}.list(organization_id);
  if (tokens.empty()) {
    out << "no API tokens"
        << (organization_id
                ? " for organization " + std::to_string(*organization_id)
                : std::string{})
        << "\n";
    return migrate_ok;
  }
  std::vector<std::vector<std::string>> rows = {
      {"id", "org", "name", "scopes", "created (UTC)", "last used", "revoked"}};
  for (const auto& t : tokens)
    rows.push_back(
        {std::to_string(t.id),
         std::to_string(t.organization_id) + " " + cell(t.organization_name),
         cell(t.name), joined(t.scopes), utc(t.created_at), utc(t.last_used_at),
         utc(t.revoked_at)});
  print_table(out, rows);
  return migrate_ok;
}

int revoke(const config::command_line& cli, const database_opener& open,
           std::ostream& out) {
  if (cli.positional.size() != 3)
    throw config::config_error("token revoke needs the token's id: token "
                               "revoke 12 (token list shows the ids)");
  auto id = parse_id(cli.positional[2], "the token id");
  auto db = open();
  auto r = api_token_repository{*db}.revoke(id);
  using outcome = persistence::api_token_revoke_outcome;
  if (r.outcome == outcome::not_found || !r.token)
    throw config::config_error("no API token has id " + std::to_string(id) +
                               "; token list shows the ids");
  if (r.outcome == outcome::already_revoked)
    out << describe(*r.token) << " was already revoked at "
        << utc(r.token->revoked_at) << " UTC\n";
  else
    out << "revoked " << describe(*r.token) << "; it is refused from now on\n";
  return migrate_ok;
}

} // namespace

int run_token_command(const config::command_line& cli,
                      const database_opener& open, std::ostream& out) {
  std::string sub = cli.positional.size() > 1 ? cli.positional[1] : "";
  if (sub != "revoke" && cli.positional.size() > 2)
    throw config::config_error("unexpected argument '" + cli.positional[2] +
                               "'");
  if (sub == "create")
    return create(cli, open, out);
  if (sub == "list")
    return list(cli, open, out);
  if (sub == "revoke")
    return revoke(cli, open, out);
  throw config::config_error((sub.empty()
                                  ? std::string{"token needs a subcommand"}
                                  : "unknown token subcommand '" + sub + "'") +
                             ": create, list or revoke (help token)");
}

} // namespace racecontrol::tools
