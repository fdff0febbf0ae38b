// How each SahasrahBot table becomes racecontrol rows (seed 002's column
// mappings) and the rules for values that do not fit. Each rule is listed
// in import_rules_text().

#include "tools/racecontrol-migrate/import/sahasrahbot_context.hpp"

#include "persistence/sql.hpp"
#include "protocol/json.hpp"

#include <algorithm>
#include <charconv>

namespace racecontrol::tools::import {

namespace {

/// Records each old -> new id of the plan's rows in `map`, so later plans
/// resolve references to the rows just imported (and forgets a row the
/// target refused).
void remember_in(copy_plan& p, id_map& map) {
  p.on_mapped = [&map](std::int64_t old_id, std::int64_t new_id,
                       const source_row&) {
    map[old_id] = new_id;
  };
  p.on_refused = [&map](std::int64_t old_id, const source_row&) {
    map.erase(old_id);
  };
}

} // namespace

using persistence::sql_query;
using persistence::sql_quote;

// --- value helpers -----------------------------------------------------------

std::optional<std::int64_t> as_int(const std::optional<std::string>& v) {
  if (!v)
    return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size())
    throw std::runtime_error("'" + v->substr(0, 40) + "' is not a number");
  return n;
}

std::optional<std::uint64_t> as_snowflake(const std::optional<std::string>& v,
                                          bool& ok) {
  ok = true;
  if (!v)
    return std::nullopt;
  auto n = as_int(v);
  if (*n <= 0) {
    ok = false;
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*n);
}

std::optional<std::int64_t> lookup(const id_map& map,
                                   const std::optional<std::string>& old_id) {
  auto id = as_int(old_id);
  if (!id)
    return std::nullopt;
  auto it = map.find(*id);
  if (it == map.end())
    return std::nullopt;
  return it->second;
}

value new_id_value(std::optional<std::int64_t> id) {
  return id ? value::number(*id) : value::null();
}

namespace {

value text(const std::optional<std::string>& v) {
  return value::string(v);
}

/// A column's text taken over from the source row (a hot plan's columns
/// that nothing reads after its transform).
value take(std::optional<std::string>& v) {
  return value::string(std::move(v));
}

value number(const std::optional<std::string>& v) {
  return value::raw_number(v);
}

/// A snowflake column, or a skip when it is malformed.
std::optional<row_result> snowflake_problem(const source_row& row,
                                            std::size_t i, const char* column) {
  bool ok = true;
  as_snowflake(row[i], ok);
  if (!ok)
    return row_result::skip(std::string{column} + " '" + row[i].value_or("") +
                            "' is not a Discord snowflake");
  return std::nullopt;
}

value flag(const std::optional<std::string>& v, bool fallback) {
  if (!v)
    return value::number(fallback ? 1 : 0);
  return value::number(*as_int(v) != 0 ? 1 : 0);
}

bool one_of(const std::optional<std::string>& v,
            std::initializer_list<const char*> allowed) {
  return v && std::any_of(allowed.begin(), allowed.end(), [&](const char* a) {
           return *v == a;
         });
}

/// `v` if it is one of `known`; otherwise 'unknown' (the row is kept), with
/// the original value listed as adjusted.
std::optional<std::string>
known_or_unknown(const std::optional<std::string>& v,
                 std::initializer_list<const char*> known,
                 const std::string& what, row_result& r) {
  if (one_of(v, known))
    return v;
  r.adjustments.emplace_back("unknown " + what + " imported as 'unknown'",
                             "was " + (v ? "'" + *v + "'" : "NULL"));
  return std::string{"unknown"};
}

void load_map(context& c, id_map& into, const char* table) {
  into = c.e.load_map(table);
}

} // namespace

// --- users -------------------------------------------------------------

void load_user_lookups(context& c) {
  load_map(c, c.users, "migration_user_map");
  c.user_by_discord.clear();
  c.racetime_ids.clear();
  for (const auto& r : sql_query(c.e.target(), "SELECT id, discord_id, "
                                               "racetime_id FROM users")) {
    if (r[1])
      c.user_by_discord[std::stoull(*r[1])] = std::stoll(*r[0]);
    if (r[2])
      c.racetime_ids.insert(c.keys.key(*r[2]));
  }
}

