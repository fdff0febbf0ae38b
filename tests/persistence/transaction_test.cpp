// What a repository call does when the server says no: deadlocks are
// retried (also when native SQL raised them), and error messages never
// carry the values of a statement.

#include <boost/test/unit_test.hpp>

#include "persistence/database.hpp"
#include "persistence/database_error.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"
#include "persistence/user_repository.hpp"
#include "tests/support/scratch_database.hpp"

#include <future>
#include <initializer_list>
#include <thread>
#include <utility>

using namespace racecontrol;
using namespace racecontrol::persistence;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(transactions)

namespace {

/// Makes our transaction (run by `run`, which changes row 1 and then row
/// 3) a deadlock's victim once; checks that it ran twice and took effect
/// once.
template <class Run>
void deadlock_once_then_commit(Run run) {
  test::scratch_database scratch{false};
  auto& db = scratch.db();
  {
    auto conn = db.connection();
    sql_execute(*conn, "CREATE TABLE probe (id INT PRIMARY KEY, v INT NOT "
                       "NULL) ENGINE=InnoDB");
    std::string rows;
    for (int i = 1; i <= 102; ++i)
      rows += (i > 1 ? "," : "") + std::string{"("} + std::to_string(i) + ",0)";
    sql_execute(*conn, "INSERT INTO probe VALUES " + rows);
  }
  // The other transaction changes 100 rows, so InnoDB picks ours (one row)
  // as the deadlock victim.
  std::promise<void> holding_rows_3_up, holding_row_1;
  auto other = std::async(std::launch::async, [&] {
    auto conn = db.connection();
    sql_execute(*conn, "BEGIN");
    sql_execute(*conn, "UPDATE probe SET v = v + 1 WHERE id >= 3");
    holding_rows_3_up.set_value();
    holding_row_1.get_future().wait();
    std::this_thread::sleep_for(300ms); // ours now waits for row 3
    sql_execute(*conn, "UPDATE probe SET v = v + 1 WHERE id = 1");
    std::this_thread::sleep_for(200ms);
    sql_execute(*conn, "COMMIT");
  });
  holding_rows_3_up.get_future().wait();
  int attempts = 0;
  run(db, [&](odb::mysql::connection& conn) {
    ++attempts;
    sql_execute(conn, "UPDATE probe SET v = v + 1 WHERE id = 1");
    if (attempts == 1)
      holding_row_1.set_value();
    sql_execute(conn, "UPDATE probe SET v = v + 1 WHERE id = 3");
  });
  other.get();
  BOOST_TEST(attempts == 2);
  auto conn = db.connection();
  // Both transactions took effect exactly once.
  BOOST_TEST(
      sql_scalar(*conn, "SELECT v FROM probe WHERE id = 1").value_or("") ==
      "2");
  BOOST_TEST(
      sql_scalar(*conn, "SELECT v FROM probe WHERE id = 3").value_or("") ==
      "2");
  BOOST_TEST(
      sql_scalar(*conn, "SELECT v FROM probe WHERE id = 4").value_or("") ==
      "1");
}

/// A scratch database with an empty table `probe (id INT PRIMARY KEY)`.
struct probe_table {
  test::scratch_database scratch{false};
  odb::mysql::database& db = scratch.db();

  probe_table() {
    auto conn = db.connection();
    sql_execute(*conn, "CREATE TABLE probe (id INT PRIMARY KEY) "
                       "ENGINE=InnoDB");
  }

  std::string count() {
    auto conn = db.connection();
    return sql_scalar(*conn, "SELECT COUNT(*) FROM probe").value_or("");
  }

