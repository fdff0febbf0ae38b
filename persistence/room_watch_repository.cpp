#include "persistence/room_watch_repository.hpp"

#include "persistence/audit_repository.hpp"
#include "persistence/event_log.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <cstdio>
#include <set>

namespace racecontrol::persistence {

namespace {

const char* room_columns =
    "r.id, r.slug, r.category, r.room_name, r.status, r.match_id, r.bot_id, "
    "r.parked_at IS NOT NULL, COALESCE(r.owner_node, ''), r.owner_epoch";

/// room_context::fingerprint of the racetime_rooms row `r`, in SQL so one
/// query gives it for every changed room. QUOTE keeps NULL apart from ''
/// and each field apart from the next; the first 64 bits of an MD5 make a
/// missed change as likely as a 1 in 2^64 collision. No `;` in it (the
/// players' separator is `|`): a SELECT holding one may not go inside a
/// pipeline's compound statement (sql.cpp's goes_inside), and the claim's
/// settle sends its context SELECT there, with the COMMIT.
const char* fingerprint_sql =
    "CAST(CONV(LEFT(MD5(CONCAT_WS(',', QUOTE(r.match_id), QUOTE(r.bot_id), "
    "QUOTE((SELECT CONCAT_WS(',', QUOTE(m.tournament_id), "
    "QUOTE(t.organization_id), QUOTE(t.name), QUOTE(m.title), "
    "QUOTE(m.scheduled_at)) FROM matches m JOIN tournaments t ON t.id = "
    "m.tournament_id WHERE m.id = r.match_id)), "
    "QUOTE((SELECT GROUP_CONCAT(CONCAT_WS(',', QUOTE(p.id), QUOTE(p.user_id), "
    "QUOTE(u.display_name), QUOTE(u.discord_username), QUOTE(u.racetime_id), "
    "QUOTE(u.racetime_name)) ORDER BY p.id SEPARATOR '|') FROM match_players "
    "p JOIN users u ON u.id = p.user_id WHERE p.match_id = r.match_id)))), "
    "16), 16, 10) AS UNSIGNED)";

std::uint64_t read_fingerprint(const sql_value& v) {
  return v ? std::stoull(*v) : 0;
}

room_record read_room(const sql_row& row) {
  room_record r;
  r.id = std::stoi(row[0].value_or("0"));
  r.slug = row[1].value_or("");
  r.category = row[2].value_or("");
  r.room_name = row[3].value_or("");
  r.status = row[4].value_or("");
  if (row[5])
    r.match_id = std::stoi(*row[5]);
  if (row[6])
    r.bot_id = std::stoi(*row[6]);
  r.parked = row[7].value_or("0") == "1";
  r.owner_node = row[8].value_or("");
  r.owner_epoch = std::stoull(row[9].value_or("0"));
  return r;
}

/// match_summary's columns, of `matches m JOIN tournaments t`.
std::string match_columns() {
  return "m.id, m.tournament_id, t.organization_id, t.name, "
         "COALESCE(m.title, ''), " +
         sql_epoch_us("m.scheduled_at") + ", " + sql_epoch_us("m.started_at") +
         ", " + sql_epoch_us("m.finished_at") +
         ", t.discord_notification_channel_id";
}

/// The match_summary in `row` from column `at` on (match_columns).
match_summary read_match(const sql_row& row, std::size_t at) {
  match_summary m;
  m.id = std::stoi(row[at].value_or("0"));
  m.tournament_id = std::stoi(row[at + 1].value_or("0"));
  m.organization_id = std::stoi(row[at + 2].value_or("0"));
  m.tournament_name = row[at + 3].value_or("");
  m.title = row[at + 4].value_or("");
  m.scheduled_at = sql_timestamp(row[at + 5]);
  m.started_at = sql_timestamp(row[at + 6]);
  m.finished_at = sql_timestamp(row[at + 7]);
  m.discord_channel = row[at + 8];
  return m;
}

/// match_player_info's columns, of `match_players p JOIN users u`, each as
/// text so they also pack into JSON unchanged (sql_json_rows_of).
std::vector<std::string> player_columns() {
  return {"CAST(p.user_id AS CHAR)",
          "COALESCE(u.display_name, u.discord_username, CONCAT('user ', "
          "u.id))",
          "u.racetime_id",
          "u.racetime_name",
          "COALESCE(p.entrant_status, '')",
          "CAST(p.finish_place AS CHAR)",
          "CAST(" + sql_time_us("p.finish_time") + " AS CHAR)"};
}

match_player_info read_player(const sql_row& row) {
  match_player_info p;
  p.user_id = std::stoi(row.at(0).value_or("0"));
  p.display_name = row.at(1).value_or("");
  p.racetime_id = row.at(2);
  p.racetime_name = row.at(3);
  p.entrant_status = row.at(4).value_or("");
  p.finish_place = sql_int(row.at(5));
  p.finish_time = sql_duration(row.at(6));
  return p;
}

void audit_room(odb::mysql::connection& conn, std::int32_t room_id,
                const std::string& action, const std::string& details_sql) {
  append_room_audit(conn, room_id, sql_quote(conn, action), details_sql);
}

/// An event of the room's race (race_started, race_finished,
/// race_cancelled): its audit entry and its tournament's notification,
/// written by MariaDB from the room's rows without a read first.
void room_event(odb::mysql::connection& conn, std::int32_t room_id,
                const std::string& event, const std::string& details_sql,
                const std::string& what) {
  append_room_event(conn, {room_id, sql_quote(conn, event), details_sql,
                           "room:" + std::to_string(room_id) + ":" + what});
}

/// The match's results for its race_finished event: each player's name,
/// Discord id, entrant status, place and time, by place.
std::string results_json(std::int32_t match_id) {
  return "(SELECT COALESCE(JSON_ARRAYAGG(JSON_OBJECT('name', "
         "COALESCE(u.display_name, u.discord_username), 'discord_id', "
         "CAST(u.discord_id AS CHAR), 'racetime_name', u.racetime_name, "
         "'status', p.entrant_status, 'place', p.finish_place, "
         "'finish_time', CAST(p.finish_time AS CHAR)) ORDER BY "
         "p.finish_place IS NULL, p.finish_place, p.id), JSON_ARRAY()) FROM "
         "match_players p JOIN users u ON u.id = p.user_id WHERE "
         "p.match_id = " +
         std::to_string(match_id) + ")";
}

bool same_state(const entrant_state& a, const entrant_state& b) {
  return a.status == b.status && a.place == b.place &&
         a.finish_time == b.finish_time;
}

/// Writes the entrants' states onto the match players with their racetime
/// ids: one statement for each run of entrants in the same state (both
/// players invited, both ready), in order, so a later state of one entrant
/// still wins over an earlier one.
void write_entrants(odb::mysql::connection& conn, std::int32_t match_id,
                    const std::vector<entrant_state>& entrants) {
  for (std::size_t i = 0; i < entrants.size();) {
    const auto& e = entrants[i];
    std::string ids;
    auto end = i;
    for (; end < entrants.size() && same_state(entrants[end], e); ++end)
      ids += (ids.empty() ? "" : ", ") +
             sql_quote(conn, entrants[end].racetime_id);
    sql_defer(
        conn,
        "UPDATE match_players p JOIN users u ON u.id = p.user_id SET "
        "p.entrant_status = " +
            sql_quote(conn, e.status) + ", p.finish_place = " +
            (e.place ? std::to_string(*e.place) : std::string{"NULL"}) +
            ", p.finish_time = " +
            (e.finish_time ? sql_quote(*e.finish_time) : std::string{"NULL"}) +
            ", p.updated_at = " + sql_quote(now_us()) + " WHERE p.match_id = " +
            std::to_string(match_id) + " AND u.racetime_id IN (" + ids + ")");
    i = end;
  }
}

/// JSON_ARRAY of the entrants' final states, for the result's audit entry.
std::string entrants_json(odb::mysql::connection& conn,
                          const std::vector<entrant_state>& entrants) {
  std::string out = "JSON_ARRAY(";
  for (std::size_t i = 0; i < entrants.size(); ++i) {
    const auto& e = entrants[i];
    out += (i ? ", " : "") + std::string{"JSON_OBJECT('racetime_id', "} +
           sql_quote(conn, e.racetime_id) + ", 'status', " +
           sql_quote(conn, e.status) + ", 'place', " +
           (e.place ? std::to_string(*e.place) : std::string{"NULL"}) +
           ", 'finish_time_us', " +
           (e.finish_time ? std::to_string(e.finish_time->count())
                          : std::string{"NULL"}) +
           ")";
  }
  return out + ")";
}

/// The details of a result's event (race_finished, race_result_changed):
/// the entrants as racetime.gg ended them and the match's results.
std::string result_details(odb::mysql::connection& conn, const room_result& r) {
  return "JSON_OBJECT('match_id', " +
         (r.match_id ? std::to_string(*r.match_id) : "NULL") +
         ", 'slug', (SELECT slug FROM racetime_rooms WHERE id = " +
         std::to_string(r.room_id) + "), 'ended_at', " + sql_quote(r.ended_at) +
         ", 'entrants', " + entrants_json(conn, r.entrants) + ", 'results', " +
         (r.match_id ? results_json(*r.match_id)
                     : std::string{"JSON_ARRAY()"}) +
         ")";
}

} // namespace

std::vector<match_player_info> load_match_players(odb::mysql::connection& conn,
                                                  std::int32_t match_id) {
  std::string columns;
  for (const auto& c : player_columns())
    columns += (columns.empty() ? "" : ", ") + c;
  std::vector<match_player_info> out;
  for (auto& row : sql_query(
           conn, "SELECT " + columns +
                     " FROM match_players p JOIN users u ON u.id = p.user_id "
                     "WHERE p.match_id = " +
                     std::to_string(match_id) + " ORDER BY p.id"))
    out.push_back(read_player(row));
  return out;
}

namespace {

/// Whether any of `entrants` ended otherwise than the match's players
/// recorded for them.
bool outcomes_differ(odb::mysql::connection& conn, std::int32_t match_id,
                     const std::vector<entrant_state>& entrants) {
  auto players = load_match_players(conn, match_id);
  for (const auto& e : entrants)
    for (const auto& p : players)
      if (p.racetime_id == e.racetime_id &&
          (p.entrant_status != e.status || p.finish_place != e.place ||
           p.finish_time != e.finish_time))
        return true;
  return false;
}

} // namespace

std::vector<room_record>
room_watch_repository::rooms_to_watch(bool include_parked,
                                      std::chrono::milliseconds undo_window) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::vector<room_record> out;
    auto since = "UTC_TIMESTAMP(6) - INTERVAL " +
                 std::to_string(undo_window.count()) + "000 MICROSECOND";
    // Rows ended before race_ended_at existed count from the match's end.
    std::string settling =
        undo_window.count() > 0
            ? " OR (r.status IN ('finished', 'cancelled') AND "
              "COALESCE(r.race_ended_at, m.finished_at) > " +
                  since + ")"
            : "";
    for (auto& row : sql_query(
             conn, std::string{"SELECT "} + room_columns +
                       " FROM racetime_rooms r LEFT JOIN matches m ON m.id = "
                       "r.match_id WHERE r.claim_state = 'created' AND "
                       "(r.status IS NULL OR r.status NOT IN ('finished', "
                       "'cancelled', 'gone', 'partitioned')" +
                       settling + ")" +
                       (include_parked ? "" : " AND r.parked_at IS NULL") +
                       " ORDER BY r.id"))
      out.push_back(read_room(row));
    return out;
  });
}

