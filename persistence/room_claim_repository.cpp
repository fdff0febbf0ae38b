#include "persistence/room_claim_repository.hpp"

#include "persistence/database_error.hpp"
#include "persistence/event_log.hpp"
#include "persistence/room_watch_repository.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <mysqld_error.h>

#include <algorithm>

namespace racecontrol::persistence {

namespace {

bool read_bool(const sql_value& v) {
  return v.value_or("0") == "1";
}

/// The claim's columns, each qualified by `table` ("r." for the alias the
/// SELECTs use; "" for INSERT ... RETURNING, which names no table).
std::string claim_columns(const std::string& table = "r.") {
  std::string out;
  for (const char* column :
       {"id", "match_id", "claim_state", "claim_marker", "slug", "category",
        "bot_id", "status", "@claimed_at", "claim_owner", "startrace_attempts",
        "@last_attempt_at", "requested_by", "adopted", "@created_at",
        "requested_goal", "requested_invitational"}) {
    if (!out.empty())
      out += ", ";
    // '@': a DATETIME read as microseconds since the epoch.
    if (column[0] == '@')
      out += sql_epoch_us(table + (column + 1));
    else
      out += table + column;
  }
  return out;
}

room_claim_row read_claim(const sql_row& row) {
  room_claim_row r;
  r.room_id = sql_int(row[0]).value_or(0);
  r.match_id = sql_int(row[1]).value_or(0);
  r.claim_state = row[2].value_or("");
  r.marker = row[3].value_or("");
  r.slug = row[4];
  r.category = row[5].value_or("");
  r.bot_id = sql_int(row[6]);
  r.status = row[7].value_or("");
  r.claimed_at = sql_timestamp(row[8]);
  r.claim_owner = row[9].value_or("");
  r.startrace_attempts = sql_int(row[10]).value_or(0);
  r.last_attempt_at = sql_timestamp(row[11]);
  r.requested_by = row[12].value_or("");
  r.adopted = read_bool(row[13]);
  r.created_at = sql_timestamp(row[14]);
  r.requested_goal = row[15];
  if (row[16])
    r.requested_invitational = read_bool(row[16]);
  return r;
}

/// A row of open_contexts' SELECT.
match_open_context read_open_context(const sql_row& row) {
  match_open_context c;
  c.match_id = sql_int(row[0]).value_or(0);
  c.match_title = row[1].value_or("");
  c.scheduled_at = sql_timestamp(row[2]);
  c.finished_at = sql_timestamp(row[3]);
  c.match_goal = row[4];
  c.match_invitational = read_bool(row[5]);
  c.match_auto_create = read_bool(row[6]);
  c.tournament_id = sql_int(row[7]).value_or(0);
  c.organization_id = sql_int(row[8]).value_or(0);
  c.tournament_name = row[9].value_or("");
  c.tournament_active = read_bool(row[10]);
  c.tournament_auto_create = read_bool(row[11]);
  c.room_open_minutes_before = sql_int(row[12]).value_or(60);
  c.require_racetime_link = read_bool(row[13]);
  c.tournament_goal = row[14];
  c.discord_channel_id = row[15];
  c.bot_id = sql_int(row[16]);
  c.bot_name = row[17].value_or("");
  c.bot_category = row[18].value_or("");
  c.bot_active = read_bool(row[19]);
  c.bot_assigned = read_bool(row[20]);
  c.reason_code = row[21];
  c.refused_settings = row[22];
  for (auto& p : sql_json_rows(row[23]))
    c.players.push_back(
        {sql_int(p[0]).value_or(0), p[1].value_or(""), p[2], p[3], p[4]});
  // The claim's columns follow, all NULL when the match has none.
  if (row[24])
    c.room = read_claim(sql_row(row.begin() + 24, row.end()));
  return c;
}

/// The match's claim. `latest`: a locking read, which sees the newest
/// committed row; a plain read sees its snapshot, which may still miss a
/// claim whose INSERT has just made another INSERT fail as a duplicate.
std::optional<room_claim_row> claim_of_match(odb::mysql::connection& conn,
                                             std::int32_t match_id,
                                             bool latest = false) {
  auto rows = sql_query(conn, "SELECT " + claim_columns() +
                                  " FROM racetime_rooms r WHERE r.match_id = " +
                                  std::to_string(match_id) +
                                  (latest ? " LOCK IN SHARE MODE" : ""));
  if (rows.empty())
    return std::nullopt;
  return read_claim(rows.front());
}

std::optional<room_claim_row> claim_by_id(odb::mysql::connection& conn,
                                          std::int32_t room_id) {
  auto rows = sql_query(conn, "SELECT " + claim_columns() +
                                  " FROM racetime_rooms r WHERE r.id = " +
                                  std::to_string(room_id) + " FOR UPDATE");
  if (rows.empty())
    return std::nullopt;
  return read_claim(rows.front());
}

/// An SQL expression: the JSON_ARRAY of the match's players for
/// notifications: name, Discord id (for mentions) and racetime.gg account.
/// A subquery in the statement that writes the event, not a round trip;
/// `match_id` an SQL expression.
std::string players_json(const std::string& match_id) {
  // JSON_EXTRACT makes the subquery's text a JSON value again, so it nests
  // as an array instead of a quoted string.
  return "JSON_EXTRACT((SELECT COALESCE(JSON_ARRAYAGG(JSON_OBJECT('name', "
         "COALESCE(u.display_name, u.discord_username), 'discord_id', "
         "CAST(u.discord_id AS CHAR), 'racetime_id', u.racetime_id, "
         "'racetime_name', u.racetime_name)), JSON_ARRAY()) FROM "
         "match_players p JOIN users u ON u.id = p.user_id WHERE "
         "p.match_id = " +
         match_id + "), '$')";
}

/// Writes one event about the match (audit entry and notification).
void match_event(odb::mysql::connection& conn, std::int32_t match_id,
                 const std::string& event, const std::string& entity_type,
                 std::int32_t entity_id, const std::string& details_sql,
                 const std::string& dedupe_key) {
  auto audience = match_audience(conn, match_id);
  append_event(conn,
               {event, audience.organization_id, entity_type, entity_id,
                details_sql, dedupe_key},
               audience.channels);
}

/// Writes the match's reason; true when its code changed (then audited).
bool write_reason(odb::mysql::connection& conn, const match_reason& r) {
  auto id = std::to_string(r.match_id);
  auto previous = sql_query(conn, "SELECT room_reason, room_reason_message "
                                  "FROM matches WHERE id = " +
                                      id + " FOR UPDATE");
  if (previous.empty())
    throw database_error(database_error::kind::statement,
                         "match " + id + " does not exist");
  std::optional<std::string> code;
  if (!r.code.empty())
    code = r.code;
  const auto& old_code = previous.front()[0];
  const auto& old_message = previous.front()[1];
  if (old_code == code && (code ? old_message == r.message : true))
    return false;
  // updated_at = updated_at: a reason is racecontrol's note, not an edit
  // of the match that rooms and planners should reload for.
  sql_execute(conn,
              "UPDATE matches SET room_reason = " +
                  (code ? sql_quote(conn, *code) : std::string{"NULL"}) +
                  ", room_reason_message = " +
                  (code ? sql_quote(conn, r.message) : std::string{"NULL"}) +
                  ", room_reason_since = " +
                  (!code              ? std::string{"NULL"}
                   : old_code == code ? std::string{"room_reason_since"}
                                      : sql_quote(now_us())) +
                  ", updated_at = updated_at WHERE id = " + id);
  if (old_code == code || !code)
    return old_code != code;
  // Discord hears of each reason once per match, however often it comes
  // back; the audit trail has every change.
  match_event(
      conn, r.match_id, "room_not_opened", "match", r.match_id,
      "JSON_OBJECT('match_id', " + id + ", 'code', " + sql_quote(conn, *code) +
          ", 'message', " + sql_quote(conn, r.message) + ", 'previous', " +
          (old_code ? sql_quote(conn, *old_code) : std::string{"NULL"}) + ")",
      "match:" + id + ":not_opened:" + *code);
  return true;
}

} // namespace

namespace {

/// Whether a batch that failed with `e` (and wrote nothing) is worth trying
/// again one request at a time: a refused statement (a duplicate, a claim
/// no longer `creating`, a bad row) or a lock conflict on one request's row
/// (another session holds a match) then fails only that request. A lost
/// connection would fail each again, and a COMMIT whose outcome is unknown
/// must not be repeated.
bool one_by_one(const database_error& e) {
  using kind = database_error::kind;
  return e.what_kind() == kind::constraint ||
         e.what_kind() == kind::statement || e.what_kind() == kind::conflict;
}

const char* const claim_insert =
    "INSERT INTO racetime_rooms (slug, category, room_name, status, "
    "match_id, bot_id, claim_state, claim_marker, claimed_at, "
    "claim_owner, startrace_attempts, last_attempt_at, requested_by, "
    "requested_goal, requested_invitational, created_at, updated_at) "
    "VALUES ";

/// A claim's row for claim_insert, claimed at `now` (an SQL literal).
std::string claim_values(odb::mysql::connection& conn, const room_claim& c,
                         const std::string& now) {
  return "(NULL, " + sql_quote(conn, c.category) + ", NULL, NULL, " +
         std::to_string(c.match_id) + ", " + std::to_string(c.bot_id) +
         ", 'creating', " + sql_quote(conn, c.marker) + ", " + now + ", " +
         sql_quote(conn, c.owner) + ", 1, " + now + ", " +
         sql_render(conn, c.requested_by.empty() ? sql_param{nullptr}
                                                 : sql_param{c.requested_by}) +
         ", " + sql_render(conn, sql_nullable(c.requested_goal)) + ", " +
         sql_render(conn, sql_nullable(c.requested_invitational)) + ", " + now +
         ", " + now + ")";
}

} // namespace

room_claim_result room_claim_repository::claim(const room_claim& c) {
  // One INSERT in autocommit that returns its row: the unique match_id
  // makes a second claimant's INSERT wait for the first's and then fail as
  // a duplicate, and the first's claim is visible as soon as its INSERT
  // returns. No lock on the match is taken: a locking read of an absent
  // claim would take a gap lock that claimants of other matches share, and
  // their INSERTs would deadlock.
  return in_autocommit(db_, [&](odb::mysql::connection& conn) {
    try {
      auto rows = sql_query(
          conn, claim_insert + claim_values(conn, c, sql_quote(now_us())) +
                    " RETURNING " + claim_columns(""));
      return room_claim_result{true, read_claim(rows.at(0))};
    } catch (const database_error& e) {
      if (e.error_number() != ER_DUP_ENTRY)
        throw;
    }
    // In autocommit the shared lock ends with the statement: no gap lock
    // is held while anyone inserts.
    auto existing = claim_of_match(conn, c.match_id, /*latest=*/true);
    if (!existing)
      // The other claim was refused and deleted in between: claiming again
      // is the caller's retry.
      throw database_error(database_error::kind::conflict,
                           "the match's claim went away while it was read");
    // A retry after a lost connection finds its own claim by its marker.
    return room_claim_result{existing->marker == c.marker, *existing};
  });
}

std::optional<std::vector<room_claim_result>>
room_claim_repository::claim_all(const std::vector<room_claim>& claims) {
  if (claims.empty())
    return std::vector<room_claim_result>{};
  // One INSERT of every row in autocommit: the common case costs one round
  // trip. A match that has a row already (or any refused row) fails it
  // whole, nothing is written, and the caller claims each on its own.
  return in_autocommit(
      db_,
      [&](odb::mysql::connection& conn)
          -> std::optional<std::vector<room_claim_result>> {
        auto now = sql_quote(now_us());
        // In match order, so that two batches that overlap (two nodes) lock
        // their matches' rows in the same order and cannot deadlock.
        std::vector<const room_claim*> ordered;
        for (const auto& c : claims)
          ordered.push_back(&c);
        std::sort(ordered.begin(), ordered.end(),
                  [](const room_claim* a, const room_claim* b) {
                    return a->match_id < b->match_id;
                  });
        std::string values;
        for (const auto* c : ordered)
          values += (values.empty() ? "" : ", ") + claim_values(conn, *c, now);
        std::vector<sql_row> rows;
        try {
          rows = sql_query(conn, claim_insert + values + " RETURNING " +
                                     claim_columns(""));
        } catch (const database_error& e) {
          if (!one_by_one(e))
            throw;
          return std::nullopt;
        }
        std::vector<room_claim_result> out;
        for (const auto& c : claims) {
          auto it =
              std::find_if(rows.begin(), rows.end(), [&](const sql_row& r) {
                return sql_int(r[1]).value_or(0) == c.match_id;
              });
          if (it == rows.end())
            throw database_error(database_error::kind::statement,
                                 "a claim's row was not returned");
          out.push_back({true, read_claim(*it)});
        }
        return out;
      });
}

bool room_claim_repository::record_attempt(const claim_attempt& a) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    return sql_execute(conn,
                       "UPDATE racetime_rooms SET startrace_attempts = "
                       "startrace_attempts + 1, last_attempt_at = " +
                           sql_quote(now_us()) +
                           " WHERE id = " + std::to_string(a.room_id) +
                           " AND claim_marker = " + sql_quote(conn, a.marker) +
                           " AND claim_state = 'creating'") > 0;
  });
}