  /// Whether connection `id` still has a transaction open on the server.
  bool open_transaction(const std::string& id) {
    auto conn = db.connection();
    return sql_scalar(*conn, "SELECT COUNT(*) FROM "
                             "information_schema.innodb_trx WHERE "
                             "trx_mysql_thread_id = " +
                                 id) != sql_value{"0"};
  }
};

/// Runs `body` in a pipelined transaction on `t` that must fail with an
/// error whose message holds `expected`.
template <class Body>
void expect_refusal(probe_table& t, Body body, const std::string& expected) {
  try {
    in_pipelined_transaction(t.db, body);
    BOOST_FAIL("should have failed with: " + expected);
  } catch (const database_error& e) {
    std::string what = e.what();
    BOOST_TEST(what.find(expected) != std::string::npos, what);
  }
}

/// Runs `body`, which must be refused because its transaction committed
/// with an earlier statement.
template <class Body>
void expect_after_commit(Body body) {
  try {
    body();
    BOOST_FAIL("a statement after the carried COMMIT should be refused");
  } catch (const database_error& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("nothing may follow") != std::string::npos, what);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(a_deadlock_in_native_sql_is_retried) {
  deadlock_once_then_commit([](auto& db, auto f) {
    in_transaction(db, f);
  });
}

BOOST_AUTO_TEST_CASE(a_deadlock_in_a_pipelined_transaction_is_retried) {
  deadlock_once_then_commit([](auto& db, auto f) {
    in_pipelined_transaction(db, f);
  });
}

BOOST_AUTO_TEST_CASE(deferred_statements_go_with_the_next_that_answers) {
  probe_table t;
  std::string seen;
  in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
    sql_defer(conn, "INSERT INTO probe VALUES (1)");
    sql_defer(conn, "INSERT INTO probe VALUES (2)");
    // Sent together with the deferred ones, after them.
    seen = sql_scalar(conn, "SELECT COUNT(*) FROM probe").value_or("");
    sql_defer(conn, "INSERT INTO probe VALUES (3)");
  });
  BOOST_TEST(seen == "2");
  // The last one went out with the COMMIT.
  BOOST_TEST(t.count() == "3");
  // Outside a pipeline a deferred statement runs at once.
  auto conn = t.db.connection();
  sql_defer(*conn, "INSERT INTO probe VALUES (4)");
  BOOST_TEST(t.count() == "4");
}

BOOST_AUTO_TEST_CASE(a_failing_deferred_statement_is_named_and_rolls_back) {
  probe_table t;
  int attempts = 0;
  std::string connection_id;
  bool deferred_without_error = false;
  try {
    in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
      ++attempts;
      connection_id = sql_scalar(conn, "SELECT CONNECTION_ID()").value_or("");
      sql_defer(conn, "INSERT INTO probe VALUES (1)");
      sql_defer(conn, "INSERT INTO nowhere VALUES ('secret-value-81')");
      // Not sent yet, so no error yet: it surfaces with the next statement.
      deferred_without_error = true;
      sql_execute(conn, "INSERT INTO probe VALUES (2)");
    });
    BOOST_FAIL("the deferred INSERT should fail");
  } catch (const database_error& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("nowhere") != std::string::npos, what);
    BOOST_TEST(what.find("secret-value-81") == std::string::npos, what);
  }
  BOOST_TEST(deferred_without_error);
  BOOST_TEST(attempts == 1);
  // Rolled back, and not left open on the pooled connection.
  BOOST_TEST(t.count() == "0");
  BOOST_TEST(!t.open_transaction(connection_id));
}

BOOST_AUTO_TEST_CASE(a_pipelined_transaction_that_throws_rolls_back) {
  probe_table t;
  std::string connection_id;
  BOOST_CHECK_THROW(
      in_pipelined_transaction(
          t.db,
          [&](odb::mysql::connection& conn) {
            sql_defer(conn, "INSERT INTO probe VALUES (1)");
            connection_id =
                sql_scalar(conn, "SELECT CONNECTION_ID()").value_or("");
            throw std::runtime_error("changed my mind");
          }),
      std::runtime_error);
  BOOST_TEST(!connection_id.empty());
  BOOST_TEST(t.count() == "0");
  BOOST_TEST(!t.open_transaction(connection_id));
  // The next one on the pool commits as usual.
  in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
    sql_defer(conn, "INSERT INTO probe VALUES (1)");
  });
  BOOST_TEST(t.count() == "1");
}

BOOST_AUTO_TEST_CASE(a_swallowed_deferred_failure_is_not_committed) {
  probe_table t;
  BOOST_CHECK_THROW(in_pipelined_transaction(
                        t.db,
                        [&](odb::mysql::connection& conn) {
                          sql_defer(conn, "INSERT INTO probe VALUES (1)");
                          sql_defer(conn, "INSERT INTO nowhere VALUES (1)");
                          try {
                            sql_scalar(conn, "SELECT 1");
                          } catch (const database_error&) {
                            // a caller that carries on
                          }
                        }),
                    database_error);
  BOOST_TEST(t.count() == "0");
}

