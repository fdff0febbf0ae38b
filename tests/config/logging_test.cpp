#include <boost/test/unit_test.hpp>

#include "config/logging.hpp"
#include "config/secret.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace racecontrol::config;

namespace {

std::string temp_path() {
  char tmpl[] = "/tmp/racecontrol-log-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  return tmpl;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(logging)

BOOST_AUTO_TEST_CASE(json_lines_are_valid_and_scrubbed) {
  auto path = temp_path();
  secret token{"tok-9f8e7d6c5b4a"};
  setup_logging({spdlog::level::debug, log_format::json, path}, "unit");
  spdlog::info("bot got token {} and said \"hi\"\n\tbye", token.reveal());
  spdlog::debug("plain");
  spdlog::trace("hidden below the level");
  auto lines = lines_of(path);
  std::remove(path.c_str());
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  const auto& first = lines[0];
  BOOST_TEST(first.rfind("{\"ts\":\"", 0) == 0, first);
  BOOST_TEST(first.find("\"level\":\"info\",\"logger\":\"unit\"") !=
                 std::string::npos,
             first);
  BOOST_TEST(
      first.find(
          "\"msg\":\"bot got token *** and said \\\"hi\\\"\\n\\tbye\"}") !=
          std::string::npos,
      first);
  BOOST_TEST(first.find("tok-9f8e7d6c5b4a") == std::string::npos);
  BOOST_TEST(lines[1].find("\"level\":\"debug\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_lines_are_scrubbed) {
  auto path = temp_path();
  register_secret("runtime-access-token-42");
  setup_logging({spdlog::level::info, log_format::text, path}, "unit");
  spdlog::warn("Authorization: Bearer runtime-access-token-42");
  auto lines = lines_of(path);
  std::remove(path.c_str());
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  // "2026-11-22T19:03:00.123Z warning [unit] Authorization: Bearer ***"
  BOOST_TEST(lines[0].size() > 24u);
  BOOST_TEST(lines[0][10] == 'T');
  BOOST_TEST(lines[0][23] == 'Z');
  BOOST_TEST(lines[0].find(" warning [unit] Authorization: Bearer ***") !=
                 std::string::npos,
             lines[0]);
}

BOOST_AUTO_TEST_CASE(scrubbing_rules) {
  register_secret("abc"); // too short to scrub safely: ignored
  BOOST_TEST(scrub_secrets("abc") == "abc");
  register_secret("overlap-secret");
  register_secret("overlap-secret-longer");
  BOOST_TEST(scrub_secrets("x overlap-secret-longer y overlap-secret") ==
             "x *** y ***");
  BOOST_TEST(json_escape(std::string("a\x01z", 3)) == "a\\u0001z");
}

BOOST_AUTO_TEST_CASE(unwritable_log_file_is_a_config_error) {
  BOOST_CHECK_THROW(
      setup_logging(
          {spdlog::level::info, log_format::text, "/dev/null/x/y.log"}, "unit"),
      std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
