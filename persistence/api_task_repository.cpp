#include "persistence/api_task_repository.hpp"

#include "persistence/audit_repository.hpp"
#include "persistence/scheduled_task_repository.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <rapidjson/document.h>

#include <algorithm>

namespace racecontrol::persistence {

namespace {

using odb::mysql::connection;

std::string id_text(std::int32_t id) {
  return std::to_string(id);
}

std::string nullable_time(const std::optional<timestamp>& t) {
  return t ? sql_quote(*t) : std::string{"NULL"};
}

std::string nullable_int(const std::optional<std::int32_t>& v) {
  return v ? id_text(*v) : std::string{"NULL"};
}

bool same_schedule(const task_record& a, const task_record& b) {
  return a.schedule_type == b.schedule_type &&
         a.interval_seconds == b.interval_seconds &&
         a.cron_expression == b.cron_expression && a.run_at == b.run_at;
}

/// The settings a write changes, as a JSON array of quoted names for the
/// audit entry (never values: a config may hold anything).
std::string changed_fields(const task_record& before, const task_record& t) {
  std::vector<std::string> names;
  if (before.name != t.name)
    names.emplace_back("name");
  if (before.task_type != t.task_type)
    names.emplace_back("task_type");
  if (!same_schedule(before, t))
    names.emplace_back("schedule");
  if (before.config_json != t.config_json)
    names.emplace_back("config");
  if (before.is_active != t.is_active)
    names.emplace_back("is_active");
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "'" : ", '") + n + "'";
  return out;
}

/// The row as it is `now` with the settings the request changed from what
/// it read (`read`) to `wanted`; the schedule's fields go together.
task_record merged(const task_record& now, const task_record& read,
                   const task_record& wanted) {
  task_record out = now;
  if (wanted.name != read.name)
    out.name = wanted.name;
  if (wanted.task_type != read.task_type)
    out.task_type = wanted.task_type;
  if (!same_schedule(wanted, read)) {
    out.schedule_type = wanted.schedule_type;
    out.interval_seconds = wanted.interval_seconds;
    out.cron_expression = wanted.cron_expression;
    out.run_at = wanted.run_at;
  }
  if (wanted.config_json != read.config_json)
    out.config_json = wanted.config_json;
  if (wanted.is_active != read.is_active)
    out.is_active = wanted.is_active;
  return out;
}

/// A RACETIME_OPEN_ROOM task that names a match opens that match's room:
/// only a match of the task's own organization may be named.
std::optional<api_refusal> check_config(connection& conn, const task_write& w) {
  if (w.task.task_type != "RACETIME_OPEN_ROOM")
    return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(w.task.config_json.data(), w.task.config_json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("match_id"))
    return std::nullopt;
  const auto& id = doc["match_id"];
  auto refusal = [](const std::string& why) {
    return api_refusal{"invalid_config", why, "config"};
  };
  if (!id.IsInt() || id.GetInt() <= 0)
    return refusal("config.match_id must be a match's id");
  auto org = sql_int(sql_scalar(
      conn, "SELECT t.organization_id FROM matches m JOIN tournaments t ON "
            "t.id = m.tournament_id WHERE m.id = " +
                id_text(id.GetInt())));
  if (org != std::optional<std::int32_t>{w.organization_id})
    return refusal("config.match_id " + id_text(id.GetInt()) +
                   " is not a match of this token's organization");
  return std::nullopt;
}

void audit(connection& conn, const task_write& w, const std::string& name,
           std::int32_t id, const char* action, const std::string& fields) {
  audit_repository::append_in(
      conn, audit_record{w.organization_id, action, "scheduled_task", id, ""},
      "JSON_OBJECT('actor', " + sql_quote(conn, w.actor) + ", 'name', " +
          sql_quote(conn, name) + ", 'fields', JSON_ARRAY(" + fields + "))");
}

std::string settings_sql(connection& conn, const task_record& t) {
  return "name = " + sql_quote(conn, t.name) +
         ", task_type = " + sql_quote(conn, t.task_type) +
         ", schedule_type = " + sql_quote(conn, t.schedule_type) +
         ", interval_seconds = " + nullable_int(t.interval_seconds) +
         ", cron_expression = " +
         (t.cron_expression ? sql_quote(conn, *t.cron_expression)
                            : std::string{"NULL"}) +
         ", run_at = " + nullable_time(t.run_at) +
         ", config = " + sql_quote(conn, t.config_json) +
         ", is_active = " + (t.is_active ? "1" : "0") +
         ", updated_at = " + sql_quote(now_us());
}

task_record reread(connection& conn, std::int32_t id) {
  return scheduled_task_repository::select_in(conn, "id = " + id_text(id))
      .front();
}

} // namespace

std::vector<task_record> api_task_repository::tasks(const task_query& q) {
  return in_transaction(db_, [&](connection& conn) {
    if (q.id)
      return scheduled_task_repository::select_in(conn,
                                                  "id = " + id_text(*q.id));
    return scheduled_task_repository::select_in(
        conn,
        "organization_id = " + id_text(q.organization_id) + " AND id > " +
            id_text(q.page.after_id),
        " ORDER BY id LIMIT " + id_text(std::clamp(q.page.limit, 1, 1000)));
  });
}

std::variant<task_record, api_refusal>
api_task_repository::write(const task_write& request) {
  using result = std::variant<task_record, api_refusal>;
  return in_transaction(db_, [&](connection& conn) -> result {
    task_write w = request;
    std::optional<task_record> before;
    if (w.task.id != 0) {
      auto rows = scheduled_task_repository::select_in(
          conn, "id = " + id_text(w.task.id), " FOR UPDATE");
      auto what = "scheduled task " + id_text(w.task.id);
      if (rows.empty())
        return api_refusal{"not_found", "there is no " + what, ""};
      if (rows[0].organization_id !=
          std::optional<std::int32_t>{w.organization_id})
        return api_refusal{"forbidden",
                           what + " belongs to another organization than "
                                  "this token's (or to none: a global task "
                                  "is the operator's)",
                           ""};
      before = rows[0];
      if (w.read_as)
        w.task = merged(*before, *w.read_as, w.task);
    }
    if (w.remove) {
      sql_execute(conn, "DELETE FROM scheduled_tasks WHERE id = " +
                            id_text(w.task.id));
      audit(conn, w, before->name, w.task.id, "task_deleted", "");
      return *before;
    }
    if (auto refused = check_config(conn, w))
      return *refused;
    if (!before) {
      sql_execute(conn, "INSERT INTO scheduled_tasks SET organization_id = " +
                            id_text(w.organization_id) + ", " +
                            settings_sql(conn, w.task) +
                            ", created_at = " + sql_quote(now_us()));
      auto id =
          sql_int(sql_scalar(conn, "SELECT LAST_INSERT_ID()")).value_or(0);
      audit(conn, w, w.task.name, id, "task_created", "");
      return reread(conn, id);
    }
    // A new schedule, or a task switched back on, is planned afresh: an
    // old next_run_at would run it at a time the new schedule never names.
    bool replan = !same_schedule(*before, w.task) ||
                  (w.task.is_active && !before->is_active);
    sql_execute(conn, "UPDATE scheduled_tasks SET " +
                          settings_sql(conn, w.task) +
                          (replan ? ", next_run_at = NULL" : "") +
                          " WHERE id = " + id_text(w.task.id));
    audit(conn, w, w.task.name, w.task.id, "task_updated",
          changed_fields(*before, w.task));
    return reread(conn, w.task.id);
  });
}

} // namespace racecontrol::persistence