copy_plan users_plan(context& c) {
  copy_plan p;
  p.source_table = "users";
  p.source_columns = "id, discord_user_id, twitch_name, display_name, created, "
                     "updated, rtgg_id, rtgg_access_token, test_user";
  p.target_table = "users";
  p.target_columns = {"discord_id",
                      "discord_username",
                      "display_name",
                      "twitch_name",
                      "racetime_id",
                      "racetime_name",
                      "racetime_access_token",
                      "racetime_refresh_token",
                      "racetime_token_expires_at",
                      "is_active",
                      "is_test_user",
                      "created_at",
                      "updated_at"};
  p.map_table = "migration_user_map";
  p.map_extra_columns = {"discord_user_id"};
  p.transform = [&c](const source_row& row, bool checking) {
    if (auto bad = snowflake_problem(row, 1, "discord_user_id"))
      return *bad;
    row_result r;
    bool ok = true;
    auto discord = as_snowflake(row[1], ok);
    if (discord && !checking) {
      auto existing = c.user_by_discord.find(*discord);
      if (existing != c.user_by_discord.end()) {
        // The natural key: the person already has a racecontrol account.
        r.what = row_result::kind::map_existing;
        r.existing_id = existing->second;
        r.map_extra = {number(row[1])};
        r.adjustments.emplace_back("matched an existing user by Discord id",
                                   "user " + std::to_string(existing->second));
        return r;
      }
    }
    auto racetime_id = row[6];
    auto token = row[7];
    // Unique in racecontrol under its collation (not only byte for byte).
    std::string racetime_key = racetime_id ? c.keys.key(*racetime_id) : "";
    if (racetime_id && !checking && c.racetime_ids.count(racetime_key)) {
      r.adjustments.emplace_back("racetime account linked to another user: "
                                 "imported without the link",
                                 *racetime_id);
      racetime_id.reset();
      token.reset();
    }
    if (checking)
      r.not_comparable = {4, 6}; // racetime_id, its token
    else if (token)
      token = c.options.secrets.seal_or_throw(*token); // never at rest in clear
    if (row[8] && *row[8] != "0")
      r.adjustments.emplace_back("test_user imported with is_test_user = 1",
                                 "");
    r.values =
        values_of(number(row[1]), value::null(), text(row[3]), text(row[2]),
                  text(racetime_id), value::null(), text(token), value::null(),
                  value::null(), value::number(1), flag(row[8], false),
                  text(row[4]), text(row[5]));
    r.map_extra = {number(row[1])};
    if (!checking && racetime_id)
      c.racetime_ids.insert(racetime_key);
    return r;
  };
  p.on_mapped = [&c](std::int64_t old_id, std::int64_t new_id,
                     const source_row& row) {
    c.users[old_id] = new_id;
    bool ok = true;
    if (auto discord = as_snowflake(row[1], ok))
      c.user_by_discord[*discord] = new_id;
  };
  p.on_refused = [&c](std::int64_t old_id, const source_row& row) {
    c.users.erase(old_id);
    bool ok = true;
    if (auto discord = as_snowflake(row[1], ok))
      c.user_by_discord.erase(*discord);
  };
  return p;
}

// --- tournaments -----------------------------------------------------------

namespace {

copy_plan async_tournament_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournament";
  p.source_columns = "id, name, guild_id, channel_id, report_channel_id, "
                     "created, updated, active, owner_id, allowed_reattempts, "
                     "customization, runs_per_pool";
  p.target_table = "async_tournament";
  p.target_columns = {"organization_id",    "name",
                      "discord_channel_id", "report_channel_id",
                      "owner_discord_id",   "owner_user_id",
                      "is_active",          "allowed_reattempts",
                      "runs_per_pool",      "customization",
                      "created_at",         "updated_at"};
  p.map_table = "migration_tournament_map";
  p.map_extra_columns = {"old_guild_id", "new_organization_id"};
  p.transform = [&c](const source_row& row, bool) {
    for (auto [i, name] : {std::pair<std::size_t, const char*>{2, "guild_id"},
                           {3, "channel_id"},
                           {4, "report_channel_id"},
                           {8, "owner_id"}})
      if (auto bad = snowflake_problem(row, i, name))
        return *bad;
    auto guild = as_int(row[2]);
    auto org = guild ? c.org_by_guild.find(*guild) : c.org_by_guild.end();
    if (org == c.org_by_guild.end())
      return row_result::skip("guild " + row[2].value_or("NULL") +
                              " has no organization (orgs phase skipped it)");
    row_result r;
    bool ok = true;
    std::optional<std::int64_t> owner;
    if (auto discord = as_snowflake(row[8], ok)) {
      auto it = c.user_by_discord.find(*discord);
      if (it != c.user_by_discord.end())
        owner = it->second;
    }
    value reattempts = number(row[9]);
    if (!row[9]) {
      reattempts = value::number(0);
      r.adjustments.emplace_back("allowed_reattempts NULL imported as 0", "");
    }
    r.values = values_of(
        value::number(org->second), text(row[1]), number(row[3]),
        number(row[4]), number(row[8]), new_id_value(owner), flag(row[7], true),
        reattempts, row[11] ? number(row[11]) : value::number(1),
        text(row[10] ? row[10] : std::optional<std::string>{"default"}),
        text(row[5]), text(row[6]));
    r.map_extra = {number(row[2]), value::number(org->second)};
    return r;
  };
  p.on_mapped = [&c](std::int64_t old_id, std::int64_t new_id,
                     const source_row& row) {
    c.tournaments[old_id] = new_id;
    c.org_of_tournament[new_id] = c.org_by_guild.at(*as_int(row[2]));
  };
  p.on_refused = [&c](std::int64_t old_id, const source_row&) {
    c.tournaments.erase(old_id);
  };
  return p;
}