namespace {

/// The room_created (or room_opened_manually, when someone asked) event,
/// written by MariaDB from the claim's row just settled, its match and
/// tournament: what the opener sent, with the claim's facts and the match's
/// players. No read goes before it, so it travels with the claim's UPDATE.
void created_event(odb::mysql::connection& conn, const claim_settled& s) {
  std::string details = s.details_json.empty() ? "{}" : s.details_json;
  append_room_event(
      conn,
      {s.room_id,
       "IF(COALESCE(r.requested_by, '') = '', 'room_created', "
       "'room_opened_manually')",
       "JSON_MERGE_PATCH(" + sql_quote(conn, details) +
           ", JSON_OBJECT('match_id', r.match_id, 'slug', " +
           sql_quote(conn, s.slug) + ", 'adopted', " +
           (s.adopted ? "true" : "false") +
           ", 'startrace_attempts', r.startrace_attempts, 'requested_by', "
           "NULLIF(r.requested_by, ''), 'players', " +
           players_json("r.match_id") +
           ", 'scheduled_at', DATE_FORMAT(m.scheduled_at, "
           "'%Y-%m-%dT%H:%i:%sZ'), 'tournament', t.name))",
       "room:" + std::to_string(s.room_id) + ":created"});
}

constexpr const char* not_creating_signal = "racecontrol claim: room ";

/// Marks the claim created with its room, and clears the match's reason (it
/// has its room now), in one deferred statement; the transaction fails with
/// not_creating_signal when the claim is not this opener's or not
/// `creating` any more. The match's updated_at stays (a note, not an edit).
void mark_created(odb::mysql::connection& conn, const claim_settled& s,
                  const std::string& now) {
  auto slash = s.slug.find('/');
  auto room_name =
      slash == std::string::npos ? s.slug : s.slug.substr(slash + 1);
  auto id = std::to_string(s.room_id);
  sql_defer(conn,
            "UPDATE racetime_rooms r LEFT JOIN matches m ON m.id = "
            "r.match_id SET r.slug = " +
                sql_quote(conn, s.slug) +
                ", r.room_name = " + sql_quote(conn, room_name) +
                ", r.status = " + sql_quote(conn, s.status) +
                ", r.claim_state = 'created', r.adopted = " +
                (s.adopted ? "1" : "0") + ", r.updated_at = " + now +
                ", m.room_reason = NULL, m.room_reason_message = NULL, "
                "m.room_reason_since = NULL, m.room_refused_settings = NULL, "
                "m.updated_at = m.updated_at WHERE r.id = " +
                id + " AND r.claim_marker = " + sql_quote(conn, s.marker) +
                " AND r.claim_state = 'creating'");
  sql_defer(conn, sql_signal_if("ROW_COUNT() = 0",
                                not_creating_signal + id + " not creating"));
}

/// The watcher's context of a claim that was not `creating`: the same room
/// settled before (a retry whose first answer was lost), or nullopt when
/// the claim is gone, another's, or holds another room.
std::optional<room_context> settled_before(odb::mysql::connection& conn,
                                           const claim_settled& s) {
  auto row = claim_by_id(conn, s.room_id);
  if (!row || row->marker != s.marker || row->claim_state != "created" ||
      row->slug != s.slug)
    return std::nullopt;
  return load_room_context(conn, s.room_id);
}

} // namespace

