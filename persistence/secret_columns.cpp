#include "persistence/secret_columns.hpp"

#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

namespace racecontrol::persistence {

namespace {

std::string name_of(const secret_column& c) {
  return std::string{c.table} + "." + c.column;
}

/// Rewrites every non-empty value of every secret column with `f` (which
/// returns nullopt to leave a value alone); returns how many changed.
template <class F>
std::size_t rewrite_all(odb::mysql::connection& conn, F&& f) {
  std::size_t changed = 0;
  for (const auto& c : secret_columns()) {
    auto col = sql_identifier(c.column);
    auto table = sql_identifier(c.table);
    auto rows = sql_query(conn, "SELECT id, " + col + " FROM " + table +
                                    " WHERE " + col + " IS NOT NULL AND " +
                                    col + " <> '' FOR UPDATE");
    for (const auto& row : rows) {
      auto next = f(*row[1]);
      if (!next)
        continue;
      sql_execute(conn, "UPDATE " + table + " SET " + col + " = " +
                            sql_quote(conn, *next) + " WHERE id = " + *row[0]);
      ++changed;
    }
  }
  return changed;
}

} // namespace

const std::vector<secret_column>& secret_columns() {
  static const std::vector<secret_column> columns{
      {"racetime_bots", "client_secret"},
      {"users", "racetime_access_token"},
      {"users", "racetime_refresh_token"}};
  return columns;
}

secret_census count_secrets(odb::mysql::database& db, const secret_box& box) {
  return in_transaction(db, [&](odb::mysql::connection& conn) {
    secret_census out;
    for (const auto& c : secret_columns()) {
      auto col = sql_identifier(c.column);
      // The key id is the text between the first and second colon.
      auto rows =
          sql_query(conn, "SELECT IF(" + col +
                              " LIKE 'v1:%', SUBSTRING_INDEX("
                              "SUBSTRING_INDEX(" +
                              col +
                              ", ':', 2), ':', -1), NULL), "
                              "COUNT(*) FROM " +
                              sql_identifier(c.table) + " WHERE " + col +
                              " IS NOT NULL AND " + col + " <> '' GROUP BY 1");
      for (const auto& row : rows) {
        auto n = static_cast<std::size_t>(std::stoull(row[1].value_or("0")));
        if (!row[0]) {
          out.plaintext += n;
        } else if (box.can_open(*row[0])) {
          out.sealed += n;
        } else {
          out.unopenable.push_back(std::to_string(n) + " value(s) in " +
                                   name_of(c) + " with key id " + *row[0]);
        }
      }
    }
    return out;
  });
}

std::optional<std::string> secret_key_problem(odb::mysql::database& db,
                                              const secret_box& box) {
  auto census = count_secrets(db, box);
  if (census.unopenable.empty())
    return std::nullopt;
  std::string which;
  for (const auto& u : census.unopenable)
    which += (which.empty() ? "" : "; ") + u;
  return "stored secrets need a key that is not configured (" + which + "); " +
         secret_box::key_variable +
         (box.has_key() ? " has key id " + box.key_id()
                        : std::string{" is not set"}) +
         ": set it to the key those were written with (or, while rotating, "
         "set " +
         secret_box::old_key_variable + " to it)";
}

std::size_t seal_plaintext_secrets(odb::mysql::database& db,
                                   const secret_box& box) {
  return in_transaction(db, [&](odb::mysql::connection& conn) {
    return rewrite_all(conn, [&](const std::string& v) {
      std::optional<std::string> out;
      if (!secret_box::is_sealed(v))
        out = box.seal_or_throw(v);
      return out;
    });
  });
}

std::size_t rotate_secrets(odb::mysql::database& db, const secret_box& box) {
  return in_transaction(db, [&](odb::mysql::connection& conn) {
    return rewrite_all(conn, [&](const std::string& v) {
      return std::optional<std::string>{
          box.seal_or_throw(box.open_or_throw(v))};
    });
  });
}

} // namespace racecontrol::persistence
