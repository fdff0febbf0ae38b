#define BOOST_TEST_MODULE persistence_migrations
#include <boost/test/unit_test.hpp>

#include "persistence/sql_script.hpp"

using namespace racecontrol::persistence;

BOOST_AUTO_TEST_SUITE(sql_scripts)

BOOST_AUTO_TEST_CASE(splits_at_statement_ends_only) {
  auto parts = split_sql_script("-- leading comment; not a statement\n"
                                "CREATE TABLE a (x INT); # trailing; comment\n"
                                "INSERT INTO a VALUES ('semi;colon', \"dq;\", "
                                "'it''s; fine', 'back\\';slash');\n"
                                "/* block; comment */\n"
                                "SELECT `weird;name` FROM a\n");
  BOOST_REQUIRE_EQUAL(parts.size(), 3u);
  BOOST_TEST(parts[0].text == "-- leading comment; not a statement\n"
                              "CREATE TABLE a (x INT)");
  BOOST_TEST(parts[0].line == 1u);
  BOOST_TEST(parts[1].text.rfind("# trailing; comment\nINSERT", 0) == 0,
             parts[1].text);
  BOOST_TEST(parts[1].text.find("'back\\';slash')") != std::string::npos);
  BOOST_TEST(parts[1].line == 2u);
  BOOST_TEST(parts[2].text.find("SELECT `weird;name` FROM a") !=
             std::string::npos);
  BOOST_TEST(parts[2].line == 4u);
}

BOOST_AUTO_TEST_CASE(comment_only_and_empty_pieces_vanish) {
  BOOST_TEST(split_sql_script("").empty());
  BOOST_TEST(split_sql_script(";;\n  ;\n-- nothing\n/* x */;").empty());
  auto one = split_sql_script("\n\n  DROP TABLE x ;  \n-- end\n");
  BOOST_REQUIRE_EQUAL(one.size(), 1u);
  BOOST_TEST(one[0].text == "DROP TABLE x");
  BOOST_TEST(one[0].line == 3u);
}

BOOST_AUTO_TEST_CASE(unterminated_quote_does_not_overrun) {
  auto parts = split_sql_script("SELECT 'open; DROP TABLE x;");
  BOOST_REQUIRE_EQUAL(parts.size(), 1u);
  BOOST_TEST(parts[0].text == "SELECT 'open; DROP TABLE x;");
}

BOOST_AUTO_TEST_SUITE_END()
