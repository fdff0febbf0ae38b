// The orgs phase: one organization per Discord guild found in SahasrahBot's
// data, its discord_guilds row, and memberships for the people who took
// part in that guild's data, with an owner chosen by a documented rule.

#include "tools/racecontrol-migrate/import/sahasrahbot_context.hpp"

#include "persistence/sql.hpp"

#include <algorithm>

namespace racecontrol::tools::import {

using persistence::sql_query;
using persistence::sql_scalar;

namespace {

constexpr const char* no_timestamp = "2000-01-01 00:00:00.000000";

struct member {
  std::int64_t user_id;
  const char* role;
};

/// Everyone who took part in each guild's data, in one pass over the
/// source: a query per guild would scan the races once per guild.
void load_guild_people(context& c) {
  c.guild_people.emplace();
  auto rows = sql_query(
      c.e.source(),
      "SELECT guild_id, user_id, MAX(rank_) FROM ("
      " SELECT t.guild_id, m.user_id, m.rank_ FROM ("
      "  SELECT DISTINCT tournament_id, user_id, 0 AS rank_ FROM "
      "asynctournamentrace"
      "  UNION ALL SELECT tournament_id, user_id, 0 FROM "
      "asynctournamentwhitelist"
      "  UNION ALL SELECT tournament_id, user_id, IF(role = 'admin', 2, 1)"
      "   FROM asynctournamentpermissions"
      "   WHERE user_id IS NOT NULL AND role IN ('admin', 'mod')"
      " ) m JOIN asynctournament t ON t.id = m.tournament_id"
      " UNION ALL SELECT rv.guild_id, v.user_id, 0 FROM verifiedracer v"
      "  JOIN racerverification rv ON rv.id = v.racer_verification_id"
      ") x WHERE user_id IS NOT NULL GROUP BY guild_id, user_id"
      " ORDER BY guild_id, user_id");
  for (auto& r : rows)
    (*c.guild_people)[*r[0]].emplace_back(*r[1], std::stoi(r[2].value_or("0")));
}

/// Members of a guild's organization: everyone in its races, whitelists,
/// permissions and verified racers; admins and mods from its async
/// tournament permissions; the owner by the rule in import_rules_text().
std::vector<member> members_of(context& c, const std::string& guild,
                               std::string& owner_note) {
  if (!c.guild_people)
    load_guild_people(c);
  static const std::vector<std::pair<std::string, int>> nobody;
  auto found = c.guild_people->find(guild);
  const auto& people = found == c.guild_people->end() ? nobody : found->second;
  std::vector<member> out;
  std::optional<std::int64_t> first_admin;
  for (const auto& [source_user, rank] : people) {
    auto user = lookup(c.users, source_user);
    if (!user)
      continue; // that user's rows were skipped, with their reasons
    out.push_back({*user, rank == 2   ? "admin"
                          : rank == 1 ? "moderator"
                                      : "member"});
    if (rank == 2 && !first_admin)
      first_admin = *user;
  }
  // Owner: the owner of the guild's earliest async tournament, else its
  // first admin (lowest SahasrahBot user id), else nobody.
  std::optional<std::int64_t> owner;
  auto first =
      sql_scalar(c.e.source(), "SELECT owner_id FROM asynctournament "
                               "WHERE guild_id = " +
                                   guild + " ORDER BY created, id LIMIT 1");
  bool ok = true;
  if (auto discord = as_snowflake(first, ok)) {
    auto it = c.user_by_discord.find(*discord);
    if (it != c.user_by_discord.end())
      owner = it->second;
  }
  if (!owner)
    owner = first_admin;
  if (!owner) {
    owner_note = "no owner found: neither a tournament owner nor an admin is "
                 "a known user";
    return out;
  }
  auto it = std::find_if(out.begin(), out.end(), [&](const member& m) {
    return m.user_id == *owner;
  });
  if (it == out.end())
    out.push_back({*owner, "owner"});
  else
    it->role = "owner";
  return out;
}

} // namespace

const char* guilds_source_sql() {
  return "SELECT ROW_NUMBER() OVER (ORDER BY guild_id) AS id, guild_id, "
         "first_seen FROM (SELECT guild_id, MIN(created) AS first_seen FROM ("
         " SELECT guild_id, created FROM asynctournament"
         " UNION ALL SELECT guild_id, created FROM racerverification"
         " UNION ALL SELECT guild_id, NULL FROM config) g GROUP BY guild_id) x";
}

copy_plan guilds_plan(context& c) {
  auto discord_guild_base =
      c.e.derived_id_base("guilds_discord_guilds", "discord_guilds");
  auto member_base =
      c.e.derived_id_base("guilds_members", "organization_members");
  auto stride = std::stoll(sql_scalar(c.e.target(), "SELECT COALESCE(MAX(id), "
                                                    "0) + 1 FROM users")
                               .value_or("1"));
  copy_plan p;
  p.source_table = "guilds";
  p.source_from = guilds_source_sql();
  p.source_columns = "id, guild_id, first_seen";
  p.target_table = "organizations";
  p.target_columns = {"name", "description", "is_active", "created_at",
                      "updated_at"};
  p.map_table = "migration_guild_org_map";
  p.map_old_column = "guild_id";
  p.map_new_column = "organization_id";
  p.map_old_value = [](const source_row& row) {
    return *row[1];
  };
  p.map_extra_columns = {"guild_name"};
  p.transform = [&c, discord_guild_base, member_base,
                 stride](const source_row& row, bool checking) {
    bool ok = true;
    as_snowflake(row[1], ok);
    if (!ok || !row[1])
      return row_result::skip("guild id '" + row[1].value_or("NULL") +
                              "' is not a Discord snowflake");
    const std::string& guild = *row[1];
    row_result r;
    auto named = c.options.guild_names.find(std::stoull(guild));
    std::string name =
        named != c.options.guild_names.end() ? named->second : "Guild " + guild;
    if (!checking && c.org_names.count(name)) {
      name += " (" + guild + ")";
      r.adjustments.emplace_back("organization name taken: guild id appended",
                                 name);
    }
    if (!checking)
      c.org_names.insert(name);
    std::string created = row[2].value_or(no_timestamp);
    if (!row[2])
      r.adjustments.emplace_back("guild seen only in config: no creation time",
                                 guild);
    r.values = {value::string(name),
                value::string(std::string{"Migrated from SahasrahBot"}),
                value::number(1), value::string(created),
                value::string(created)};
    r.map_extra = {value::string(name)};
    if (checking)
      return r;
    auto rank = std::stoll(*row[0]);
    auto org_id = c.e.id_base("guilds", "organizations") + rank;
    r.extras.push_back(
        {"discord_guilds",
         {"id", "organization_id", "guild_id", "guild_name", "created_at",
          "updated_at"},
         {value::number(discord_guild_base + rank), value::number(org_id),
          value::raw_number(guild), value::string(name), value::string(created),
          value::string(created)}});
    std::string owner_note;
    for (const auto& m : members_of(c, guild, owner_note))
      r.extras.push_back(
          {"organization_members",
           {"id", "organization_id", "user_id", "role", "created_at",
            "updated_at"},
           {value::number(member_base + (rank - 1) * stride + m.user_id),
            value::number(org_id), value::number(m.user_id),
            value::string(std::string{m.role}), value::string(created),
            value::string(created)}});
    if (!owner_note.empty())
      r.adjustments.emplace_back("organization without an owner", owner_note);
    return r;
  };
  p.on_mapped = [&c](std::int64_t, std::int64_t new_id, const source_row& row) {
    c.org_by_guild[std::stoll(*row[1])] = new_id;
  };
  return p;
}

} // namespace racecontrol::tools::import