copy_plan pool_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentpermalinkpool";
  p.source_columns = "id, tournament_id, name, preset, created, updated";
  p.target_table = "async_tournament_permalink_pool";
  p.target_columns = {"tournament_id", "name", "preset", "created_at",
                      "updated_at"};
  p.map_table = "migration_pool_map";
  p.transform = [&c](const source_row& row, bool) {
    auto t = lookup(c.tournaments, row[1]);
    if (!t)
      return row_result::skip("tournament " + row[1].value_or("NULL") +
                              " was not imported");
    row_result r;
    r.values = values_of(value::number(*t), text(row[2]), text(row[3]),
                         text(row[4]), text(row[5]));
    return r;
  };
  remember_in(p, c.pools);
  return p;
}

copy_plan permalink_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentpermalink";
  p.source_columns = "id, pool_id, url, notes, live_race, par_time, "
                     "par_updated_at, created, updated";
  p.target_table = "async_tournament_permalink";
  p.target_columns = {"pool_id",    "url",       "notes",
                      "live_race",  "par_time",  "par_updated_at",
                      "created_at", "updated_at"};
  p.map_table = "migration_permalink_map";
  p.transform = [&c](const source_row& row, bool) {
    auto pool = lookup(c.pools, row[1]);
    if (!pool)
      return row_result::skip("pool " + row[1].value_or("NULL") +
                              " was not imported");
    row_result r;
    if (!row[2])
      r.adjustments.emplace_back("permalink url missing in the source: kept "
                                 "NULL",
                                 "");
    r.values = values_of(value::number(*pool), text(row[2]), text(row[3]),
                         flag(row[4], false), number(row[5]), text(row[6]),
                         text(row[7]), text(row[8]));
    return r;
  };
  remember_in(p, c.permalinks);
  return p;
}

copy_plan live_race_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentliverace";
  p.source_columns = "id, tournament_id, pool_id, permalink_id, racetime_slug, "
                     "episode_id, match_title, status, created, updated";
  p.target_table = "async_tournament_live_race";
  p.target_columns = {"tournament_id", "pool_id",    "permalink_id",
                      "racetime_slug", "episode_id", "match_title",
                      "status",        "created_at", "updated_at"};
  p.map_table = "migration_live_race_map";
  p.transform = [&c](const source_row& row, bool) {
    auto t = lookup(c.tournaments, row[1]);
    auto pool = lookup(c.pools, row[2]);
    if (!t || !pool)
      return row_result::skip("tournament " + row[1].value_or("NULL") +
                              " or pool " + row[2].value_or("NULL") +
                              " was not imported");
    row_result r;
    auto status = known_or_unknown(
        row[7],
        {"scheduled", "pending", "in_progress", "finished", "cancelled"},
        "live race status", r);
    auto permalink = lookup(c.permalinks, row[3]);
    if (row[3] && !permalink)
      r.adjustments.emplace_back("permalink not imported: live race kept "
                                 "without it",
                                 *row[3]);
    r.values =
        values_of(value::number(*t), value::number(*pool),
                  new_id_value(permalink), text(row[4]), number(row[5]),
                  text(row[6]), text(status), text(row[8]), text(row[9]));
    return r;
  };
  remember_in(p, c.live_races);
  return p;
}

