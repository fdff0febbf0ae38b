#include "persistence/scheduled_task_repository.hpp"

#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

namespace racecontrol::persistence {

namespace {

std::string task_columns() {
  return "id, organization_id, name, task_type, schedule_type, "
         "interval_seconds, cron_expression, " +
         sql_epoch_us("run_at") + ", config, is_active, " +
         sql_epoch_us("next_run_at") + ", " + sql_epoch_us("last_run_at") +
         ", last_run_status, last_run_error, " +
         sql_epoch_us("run_started_at") + ", run_owner";
}

task_record read_task(const sql_row& row) {
  task_record t;
  t.id = std::stoi(row[0].value_or("0"));
  t.organization_id = sql_int(row[1]);
  t.name = row[2].value_or("");
  t.task_type = row[3].value_or("");
  t.schedule_type = row[4].value_or("");
  t.interval_seconds = sql_int(row[5]);
  t.cron_expression = row[6];
  t.run_at = sql_timestamp(row[7]);
  t.config_json = row[8].value_or("{}");
  t.is_active = row[9].value_or("0") == "1";
  t.next_run_at = sql_timestamp(row[10]);
  t.last_run_at = sql_timestamp(row[11]);
  t.last_run_status = row[12].value_or("");
  t.last_run_error = row[13].value_or("");
  t.run_started_at = sql_timestamp(row[14]);
  t.run_owner = row[15].value_or("");
  return t;
}

/// `next_run_at <=> '...'` (NULL-safe), the condition every write of the
/// schedule carries.
std::string next_run_is(const std::optional<timestamp>& expected) {
  return "next_run_at <=> " +
         (expected ? sql_quote(*expected) : std::string{"NULL"});
}

std::string nullable_time(const std::optional<timestamp>& t) {
  return t ? sql_quote(*t) : std::string{"NULL"};
}

} // namespace

std::vector<task_record> scheduled_task_repository::tasks_to_schedule() {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::vector<task_record> out;
    for (auto& row : sql_query(conn, "SELECT " + task_columns() +
                                         " FROM scheduled_tasks WHERE "
                                         "is_active = 1 OR run_started_at IS "
                                         "NOT NULL ORDER BY id"))
      out.push_back(read_task(row));
    return out;
  });
}

std::vector<task_record>
scheduled_task_repository::select_in(odb::mysql::connection& conn,
                                     const std::string& where,
                                     const std::string& rest) {
  std::vector<task_record> out;
  for (auto& row :
       sql_query(conn, "SELECT " + task_columns() +
                           " FROM scheduled_tasks WHERE " + where + rest))
    out.push_back(read_task(row));
  return out;
}

bool scheduled_task_repository::schedule(const task_schedule& s) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    return sql_execute(conn, "UPDATE scheduled_tasks SET next_run_at = " +
                                 sql_quote(s.next_run_at) +
                                 ", updated_at = " + sql_quote(now_us()) +
                                 " WHERE id = " + std::to_string(s.task_id) +
                                 " AND is_active = 1 AND " +
                                 next_run_is(s.expected_next_run_at)) > 0;
  });
}

claim_outcome scheduled_task_repository::claim(const task_claim& c) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    auto id = std::to_string(c.task_id);
    // The row lock makes two claimers take turns: the second sees the
    // first one's next_run_at and marker, and gets `changed` or `busy`.
    auto rows = sql_query(
        conn, "SELECT is_active, " + next_run_is(c.expected_next_run_at) +
                  ", run_started_at IS NOT NULL FROM scheduled_tasks WHERE "
                  "id = " +
                  id + " FOR UPDATE");
    if (rows.empty() || rows[0][0] != sql_value{"1"} ||
        rows[0][1] != sql_value{"1"})
      return claim_outcome::changed;
    if (rows[0][2] == sql_value{"1"})
      return claim_outcome::busy;
    // The same conditions again, so the write stands on its own.
    auto claimed = sql_execute(
        conn, "UPDATE scheduled_tasks SET next_run_at = " +
                  nullable_time(c.next_run_at) +
                  ", run_started_at = " + sql_quote(c.started_at) +
                  ", run_owner = " + sql_quote(conn, c.owner) +
                  (c.deactivate ? ", is_active = 0" : "") + ", updated_at = " +
                  sql_quote(now_us()) + " WHERE id = " + id +
                  " AND is_active = 1 AND run_started_at IS NULL AND " +
                  next_run_is(c.expected_next_run_at));
    return claimed > 0 ? claim_outcome::claimed : claim_outcome::changed;
  });
}

bool scheduled_task_repository::finish(const task_finish& f) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    return sql_execute(
               conn,
               "UPDATE scheduled_tasks SET last_run_at = " +
                   sql_quote(f.started_at) + ", last_run_status = " +
                   sql_quote(conn, f.status) + ", last_run_error = " +
                   (f.message.empty() ? std::string{"NULL"}
                                      : sql_quote(conn, f.message)) +
                   ", run_started_at = NULL, run_owner = NULL, updated_at = " +
                   sql_quote(now_us()) +
                   " WHERE id = " + std::to_string(f.task_id) +
                   " AND run_started_at = " + sql_quote(f.started_at) +
                   " AND run_owner = " + sql_quote(conn, f.owner)) > 0;
  });
}

void scheduled_task_repository::record_invalid(const task_invalid& x) {
  in_transaction(db_, [&](odb::mysql::connection& conn) {
    sql_execute(
        conn, "UPDATE scheduled_tasks SET last_run_status = "
              "'failed', last_run_error = " +
                  sql_quote(conn, x.reason) +
                  ", next_run_at = NULL, updated_at = " + sql_quote(now_us()) +
                  " WHERE id = " + std::to_string(x.task_id));
  });
}

} // namespace racecontrol::persistence