std::optional<room_context>
room_claim_repository::settle(const claim_settled& s) {
  try {
    return in_pipelined_transaction(
        db_, [&](odb::mysql::connection& conn) -> std::optional<room_context> {
          // One round trip: START TRANSACTION, the claim's UPDATE and its
          // check, the event, the watcher's context (read here so that it
          // need not ask again) and the COMMIT.
          mark_created(conn, s, sql_quote(now_us()));
          created_event(conn, s);
          sql_commit_with_next(conn);
          auto ctx = load_room_context(conn, s.room_id);
          if (!ctx)
            throw database_error(database_error::kind::statement,
                                 "room " + std::to_string(s.room_id) +
                                     " vanished while its claim was settled");
          return ctx;
        });
  } catch (const database_error& e) {
    if (!signalled(e, not_creating_signal))
      throw;
  }
  // Not `creating`: settled before (a retry whose first answer was lost),
  // or not this opener's claim.
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    return settled_before(conn, s);
  });
}

std::optional<std::vector<room_context>>
room_claim_repository::settle_all(const std::vector<claim_settled>& settled) {
  if (settled.empty())
    return std::vector<room_context>{};
  try {
    // One round trip for them all, as settle() makes for one. A claim no
    // longer `creating` (or any refused statement) fails the transaction,
    // nothing of it is written, and the caller settles each on its own.
    return in_pipelined_transaction(
        db_,
        [&](odb::mysql::connection& conn)
            -> std::optional<std::vector<room_context>> {
          std::vector<std::int32_t> ids;
          auto now = sql_quote(now_us());
          for (const auto& s : settled) {
            mark_created(conn, s, now);
            created_event(conn, s);
            ids.push_back(s.room_id);
          }
          sql_commit_with_next(conn);
          auto rooms = load_room_contexts(conn, ids);
          std::vector<room_context> found;
          for (const auto& s : settled) {
            auto it = std::find_if(rooms.begin(), rooms.end(),
                                   [&](const room_context& c) {
                                     return c.room.id == s.room_id;
                                   });
            if (it == rooms.end())
              throw database_error(database_error::kind::statement,
                                   "room " + std::to_string(s.room_id) +
                                       " vanished while its claim was "
                                       "settled");
            found.push_back(*it);
          }
          return found;
        });
  } catch (const database_error& e) {
    if (!one_by_one(e))
      throw;
  }
  return std::nullopt;
}

