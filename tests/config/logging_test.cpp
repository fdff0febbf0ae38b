#include <boost/test/unit_test.hpp>

#include "config/batching_log_sink.hpp"
#include "config/buffered_fd_sink.hpp"
#include "config/logging.hpp"
#include "config/secret.hpp"

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

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
  shutdown_logging();
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
  shutdown_logging();
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

BOOST_AUTO_TEST_CASE(journal_lines_carry_priorities_and_no_timestamp) {
  auto path = temp_path();
  secret token{"journal-tok-5c4b3a"};
  setup_logging({spdlog::level::debug, log_format::journal, path}, "unit");
  spdlog::critical("node gave up");
  spdlog::error("room failed");
  spdlog::warn("slow database");
  spdlog::info("token {} in\ntwo lines", token.reveal());
  spdlog::debug("details");
  shutdown_logging();
  auto lines = lines_of(path);
  std::remove(path.c_str());
  std::vector<std::string> expected{"<2>node gave up",  "<3>room failed",
                                    "<4>slow database", "<6>token *** in",
                                    "<6>two lines",     "<7>details"};
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_format_names_the_node) {
  // Several nodes' logs read together must say whose line each is.
  std::vector<std::pair<log_format, std::string>> cases{
      {log_format::text, " info [unit coord-a] cluster up"},
      {log_format::json, "\"logger\":\"unit\",\"node\":\"coord-a\",\"msg\":"
                         "\"cluster up\""},
      {log_format::journal, "<6>[coord-a] cluster up"}};
  for (const auto& [format, expected] : cases) {
    auto path = temp_path();
    log_options o{spdlog::level::info, format, path};
    o.node = "coord-a";
    setup_logging(o, "unit");
    spdlog::info("cluster up");
    shutdown_logging();
    auto lines = lines_of(path);
    std::remove(path.c_str());
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(lines[0].find(expected) != std::string::npos, lines[0]);
  }
}