copy_plan race_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentrace";
  p.source_columns =
      "id, tournament_id, permalink_id, user_id, live_race_id, thread_id, "
      "thread_open_time, thread_timeout_time, start_time, end_time, status, "
      "review_status, reviewed_by_id, reviewed_at, reviewer_notes, "
      "runner_notes, runner_vod_url, run_collection_rate, run_igt, "
      "reattempted, "
      "reattempt_reason, score, score_updated_at, created, updated";
  p.target_table = "async_tournament_race";
  p.target_columns = {"tournament_id",
                      "permalink_id",
                      "user_id",
                      "live_race_id",
                      "thread_id",
                      "thread_opened_at",
                      "thread_timeout_at",
                      "started_at",
                      "finished_at",
                      "status",
                      "review_status",
                      "reviewed_by_id",
                      "reviewed_at",
                      "reviewer_notes",
                      "runner_notes",
                      "vod_url",
                      "collection_rate",
                      "igt_time",
                      "reattempted",
                      "reattempt_reason",
                      "score",
                      "score_updated_at",
                      "created_at",
                      "updated_at"};
  p.map_table = "migration_race_map";
  p.transform = [&c](source_row& row, bool) {
    auto t = lookup(c.tournaments, row[1]);
    if (!t)
      return row_result::skip("tournament " + row[1].value_or("NULL") +
                              " was not imported");
    auto permalink = lookup(c.permalinks, row[2]);
    if (!permalink)
      return row_result::skip("permalink " + row[2].value_or("NULL") +
                              " does not exist or was not imported");
    auto user = lookup(c.users, row[3]);
    if (!user)
      return row_result::skip("user " + row[3].value_or("NULL") +
                              " does not exist or was not imported");
    if (auto bad = snowflake_problem(row, 5, "thread_id"))
      return *bad;
    row_result r;
    auto status = known_or_unknown(
        row[10],
        {"pending", "in_progress", "finished", "forfeit", "disqualified"},
        "race status", r);
    auto review = row[11];
    if (review && *review == "accepted") {
      review = "approved";
      r.adjustments.emplace_back("review_status 'accepted' imported as "
                                 "'approved'",
                                 "");
    }
    review = known_or_unknown(review, {"pending", "approved", "rejected"},
                              "review status", r);
    auto reviewer = lookup(c.users, row[12]);
    if (row[12] && !reviewer)
      r.adjustments.emplace_back("reviewer not imported: reviewed_by kept "
                                 "empty",
                                 *row[12]);
    auto live = lookup(c.live_races, row[4]);
    if (row[4] && !live)
      r.adjustments.emplace_back("live race not imported: race kept without "
                                 "it",
                                 *row[4]);
    value reattempted = flag(row[19], false);
    if (!row[19])
      r.adjustments.emplace_back("reattempted NULL imported as 0", "");
    r.values = values_of(
        value::number(*t), value::number(*permalink), value::number(*user),
        new_id_value(live), number(row[5]), take(row[6]), take(row[7]),
        take(row[8]), take(row[9]), text(status), text(review),
        new_id_value(reviewer), take(row[13]), take(row[14]), take(row[15]),
        take(row[16]), take(row[17]), take(row[18]), reattempted, take(row[20]),
        number(row[21]), take(row[22]), take(row[23]), take(row[24]));
    return r;
  };
  remember_in(p, c.races);
  return p;
}

copy_plan permission_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentpermissions";
  p.source_columns = "id, tournament_id, user_id, discord_role_id, role, "
                     "created, updated";
  p.target_table = "async_tournament_permission";
  p.target_columns = {"tournament_id", "user_id",    "discord_role_id",
                      "role",          "created_at", "updated_at"};
  p.map_table = "migration_permission_map";
  p.transform = [&c](const source_row& row, bool) {
    auto t = lookup(c.tournaments, row[1]);
    if (!t)
      return row_result::skip("tournament " + row[1].value_or("NULL") +
                              " was not imported");
    auto user = lookup(c.users, row[2]);
    if (row[2] && !user && !row[3])
      return row_result::skip("user " + *row[2] +
                              " does not exist or was not imported, and the "
                              "row names no Discord role");
    if (!row[2] && !row[3])
      return row_result::skip("neither a user nor a Discord role");
    if (auto bad = snowflake_problem(row, 3, "discord_role_id"))
      return *bad;
    if (!one_of(row[4], {"admin", "mod"}))
      return row_result::skip("unknown permission role '" +
                              row[4].value_or("NULL") + "'");
    row_result r;
    // A grant to a Discord role stays one when its user is gone.
    if (row[2] && !user)
      r.adjustments.emplace_back("user not imported: role grant kept without "
                                 "the user",
                                 *row[2]);
    r.values = values_of(value::number(*t), new_id_value(user), number(row[3]),
                         text(row[4]), text(row[5]), text(row[6]));
    return r;
  };
  return p;
}

