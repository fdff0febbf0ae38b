#pragma once

// The shape of a live schema as information_schema describes it, and a
// readable difference between two shapes. `racecontrol-migrate verify`
// compares the live database with a shadow copy built from the migrations.

#include <odb/mysql/connection.hxx>

#include <map>
#include <string>
#include <vector>

namespace racecontrol::persistence {

struct column_shape {
  std::string type; ///< "varchar(255)", "datetime(6)", "enum('a','b')"
  bool nullable = false;
  std::string default_value; ///< as information_schema prints it; "" = none
  std::string extra; ///< "auto_increment", "on update current_timestamp(6)"
  std::string collation;
  std::string comment;
};

struct index_shape {
  bool unique = false;
  std::vector<std::string> columns;
};

struct foreign_key_shape {
  std::vector<std::string> columns;
  std::string referenced_table;
  std::vector<std::string> referenced_columns;
  std::string on_update;
  std::string on_delete;
};

struct table_shape {
  std::string engine;
  std::string collation;
  std::vector<std::string> column_order;
  std::map<std::string, column_shape> columns;
  std::map<std::string, index_shape> indexes;
  std::map<std::string, foreign_key_shape> foreign_keys;
};

struct schema_snapshot {
  std::map<std::string, table_shape> tables;
};

/// Reads the shape of every table of `schema` (a database name).
schema_snapshot inspect_schema(odb::mysql::connection& conn,
                               const std::string& schema);

/// Lines describing how `actual` differs from `expected`, e.g.
///   "matches.title: type is varchar(100), expected varchar(255)"
///   "racetime_rooms: index idx_racetime_rooms_status (status) is missing"
/// Empty when they agree.
std::vector<std::string> diff_schemas(const schema_snapshot& expected,
                                      const schema_snapshot& actual);

} // namespace racecontrol::persistence