BOOST_AUTO_TEST_CASE(journal_stream_is_recognised_by_device_and_inode) {
  auto path = temp_path();
  std::FILE* f = std::fopen(path.c_str(), "w");
  BOOST_REQUIRE(f != nullptr);
  int fd = fileno(f);
  struct stat st {};
  BOOST_REQUIRE(fstat(fd, &st) == 0);
  auto same = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  auto other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  BOOST_TEST(is_journal_stream(fd, same.c_str()));
  BOOST_TEST(!is_journal_stream(fd, other.c_str()));
  BOOST_TEST(!is_journal_stream(fd, nullptr));
  BOOST_TEST(!is_journal_stream(fd, "garbage"));
  BOOST_TEST(!is_journal_stream(fd, (same + "x").c_str()));
  std::fclose(f);
  std::remove(path.c_str());
  // Only text on standard error turns into journal lines.
  BOOST_TEST(
      (format_for_stderr(log_format::json, "", nullptr) == log_format::json));
  BOOST_TEST((format_for_stderr(log_format::text, "/var/log/x", "1:2") ==
              log_format::text));
  BOOST_TEST((syslog_priority(spdlog::level::trace) == 7));
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

BOOST_AUTO_TEST_CASE(logging_is_asynchronous_and_loses_nothing) {
  auto path = temp_path();
  setup_logging({spdlog::level::info, log_format::text, path}, "unit");
  // Callers only copy lines into a batch; one writer thread formats,
  // scrubs and writes.
  const auto& sinks = spdlog::default_logger_raw()->sinks();
  BOOST_TEST_REQUIRE(sinks.size() == 1u);
  BOOST_TEST(dynamic_cast<batching_log_sink*>(sinks.front().get()) != nullptr);
  // A warning reaches the file at once, without a shutdown.
  spdlog::warn("first warning");
  auto appears = [&](const std::string& text, std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      for (const auto& l : lines_of(path))
        if (l.find(text) != std::string::npos)
          return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return false;
  };
  BOOST_TEST(appears("first warning", std::chrono::milliseconds{2000}));
  // An info line follows with its batch (50 ms later by default).
  spdlog::info("an info line");
  BOOST_TEST(appears("an info line", std::chrono::milliseconds{3000}));
  // Many threads at once: after shutdown every line is there, in order per
  // thread.
  constexpr int threads = 4, per_thread = 5000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([t] {
      for (int i = 0; i < per_thread; ++i)
        spdlog::info("thread {} line {}", t, i);
    });
  for (auto& th : pool)
    th.join();
  shutdown_logging();
  std::vector<int> next(threads, 0);
  int total = 0;
  bool ordered = true;
  for (const auto& l : lines_of(path)) {
    int t = 0, i = 0;
    auto at = l.find("] thread ");
    if (at == std::string::npos ||
        std::sscanf(l.c_str() + at, "] thread %d line %d", &t, &i) != 2)
      continue;
    ordered = ordered && i == next[t];
    next[t] = i + 1;
    ++total;
  }
  std::remove(path.c_str());
  BOOST_TEST(total == threads * per_thread);
  BOOST_TEST(ordered);
}

BOOST_AUTO_TEST_CASE(stderr_lines_are_written_once_per_batch) {
  auto path = temp_path();
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  BOOST_TEST_REQUIRE(fd >= 0);
  auto file_size = [&] {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return static_cast<std::size_t>(st.st_size);
  };
  {
    buffered_fd_sink sink{fd};
    sink.set_pattern("%v");
    auto line = [](const std::string& text) {
      return spdlog::details::log_msg{"unit", spdlog::level::info, text};
    };
    for (int i = 0; i < 3; ++i)
      sink.log(line("line " + std::to_string(i)));
    // Held until the batching sink's writer flushes after its batch.
    BOOST_TEST(file_size() == 0u);
    sink.flush();
    BOOST_TEST(lines_of(path) ==
               (std::vector<std::string>{"line 0", "line 1", "line 2"}));
    // A batch past 64 KiB does not wait for the flush.
    std::string long_text(1000, 'x');
    for (int i = 0; i < 70; ++i)
      sink.log(line(long_text));
    BOOST_TEST(file_size() > 64u * 1024u);
    sink.log(line("last"));
  }
  // The destructor writes what is left.
  auto lines = lines_of(path);
  BOOST_TEST(lines.size() == 74u);
  BOOST_TEST(lines.back() == "last");
  ::close(fd);
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(expired_secrets_are_forgotten) {
  auto before = registered_secret_count();
  register_secret("short-lived-token-0001", std::chrono::system_clock::now() +
                                                std::chrono::milliseconds{100});
  BOOST_TEST(scrub_secrets("t=short-lived-token-0001") == "t=***");
  BOOST_TEST(registered_secret_count() == before + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds{150});
  BOOST_TEST(scrub_secrets("t=short-lived-token-0001") ==
             "t=short-lived-token-0001");
  BOOST_TEST(registered_secret_count() == before);
}

BOOST_AUTO_TEST_CASE(the_secret_registry_is_bounded) {
  // A token renewed every few minutes for months must not grow the
  // registry (and with it the cost of every log line) without bound.
  auto later = std::chrono::system_clock::now() + std::chrono::hours{1};
  for (int i = 0; i < 10000; ++i)
    register_secret("renewed-token-" + std::to_string(i),
                    later + std::chrono::seconds{i});
  BOOST_TEST(registered_secret_count() <= 4096u + 16u);
  // The newest are kept (the oldest expire first and go first).
  BOOST_TEST(scrub_secrets("renewed-token-9999") == "***");
  // A configured secret is never evicted by tokens.
  register_secret("configured-secret-xyz");
  for (int i = 0; i < 5000; ++i)
    register_secret("more-token-" + std::to_string(i),
                    later + std::chrono::hours{2} + std::chrono::seconds{i});
  BOOST_TEST(scrub_secrets("configured-secret-xyz") == "***");
}

BOOST_AUTO_TEST_CASE(unwritable_log_file_is_a_config_error) {
  BOOST_CHECK_THROW(
      setup_logging(
          {spdlog::level::info, log_format::text, "/dev/null/x/y.log"}, "unit"),
      std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