copy_plan whitelist_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentwhitelist";
  p.source_columns = "id, tournament_id, user_id, discord_user_id, created, "
                     "updated";
  p.target_table = "async_tournament_whitelist";
  p.target_columns = {"tournament_id", "user_id", "discord_user_id",
                      "created_at", "updated_at"};
  p.map_table = "migration_whitelist_map";
  p.transform = [&c](const source_row& row, bool) {
    auto t = lookup(c.tournaments, row[1]);
    auto user = lookup(c.users, row[2]);
    if (!t || !user)
      return row_result::skip("tournament " + row[1].value_or("NULL") +
                              " or user " + row[2].value_or("NULL") +
                              " was not imported");
    if (auto bad = snowflake_problem(row, 3, "discord_user_id"))
      return *bad;
    row_result r;
    r.values = values_of(value::number(*t), value::number(*user),
                         number(row[3]), text(row[4]), text(row[5]));
    return r;
  };
  return p;
}

copy_plan audit_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentauditlog";
  p.source_columns = "id, tournament_id, user_id, action, details, created, "
                     "updated";
  p.target_table = "audit_log";
  p.target_columns = {"organization_id", "user_id", "action",    "entity_type",
                      "entity_id",       "details", "created_at"};
  p.map_table = "migration_audit_log_map";
  p.transform = [&c](const source_row& row, bool) {
    auto t = lookup(c.tournaments, row[1]);
    if (!t)
      return row_result::skip("tournament " + row[1].value_or("NULL") +
                              " was not imported");
    row_result r;
    auto user = lookup(c.users, row[2]);
    if (row[2] && !user)
      r.adjustments.emplace_back("user not imported: audit entry kept without "
                                 "it",
                                 *row[2]);
    // The free-text details and the source's `updated` travel in the JSON.
    rapidjson::StringBuffer buffer;
    protocol::json_writer w(buffer);
    w.StartObject();
    protocol::write_optional_string(w, "text", row[4]);
    protocol::write_string(w, "source", "sahasrahbot");
    protocol::write_optional_string(w, "source_updated_at", row[6]);
    w.EndObject();
    r.values = values_of(
        value::number(c.org_of_tournament.at(*t)), new_id_value(user),
        value::string("async_tournament." + row[3].value_or("")),
        value::string(std::string{"async_tournament"}), value::number(*t),
        value::string(std::string{buffer.GetString()}), text(row[5]));
    return r;
  };
  return p;
}

copy_plan review_note_plan(context& c) {
  copy_plan p;
  p.source_table = "asynctournamentreviewnotes";
  p.source_columns = "id, race_id, author_id, note, created";
  p.target_table = "race_review_notes";
  p.target_columns = {"race_id", "author_id", "note", "created_at"};
  p.map_table = "migration_review_note_map";
  p.transform = [&c](const source_row& row, bool) {
    auto race = lookup(c.races, row[1]);
    if (!race)
      return row_result::skip("race " + row[1].value_or("NULL") +
                              " does not exist or was not imported");
    row_result r;
    auto author = lookup(c.users, row[2]);
    if (row[2] && !author)
      r.adjustments.emplace_back("author not imported: note kept without it",
                                 *row[2]);
    r.values = values_of(value::number(*race), new_id_value(author),
                         text(row[3]), text(row[4]));
    return r;
  };
  return p;
}

} // namespace

std::vector<copy_plan> tournament_plans(context& c) {
  return {async_tournament_plan(c), pool_plan(c),  permalink_plan(c),
          live_race_plan(c),        race_plan(c),  permission_plan(c),
          whitelist_plan(c),        audit_plan(c), review_note_plan(c)};
}

// --- racer verification ---------------------------------------------------