BOOST_AUTO_TEST_CASE(a_deferred_statement_that_returns_rows_is_refused) {
  probe_table t;
  expect_refusal(
      t,
      [&](odb::mysql::connection& conn) {
        sql_defer(conn, "INSERT INTO probe VALUES (1)");
        sql_defer(conn, "SELECT 42");
        sql_scalar(conn, "SELECT COUNT(*) FROM probe");
      },
      "returned rows");
  BOOST_TEST(t.count() == "0");
  // The same before a statement that is not a SELECT (which goes after the
  // compound, not inside it).
  expect_refusal(
      t,
      [&](odb::mysql::connection& conn) {
        sql_defer(conn, "SELECT 42");
        sql_execute(conn, "INSERT INTO probe VALUES (1)");
      },
      "returned rows");
  BOOST_TEST(t.count() == "0");
  // The pool still answers (the connections that saw it were dropped).
  in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
    sql_defer(conn, "INSERT INTO probe VALUES (2)");
  });
  BOOST_TEST(t.count() == "1");
}

BOOST_AUTO_TEST_CASE(a_pipeline_keeps_each_statement_apart) {
  probe_table t;
  // A deferred statement ending in a line comment does not swallow the
  // next one's separator; a SELECT with one still answers.
  std::string seen;
  in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
    sql_defer(conn, "INSERT INTO probe VALUES (1) -- the first");
    sql_defer(conn, "INSERT INTO probe VALUES (2)");
    seen = sql_scalar(conn, "SELECT COUNT(*) FROM probe -- both").value_or("");
  });
  BOOST_TEST(seen == "2");
  BOOST_TEST(t.count() == "2");
  // The same for one deferred statement before a statement that is not a
  // SELECT (sent after it, not inside a compound).
  in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
    sql_scalar(conn, "SELECT 1");
    sql_defer(conn, "DELETE FROM probe WHERE id = 2 -- the second");
    sql_execute(conn, "DELETE FROM probe WHERE id = 1");
  });
  BOOST_TEST(t.count() == "0");
  sql_execute(*t.db.connection(), "INSERT INTO probe VALUES (1), (2)");
  // A second statement behind a SELECT is refused, and what it did is not
  // kept (inside the deferred statements' compound it would run unseen).
  expect_refusal(
      t,
      [&](odb::mysql::connection& conn) {
        sql_defer(conn, "INSERT INTO probe VALUES (3)");
        sql_query(conn, "SELECT COUNT(*) FROM probe; DELETE FROM probe");
      },
      "more than one statement");
  BOOST_TEST(t.count() == "2");
}

BOOST_AUTO_TEST_CASE(a_deferred_check_fails_its_transaction_by_name) {
  probe_table t;
  auto check = sql_signal_if("(SELECT COUNT(*) FROM probe) > 1",
                             "probe check: more than one row, don't");
  // Holds: the writes and the rows read after the check are kept.
  std::string seen;
  in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
    sql_defer(conn, "INSERT INTO probe VALUES (1)");
    sql_defer(conn, check);
    seen = sql_scalar(conn, "SELECT COUNT(*) FROM probe").value_or("");
  });
  BOOST_TEST(seen == "1");
  BOOST_TEST(t.count() == "1");
  // Fails: its message, recognised by its prefix; nothing kept, not retried.
  int attempts = 0;
  bool reached_after = false;
  try {
    in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
      ++attempts;
      sql_defer(conn, "INSERT INTO probe VALUES (2)");
      sql_defer(conn, check);
      sql_scalar(conn, "SELECT COUNT(*) FROM probe");
      reached_after = true;
    });
    BOOST_FAIL("the check should fail the transaction");
  } catch (const database_error& e) {
    BOOST_TEST(signalled(e, "probe check:"), e.what());
    BOOST_TEST(!signalled(e, "racecontrol fence:"));
    BOOST_TEST(std::string{e.what()}.find("don't") != std::string::npos);
  }
  BOOST_TEST(!reached_after);
  BOOST_TEST(attempts == 1);
  BOOST_TEST(t.count() == "1");
}

BOOST_AUTO_TEST_CASE(a_last_select_carries_the_commit) {
  probe_table t;
  auto conn = t.db.connection();
  // The session's statements as the server counts them (a compound is one;
  // each SHOW counts itself).
  auto questions = [&] {
    return std::stoi(sql_query(*conn, "SHOW SESSION STATUS LIKE 'Questions'")
                         .at(0)
                         .at(1)
                         .value_or("0"));
  };
  auto before = questions();
  std::string seen;
  {
    sql_pipeline tx(*conn);
    sql_defer(*conn, "INSERT INTO probe VALUES (1)");
    sql_commit_with_next(*conn);
    seen = sql_scalar(*conn, "SELECT COUNT(*) FROM probe").value_or("");
    BOOST_TEST(tx.commit_sent());
    // Committed already: whatever followed would commit on its own.
    expect_after_commit([&] {
      sql_defer(*conn, "INSERT INTO probe VALUES (2)");
    });
    expect_after_commit([&] {
      sql_scalar(*conn, "SELECT 1");
    });
    tx.commit(); // nothing left to send
  }
  // START TRANSACTION, the INSERT, the SELECT and the COMMIT: one round trip.
  BOOST_TEST(questions() - before == 2);
  BOOST_TEST(seen == "1");
  BOOST_TEST(t.count() == "1");
  auto id = sql_scalar(*conn, "SELECT CONNECTION_ID()").value_or("");
  BOOST_TEST(!t.open_transaction(id));
}