room_changes
room_watch_repository::changed_rooms(std::optional<timestamp> since) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    room_changes out;
    // Markers overlap by 15 hours: a transaction that stamped a row a
    // little before this one and commits after it, a writer whose clock is
    // behind MariaDB's (users.updated_at from racecontrold's own), and one
    // whose session is not in UTC (the organizers' web app; ON UPDATE
    // CURRENT_TIMESTAMP follows the session's time zone, down to UTC-12)
    // would otherwise fall between two markers and the player go
    // uninvited. A room listed again reloads only when its fingerprint
    // changed.
    out.marker =
        sql_timestamp(
            sql_scalar(conn, "SELECT " + sql_epoch_us("UTC_TIMESTAMP(6) - "
                                                      "INTERVAL 15 HOUR")))
            .value_or(timestamp{});
    if (!since)
      return out;
    auto after = sql_quote(*since);
    for (auto& row : sql_query(
             conn, std::string{"SELECT r.id, "} + fingerprint_sql +
                       " FROM racetime_rooms r WHERE r.id IN (SELECT r.id FROM "
                       "racetime_rooms r "
                       "LEFT JOIN matches m ON m.id = r.match_id "
                       "LEFT JOIN match_players p ON p.match_id = r.match_id "
                       "LEFT JOIN users u ON u.id = p.user_id "
                       "WHERE r.claim_state = 'created' AND "
                       "(r.status IS NULL OR r.status NOT IN ('finished', "
                       "'cancelled', 'gone', 'partitioned')) AND r.parked_at "
                       "IS NULL AND "
                       "(r.updated_at > " +
                       after + " OR m.updated_at > " + after +
                       " OR p.updated_at > " + after + " OR u.updated_at > " +
                       after + ")) ORDER BY r.id"))
      out.rooms.push_back(
          {std::stoi(row.at(0).value_or("0")), read_fingerprint(row.at(1))});
    return out;
  });
}