namespace {

/// racer_verification_category.category holds 50 characters.
constexpr std::size_t max_category = 50;
/// Category ids are verification_base + old id * 1000 + 1..999.
constexpr std::size_t max_categories = 999;

/// "ALTTPR,alttpr,\tsmz3\t,,\r\n" -> alttpr, smz3. racetime.gg category
/// slugs are lower case: ASCII letters are lower-cased, whitespace of any
/// kind trimmed, blanks dropped, each cut to 50 characters, and one equal
/// to an earlier one under the column's collation dropped. Every change but
/// trimming is listed as adjusted.
std::vector<std::string> split_categories(context& c, const std::string& list,
                                          row_result& r) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  std::string lowered, cut, repeated, dropped;
  auto note = [](std::string& into, const std::string& what) {
    into += (into.empty() ? "" : ", ") + what;
  };
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    auto piece = trim_whitespace(std::string_view{list}.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    start = comma == std::string::npos ? list.size() + 1 : comma + 1;
    if (piece.empty())
      continue;
    auto name = ascii_lower(piece);
    if (name != piece)
      note(lowered, "'" + std::string{piece} + "'");
    if (utf8_length(name) > max_category) {
      name = std::string{trim_whitespace(utf8_prefix(name, max_category))};
      note(cut, "'" + name + "'");
    }
    if (!seen.insert(c.keys.key(name)).second) {
      note(repeated, "'" + std::string{piece} + "'");
      continue;
    }
    if (out.size() == max_categories) {
      note(dropped, "'" + name + "'");
      continue;
    }
    out.push_back(std::move(name));
  }
  if (!lowered.empty())
    r.adjustments.emplace_back("racetime category lower-cased", lowered);
  if (!cut.empty())
    r.adjustments.emplace_back("racetime category cut to 50 characters", cut);
  if (!repeated.empty())
    r.adjustments.emplace_back(
        "racetime category repeated (equal under the target's collation): "
        "dropped",
        repeated);
  if (!dropped.empty())
    r.adjustments.emplace_back("more than 999 racetime categories: the rest "
                               "dropped",
                               dropped);
  return out;
}

} // namespace

std::vector<copy_plan> verification_plans(context& c) {
  auto category_base = c.e.derived_id_base("racerverification_categories",
                                           "racer_verification_category");
  auto verification_base =
      c.e.id_base("racerverification", "racer_verification");
  copy_plan v;
  v.source_table = "racerverification";
  v.source_columns =
      "id, guild_id, role_id, message_id, channel_id, "
      "audit_channel_id, racetime_categories, "
      "use_alttpr_ladder, minimum_races, time_period_days, "
      "reverify_period_days, revoke_ineligible, created, updated";
  v.target_table = "racer_verification";
  v.target_columns = {"organization_id",   "guild_id",
                      "role_id",           "message_id",
                      "channel_id",        "audit_channel_id",
                      "use_alttpr_ladder", "minimum_races",
                      "time_period_days",  "reverify_period_days",
                      "revoke_ineligible", "created_at",
                      "updated_at"};
  v.map_table = "migration_verification_map";
  v.extra_tables = {"racer_verification_category"};
  v.transform = [&c, category_base, verification_base](const source_row& row,
                                                       bool) {
    for (auto [i, name] : {std::pair<std::size_t, const char*>{1, "guild_id"},
                           {2, "role_id"},
                           {3, "message_id"},
                           {4, "channel_id"},
                           {5, "audit_channel_id"}})
      if (auto bad = snowflake_problem(row, i, name))
        return *bad;
    auto org = c.org_by_guild.find(*as_int(row[1]));
    if (org == c.org_by_guild.end())
      return row_result::skip("guild " + *row[1] + " has no organization");
    row_result r;
    r.values = values_of(value::number(org->second), number(row[1]),
                         number(row[2]), number(row[3]), number(row[4]),
                         number(row[5]), flag(row[7], false), number(row[8]),
                         number(row[9]), number(row[10]), flag(row[11], false),
                         text(row[12]), text(row[13]));
    if (!row[6])
      r.adjustments.emplace_back("racetime_categories NULL: no categories", "");
    auto categories = split_categories(c, row[6].value_or(""), r);
    auto old_id = *as_int(row[0]);
    for (std::size_t k = 0; k < categories.size(); ++k)
      r.extras.push_back({"racer_verification_category",
                          {"id", "racer_verification_id", "category"},
                          {value::number(category_base + old_id * 1000 +
                                         static_cast<std::int64_t>(k) + 1),
                           value::number(verification_base + old_id),
                           value::string(categories[k])}});
    return r;
  };
  remember_in(v, c.verifications);

  copy_plan racer;
  racer.source_table = "verifiedracer";
  racer.source_columns = "id, racer_verification_id, user_id, estimated_count, "
                         "created, last_verified";
  racer.target_table = "verified_racer";
  racer.target_columns = {"racer_verification_id", "user_id", "race_count",
                          "created_at", "last_verified_at"};
  racer.map_table = "migration_verified_racer_map";
  racer.transform = [&c](const source_row& row, bool checking) {
    auto verification = lookup(c.verifications, row[1]);
    auto user = lookup(c.users, row[2]);
    if (!verification || !user)
      return row_result::skip("verification " + row[1].value_or("NULL") +
                              " or user " + row[2].value_or("NULL") +
                              " does not exist or was not imported");
    if (!checking && !c.verified_pairs.insert({*verification, *user}).second)
      return row_result::skip("duplicate: the same user is already verified "
                              "by this verification (the first row by id is "
                              "kept)");
    row_result r;
    r.values = values_of(value::number(*verification), value::number(*user),
                         number(row[3]), text(row[4]), text(row[5]));
    return r;
  };
  return {v, racer};
}