bool room_claim_repository::refuse(const claim_refused& r) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    auto row = claim_by_id(conn, r.room_id);
    if (!row || row->marker != r.marker || row->claim_state != "creating")
      return false;
    sql_execute(conn, "DELETE FROM racetime_rooms WHERE id = " +
                          std::to_string(r.room_id));
    write_reason(conn, {row->match_id, r.code, r.message});
    sql_execute(conn, "UPDATE matches SET room_refused_settings = " +
                          (r.settings_hash.empty()
                               ? std::string{"NULL"}
                               : sql_quote(conn, r.settings_hash)) +
                          ", updated_at = updated_at WHERE id = " +
                          std::to_string(row->match_id));
    return true;
  });
}

bool room_claim_repository::set_reason(const match_reason& r) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    return write_reason(conn, r);
  });
}

std::vector<room_claim_row> room_claim_repository::creating() {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::vector<room_claim_row> out;
    for (auto& row : sql_query(conn, "SELECT " + claim_columns() +
                                         " FROM racetime_rooms r WHERE "
                                         "r.claim_state = 'creating' ORDER BY "
                                         "r.claimed_at, r.id"))
      out.push_back(read_claim(row));
    return out;
  });
}

std::optional<match_open_context>
room_claim_repository::open_context(std::int32_t match_id) {
  auto found = open_contexts({match_id});
  if (found.empty())
    return std::nullopt;
  return std::move(found.front());
}

