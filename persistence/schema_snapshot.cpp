#include "persistence/schema_snapshot.hpp"

#include "persistence/sql.hpp"

namespace racecontrol::persistence {

namespace {

std::string text(const sql_value& v) {
  return v.value_or("");
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : ", ") + p;
  return out;
}

void read_tables(odb::mysql::connection& conn, const std::string& schema,
                 schema_snapshot& out) {
  for (auto& row : sql_query(conn, "SELECT table_name, engine, "
                                   "table_collation FROM "
                                   "information_schema.tables WHERE "
                                   "table_schema = " +
                                       sql_quote(conn, schema) +
                                       " AND table_type = 'BASE TABLE'")) {
    auto& t = out.tables[text(row[0])];
    t.engine = text(row[1]);
    t.collation = text(row[2]);
  }
}

void read_columns(odb::mysql::connection& conn, const std::string& schema,
                  schema_snapshot& out) {
  for (auto& row : sql_query(
           conn, "SELECT table_name, column_name, column_type, is_nullable, "
                 "column_default, extra, collation_name, column_comment FROM "
                 "information_schema.columns WHERE table_schema = " +
                     sql_quote(conn, schema) +
                     " ORDER BY table_name, ordinal_position")) {
    auto it = out.tables.find(text(row[0]));
    if (it == out.tables.end())
      continue; // a view
    auto name = text(row[1]);
    it->second.column_order.push_back(name);
    column_shape c;
    c.type = text(row[2]);
    c.nullable = text(row[3]) == "YES";
    c.default_value = row[4] ? *row[4] : "";
    c.extra = text(row[5]);
    c.collation = text(row[6]);
    c.comment = text(row[7]);
    it->second.columns[name] = c;
  }
}

void read_indexes(odb::mysql::connection& conn, const std::string& schema,
                  schema_snapshot& out) {
  for (auto& row : sql_query(conn, "SELECT table_name, index_name, "
                                   "non_unique, column_name FROM "
                                   "information_schema.statistics WHERE "
                                   "table_schema = " +
                                       sql_quote(conn, schema) +
                                       " ORDER BY table_name, index_name, "
                                       "seq_in_index")) {
    auto it = out.tables.find(text(row[0]));
    if (it == out.tables.end())
      continue;
    auto& index = it->second.indexes[text(row[1])];
    index.unique = text(row[2]) == "0";
    index.columns.push_back(text(row[3]));
  }
}

void read_foreign_keys(odb::mysql::connection& conn, const std::string& schema,
                       schema_snapshot& out) {
  for (auto& row : sql_query(
           conn, "SELECT k.table_name, k.constraint_name, k.column_name, "
                 "k.referenced_table_name, k.referenced_column_name, "
                 "r.update_rule, r.delete_rule FROM "
                 "information_schema.key_column_usage k JOIN "
                 "information_schema.referential_constraints r ON "
                 "r.constraint_schema = k.constraint_schema AND "
                 "r.constraint_name = k.constraint_name AND r.table_name = "
                 "k.table_name WHERE k.table_schema = " +
                     sql_quote(conn, schema) +
                     " AND k.referenced_table_name IS NOT NULL ORDER BY "
                     "k.table_name, k.constraint_name, k.ordinal_position")) {
    auto it = out.tables.find(text(row[0]));
    if (it == out.tables.end())
      continue;
    auto& fk = it->second.foreign_keys[text(row[1])];
    fk.columns.push_back(text(row[2]));
    fk.referenced_table = text(row[3]);
    fk.referenced_columns.push_back(text(row[4]));
    fk.on_update = text(row[5]);
    fk.on_delete = text(row[6]);
  }
}

std::string describe(const foreign_key_shape& fk) {
  return "(" + join(fk.columns) + ") -> " + fk.referenced_table + "(" +
         join(fk.referenced_columns) + ") ON DELETE " + fk.on_delete +
         " ON UPDATE " + fk.on_update;
}

std::string describe(const index_shape& index) {
  return std::string{index.unique ? "unique " : ""} + "(" +
         join(index.columns) + ")";
}

void diff_columns(const std::string& table, const table_shape& want,
                  const table_shape& have, std::vector<std::string>& out) {
  for (const auto& name : want.column_order) {
    auto it = have.columns.find(name);
    if (it == have.columns.end()) {
      out.push_back(table + "." + name + ": column is missing (expected " +
                    want.columns.at(name).type + ")");
      continue;
    }
    const auto& w = want.columns.at(name);
    const auto& h = it->second;
    auto field = [&](const char* what, const std::string& hv,
                     const std::string& wv) {
      if (hv != wv)
        out.push_back(table + "." + name + ": " + what + " is '" + hv +
                      "', expected '" + wv + "'");
    };
    field("type", h.type, w.type);
    field("nullability", h.nullable ? "NULL" : "NOT NULL",
          w.nullable ? "NULL" : "NOT NULL");
    field("default", h.default_value, w.default_value);
    field("extra", h.extra, w.extra);
    field("collation", h.collation, w.collation);
    field("comment", h.comment, w.comment);
  }
  for (const auto& name : have.column_order)
    if (want.columns.count(name) == 0)
      out.push_back(table + "." + name + ": column is not in the migrations (" +
                    have.columns.at(name).type + ")");
}

template <class Shape>
void diff_named(const std::string& table, const char* kind,
                const std::map<std::string, Shape>& want,
                const std::map<std::string, Shape>& have,
                std::vector<std::string>& out) {
  for (const auto& [name, w] : want) {
    auto it = have.find(name);
    if (it == have.end())
      out.push_back(table + ": " + kind + " " + name + " " + describe(w) +
                    " is missing");
    else if (describe(it->second) != describe(w))
      out.push_back(table + ": " + kind + " " + name + " is " +
                    describe(it->second) + ", expected " + describe(w));
  }
  for (const auto& [name, h] : have)
    if (want.count(name) == 0)
      out.push_back(table + ": " + kind + " " + name + " " + describe(h) +
                    " is not in the migrations");
}

} // namespace

schema_snapshot inspect_schema(odb::mysql::connection& conn,
                               const std::string& schema) {
  schema_snapshot out;
  read_tables(conn, schema, out);
  read_columns(conn, schema, out);
  read_indexes(conn, schema, out);
  read_foreign_keys(conn, schema, out);
  return out;
}

std::vector<std::string> diff_schemas(const schema_snapshot& expected,
                                      const schema_snapshot& actual) {
  std::vector<std::string> out;
  for (const auto& [name, want] : expected.tables) {
    auto it = actual.tables.find(name);
    if (it == actual.tables.end()) {
      out.push_back(name + ": table is missing");
      continue;
    }
    const auto& have = it->second;
    if (have.engine != want.engine)
      out.push_back(name + ": engine is " + have.engine + ", expected " +
                    want.engine);
    if (have.collation != want.collation)
      out.push_back(name + ": collation is " + have.collation + ", expected " +
                    want.collation);
    diff_columns(name, want, have, out);
    diff_named(name, "index", want.indexes, have.indexes, out);
    diff_named(name, "foreign key", want.foreign_keys, have.foreign_keys, out);
  }
  for (const auto& [name, have] : actual.tables)
    if (expected.tables.count(name) == 0)
      out.push_back(name + ": table is not in the migrations");
  return out;
}

} // namespace racecontrol::persistence