std::optional<room_record> room_watch_repository::room(std::int32_t room_id) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::optional<room_record> out;
    auto rows = sql_query(conn, std::string{"SELECT "} + room_columns +
                                    " FROM racetime_rooms r WHERE r.id = " +
                                    std::to_string(room_id));
    if (!rows.empty())
      out = read_room(rows.front());
    return out;
  });
}

std::optional<room_context> load_room_context(odb::mysql::connection& conn,
                                              std::int32_t room_id) {
  auto found = load_room_contexts(conn, {room_id});
  if (found.empty())
    return std::nullopt;
  return std::move(found.front());
}

std::vector<room_context>
load_room_contexts(odb::mysql::connection& conn,
                   const std::vector<std::int32_t>& room_ids) {
  std::vector<room_context> out;
  if (room_ids.empty())
    return out;
  std::string list;
  for (auto id : room_ids)
    list += (list.empty() ? "" : ", ") + std::to_string(id);
  auto rows = sql_query(
      conn, std::string{"SELECT "} + room_columns + ", " + fingerprint_sql +
                ", " + match_columns() + ", (SELECT " +
                sql_json_rows_of(player_columns(), "p.id") +
                " FROM match_players p JOIN users u ON u.id = p.user_id WHERE "
                "p.match_id = m.id) FROM racetime_rooms r LEFT JOIN (matches m "
                "JOIN tournaments t ON t.id = m.tournament_id) ON m.id = "
                "r.match_id WHERE r.id IN (" +
                list + ") ORDER BY r.id");
  for (const auto& row : rows) {
    room_context ctx;
    ctx.room = read_room(row);
    ctx.fingerprint = read_fingerprint(row.at(10));
    if (ctx.room.match_id && row.at(11)) {
      ctx.match = read_match(row, 11);
      for (const auto& p : sql_json_rows(row.at(20)))
        ctx.players.push_back(read_player(p));
    }
    out.push_back(std::move(ctx));
  }
  return out;
}

