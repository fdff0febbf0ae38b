// The orgs phase: one organization per Discord guild found in SahasrahBot's
// data and its discord_guilds row; and the memberships, which the later
// phases derive from the rows they imported, with an owner chosen by a
// documented rule.

#include "tools/racecontrol-migrate/import/sahasrahbot_context.hpp"

#include "persistence/sql.hpp"

#include <map>
#include <stdexcept>

namespace racecontrol::tools::import {

using persistence::sql_execute;
using persistence::sql_query;
using persistence::sql_quote;
using persistence::sql_scalar;

namespace {

constexpr const char* no_timestamp = "2000-01-01 00:00:00.000000";

/// organizations.name and discord_guilds.guild_name hold 255 characters.
constexpr std::size_t max_name = 255;

/// The organization name for a guild: from --guild-names or "Guild <id>",
/// cut to fit, and made unique under the column's collation.
std::string organization_name(context& c, const std::string& guild,
                              bool checking, row_result& r) {
  auto named = c.options.guild_names.find(std::stoull(guild));
  std::string name =
      named != c.options.guild_names.end() ? named->second : "Guild " + guild;
  if (utf8_length(name) > max_name) {
    name = std::string{utf8_prefix(name, max_name)};
    r.adjustments.emplace_back("organization name cut to 255 characters", name);
  }
  if (checking)
    return name;
  if (c.org_names.count(c.keys.key(name))) {
    std::string suffix = " (" + guild + ")";
    name = std::string{utf8_prefix(name, max_name - suffix.size())} + suffix;
    r.adjustments.emplace_back("organization name taken: guild id appended",
                               name);
  }
  c.org_names.insert(c.keys.key(name));
  return name;
}

/// The member id of (organization, user): deterministic, so a resumed
/// import writes the same rows.
struct member_ids {
  std::int64_t base;   ///< organization_members' id offset
  std::int64_t org;    ///< organizations' id offset of the guild rows
  std::int64_t stride; ///< above every user id

