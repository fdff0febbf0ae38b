#include "persistence/audit_repository.hpp"

#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <rapidjson/document.h>

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

void audit_repository::append_in(odb::mysql::connection& conn,
                                 const audit_record& entry,
                                 const std::string& details_sql) {
  sql_execute(conn, "INSERT INTO audit_log (organization_id, user_id, "
                    "action, entity_type, entity_id, details, created_at) "
                    "VALUES (" +
                        sql_render(conn, sql_nullable(entry.organization_id)) +
                        ", NULL, " + sql_quote(conn, entry.action) + ", " +
                        sql_quote(conn, entry.entity_type) + ", " +
                        sql_render(conn, sql_nullable(entry.entity_id)) + ", " +
                        details_sql + ", " + sql_quote(now_us()) + ")");
}

void audit_repository::append_in(odb::mysql::connection& conn,
                                 const audit_record& entry) {
  auto details =
      entry.details_json.empty() ? std::string{"{}"} : entry.details_json;
  // MariaDB's JSON column does not check its values; a malformed document
  // would be kept and break every reader later.
  if (!valid_json_document(details))
    throw database_error(database_error::kind::statement,
                         "audit entry " + entry.action +
                             ": details are not a valid JSON document");
  append_in(conn, entry, sql_quote(conn, details));
}

void audit_repository::append(const audit_record& entry) {
  in_transaction(db_, [&](odb::mysql::connection& conn) {
    append_in(conn, entry);
  });
}

} // namespace racecontrol::persistence