std::optional<room_context>
room_watch_repository::context(std::int32_t room_id) {
  // A change after this read reaches the room by the supervisor's periodic
  // look at what changed (changed_rooms).
  return in_autocommit(db_, [&](odb::mysql::connection& conn) {
    return load_room_context(conn, room_id);
  });
}

namespace {

constexpr const char* fence_signal = "racecontrol fence: room ";

/// Refuses a write of `room_id` from placement `epoch` when the room was
/// placed again since (its row holds another owner_epoch). A statement that
/// can wait in a pipeline (sql_defer): MariaDB raises an error then, so
/// nothing after it runs, and fenced_writes turns that error into
/// room_fenced. The row stays locked until the transaction ends, so a
/// placement cannot slip in between this check and the write. A room whose
/// row is gone is not fenced: the write then changes nothing.
void check_owner(odb::mysql::connection& conn, std::int32_t room_id,
                 std::uint64_t epoch) {
  auto id = std::to_string(room_id);
  auto at = std::to_string(epoch);
  sql_defer(conn, sql_signal_if("(SELECT owner_epoch FROM racetime_rooms "
                                "WHERE id = " +
                                    id + " FOR UPDATE) <> " + at,
                                fence_signal + id + " epoch " + at));
}

/// Runs a room's writes in one pipelined transaction (its owner checks
/// from check_owner); a refused check ends as room_fenced.
template <class F>
auto fenced_writes(odb::mysql::database& db, F&& f)
    -> decltype(f(std::declval<odb::mysql::connection&>())) {
  try {
    return in_pipelined_transaction(db, std::forward<F>(f));
  } catch (const database_error& e) {
    unsigned long long room = 0, epoch = 0;
    if (!signalled(e, fence_signal) ||
        std::sscanf(e.what(), "racecontrol fence: room %llu epoch %llu", &room,
                    &epoch) != 2)
      throw;
    throw room_fenced("room " + std::to_string(room) +
                      ": this watcher's placement (epoch " +
                      std::to_string(epoch) +
                      ") is no longer the room's; it was placed again, so "
                      "this write is refused and the watcher must stop");
  }
}

/// The microseconds since the epoch of `t`, for an event's dedupe key.
std::string epoch_us_text(timestamp t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                            t.time_since_epoch())
                            .count());
}