std::vector<match_open_context>
room_claim_repository::open_contexts(const std::vector<std::int32_t>& ids) {
  // One round trip for them all: the players and the claim come in each
  // match's row. The claim's INSERT checks again.
  if (ids.empty())
    return {};
  std::string list;
  for (auto id : ids)
    list += (list.empty() ? "" : ", ") + std::to_string(id);
  return in_autocommit(db_, [&](odb::mysql::connection& conn) {
    auto rows = sql_query(
        conn,
        "SELECT m.id, m.title, " + sql_epoch_us("m.scheduled_at") + ", " +
            sql_epoch_us("m.finished_at") +
            ", m.racetime_goal, m.racetime_invitational, "
            "m.racetime_auto_create, t.id, t.organization_id, t.name, "
            "t.is_active, t.racetime_auto_create_rooms, "
            "t.room_open_minutes_before, t.require_racetime_link, "
            "t.racetime_default_goal, t.discord_notification_channel_id, "
            "t.racetime_bot_id, b.name, b.category, b.is_active, "
            "EXISTS(SELECT 1 FROM racetime_bot_organizations o WHERE "
            "o.bot_id = b.id AND o.organization_id = t.organization_id "
            "AND o.is_active = 1), m.room_reason, "
            "m.room_refused_settings, (SELECT " +
            sql_json_rows_of({"u.id",
                              "COALESCE(u.display_name, u.discord_username, "
                              "CONCAT('user ', u.id))",
                              "CAST(u.discord_id AS CHAR)", "u.racetime_id",
                              "u.racetime_name"},
                             "p.id") +
            " FROM match_players p JOIN users u ON u.id = p.user_id "
            "WHERE p.match_id = m.id), " +
            claim_columns() +
            " FROM matches m JOIN tournaments t ON t.id = m.tournament_id "
            "LEFT JOIN racetime_bots b ON b.id = t.racetime_bot_id LEFT "
            "JOIN racetime_rooms r ON r.match_id = m.id WHERE m.id IN (" +
            list + ") ORDER BY m.id");
    std::vector<match_open_context> out;
    out.reserve(rows.size());
    for (const auto& row : rows)
      out.push_back(read_open_context(row));
    return out;
  });
}

