#include "persistence/database.hpp"

#include "persistence/database_error.hpp"

#include <odb/mysql/connection-factory.hxx>
#include <odb/mysql/connection.hxx>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace racecontrol::persistence {

database_error::kind classify_mysql_error(unsigned int error_number) {
  switch (error_number) {
    case ER_DUP_ENTRY:
    case ER_DUP_KEY:
    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2:
    case ER_ROW_IS_REFERENCED:
    case ER_ROW_IS_REFERENCED_2:
    case ER_BAD_NULL_ERROR:
      return database_error::kind::constraint;
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
      return database_error::kind::conflict;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_BAD_DB_ERROR:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_UNKNOWN_HOST:
      return database_error::kind::connection;
    default:
      return database_error::kind::statement;
  }
}

namespace {

/// Every session in UTC, and a lock wait that ends (1205, retried as a
/// conflict) before the read timeout gives the connection up (2013):
/// InnoDB's 50 s would outlast the default 30 s read timeout, the server
/// would go on waiting in the abandoned session with its locks held, and
/// the retry on a new connection would queue behind them.
std::string session_settings(unsigned int read_timeout) {
  std::string out = "SET time_zone = '+00:00'";
  if (read_timeout > 0) {
    unsigned int wait = read_timeout > 10 ? std::min(read_timeout - 5, 50u)
                                          : std::max(read_timeout / 2, 1u);
    out += ", innodb_lock_wait_timeout = " + std::to_string(wait);
  }
  return out;
}

/// ODB's pool, but each connection is opened by us so it gets timeouts,
/// utf8mb4 and a UTC session time zone (DATETIME columns hold UTC); and a
/// pooled connection is pinged only when it sat idle for a while. ODB's own
/// ping on every checkout was one extra round trip per transaction (a
/// fifth of racecontrold's statements when it opens rooms). A connection
/// that broke within the idle window fails its first statement, which
/// in_transaction retries on another connection; a pipelined transaction
/// whose every statement waited for the COMMIT reports it as a commit of
/// unknown outcome instead (the room keeps its writes and tries them again,
/// as after any such commit).
class configured_pool : public odb::mysql::connection_pool_factory {
 public:
  explicit configured_pool(const database_options& options)
      : connection_pool_factory(options.max_connections, 0, false),
        options_(options) {}

  void database(database_type& db) override {
    db_ = &db;
    connection_pool_factory::database(db);
  }

  odb::mysql::connection_ptr connect() override {
    for (;;) {
      odb::mysql::connection_ptr c = connection_pool_factory::connect();
      if (!needs_ping(c.get()) || c->ping())
        return c;
      // ping() marked it failed: the pool drops it when `c` lets go.
    }
  }

 protected:
  pooled_connection_ptr create() override {
    return pooled_connection_ptr(new pooled_connection(*db_, open_handle()));
  }

 private:
  MYSQL* open_handle() const {
    const auto& url = options_.url;
    MYSQL* handle = mysql_init(nullptr);
    if (handle == nullptr)
      throw database_error(database_error::kind::connection,
                           "cannot allocate a MariaDB client handle");
    unsigned int connect_timeout =
        static_cast<unsigned int>(options_.connect_timeout.count());
    unsigned int read_timeout =
        static_cast<unsigned int>(options_.read_timeout.count());
    unsigned int write_timeout =
        static_cast<unsigned int>(options_.write_timeout.count());
    mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    if (read_timeout > 0)
      mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    if (write_timeout > 0)
      mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
    mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    unsigned int local_infile = options_.local_infile ? 1 : 0;
    mysql_options(handle, MYSQL_OPT_LOCAL_INFILE, &local_infile);
    mysql_options(handle, MYSQL_INIT_COMMAND,
                  session_settings(read_timeout).c_str());
    if (!url.socket.empty()) {
      unsigned int protocol = MYSQL_PROTOCOL_SOCKET;
      mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocol);
    }
    // ODB relies on CLIENT_FOUND_ROWS: an UPDATE that changes nothing must
    // still report the row as matched. CLIENT_MULTI_STATEMENTS lets
    // sql_pipeline send a transaction's statements together; values reach
    // statements only through sql_quote, so a value cannot add one.
    auto* ok = mysql_real_connect(
        handle, url.socket.empty() ? url.host.c_str() : "localhost",
        url.user.c_str(), url.password.reveal().c_str(), url.database.c_str(),
        url.port, url.socket.empty() ? nullptr : url.socket.c_str(),
        CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS);
    if (ok == nullptr) {
      auto code = mysql_errno(handle);
      std::string message = "cannot connect to MariaDB at " + url.location() +
                            " as " + url.user + ": " + mysql_error(handle);
      mysql_close(handle);
      if (code == ER_BAD_DB_ERROR)
        message += " (create it, or fix the database name in the URL)";
      throw database_error(database_error::kind::connection, message);
    }
    return handle;
  }

  /// True when `c` was last handed out longer ago than the idle window
  /// (or never); notes that it is handed out now.
  bool needs_ping(const odb::mysql::connection* c) {
    using clock = std::chrono::steady_clock;
    static constexpr auto idle_window = std::chrono::seconds{5};
    auto now = clock::now();
    std::lock_guard<std::mutex> lock{handed_mutex_};
    // Keyed by address: a connection that replaced a dropped one at the
    // same address is fresh anyway. Failed connections leave their keys
    // behind, so forget them all now and then.
    if (last_handed_.size() > 4 * options_.max_connections + 16)
      last_handed_.clear();
    auto [it, fresh] = last_handed_.try_emplace(c, now);
    bool idle = fresh || now - it->second > idle_window;
    it->second = now;
    return idle;
  }

  database_options options_;
  database_type* db_ = nullptr;
  std::mutex handed_mutex_;
  std::map<const odb::mysql::connection*, std::chrono::steady_clock::time_point>
      last_handed_;
};

} // namespace

std::shared_ptr<odb::mysql::database>
open_database(const database_options& options) {
  const auto& url = options.url;
  std::unique_ptr<odb::mysql::connection_factory> pool(
      new configured_pool(options));
  auto db = std::make_shared<odb::mysql::database>(
      url.user, url.password.reveal(), url.database, url.host, url.port,
      url.socket, "utf8mb4", 0, std::move(pool));
  // Fail now, with a clear message, rather than on the first query.
  db->connection();
  return db;
}

} // namespace racecontrol::persistence