/// A finished or cancelled race running again on racetime.gg (an entrant
/// undid a finish or a forfeit within its ten minutes): the match's
/// recorded end is withdrawn, so that the next end is written as its
/// outcome, and the tournament hears of it. The caller saw the room's row
/// ended under its lock, so a retried write announces nothing again and
/// the key need only differ from the reopenings before.
void reopen_in(odb::mysql::connection& conn, std::int32_t room_id,
               std::optional<std::int32_t> match_id,
               const std::string& details) {
  if (match_id)
    sql_defer(conn, "UPDATE matches SET finished_at = NULL, updated_at = " +
                        sql_quote(now_us()) +
                        " WHERE id = " + std::to_string(*match_id));
  sql_defer(conn, "UPDATE racetime_rooms SET race_ended_at = NULL WHERE id = " +
                      std::to_string(room_id));
  room_event(conn, room_id, "race_reopened", details,
             "reopened:" + epoch_us_text(now_us()));
}

void record_progress_in(odb::mysql::connection& conn, const room_progress& p) {
  auto id = std::to_string(p.room_id);
  if (p.status) {
    auto before = sql_scalar(conn, "SELECT status FROM racetime_rooms "
                                   "WHERE id = " +
                                       id + " FOR UPDATE");
    sql_defer(conn, "UPDATE racetime_rooms SET status = " +
                        sql_quote(conn, *p.status) +
                        ", status_message = NULL, parked_at = NULL, "
                        "updated_at = " +
                        sql_quote(now_us()) + " WHERE id = " + id);
    auto details =
        "JSON_OBJECT('from', " + (before ? sql_quote(conn, *before) : "NULL") +
        ", 'to', " + sql_quote(conn, *p.status) +
        ", 'slug', (SELECT slug FROM racetime_rooms WHERE id = " + id + "))";
    // The start (and a reopening) are events operators and players hear
    // of; the other changes only go to the audit trail.
    bool ended =
        before == sql_value{"finished"} || before == sql_value{"cancelled"};
    if (ended && *p.status != "finished" && *p.status != "cancelled")
      reopen_in(conn, p.room_id, p.match_id, details);
    else if (before != sql_value{*p.status} && *p.status == "in_progress")
      room_event(conn, p.room_id, "race_started", details, "started");
    else if (before != sql_value{*p.status})
      audit_room(conn, p.room_id, "racetime_room.status", details);
  }
  if (p.match_id) {
    write_entrants(conn, *p.match_id, p.entrants);
    if (p.started_at)
      sql_defer(conn,
                "UPDATE matches SET started_at = " + sql_quote(*p.started_at) +
                    ", updated_at = " + sql_quote(now_us()) + " WHERE id = " +
                    std::to_string(*p.match_id) + " AND started_at IS NULL");
  }
}

} // namespace