// --- presets
// ------------------------------------------------------------------

namespace {
/// For rows whose source table has no timestamps and no preset to borrow one.
constexpr const char* no_timestamp = "2000-01-01 00:00:00.000000";
} // namespace

std::vector<copy_plan> preset_plans(context& c) {
  copy_plan ns;
  ns.source_table = "presetnamespaces";
  // The namespace table has no timestamps; its first preset's is used.
  ns.source_from = "SELECT n.id, n.name, n.discord_user_id, (SELECT "
                   "MIN(p.modified) FROM presets p WHERE p.namespace_id = "
                   "n.id) AS first_preset FROM presetnamespaces n";
  ns.source_columns = "id, name, discord_user_id, first_preset";
  ns.target_table = "preset_namespace";
  ns.target_columns = {"name",      "owner_discord_id", "user_id",
                       "is_public", "created_at",       "updated_at"};
  ns.map_table = "migration_namespace_map";
  ns.transform = [&c](const source_row& row, bool checking) {
    if (auto bad = snowflake_problem(row, 2, "discord_user_id"))
      return *bad;
    row_result r;
    std::string name = row[1].value_or("");
    if (!row[1]) {
      name = "user-" + row[2].value_or(row[0].value_or(""));
      r.adjustments.emplace_back("namespace name NULL: named user-<discord id>",
                                 name);
    }
    // Unique in racecontrol under its collation ('NS1' is 'ns1' there).
    if (!checking && c.namespace_names.count(c.keys.key(name))) {
      name += "-" + *row[0];
      r.adjustments.emplace_back("namespace name taken: id appended", name);
    }
    if (!checking)
      c.namespace_names.insert(c.keys.key(name));
    else
      r.not_comparable = {0}; // the name, made unique at import
    bool ok = true;
    std::optional<std::int64_t> owner;
    if (auto discord = as_snowflake(row[2], ok)) {
      auto it = c.user_by_discord.find(*discord);
      if (it != c.user_by_discord.end())
        owner = it->second;
    }
    std::string created = row[3].value_or(no_timestamp);
    r.values = values_of(value::string(name), number(row[2]),
                         new_id_value(owner), value::number(1),
                         value::string(created), value::string(created));
    return r;
  };
  ns.on_mapped = [&c](std::int64_t o, std::int64_t n, const source_row& row) {
    c.namespaces[o] = n;
    c.namespace_created[o] = row[3].value_or(no_timestamp);
  };
  ns.on_refused = [&c](std::int64_t o, const source_row&) {
    c.namespaces.erase(o);
  };

  copy_plan collaborator;
  collaborator.source_table = "presetnamespacecollaborators";
  collaborator.source_from = "SELECT c.id, c.namespace_id, c.discord_user_id, "
                             "(SELECT MIN(p.modified) FROM presets p WHERE "
                             "p.namespace_id = c.namespace_id) AS first_preset "
                             "FROM presetnamespacecollaborators c";
  collaborator.source_columns =
      "id, namespace_id, discord_user_id, first_preset";
  collaborator.target_table = "preset_namespace_permission";
  collaborator.target_columns = {
      "namespace_id", "discord_user_id", "user_id",   "can_create",
      "can_update",   "can_delete",      "created_at"};
  collaborator.map_table = "migration_collaborator_map";
  collaborator.transform = [&c](const source_row& row, bool) {
    auto namespace_id = lookup(c.namespaces, row[1]);
    if (!namespace_id)
      return row_result::skip("namespace " + row[1].value_or("NULL") +
                              " was not imported");
    if (auto bad = snowflake_problem(row, 2, "discord_user_id"))
      return *bad;
    bool ok = true;
    std::optional<std::int64_t> user;
    if (auto discord = as_snowflake(row[2], ok)) {
      auto it = c.user_by_discord.find(*discord);
      if (it != c.user_by_discord.end())
        user = it->second;
    }
    row_result r;
    r.values = values_of(value::number(*namespace_id), number(row[2]),
                         new_id_value(user), value::number(1), value::number(1),
                         value::number(1),
                         value::string(row[3].value_or(no_timestamp)));
    return r;
  };

  copy_plan preset;
  preset.source_table = "presets";
  preset.source_columns = "id, namespace_id, randomizer, preset_name, content, "
                          "generated_count, modified";
  preset.target_table = "randomizer_preset";
  preset.target_columns = {"namespace_id", "randomizer",      "name",
                           "content",      "generated_count", "created_at",
                           "updated_at"};
  preset.map_table = "migration_preset_map";
  preset.transform = [&c](const source_row& row, bool) {
    auto namespace_id = lookup(c.namespaces, row[1]);
    if (!namespace_id)
      return row_result::skip("namespace " + row[1].value_or("NULL") +
                              " was not imported");
    row_result r;
    r.values =
        values_of(value::number(*namespace_id), text(row[2]), text(row[3]),
                  text(row[4]), number(row[5]), text(row[6]), text(row[6]));
    return r;
  };
  return {ns, collaborator, preset};
}

