#include <boost/test/unit_test.hpp>

#include "config/database_url.hpp"

using namespace racecontrol::config;

namespace {

database_url parse_ok(const std::string& text) {
  std::string error;
  auto url = parse_database_url(text, error);
  BOOST_REQUIRE_MESSAGE(url.has_value(), text << ": " << error);
  return *url;
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto url = parse_database_url(text, error);
  BOOST_TEST(!url.has_value());
  return error;
}

} // namespace

BOOST_AUTO_TEST_SUITE(database_urls)

BOOST_AUTO_TEST_CASE(tcp_form) {
  auto u = parse_ok("mysql://rc:p%40ss%3Aword@db.local:3307/racecontrol");
  BOOST_TEST(u.user == "rc");
  BOOST_TEST(u.password.reveal() == "p@ss:word");
  BOOST_TEST(u.host == "db.local");
  BOOST_TEST(u.port == 3307);
  BOOST_TEST(u.database == "racecontrol");
  BOOST_TEST(u.socket.empty());
  BOOST_TEST(u.location() == "db.local:3307");
  BOOST_TEST(u.redacted() == "mysql://rc:***@db.local:3307/racecontrol");
  BOOST_TEST(u.to_string() ==
             "mysql://rc:p%40ss%3Aword@db.local:3307/racecontrol");
  auto again = parse_ok(u.to_string());
  BOOST_TEST(again.password.reveal() == "p@ss:word");
}

BOOST_AUTO_TEST_CASE(socket_form_and_defaults) {
  auto u = parse_ok("mariadb://rc@localhost/db?socket=/run/mysqld/mysqld.sock");
  BOOST_TEST(u.socket == "/run/mysqld/mysqld.sock");
  BOOST_TEST(u.password.empty());
  BOOST_TEST(u.location() == "/run/mysqld/mysqld.sock");
  auto d = parse_ok("mysql://rc@/db");
  BOOST_TEST(d.host == "127.0.0.1");
  BOOST_TEST(d.port == 3306);
}

BOOST_AUTO_TEST_CASE(errors_say_what_is_wrong) {
  BOOST_TEST(parse_error("rc@host/db").find("must look like") !=
             std::string::npos);
  BOOST_TEST(parse_error("http://rc@h/db").find("scheme") != std::string::npos);
  BOOST_TEST(parse_error("mysql://rc@h:99999/db").find("port must be") !=
             std::string::npos);
  BOOST_TEST(parse_error("mysql://rc@h:12ab/db").find("'12ab'") !=
             std::string::npos);
  BOOST_TEST(parse_error("mysql://rc@h/").find("no database name") !=
             std::string::npos);
  BOOST_TEST(parse_error("mysql://h/db").find("no user") != std::string::npos);
  BOOST_TEST(
      parse_error("mysql://rc@h/db?ssl=1").find("unknown parameter 'ssl'") !=
      std::string::npos);
  BOOST_TEST(parse_error("mysql://rc:%zz@h/db").find("percent") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