void room_watch_repository::record_progress(const room_progress& p) {
  fenced_writes(db_, [&](odb::mysql::connection& conn) {
    check_owner(conn, p.room_id, p.owner_epoch);
    record_progress_in(conn, p);
  });
}

void room_watch_repository::record_updates(
    const std::vector<room_update>& updates) {
  fenced_writes(db_, [&](odb::mysql::connection& conn) {
    std::set<std::int32_t> checked;
    for (const auto& u : updates)
      if (u.room_id != 0 && checked.insert(u.room_id).second)
        check_owner(conn, u.room_id, u.owner_epoch);
    // Audit entries go in together, in one statement, written before any
    // progress that audits a status change itself so the trail keeps the
    // order in which things happened.
    std::vector<const audit_record*> audits;
    // Entrant changes of one room that follow each other (each invitation
    // is its own update) are written together, so players in the same
    // state share one UPDATE (write_entrants keeps their order).
    std::optional<room_progress> entrants;
    auto write_entrants_now = [&] {
      if (entrants)
        record_progress_in(conn, *entrants);
      entrants.reset();
    };
    for (const auto& u : updates) {
      if (u.progress && u.progress->status) {
        write_entrants_now();
        audit_repository::append_all_in(conn, audits);
        audits.clear();
        record_progress_in(conn, *u.progress);
      } else if (u.progress) {
        if (entrants && (entrants->room_id != u.progress->room_id ||
                         entrants->match_id != u.progress->match_id))
          write_entrants_now();
        if (!entrants) {
          entrants = *u.progress;
        } else {
          entrants->entrants.insert(entrants->entrants.end(),
                                    u.progress->entrants.begin(),
                                    u.progress->entrants.end());
          if (!entrants->started_at)
            entrants->started_at = u.progress->started_at;
        }
      }
      if (u.audit)
        audits.push_back(&*u.audit);
    }
    write_entrants_now();
    audit_repository::append_all_in(conn, audits);
  });
}