BOOST_AUTO_TEST_CASE(a_commit_carried_after_a_failing_check_keeps_nothing) {
  probe_table t;
  std::string connection_id;
  int attempts = 0;
  try {
    in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
      ++attempts;
      connection_id = sql_scalar(conn, "SELECT CONNECTION_ID()").value_or("");
      sql_defer(conn, "INSERT INTO probe VALUES (1)");
      sql_defer(conn, sql_signal_if("TRUE", "probe check: refused"));
      sql_commit_with_next(conn);
      sql_scalar(conn, "SELECT COUNT(*) FROM probe");
    });
    BOOST_FAIL("the check should fail the transaction");
  } catch (const database_error& e) {
    BOOST_TEST(signalled(e, "probe check:"), e.what());
  }
  BOOST_TEST(attempts == 1);
  BOOST_TEST(t.count() == "0");
  BOOST_TEST(!t.open_transaction(connection_id));
  // A next statement that cannot carry the COMMIT (not a SELECT) leaves it
  // to the end, as usual.
  in_pipelined_transaction(t.db, [&](odb::mysql::connection& conn) {
    sql_defer(conn, "INSERT INTO probe VALUES (1)");
    sql_commit_with_next(conn);
    sql_execute(conn, "INSERT INTO probe VALUES (2)");
    sql_defer(conn, "INSERT INTO probe VALUES (3)");
  });
  BOOST_TEST(t.count() == "3");
}

BOOST_AUTO_TEST_CASE(text_with_a_second_statement_fails_and_stays_usable) {
  probe_table t;
  auto conn = t.db.connection();
  // Connections take several statements at once (for pipelines); a text
  // that holds more than its caller knew of is an error, not silently run
  // and left half read.
  BOOST_CHECK_THROW(sql_execute(*conn, "INSERT INTO probe VALUES (1); "
                                       "INSERT INTO probe VALUES (2)"),
                    database_error);
  BOOST_CHECK_THROW(sql_query(*conn, "SELECT 6; -- a comment"), database_error);
  BOOST_CHECK_THROW(sql_query(*conn, "SELECT 6; SELECT 7"), database_error);
  BOOST_TEST(sql_scalar(*conn, "SELECT 3").value_or("") == "3");
}

BOOST_AUTO_TEST_CASE(a_lock_wait_ends_before_the_read_timeout) {
  // A lock wait longer than the read timeout would cost the connection
  // (2013) while the server kept waiting with its locks held.
  for (auto [read, wait] : std::initializer_list<std::pair<int, int>>{
           {30, 25}, {8, 4}, {120, 50}}) {
    persistence::database_options o;
    o.url = test::test_server_url();
    o.max_connections = 1;
    o.read_timeout = std::chrono::seconds{read};
    auto db = persistence::open_database(o);
    auto conn = db->connection();
    BOOST_TEST(sql_scalar(*conn, "SELECT CONCAT(@@SESSION.time_zone, ' ', "
                                 "@@SESSION.innodb_lock_wait_timeout)")
                   .value_or("") == "+00:00 " + std::to_string(wait));
  }
}

BOOST_AUTO_TEST_CASE(a_connection_lost_while_committing_is_not_run_again) {
  // The change may or may not be saved: said so, and never applied twice.
  test::scratch_database scratch{false};
  auto& db = scratch.db();
  {
    auto conn = db.connection();
    sql_execute(*conn, "CREATE TABLE probe (id INT PRIMARY KEY) ENGINE=InnoDB");
  }
  int attempts = 0;
  try {
    in_transaction(db, [&](odb::mysql::connection& conn) {
      ++attempts;
      sql_execute(conn, "INSERT INTO probe VALUES (1)");
      auto id = sql_scalar(conn, "SELECT CONNECTION_ID()").value_or("0");
      auto other = db.connection();
      sql_execute(*other, "KILL CONNECTION " + id);
      std::this_thread::sleep_for(200ms); // its socket closed by now
      return 0;
    });
    BOOST_FAIL("a commit on a killed connection went through");
  } catch (const database_error& e) {
    BOOST_TEST((e.what_kind() == database_error::kind::outcome_unknown),
               e.what());
    BOOST_TEST(std::string{e.what()}.find("is unknown") != std::string::npos);
  }
  BOOST_TEST(attempts == 1);
}

