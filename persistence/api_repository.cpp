#include "persistence/api_repository.hpp"

#include "persistence/room_watch_repository.hpp"

#include "persistence/api_token_repository.hpp"
#include "persistence/audit_repository.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <algorithm>

namespace racecontrol::persistence {

namespace {

using odb::mysql::connection;

/// "upcoming" matches include those scheduled up to this long ago: a race
/// that started late is still what an organizer looks for.
constexpr auto upcoming_slack = std::chrono::hours{1};

std::string id_text(std::int32_t id) {
  return std::to_string(id);
}

std::string page_sql(const std::string& id_column, const api_page& page) {
  return " AND " + id_column + " > " + id_text(page.after_id) + " ORDER BY " +
         id_column + " LIMIT " + id_text(std::clamp(page.limit, 1, 1000));
}

bool flag(const sql_value& v) {
  return v.value_or("0") != "0";
}

std::string csv(const std::vector<std::int32_t>& ids) {
  std::string out;
  for (auto id : ids)
    out += (out.empty() ? "" : ", ") + id_text(id);
  return out;
}

// --- reading ---------------------------------------------------------------

std::string room_select() {
  return "SELECT r.id, t.organization_id, r.slug, r.category, "
         "COALESCE(r.status, ''), r.claim_state, "
         "COALESCE(r.status_message, ''), r.match_id, r.bot_id, " +
         sql_epoch_us("r.created_at") +
         ", r.parked_at IS NOT NULL, COALESCE(r.requested_by, '') "
         // A room that gave its match up (racetime.gg cancelled it, the
         // match has a new room) stays the organization's.
         "FROM racetime_rooms r LEFT JOIN matches m ON m.id = "
         "COALESCE(r.match_id, r.released_match_id) "
         "LEFT JOIN tournaments t ON t.id = m.tournament_id WHERE ";
}

room_view read_room(connection& conn, const sql_row& row) {
  room_view r;
  r.id = sql_int(row[0]).value_or(0);
  r.organization_id = sql_int(row[1]);
  r.slug = row[2];
  r.category = row[3].value_or("");
  r.status = row[4].value_or("");
  r.claim_state = row[5].value_or("");
  r.status_message = row[6].value_or("");
  r.match_id = sql_int(row[7]);
  r.bot_id = sql_int(row[8]);
  r.created_at = sql_timestamp(row[9]);
  r.parked = flag(row[10]);
  r.requested_by = row[11].value_or("");
  if (r.match_id)
    r.results = load_match_players(conn, *r.match_id);
  return r;
}

std::vector<room_view> query_rooms(connection& conn, const std::string& where) {
  std::vector<room_view> out;
  for (const auto& row : sql_query(conn, room_select() + where))
    out.push_back(read_room(conn, row));
  return out;
}

std::string match_select() {
  return "SELECT m.id, m.tournament_id, t.organization_id, "
         "COALESCE(m.title, ''), " +
         sql_epoch_us("m.scheduled_at") + ", " + sql_epoch_us("m.started_at") +
         ", " + sql_epoch_us("m.finished_at") +
         ", m.racetime_goal, m.racetime_invitational, "
         "m.racetime_auto_create, m.room_reason, m.room_reason_message "
         "FROM matches m JOIN tournaments t ON t.id = m.tournament_id WHERE ";
}

match_view read_match(connection& conn, const sql_row& row) {
  match_view m;
  m.id = sql_int(row[0]).value_or(0);
  m.tournament_id = sql_int(row[1]).value_or(0);
  m.organization_id = sql_int(row[2]).value_or(0);
  m.title = row[3].value_or("");
  m.scheduled_at = sql_timestamp(row[4]);
  m.started_at = sql_timestamp(row[5]);
  m.finished_at = sql_timestamp(row[6]);
  m.goal = row[7];
  m.invitational = flag(row[8]);
  m.auto_create = flag(row[9]);
  m.reason_code = row[10];
  m.reason_message = row[11];
  m.players = load_match_players(conn, m.id);
  auto rooms = query_rooms(conn, "r.match_id = " + id_text(m.id));
  if (!rooms.empty())
    m.room = std::move(rooms.front());
  return m;
}

std::vector<match_view> query_matches(connection& conn,
                                      const std::string& where) {
  std::vector<match_view> out;
  for (const auto& row : sql_query(conn, match_select() + where))
    out.push_back(read_match(conn, row));
  return out;
}

std::string match_where(const match_query& q) {
  if (q.id)
    return "m.id = " + id_text(*q.id);
  auto where = "t.organization_id = " + id_text(q.organization_id);
  if (q.tournament_id)
    where += " AND m.tournament_id = " + id_text(*q.tournament_id);
  if (q.upcoming)
    where += " AND m.finished_at IS NULL AND m.scheduled_at >= " +
             sql_quote(now_us() - upcoming_slack);
  return where + page_sql("m.id", q.page);
}

// --- writing matches -------------------------------------------------------

/// What a write needs to know of the match or tournament it touches.
struct write_target {
  std::int32_t tournament_id = 0;
  std::int32_t organization_id = 0;
  bool require_link = false;
  bool scheduled = false; ///< the match has a time now (updates)
};

std::variant<write_target, api_refusal> find_target(connection& conn,
                                                    const match_write& w) {
  std::vector<sql_row> rows;
  if (w.match_id)
    rows = sql_query(conn, "SELECT m.tournament_id, t.organization_id, "
                           "t.require_racetime_link, m.scheduled_at IS NOT "
                           "NULL FROM matches m JOIN tournaments t ON t.id = "
                           "m.tournament_id WHERE m.id = " +
                               id_text(*w.match_id) + " FOR UPDATE");
  else
    rows = sql_query(conn, "SELECT id, organization_id, "
                           "require_racetime_link, 0 FROM tournaments "
                           "WHERE id = " +
                               id_text(w.tournament_id.value_or(0)) +
                               " LOCK IN SHARE MODE");
  auto what = w.match_id ? "match " + id_text(*w.match_id)
                         : "tournament " + id_text(w.tournament_id.value_or(0));
  if (rows.empty())
    return api_refusal{w.match_id ? "not_found" : "unknown_tournament",
                       "there is no " + what,
                       w.match_id ? "" : "tournament_id"};
  write_target t{sql_int(rows[0][0]).value_or(0),
                 sql_int(rows[0][1]).value_or(0), flag(rows[0][2]),
                 flag(rows[0][3])};
  if (t.organization_id != w.organization_id)
    return api_refusal{"forbidden",
                       what + " belongs to another organization than this "
                              "token's; use a token of that organization",
                       w.match_id ? "" : "tournament_id"};
  return t;
}

std::vector<std::int32_t> unique_ids(std::vector<std::int32_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

/// Players must belong to the match's organization: members, or players
/// of its matches already (the organizers' own web app and the import add
/// those). Any user of the database would let one organization make
/// another's players its own, and then link or unlink their RaceTime
/// accounts (the link API trusts the same tie). A user of another
/// organization is refused as an unknown one: which ids exist stays theirs.
std::optional<api_refusal> check_users(connection& conn,
                                       const std::vector<std::int32_t>& ids,
                                       std::int32_t organization_id) {
  if (ids.empty())
    return std::nullopt;
  auto org = std::to_string(organization_id);
  std::vector<std::int32_t> found;
  for (const auto& row : sql_query(
           conn, "SELECT u.id FROM users u WHERE u.id IN (" + csv(ids) +
                     ") AND (EXISTS(SELECT 1 FROM organization_members om "
                     "WHERE om.user_id = u.id AND om.organization_id = " +
                     org +
                     ") OR EXISTS(SELECT 1 FROM match_players p JOIN "
                     "matches m ON m.id = p.match_id JOIN tournaments t ON "
                     "t.id = m.tournament_id WHERE p.user_id = u.id AND "
                     "t.organization_id = " +
                     org + ")) LOCK IN SHARE MODE"))
    found.push_back(sql_int(row[0]).value_or(0));
  std::vector<std::int32_t> missing;
  for (auto id : ids)
    if (std::find(found.begin(), found.end(), id) == found.end())
      missing.push_back(id);
  if (missing.empty())
    return std::nullopt;
  return api_refusal{"unknown_users",
                     "no member of this organization has user id " +
                         csv(missing) +
                         "; players are given by user id and must be "
                         "members of the match's organization",
                     "players"};
}

/// Seed 001's rule: a tournament that requires linked accounts gets no
/// scheduled match with a player who has none.
std::optional<api_refusal> check_links(connection& conn, const match_write& w,
                                       const write_target& t) {
  bool scheduled =
      w.scheduled_at.has_value() || (t.scheduled && !w.clear_scheduled_at);
  bool touches = w.scheduled_at.has_value() || w.players.has_value();
  if (!t.require_link || !scheduled || !touches)
    return std::nullopt;
  std::string who = w.players ? "u.id IN (" + csv(*w.players) + ")"
                              : "u.id IN (SELECT user_id FROM match_players "
                                "WHERE match_id = " +
                                    id_text(w.match_id.value_or(0)) + ")";
  if (w.players && w.players->empty())
    return std::nullopt;
  std::string names;
  for (const auto& row :
       sql_query(conn, "SELECT COALESCE(u.display_name, u.discord_username, "
                       "CONCAT('user ', u.id)) FROM users u WHERE " +
                           who + " AND u.racetime_id IS NULL ORDER BY u.id"))
    names += (names.empty() ? "" : ", ") + row[0].value_or("");
  if (names.empty())
    return std::nullopt;
  return api_refusal{"players_not_linked",
                     "tournament " + id_text(t.tournament_id) +
                         " requires linked RaceTime accounts and these "
                         "players have none: " +
                         names + "; have them link their account first",
                     "players"};
}

void add_set(std::string& sets, const std::string& column,
             const std::string& value) {
  sets += (sets.empty() ? "" : ", ") + column + " = " + value;
}

/// The SET list of the write and the names of the fields it changes.
std::string assignments(connection& conn, const match_write& w,
                        std::string& fields) {
  std::string sets;
  auto field = [&](const char* name, const std::string& column,
                   const std::string& value) {
    add_set(sets, column, value);
    fields += std::string{fields.empty() ? "" : ", "} + "'" + name + "'";
  };
  if (w.title)
    field("title", "title", sql_quote(conn, *w.title));
  if (w.scheduled_at)
    field("scheduled_at", "scheduled_at", sql_quote(*w.scheduled_at));
  else if (w.clear_scheduled_at)
    field("scheduled_at", "scheduled_at", "NULL");
  if (w.goal)
    field("goal", "racetime_goal", sql_quote(conn, *w.goal));
  else if (w.clear_goal)
    field("goal", "racetime_goal", "NULL");
  if (w.invitational)
    field("invitational", "racetime_invitational", *w.invitational ? "1" : "0");
  if (w.auto_create)
    field("auto_create", "racetime_auto_create", *w.auto_create ? "1" : "0");
  return sets;
}

std::int32_t save_row(connection& conn, const match_write& w,
                      const write_target& t, std::string& fields) {
  auto sets = assignments(conn, w, fields);
  if (!w.match_id) {
    add_set(sets, "tournament_id", id_text(t.tournament_id));
    sql_execute(conn, "INSERT INTO matches SET " + sets);
    return sql_int(sql_scalar(conn, "SELECT LAST_INSERT_ID()")).value_or(0);
  }
  if (!sets.empty())
    sql_execute(conn, "UPDATE matches SET " + sets +
                          " WHERE id = " + id_text(*w.match_id));
  return *w.match_id;
}

/// Replaces the players, keeping the rows (and results) of those who stay.
void save_players(connection& conn, std::int32_t match_id,
                  const std::vector<std::int32_t>& ids, std::string& fields) {
  fields += std::string{fields.empty() ? "" : ", "} + "'players'";
  auto keep =
      ids.empty() ? std::string{} : " AND user_id NOT IN (" + csv(ids) + ")";
  sql_execute(conn, "DELETE FROM match_players WHERE match_id = " +
                        id_text(match_id) + keep);
  for (auto id : ids)
    sql_execute(conn, "INSERT IGNORE INTO match_players (match_id, user_id) "
                      "VALUES (" +
                          id_text(match_id) + ", " + id_text(id) + ")");
}

} // namespace

api_identity api_repository::identify(const config::secret& token) {
  auto check = api_token_repository{db_}.authenticate(token.reveal());
  api_identity out;
  if (auto* refusal = std::get_if<api_token_refusal>(&check)) {
    out.refusal = to_string(*refusal);
    return out;
  }
  auto& who = std::get<api_token_identity>(check);
  out.accepted = true;
  out.token_id = who.id;
  out.organization_id = who.organization_id;
  out.name = who.name;
  out.scopes = who.scopes;
  return out;
}

std::vector<tournament_view>
api_repository::tournaments(const tournament_query& q) {
  return in_transaction(db_, [&](connection& conn) {
    auto where = q.id ? "id = " + id_text(*q.id)
                      : "organization_id = " + id_text(q.organization_id) +
                            page_sql("id", q.page);
    std::vector<tournament_view> out;
    for (const auto& row : sql_query(
             conn, "SELECT id, organization_id, name, description, "
                   "is_active, racetime_bot_id, racetime_auto_create_rooms, "
                   "room_open_minutes_before, require_racetime_link, "
                   "racetime_default_goal, "
                   "CAST(discord_notification_channel_id AS CHAR) FROM "
                   "tournaments WHERE " +
                       where)) {
      tournament_view t;
      t.id = sql_int(row[0]).value_or(0);
      t.organization_id = sql_int(row[1]).value_or(0);
      t.name = row[2].value_or("");
      t.description = row[3];
      t.is_active = flag(row[4]);
      t.bot_id = sql_int(row[5]);
      t.auto_create_rooms = flag(row[6]);
      t.room_open_minutes_before = sql_int(row[7]).value_or(0);
      t.require_racetime_link = flag(row[8]);
      t.default_goal = row[9];
      t.discord_channel_id = row[10];
      out.push_back(std::move(t));
    }
    return out;
  });
}

std::vector<match_view> api_repository::matches(const match_query& q) {
  return in_transaction(db_, [&](connection& conn) {
    return query_matches(conn, match_where(q));
  });
}

std::vector<room_view> api_repository::rooms(const room_query& q) {
  return in_transaction(db_, [&](connection& conn) {
    if (q.id)
      return query_rooms(conn, "r.id = " + id_text(*q.id));
    auto where = "t.organization_id = " + id_text(q.organization_id);
    if (q.status)
      where += " AND r.status = " + sql_quote(conn, *q.status);
    return query_rooms(conn, where + page_sql("r.id", q.page));
  });
}

std::variant<match_view, api_refusal>
api_repository::write_match(const match_write& w) {
  using result = std::variant<match_view, api_refusal>;
  auto write = w;
  if (write.players)
    write.players = unique_ids(*write.players);
  return in_transaction(db_, [&](connection& conn) -> result {
    auto target = find_target(conn, write);
    if (auto* refused = std::get_if<api_refusal>(&target))
      return *refused;
    auto& t = std::get<write_target>(target);
    if (write.players)
      if (auto refused = check_users(conn, *write.players, t.organization_id))
        return *refused;
    if (auto refused = check_links(conn, write, t))
      return *refused;
    std::string fields;
    auto id = save_row(conn, write, t, fields);
    if (write.players)
      save_players(conn, id, *write.players, fields);
    audit_repository::append_in(
        conn,
        audit_record{t.organization_id,
                     write.match_id ? "match_updated" : "match_created",
                     "match", id, ""},
        "JSON_OBJECT('actor', " + sql_quote(conn, write.actor) +
            ", 'fields', JSON_ARRAY(" + fields + "))");
    return query_matches(conn, "m.id = " + id_text(id)).front();
  });
}

overview_view api_repository::overview(const overview_query& q) {
  auto limit = " LIMIT " + id_text(std::clamp(q.limit, 1, 1000));
  std::string org = q.organization_id ? " AND t.organization_id = " +
                                            id_text(*q.organization_id)
                                      : "";
  // Rooms not yet named (claims being created) have no status either:
  // they are being opened, so they count as active.
  const std::string active = "(r.status IS NULL OR r.status IN ('open', "
                             "'invitational', 'pending', 'in_progress'))";
  return in_transaction(db_, [&](connection& conn) {
    overview_view out;
    out.upcoming =
        query_matches(conn, "m.finished_at IS NULL AND m.scheduled_at >= " +
                                sql_quote(now_us() - upcoming_slack) + org +
                                " ORDER BY m.scheduled_at, m.id" + limit);
    out.active =
        query_rooms(conn, active + org + " ORDER BY r.id DESC" + limit);
    out.recent = query_rooms(conn, "r.status = 'finished'" + org +
                                       " ORDER BY r.id DESC" + limit);
    return out;
  });
}

database_gauges api_repository::gauges() {
  return in_transaction(db_, [&](connection& conn) {
    database_gauges out;
    for (const auto& row :
         sql_query(conn, "SELECT COALESCE(status, ''), COUNT(*) FROM "
                         "racetime_rooms WHERE parked_at IS NULL GROUP BY 1"))
      out.rooms.push_back(
          {row[0].value_or(""), std::stoll(row[1].value_or("0"))});
    auto count = [&](const std::string& sql) -> std::int64_t {
      auto rows = sql_query(conn, sql);
      return rows.empty() ? 0 : std::stoll(rows[0][0].value_or("0"));
    };
    out.rooms_parked = count(
        "SELECT COUNT(*) FROM racetime_rooms WHERE parked_at IS NOT NULL");
    out.outbox_pending =
        count("SELECT COUNT(*) FROM discord_outbox WHERE state = 'pending'");
    return out;
  });
}

} // namespace racecontrol::persistence