result_outcome room_watch_repository::record_result(const room_result& r) {
  return fenced_writes(db_, [&](odb::mysql::connection& conn) {
    auto id = std::to_string(r.room_id);
    check_owner(conn, r.room_id, r.owner_epoch);
    // The row locks make two writers of the same result take turns; the
    // second then sees the first one's finish and writes nothing.
    auto room_status =
        sql_scalar(conn, "SELECT status FROM racetime_rooms WHERE id = " + id +
                             " FOR UPDATE");
    bool done = room_status == sql_value{"finished"};
    std::optional<timestamp> recorded_end;
    if (r.match_id) {
      recorded_end = sql_timestamp(sql_scalar(
          conn, "SELECT " + sql_epoch_us("finished_at") +
                    " FROM matches WHERE id = " + std::to_string(*r.match_id) +
                    " FOR UPDATE"));
      done = done || recorded_end.has_value();
    }
    // A later end than the one this room recorded, or an end of a room
    // written cancelled: the race was reopened by an undo and ended again
    // while no watcher saw it running (one started since, after a restart
    // or a move).
    bool later_end = room_status == sql_value{"finished"} && recorded_end &&
                     *recorded_end < r.ended_at;
    if (later_end || room_status == sql_value{"cancelled"}) {
      reopen_in(conn, r.room_id, r.match_id,
                "JSON_OBJECT('from', " + sql_quote(conn, *room_status) +
                    ", 'to', 'finished', 'slug', (SELECT slug FROM "
                    "racetime_rooms WHERE id = " +
                    id + "))");
    } else if (done) {
      // The room may have missed its status write; the match is the truth.
      sql_execute(conn, "UPDATE racetime_rooms SET status = 'finished' "
                        "WHERE id = " +
                            id +
                            " AND (status IS NULL OR status <> "
                            "'finished')");
      // The same end with other outcomes: racetime.gg changed the result
      // after the race ended (a monitor disqualified an entrant; the
      // places behind moved up). The newer outcomes replace the recorded
      // ones and the tournament hears of it; a retried write finds nothing
      // changed. (Without the race's version here, an older copy of the
      // same end read after the change would be taken as a change back.)
      if (r.match_id && recorded_end && *recorded_end == r.ended_at &&
          outcomes_differ(conn, *r.match_id, r.entrants)) {
        write_entrants(conn, *r.match_id, r.entrants);
        room_event(conn, r.room_id, "race_result_changed",
                   result_details(conn, r),
                   "changed:" + epoch_us_text(now_us()));
        return result_outcome::recorded;
      }
      return result_outcome::already_recorded;
    }
    if (r.match_id) {
      write_entrants(conn, *r.match_id, r.entrants);
      auto mid = std::to_string(*r.match_id);
      if (r.started_at)
        sql_execute(conn, "UPDATE matches SET started_at = " +
                              sql_quote(*r.started_at) + " WHERE id = " + mid +
                              " AND started_at IS NULL");
      sql_execute(conn,
                  "UPDATE matches SET finished_at = " + sql_quote(r.ended_at) +
                      ", updated_at = " + sql_quote(now_us()) +
                      " WHERE id = " + mid);
    }
    sql_execute(conn, "UPDATE racetime_rooms SET status = 'finished', "
                      "status_message = NULL, parked_at = NULL, "
                      "race_ended_at = " +
                          sql_quote(r.ended_at) + ", updated_at = " +
                          sql_quote(now_us()) + " WHERE id = " + id);
    room_event(conn, r.room_id, "race_finished", result_details(conn, r),
               // A race reopened and finished again is announced again.
               "finished:" + epoch_us_text(r.ended_at));
    return result_outcome::recorded;
  });
}