BOOST_AUTO_TEST_CASE(other_failures_are_not_retried) {
  test::scratch_database scratch{false};
  int attempts = 0;
  BOOST_CHECK_THROW(in_transaction(scratch.db(),
                                   [&](odb::mysql::connection& conn) {
                                     ++attempts;
                                     sql_execute(conn, "SELECT * FROM nowhere");
                                   }),
                    database_error);
  BOOST_TEST(attempts == 1);
}

BOOST_AUTO_TEST_CASE(errors_show_the_statement_without_its_values) {
  BOOST_TEST(sql_shape("UPDATE `users` SET `racetime_access_token` = "
                       "'tok\\'en''s', x = \"dq\" WHERE id = 7") ==
             "UPDATE `users` SET `racetime_access_token` = ?, x = ? WHERE "
             "id = 7");
  BOOST_TEST(sql_shape("SELECT 'unterminated") == "SELECT ?");
  test::scratch_database scratch;
  auto secrets = *secret_box::from_keys(secret_box::generate_key());
  user_repository users{scratch.db(), secrets};
  entities::user u;
  u.discord_id = 4242ULL;
  u.display_name = std::string{"Racer"};
  auto id = users.create(u);
  // Break the table under the repository so the UPDATE that carries the
  // tokens fails.
  {
    auto conn = scratch.db().connection();
    sql_execute(*conn,
                "ALTER TABLE users DROP COLUMN racetime_token_expires_at");
  }
  racetime_link link{"rt-id", "RacerName", "access-token-Zq81VmX0pL",
                     std::string{"refresh-token-Ks72JdQ9"}, now_us()};
  try {
    users.link_racetime(id, link);
    BOOST_FAIL("the update should fail");
  } catch (const database_error& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("Unknown column") != std::string::npos, what);
    BOOST_TEST(what.find("UPDATE `users` SET") != std::string::npos, what);
    BOOST_TEST(what.find("access-token-Zq81VmX0pL") == std::string::npos, what);
    BOOST_TEST(what.find("refresh-token-Ks72JdQ9") == std::string::npos, what);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(child_rows_come_packed_in_their_parent_row) {
  test::scratch_database scratch{false};
  auto conn = scratch.db().connection();
  auto& c = static_cast<odb::mysql::connection&>(*conn);
  sql_execute(c, "CREATE TABLE kids (id INT PRIMARY KEY, parent INT, name "
                 "VARCHAR(40) NULL, born DATETIME(6))");
  sql_execute(c, "INSERT INTO kids VALUES (2, 1, 'Bö \"b\"', '2026-01-02 "
                 "03:04:05.000006'), (1, 1, NULL, NULL), (3, 9, 'x', NULL)");
  auto packed = [&](int parent) {
    return sql_scalar(
        c, "SELECT (SELECT " +
               sql_json_rows_of({"id", "name", sql_epoch_us("born")}, "id") +
               " FROM kids WHERE parent = " + std::to_string(parent) + ")");
  };
  auto rows = sql_json_rows(packed(1));
  BOOST_TEST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0][0].value_or("") == "1");
  BOOST_TEST(!rows[0][1].has_value());
  BOOST_TEST(!rows[0][2].has_value());
  BOOST_TEST(rows[1][0].value_or("") == "2");
  BOOST_TEST(rows[1][1].value_or("") == "Bö \"b\"");
  // The same text sql_query gives for the column.
  BOOST_TEST(rows[1][2].value_or("none") ==
             sql_scalar(c, "SELECT " + sql_epoch_us("born") +
                               " FROM kids WHERE id = 2")
                 .value_or("NULL"));
  BOOST_TEST(sql_json_rows(packed(5)).empty());
  BOOST_TEST(sql_json_rows(std::nullopt).empty());
  BOOST_CHECK_THROW(sql_json_rows(std::string{"{\"a\": 1}"}), database_error);
  BOOST_CHECK_THROW(sql_json_rows(std::string{"[[1.5]]"}), database_error);
  BOOST_CHECK_THROW(sql_json_rows(std::string{"[1"}), database_error);
}