std::vector<tournament_plan> room_claim_repository::plans(const plan_query& q) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::string where = "t.is_active = 1";
    if (q.organization_id)
      where += " AND t.organization_id = " + std::to_string(*q.organization_id);
    if (q.tournament_id)
      where += " AND t.id = " + std::to_string(*q.tournament_id);
    auto in_window = "m.finished_at IS NULL AND m.scheduled_at BETWEEN " +
                     sql_quote(q.from) + " AND " + sql_quote(q.to);
    std::vector<tournament_plan> out;
    for (auto& row : sql_query(
             conn, "SELECT t.id, t.organization_id, t.name, "
                   "t.racetime_auto_create_rooms, t.room_open_minutes_before "
                   "FROM tournaments t WHERE " +
                       where +
                       " AND (t.racetime_auto_create_rooms = 1 OR EXISTS "
                       "(SELECT 1 FROM matches m WHERE m.tournament_id = t.id "
                       "AND " +
                       in_window + ")) ORDER BY t.id")) {
      tournament_plan p;
      p.tournament_id = sql_int(row[0]).value_or(0);
      p.organization_id = sql_int(row[1]).value_or(0);
      p.name = row[2].value_or("");
      p.auto_create = read_bool(row[3]);
      p.room_open_minutes_before = sql_int(row[4]).value_or(60);
      out.push_back(std::move(p));
    }
    // An empty window asks for the tournaments alone (the supervisor's
    // periodic look for new automatic ones): no query per tournament.
    if (q.to < q.from)
      return out;
    for (auto& p : out)
      for (auto& m : sql_query(
               conn, "SELECT m.id, " + sql_epoch_us("m.scheduled_at") +
                         ", m.racetime_auto_create, EXISTS(SELECT 1 FROM "
                         "racetime_rooms r WHERE r.match_id = m.id), "
                         "m.room_reason FROM matches m WHERE m.tournament_id "
                         "= " +
                         std::to_string(p.tournament_id) + " AND " + in_window +
                         " ORDER BY m.scheduled_at, m.id"))
        p.matches.push_back({sql_int(m[0]).value_or(0), sql_timestamp(m[1]),
                             read_bool(m[2]), read_bool(m[3]), m[4]});
    return out;
  });
}

} // namespace racecontrol::persistence