void room_watch_repository::close(const room_closure& c) {
  fenced_writes(db_, [&](odb::mysql::connection& conn) {
    auto id = std::to_string(c.room_id);
    check_owner(conn, c.room_id, c.owner_epoch);
    bool cancel = !c.park && c.status == "cancelled";
    // A cancellation written before (a retried write, or a watcher started
    // since that saw it again) is not written or announced twice; one after
    // a reopening is (hence a key per cancellation). A race whose result
    // was recorded and is now cancelled was reopened (an undo) unseen: its
    // result is withdrawn first.
    std::optional<std::int32_t> match_id;
    if (cancel) {
      auto rows = sql_query(conn, "SELECT status, match_id FROM "
                                  "racetime_rooms WHERE id = " +
                                      id + " FOR UPDATE");
      auto before = rows.empty() ? sql_value{} : rows[0][0];
      if (!rows.empty())
        match_id = sql_int(rows[0][1]);
      if (before == sql_value{"cancelled"}) {
        // Reopened and cancelled again unseen: the later cancel time is
        // the one an un-forfeit counts from.
        if (c.ended_at)
          sql_execute(conn, "UPDATE racetime_rooms SET race_ended_at = " +
                                sql_quote(*c.ended_at) + " WHERE id = " + id +
                                " AND (race_ended_at IS NULL OR "
                                "race_ended_at < " +
                                sql_quote(*c.ended_at) + ")");
        // Written before this build let such rooms go: their match is
        // given up now (once; a retried write finds no match left).
        if (c.release_match && match_id)
          sql_execute(conn, "UPDATE racetime_rooms SET released_match_id = "
                            "match_id, match_id = NULL WHERE id = " +
                                id);
        return;
      }
      if (before == sql_value{"finished"})
        reopen_in(conn, c.room_id, sql_int(rows[0][1]),
                  "JSON_OBJECT('from', 'finished', 'to', 'cancelled', "
                  "'slug', (SELECT slug FROM racetime_rooms WHERE id = " +
                      id + "))");
    }
    std::string set = "status_message = " + sql_quote(conn, c.reason);
    if (!c.status.empty())
      set += ", status = " + sql_quote(conn, c.status);
    set += c.park ? ", parked_at = " + sql_quote(now_us()) : "";
    // An ended race leaves nothing parked (as a result does).
    if (cancel)
      set += ", parked_at = NULL, race_ended_at = " +
             sql_quote(c.ended_at.value_or(now_us()));
    if (sql_execute(conn, "UPDATE racetime_rooms SET " + set +
                              ", updated_at = " + sql_quote(now_us()) +
                              " WHERE id = " + id) == 0)
      return;
    auto details =
        "JSON_OBJECT('status', " +
        (c.status.empty() ? std::string{"NULL"} : sql_quote(conn, c.status)) +
        ", 'reason', " + sql_quote(conn, c.reason) +
        ", 'slug', (SELECT slug FROM racetime_rooms WHERE id = " + id + "))";
    bool release = cancel && c.release_match && match_id;
    if (release)
      details = "JSON_MERGE_PATCH(" + details + ", JSON_OBJECT('new_room', " +
                "true, 'match_id', " + std::to_string(*match_id) + "))";
    if (cancel)
      room_event(conn, c.room_id, "race_cancelled", details,
                 "cancelled:" + epoch_us_text(now_us()));
    else
      audit_room(conn, c.room_id,
                 c.park ? "racetime_room.parked" : "racetime_room.closed",
                 details);
    // After the event, which finds its tournament through the match: the
    // match has no room now, and its tournament opens a new one while the
    // match is due (the unique match_id keeps one live room per match).
    if (release)
      sql_defer(conn, "UPDATE racetime_rooms SET released_match_id = "
                      "match_id, match_id = NULL WHERE id = " +
                          id);
  });
}

std::optional<room_record>
room_watch_repository::assign(const room_assignment& a) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::optional<room_record> out;
    auto id = std::to_string(a.room_id);
    // updated_at stays: a placement changes nothing a room reloads for.
    if (sql_execute(
            conn, "UPDATE racetime_rooms SET owner_node = " +
                      sql_quote(conn, a.node) +
                      ", owner_epoch = owner_epoch + 1 WHERE id = " + id) == 0)
      return out;
    auto rows =
        sql_query(conn, std::string{"SELECT "} + room_columns +
                            " FROM racetime_rooms r WHERE r.id = " + id);
    if (!rows.empty())
      out = read_room(rows.front());
    return out;
  });
}

} // namespace racecontrol::persistence