  std::string sql(const std::string& org_column,
                  const std::string& user_column) const {
    return std::to_string(base) + " + (" + org_column + " - " +
           std::to_string(org) + " - 1) * " + std::to_string(stride) + " + " +
           user_column;
  }
};

member_ids load_member_ids(context& c) {
  return {c.e.derived_id_base("guilds_members", "organization_members"),
          c.e.id_base("guilds", "organizations"),
          c.e.derived_id_base("guilds_member_stride", "users") + 1};
}

/// Adds (organization, user, rank) rows from `people` (a SELECT of org,
/// user_id, rank_ where 1 = owner ... 4 = member); an existing membership
/// keeps the higher role.
void add_members(context& c, const member_ids& ids, const std::string& people) {
  // A user added after the orgs phase laid the ids out (a later run after
  // SahasrahBot gained users) would share an id with another membership,
  // and the upsert would change that one's role: stop rather than do that.
  auto top =
      sql_scalar(c.e.target(),
                 "SELECT COALESCE(MAX(x.user_id), 0) FROM (" + people + ") x");
  if (std::stoll(top.value_or("0")) >= ids.stride)
    throw std::runtime_error(
        "user " + top.value_or("?") +
        " came after the organizations were imported, so their memberships "
        "have no ids of their own: import into a fresh racecontrol database "
        "with SahasrahBot stopped (the import is one pass, resumable after a "
        "crash, not a sync)");
  sql_execute(
      c.e.target(),
      "INSERT INTO organization_members (id, organization_id, user_id, role, "
      "created_at, updated_at) SELECT " +
          ids.sql("x.org", "x.user_id") +
          ", x.org, x.user_id, ELT(MIN(x.rank_), 'owner', 'admin', "
          "'moderator', 'member'), o.created_at, o.created_at FROM (" +
          people +
          ") x JOIN organizations o ON o.id = x.org GROUP BY x.org, x.user_id "
          // updated_at named, or ON UPDATE would stamp the time of this run.
          "ON DUPLICATE KEY UPDATE role = IF(VALUES(role) + 0 < role + 0, "
          "VALUES(role), role), updated_at = VALUES(updated_at)");
}

/// Each organization's owner: the owner of its earliest imported async
/// tournament if that Discord user is known, else its first imported admin
/// (lowest SahasrahBot user id), else none (listed as adjusted).
void add_owners(context& c, const member_ids& ids) {
  std::map<std::int64_t, std::optional<std::int64_t>> owner;
  for (const auto& r : sql_query(
           c.e.target(), "SELECT t.organization_id, t.owner_user_id "
                         "FROM migration_tournament_map m "
                         "STRAIGHT_JOIN async_tournament t ON t.id = m.new_id "
                         "ORDER BY t.organization_id, t.created_at, m.old_id"))
    owner.emplace(std::stoll(*r[0]),
                  r[1] ? std::optional<std::int64_t>{std::stoll(*r[1])}
                       : std::nullopt);
  std::map<std::int64_t, std::int64_t> first_admin;
  for (const auto& r : sql_query(
           c.e.target(),
           "SELECT t.organization_id, p.user_id "
           "FROM migration_permission_map pm "
           "STRAIGHT_JOIN async_tournament_permission p ON p.id = pm.new_id "
           "STRAIGHT_JOIN async_tournament t ON t.id = p.tournament_id "
           "STRAIGHT_JOIN migration_user_map um ON um.new_id = p.user_id "
           "WHERE p.role = 'admin' ORDER BY t.organization_id, um.old_id"))
    first_admin.emplace(std::stoll(*r[0]), std::stoll(*r[1]));
  std::string rows;
  for (const auto& r :
       sql_query(c.e.target(), "SELECT organization_id FROM "
                               "migration_guild_org_map ORDER BY guild_id")) {
    auto org = std::stoll(*r[0]);
    std::optional<std::int64_t> user;
    if (auto o = owner.find(org); o != owner.end())
      user = o->second;
    if (auto a = first_admin.find(org); !user && a != first_admin.end())
      user = a->second;
    if (user) {
      rows += (rows.empty() ? "" : " UNION ALL ") + std::string{"SELECT "} +
              std::to_string(org) + " AS org, " + std::to_string(*user) +
              " AS user_id, 1 AS rank_";
      continue;
    }
    sql_execute(c.e.target(),
                "INSERT IGNORE INTO migration_adjusted (source_table, "
                "source_id, rule, detail) VALUES ('guilds', " +
                    std::to_string(org - ids.org) +
                    ", 'organization without an owner', 'neither the owner "
                    "of its earliest async tournament nor an admin is a "
                    "known user')");
  }
  if (!rows.empty())
    add_members(c, ids, rows);
}

std::uint64_t count(odb::mysql::connection& conn, const std::string& sql) {
  return std::stoull(sql_scalar(conn, sql).value_or("0"));
}

/// Each (tournament, user) of the imported races. They are the races with a
/// map row; when the target's races with ids in the import's range are as
/// many as the map rows, they are exactly those (every map row points into
/// the range), and the (tournament_id, user_id) index alone answers (a
/// second instead of a join of a million map rows).
std::string imported_race_people(context& c) {
  auto base = c.e.id_base("asynctournamentrace", "async_tournament_race");
  auto top = std::stoll(
      sql_scalar(c.e.source(),
                 "SELECT COALESCE(MAX(id), 0) FROM asynctournamentrace")
          .value_or("0"));
  auto range = "r.id > " + std::to_string(base) +
               " AND r.id <= " + std::to_string(base + top);
  auto in_range =
      count(c.e.target(),
            "SELECT COUNT(*) FROM async_tournament_race r WHERE " + range);
  auto mapped = count(c.e.target(), "SELECT COUNT(*) FROM migration_race_map");
  if (in_range == mapped)
    return "SELECT DISTINCT r.tournament_id, r.user_id FROM "
           "async_tournament_race r FORCE INDEX "
           "(idx_async_tournament_race_tournament_user) WHERE " +
           range;
  return "SELECT DISTINCT r.tournament_id, r.user_id "
         "FROM migration_race_map m "
         "STRAIGHT_JOIN async_tournament_race r ON r.id = m.new_id";
}

} // namespace

const char* guilds_source_sql() {
  return "SELECT ROW_NUMBER() OVER (ORDER BY guild_id) AS id, guild_id, "
         "first_tournament, first_verification FROM (SELECT guild_id, "
         "MIN(tournament) AS first_tournament, MIN(verification) AS "
         "first_verification FROM ("
         " SELECT guild_id, created AS tournament, NULL AS verification FROM "
         "asynctournament"
         " UNION ALL SELECT guild_id, NULL, created FROM racerverification"
         " UNION ALL SELECT guild_id, NULL, NULL FROM config) g GROUP BY "
         "guild_id) x";
}

copy_plan guilds_plan(context& c) {
  auto discord_guild_base =
      c.e.derived_id_base("guilds_discord_guilds", "discord_guilds");
  // Recorded now, after the users phase, for the members later phases add.
  c.e.derived_id_base("guilds_members", "organization_members");
  c.e.derived_id_base("guilds_member_stride", "users");
  copy_plan p;
  p.source_table = "guilds";
  p.source_from = guilds_source_sql();
  p.source_columns = "id, guild_id, first_tournament, first_verification";
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
  p.extra_tables = {"discord_guilds"};
  // Read here, once: the transform runs on the reader's thread, and a dry
  // run writes on the main target connection meanwhile.
  auto org_base = c.e.id_base("guilds", "organizations");
  p.transform = [&c, discord_guild_base, org_base](const source_row& row,
                                                   bool checking) {
    bool ok = true;
    as_snowflake(row[1], ok);
    if (!ok || !row[1])
      return row_result::skip("guild id '" + row[1].value_or("NULL") +
                              "' is not a Discord snowflake");
    const std::string& guild = *row[1];
    row_result r;
    auto name = organization_name(c, guild, checking, r);
    // Seed 002: created at the guild's earliest tournament.
    std::string created = row[2].value_or(row[3].value_or(no_timestamp));
    if (!row[2] && row[3])
      r.adjustments.emplace_back("guild without async tournaments: created at "
                                 "its earliest racer verification",
                                 guild);
    if (!row[2] && !row[3])
      r.adjustments.emplace_back("guild seen only in config: no creation time",
                                 guild);
    r.values = values_of(
        value::string(name),
        value::string(std::string{"Migrated from SahasrahBot"}),
        value::number(1), value::string(created), value::string(created));
    r.map_extra = {value::string(name)};
    if (checking)
      return r;
    auto rank = std::stoll(*row[0]);
    auto org_id = org_base + rank;
    r.extras.push_back(
        {"discord_guilds",
         {"id", "organization_id", "guild_id", "guild_name", "created_at",
          "updated_at"},
         {value::number(discord_guild_base + rank), value::number(org_id),
          value::raw_number(guild), value::string(name), value::string(created),
          value::string(created)}});
    return r;
  };
  p.on_mapped = [&c](std::int64_t, std::int64_t new_id, const source_row& row) {
    c.org_by_guild[std::stoll(*row[1])] = new_id;
  };
  p.on_refused = [&c](std::int64_t, const source_row& row) {
    c.org_by_guild.erase(std::stoll(*row[1]));
  };
  return p;
}

// The map tables drive the joins below (STRAIGHT_JOIN): just loaded, the
// target's statistics can make the optimizer scan a map once per row of
// the other side (10 s for 10 000 verified racers).
void derive_members(context& c, const std::string& phase) {
  auto ids = load_member_ids(c);
  c.e.in_target_transaction([&] {
    if (phase == "tournaments") {
      add_members(c, ids,
                  "SELECT t.organization_id AS org, r.user_id, 4 AS rank_ "
                  "FROM (" +
                      imported_race_people(c) +
                      ") r JOIN async_tournament t ON t.id = r.tournament_id "
                      "UNION ALL "
                      "SELECT t.organization_id, w.user_id, 4 "
                      "FROM migration_whitelist_map m "
                      "STRAIGHT_JOIN async_tournament_whitelist w "
                      "ON w.id = m.new_id "
                      "STRAIGHT_JOIN async_tournament t "
                      "ON t.id = w.tournament_id "
                      "UNION ALL "
                      "SELECT t.organization_id, p.user_id, "
                      "IF(p.role = 'admin', 2, 3) "
                      "FROM migration_permission_map m "
                      "STRAIGHT_JOIN async_tournament_permission p "
                      "ON p.id = m.new_id "
                      "STRAIGHT_JOIN async_tournament t "
                      "ON t.id = p.tournament_id "
                      "WHERE p.user_id IS NOT NULL");
      add_owners(c, ids);
    } else if (phase == "verification") {
      add_members(c, ids,
                  "SELECT rv.organization_id AS org, v.user_id, 4 AS rank_ "
                  "FROM migration_verified_racer_map m "
                  "STRAIGHT_JOIN verified_racer v ON v.id = m.new_id "
                  "STRAIGHT_JOIN racer_verification rv "
                  "ON rv.id = v.racer_verification_id");
    }
  });
}

} // namespace racecontrol::tools::import