// --- orphan checks -------------------------------------------------------

std::vector<reference> phase_references(const std::string& phase) {
  if (phase == "orgs")
    return {{"discord_guilds", "organization_id", "organizations"}};
  if (phase == "tournaments")
    return {
        {"organization_members", "organization_id", "organizations"},
        {"organization_members", "user_id", "users"},
        {"async_tournament", "organization_id", "organizations"},
        {"async_tournament", "owner_user_id", "users"},
        {"async_tournament_permalink_pool", "tournament_id",
         "async_tournament"},
        {"async_tournament_permalink", "pool_id",
         "async_tournament_permalink_pool"},
        {"async_tournament_live_race", "tournament_id", "async_tournament"},
        {"async_tournament_live_race", "pool_id",
         "async_tournament_permalink_pool"},
        {"async_tournament_live_race", "permalink_id",
         "async_tournament_permalink"},
        {"async_tournament_race", "tournament_id", "async_tournament"},
        {"async_tournament_race", "permalink_id", "async_tournament_permalink"},
        {"async_tournament_race", "user_id", "users"},
        {"async_tournament_race", "live_race_id", "async_tournament_live_race"},
        {"async_tournament_race", "reviewed_by_id", "users"},
        {"async_tournament_permission", "tournament_id", "async_tournament"},
        {"async_tournament_permission", "user_id", "users"},
        {"async_tournament_whitelist", "tournament_id", "async_tournament"},
        {"async_tournament_whitelist", "user_id", "users"},
        {"audit_log", "organization_id", "organizations"},
        {"audit_log", "user_id", "users"},
        {"race_review_notes", "race_id", "async_tournament_race"},
        {"race_review_notes", "author_id", "users"}};
  if (phase == "verification")
    return {{"organization_members", "organization_id", "organizations"},
            {"organization_members", "user_id", "users"},
            {"racer_verification", "organization_id", "organizations"},
            {"racer_verification_category", "racer_verification_id",
             "racer_verification"},
            {"verified_racer", "racer_verification_id", "racer_verification"},
            {"verified_racer", "user_id", "users"}};
  if (phase == "presets")
    return {{"preset_namespace", "user_id", "users"},
            {"preset_namespace_permission", "namespace_id", "preset_namespace"},
            {"preset_namespace_permission", "user_id", "users"},
            {"randomizer_preset", "namespace_id", "preset_namespace"}};
  return {};
}

} // namespace racecontrol::tools::import
