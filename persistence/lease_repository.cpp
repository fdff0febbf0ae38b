#include "persistence/lease_repository.hpp"

#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <string>

namespace racecontrol::persistence {

namespace {

/// holder, epoch, whether it still runs, milliseconds until it ends (by
/// MariaDB's clock).
std::string lease_select(odb::mysql::connection& conn,
                         const std::string& name) {
  return "SELECT holder, epoch, expires_at > NOW(3), "
         "TIMESTAMPDIFF(MICROSECOND, NOW(3), expires_at) DIV 1000 "
         "FROM cluster_leases WHERE name = " +
         sql_quote(conn, name);
}

lease_state to_state(const std::string& name, const sql_row& row) {
  lease_state s;
  s.name = name;
  s.holder = row[0].value_or("");
  s.epoch = std::stoull(row[1].value_or("0"));
  s.expires_in_ms = std::stoll(row[3].value_or("0"));
  return s;
}

std::string expiry(std::int64_t lease_ms) {
  return "NOW(3) + INTERVAL " + std::to_string(lease_ms * 1000) +
         " MICROSECOND";
}

} // namespace

lease_state lease_repository::acquire_or_renew(const lease_claim& c) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    auto name = sql_quote(conn, c.name);
    auto holder = sql_quote(conn, c.holder);
    // A lease never taken starts expired, epoch 0; IGNORE: another node may
    // have made the row a moment ago.
    sql_execute(conn, "INSERT IGNORE INTO cluster_leases (name, holder, "
                      "epoch, expires_at, renewed_at) VALUES (" +
                          name + ", '', 0, NOW(3), NOW(3))");
    auto rows = sql_query(conn, lease_select(conn, c.name) + " FOR UPDATE");
    auto current = to_state(c.name, rows.at(0));
    bool running = rows.at(0)[2].value_or("0") == "1";
    if (running && current.holder != c.holder)
      return current; // someone else's, still running
    bool fresh = !running;
    sql_execute(conn, "UPDATE cluster_leases SET holder = " + holder +
                          (fresh ? ", epoch = epoch + 1" : "") +
                          ", expires_at = " + expiry(c.lease_ms) +
                          ", renewed_at = NOW(3) WHERE name = " + name);
    auto after =
        to_state(c.name, sql_query(conn, lease_select(conn, c.name)).at(0));
    after.held = true;
    after.retaken_own = fresh && current.holder == c.holder;
    return after;
  });
}

bool lease_repository::release(const lease_release& r) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    return sql_execute(conn, "UPDATE cluster_leases SET expires_at = NOW(3), "
                             "renewed_at = NOW(3) WHERE name = " +
                                 sql_quote(conn, r.name) +
                                 " AND holder = " + sql_quote(conn, r.holder) +
                                 " AND expires_at > NOW(3)") > 0;
  });
}

lease_state lease_repository::read(const std::string& name) {
  return in_autocommit(db_, [&](odb::mysql::connection& conn) {
    auto rows = sql_query(conn, lease_select(conn, name));
    if (rows.empty()) {
      lease_state none;
      none.name = name;
      return none;
    }
    return to_state(name, rows.front());
  });
}

} // namespace racecontrol::persistence
