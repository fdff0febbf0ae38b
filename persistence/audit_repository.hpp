#pragma once

// The audit trail: racecontrol writes its own steps here (user_id NULL);
// operators read it back through list() (the console's `audit`).

#include "persistence/runtime_records.hpp"

#include <odb/mysql/connection.hxx>
#include <odb/mysql/database.hxx>

#include <vector>

namespace racecontrol::persistence {

class audit_repository {
 public:
  explicit audit_repository(odb::mysql::database& db) : db_(db) {}

  /// Appends one entry in its own transaction.
  void append(const audit_record& entry);

  /// Entries matching `q`, newest first (by id), at most min(q.limit,
  /// 1000). One read, no transaction needed.
  std::vector<audit_entry> list(const audit_query& q);

  /// Appends inside the caller's transaction, so the entry commits (or
  /// not) with the change it describes. `details_sql` is an SQL expression
  /// yielding the JSON document (e.g. JSON_OBJECT(...)); values in it must
  /// have been quoted with sql_quote.
  static void append_in(odb::mysql::connection& conn, const audit_record& entry,
                        const std::string& details_sql);

  /// Appends the entry `select` yields, inside the caller's transaction:
  /// a SELECT of organization_id, user_id, action, entity_type, entity_id,
  /// details and created_at, in that order, so that MariaDB makes the
  /// entry from rows the transaction reads instead of the caller reading
  /// them first.
  static void append_selected_in(odb::mysql::connection& conn,
                                 const std::string& select);

  /// Appends inside the caller's transaction with the entry's own
  /// details_json, which must be a JSON document (database_error if not).
  static void append_in(odb::mysql::connection& conn,
                        const audit_record& entry);

  /// Several entries (their details checked as append_in does) in one
  /// INSERT, in the given order: one round trip for a batch of a room's
  /// updates instead of one per entry.
  static void append_all_in(odb::mysql::connection& conn,
                            const std::vector<const audit_record*>& entries);

 private:
  odb::mysql::database& db_;
};

} // namespace racecontrol::persistence
