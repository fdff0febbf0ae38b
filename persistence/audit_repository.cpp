#include "persistence/audit_repository.hpp"

#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <rapidjson/document.h>

#include <algorithm>

namespace racecontrol::persistence {

namespace {

/// Checked here rather than with MariaDB's JSON_VALID: one round trip less
/// for every entry (rooms write several each).
bool valid_json_document(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  return !doc.HasParseError();
}

} // namespace

namespace {

constexpr const char* audit_columns = "INSERT INTO audit_log (organization_id, "
                                      "user_id, action, entity_type, "
                                      "entity_id, details, created_at) ";
const std::string insert_audit = std::string{audit_columns} + "VALUES ";

/// One row's values; `details_sql` an SQL expression.
std::string audit_values(odb::mysql::connection& conn,
                         const audit_record& entry,
                         const std::string& details_sql) {
  return "(" + sql_render(conn, sql_nullable(entry.organization_id)) +
         ", NULL, " + sql_quote(conn, entry.action) + ", " +
         sql_quote(conn, entry.entity_type) + ", " +
         sql_render(conn, sql_nullable(entry.entity_id)) + ", " + details_sql +
         ", " + sql_quote(now_us()) + ")";
}

/// The entry's details as an SQL string literal.
std::string checked_details(odb::mysql::connection& conn,
                            const audit_record& entry) {
  auto details =
      entry.details_json.empty() ? std::string{"{}"} : entry.details_json;
  // MariaDB's JSON column does not check its values; a malformed document
  // would be kept and break every reader later.
  if (!valid_json_document(details))
    throw database_error(database_error::kind::statement,
                         "audit entry " + entry.action +
                             ": details are not a valid JSON document");
  return sql_quote(conn, details);
}

} // namespace

void audit_repository::append_in(odb::mysql::connection& conn,
                                 const audit_record& entry,
                                 const std::string& details_sql) {
  sql_defer(conn, insert_audit + audit_values(conn, entry, details_sql));
}

void audit_repository::append_selected_in(odb::mysql::connection& conn,
                                          const std::string& select) {
  sql_defer(conn, audit_columns + select);
}

void audit_repository::append_in(odb::mysql::connection& conn,
                                 const audit_record& entry) {
  append_in(conn, entry, checked_details(conn, entry));
}

void audit_repository::append_all_in(
    odb::mysql::connection& conn,
    const std::vector<const audit_record*>& entries) {
  if (entries.empty())
    return;
  std::string rows;
  for (const auto* entry : entries)
    rows += (rows.empty() ? "" : ", ") +
            audit_values(conn, *entry, checked_details(conn, *entry));
  sql_defer(conn, insert_audit + rows);
}

void audit_repository::append(const audit_record& entry) {
  in_transaction(db_, [&](odb::mysql::connection& conn) {
    append_in(conn, entry);
  });
}

std::vector<audit_entry> audit_repository::list(const audit_query& q) {
  auto conn = db_.connection();
  std::string where = "TRUE";
  if (q.organization_id)
    where += " AND organization_id = " + std::to_string(*q.organization_id);
  if (q.entity_type)
    where += " AND entity_type = " + sql_quote(*conn, *q.entity_type);
  if (q.entity_id)
    where += " AND entity_id = " + std::to_string(*q.entity_id);
  if (q.since)
    where += " AND created_at >= " + sql_quote(*q.since);
  if (q.until)
    where += " AND created_at < " + sql_quote(*q.until);
  if (q.before_id)
    where += " AND id < " + std::to_string(*q.before_id);
  auto limit = std::min<std::uint32_t>(q.limit, 1000);
  auto rows = sql_query(
      *conn, "SELECT id, organization_id, user_id, action, entity_type, "
             "entity_id, COALESCE(details, '{}'), " +
                 sql_epoch_us("created_at") + " FROM audit_log WHERE " + where +
                 " ORDER BY id DESC LIMIT " + std::to_string(limit));
  std::vector<audit_entry> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    audit_entry e;
    e.id = std::stoll(r[0].value_or("0"));
    e.organization_id = sql_int(r[1]);
    e.user_id = sql_int(r[2]);
    e.action = r[3].value_or("");
    e.entity_type = r[4].value_or("");
    e.entity_id = sql_int(r[5]);
    e.details_json = r[6].value_or("{}");
    e.created_at = sql_timestamp(r[7]).value_or(timestamp{});
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace racecontrol::persistence
