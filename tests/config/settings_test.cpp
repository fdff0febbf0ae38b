#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "config/command_line.hpp"
#include "config/secret.hpp"
#include "config/settings.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <unistd.h>

using namespace racecontrol::config;
using namespace std::chrono_literals;

namespace {

/// A temporary INI file removed at the end of the test.
struct ini_file {
  explicit ini_file(const std::string& content) {
    char tmpl[] = "/tmp/racecontrol-ini-XXXXXX";
    int fd = mkstemp(tmpl);
    BOOST_REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << content;
  }
  ~ini_file() { std::remove(path.c_str()); }
  std::string path;
};

settings_sources with_env(std::map<std::string, std::string> env) {
  settings_sources s;
  auto shared =
      std::make_shared<std::map<std::string, std::string>>(std::move(env));
  s.getenv = [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
  return s;
}

std::string error_of(const settings_sources& sources) {
  try {
    load_settings(sources);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(settings_loading)

BOOST_AUTO_TEST_CASE(defaults_point_at_local_services) {
  auto s = load_settings(with_env({}));
  BOOST_TEST(s.database.host == "127.0.0.1");
  BOOST_TEST(s.database.port == 3306);
  BOOST_TEST(s.database.user == "racecontrol");
  BOOST_TEST(s.database.database == "racecontrol");
  BOOST_TEST(s.database_pool_size == 8u);
  BOOST_TEST(s.log.level == spdlog::level::info);
  BOOST_TEST(s.racetime_url == "http://127.0.0.1:8910");
  BOOST_TEST(!s.node_name.empty());
  BOOST_TEST(s.bots.empty());
}

BOOST_AUTO_TEST_CASE(file_then_command_line_then_environment) {
  ini_file ini("[database]\nurl = mysql://app:filepw@db.example:3307/rc\n"
               "pool_size = 3\n[log]\nlevel = debug ; chatty\nformat = json\n");
  auto sources = with_env({{"RACECONTROL_DATABASE_PASSWORD", "env-pw-123"}});
  sources.config_file = ini.path;
  sources.overrides = {{"database.pool_size", "5"}};
  auto s = load_settings(sources);
  BOOST_TEST(s.database.host == "db.example");
  BOOST_TEST(s.database.port == 3307);
  BOOST_TEST(s.database.user == "app");
  BOOST_TEST(s.database.password.reveal() == "env-pw-123"); // environment wins
  BOOST_TEST(s.database_pool_size == 5u);                   // command line wins
  BOOST_TEST(s.log.level == spdlog::level::debug);
  BOOST_TEST((s.log.format == log_format::json));
  // The password is now known to the log scrubber.
  BOOST_TEST(scrub_secrets("pw=env-pw-123!") == "pw=***!");
}

BOOST_AUTO_TEST_CASE(bad_value_names_file_line_key_and_choices) {
  ini_file ini("[daemon]\nworker_threads = 2\n[log]\nlevel = loud\n");
  auto sources = with_env({});
  sources.config_file = ini.path;
  auto message = error_of(sources);
  BOOST_TEST(message.find(ini.path + ":4: log.level: must be one of trace") !=
                 std::string::npos,
             message);
  BOOST_TEST(message.find("got 'loud'") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(unknown_keys_and_bad_overrides_are_rejected) {
  ini_file ini("[database]\npassword_file = /x\n");
  auto sources = with_env({});
  sources.config_file = ini.path;
  BOOST_TEST(error_of(sources).find(":2: database.password_file: unknown "
                                    "setting") != std::string::npos);
  auto cli = with_env({});
  cli.overrides = {{"database.pool_size", "0"}};
  BOOST_TEST(error_of(cli).find("--database.pool_size: must be a whole number "
                                "from 1 to 256, got '0'") != std::string::npos,
             error_of(cli));
  cli.overrides = {{"daemon.shutdown_timeout", "soon"}};
  BOOST_TEST(error_of(cli).find("must be a duration") != std::string::npos);
  cli.overrides = {{"racetime.url", "racetime.gg"}};
  BOOST_TEST(error_of(cli).find("must start with http:// or https://") !=
             std::string::npos);
  cli.overrides = {{"database.url", "postgres://x@y/z"}};
  BOOST_TEST(error_of(cli).find("scheme must be mysql://") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(bot_secret_comes_from_the_environment) {
  ini_file ini("[bot.alttpr]\nname = Saha\nclient_id = abc123\n"
               "[bot.smz3-test]\nclient_id = def456\n");
  auto sources =
      with_env({{"RACECONTROL_BOT_ALTTPR_CLIENT_SECRET", "s3cr3t-alttpr"},
                {"RACECONTROL_BOT_SMZ3_TEST_CLIENT_SECRET", "s3cr3t-smz3"}});
  sources.config_file = ini.path;
  auto s = load_settings(sources);
  BOOST_REQUIRE_EQUAL(s.bots.size(), 2u);
  BOOST_TEST(s.bots[0].category == "alttpr");
  BOOST_TEST(s.bots[0].name == "Saha");
  BOOST_TEST(s.bots[0].client_id == "abc123");
  BOOST_TEST(s.bots[0].client_secret.reveal() == "s3cr3t-alttpr");
  BOOST_TEST(s.bots[1].client_secret.reveal() == "s3cr3t-smz3");
  auto line = summarize(s);
  BOOST_TEST(line.find("client_id=abc123") != std::string::npos);
  BOOST_TEST(line.find("s3cr3t") == std::string::npos, line);
  std::ostringstream printed;
  printed << s.bots[0].client_secret;
  BOOST_TEST(printed.str() == "***");
}

BOOST_AUTO_TEST_CASE(bot_without_secret_says_which_variable_to_set) {
  ini_file ini("[bot.alttpr]\nclient_id = abc123\n");
  auto sources = with_env({});
  sources.config_file = ini.path;
  auto message = error_of(sources);
  BOOST_TEST(message.find("bot.alttpr: no client secret: set "
                          "RACECONTROL_BOT_ALTTPR_CLIENT_SECRET") !=
                 std::string::npos,
             message);
  ini_file bad("[bot.Alttpr]\nclient_id = x\n");
  sources.config_file = bad.path;
  BOOST_TEST(error_of(sources).find("category slug") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_file_is_a_clear_error) {
  auto sources = with_env({});
  sources.config_file = "/nonexistent/racecontrol.ini";
  BOOST_TEST(error_of(sources) ==
             "cannot read config file /nonexistent/racecontrol.ini: check "
             "the path given with --config");
}

BOOST_AUTO_TEST_CASE(racetime_ping_interval) {
  auto s = load_settings(with_env({}));
  BOOST_TEST(s.racetime_ping_interval.count() == 30000);
  auto sources = with_env({});
  sources.overrides = {{"racetime.ping_interval", "500ms"}};
  BOOST_TEST(load_settings(sources).racetime_ping_interval.count() == 500);
  sources.overrides = {{"racetime.ping_interval", "10ms"}};
  BOOST_TEST(error_of(sources) ==
             "--racetime.ping_interval: must be between 100ms and 600000ms, "
             "got '10ms'");
}

BOOST_AUTO_TEST_CASE(scheduler_timings) {
  auto s = load_settings(with_env({}));
  BOOST_TEST(s.scheduler_reload_interval.count() == 60000);
  BOOST_TEST(s.scheduler_run_timeout.count() == 300000);
  auto sources = with_env({});
  sources.overrides = {{"scheduler.reload_interval", "15s"},
                       {"scheduler.run_timeout", "2m"}};
  s = load_settings(sources);
  BOOST_TEST(s.scheduler_reload_interval.count() == 15000);
  BOOST_TEST(s.scheduler_run_timeout.count() == 120000);
  sources.overrides = {{"scheduler.run_timeout", "0s"}};
  BOOST_TEST(error_of(sources) ==
             "--scheduler.run_timeout: must be between 1000ms and 3600000ms, "
             "got '0s'");
}

BOOST_AUTO_TEST_CASE(startrace_timeout) {
  BOOST_TEST(load_settings(with_env({})).automation_startrace_timeout.count() ==
             10000);
  auto sources = with_env({});
  sources.overrides = {{"automation.startrace_timeout", "4s"}};
  BOOST_TEST(load_settings(sources).automation_startrace_timeout.count() ==
             4000);
  sources.overrides = {{"automation.startrace_timeout", "200ms"}};
  BOOST_TEST(error_of(sources) ==
             "--automation.startrace_timeout: must be between 1000ms and "
             "300000ms, got '200ms'");
}

BOOST_AUTO_TEST_CASE(cpus) {
  BOOST_TEST(load_settings(with_env({})).cpus.empty());
  auto sources = with_env({});
  sources.overrides = {{"daemon.cpus", " 3, 0-1 ,1,"}};
  auto s = load_settings(sources);
  BOOST_TEST((s.cpus == std::vector<int>{0, 1, 3}));
  BOOST_TEST(cpu_list(s.cpus) == "0-1,3");
  BOOST_TEST(summarize(s).find(" cpus=0-1,3 ") != std::string::npos);
  for (const char* bad : {"1-0", "x", "1 2", "-1", "2-", "1024", "0-3-5"}) {
    sources.overrides = {{"daemon.cpus", bad}};
    BOOST_TEST(error_of(sources) ==
                   std::string{"--daemon.cpus: must be CPU numbers or ranges "
                               "separated by commas, like 0 or 0-1,4, got '"} +
                       bad + "'",
               bad);
  }
}

BOOST_AUTO_TEST_CASE(network_on_the_actors_thread) {
  // Unset: auto, which the daemon resolves from its CPUs.
  BOOST_TEST(!load_settings(with_env({})).io_threads.has_value());
  auto sources = with_env({});
  sources.overrides = {{"racetime.io_threads", "0"}};
  BOOST_TEST(load_settings(sources).io_threads.value_or(9) == 0u);
  sources.overrides = {{"racetime.io_threads", "2"}};
  BOOST_TEST(load_settings(sources).io_threads.value_or(9) == 2u);
  sources.overrides = {{"racetime.io_threads", "auto"}};
  BOOST_TEST(!load_settings(sources).io_threads.has_value());
  sources.overrides = {{"racetime.io_threads", "many"}};
  BOOST_TEST(error_of(sources) == "--racetime.io_threads: must be auto or a "
                                  "whole number from 0 to 64, got 'many'");
  sources.overrides = {{"racetime.io_threads", "0"},
                       {"daemon.worker_threads", "1"}};
  BOOST_TEST(load_settings(sources).worker_threads == 1u);
  // Auto: no network thread when the actors get one scheduler thread.
  settings s;
  BOOST_TEST(io_threads_for(s, 1) == 0u);
  BOOST_TEST(io_threads_for(s, 2) == 0u);
  BOOST_TEST(io_threads_for(s, 4) == 1u);
  s.worker_threads = 1;
  BOOST_TEST(io_threads_for(s, 8) == 0u);
  s.worker_threads = 2;
  BOOST_TEST(io_threads_for(s, 2) == 1u);
  s.io_threads = 3; // a number is kept
  BOOST_TEST(io_threads_for(s, 2) == 3u);
  // The network can ride on one scheduler thread, not on several.
  sources.overrides = {{"racetime.io_threads", "0"},
                       {"daemon.worker_threads", "2"}};
  BOOST_TEST(error_of(sources) ==
             "racetime.io_threads = 0 runs the network on the actors' one "
             "scheduler thread: set daemon.worker_threads to 0 or 1 (it is 2)");
}

BOOST_AUTO_TEST_CASE(console_settings) {
  auto s = load_settings(with_env({}));
  BOOST_TEST(!s.console_listen); // off by default
  BOOST_TEST(s.console_socket.empty());
  BOOST_TEST(s.console_idle_timeout.count() == 15 * 60 * 1000);
  BOOST_TEST(s.console_password.empty());
  BOOST_TEST(summarize(s).find(" console=off ") != std::string::npos);

  auto sources = with_env({{"RACECONTROL_CONSOLE_PASSWORD", "pw-9d2c"}});
  sources.overrides = {{"console.listen", "127.0.0.1:8081"},
                       {"console.socket", "/run/rc/console.sock"},
                       {"console.idle_timeout", "90s"}};
  s = load_settings(sources);
  BOOST_REQUIRE(s.console_listen);
  BOOST_TEST(s.console_listen->to_string() == "127.0.0.1:8081");
  BOOST_TEST(s.console_socket == "/run/rc/console.sock");
  BOOST_TEST(s.console_idle_timeout.count() == 90000);
  BOOST_TEST(s.console_password.reveal() == "pw-9d2c");
  BOOST_TEST(summarize(s).find("pw-9d2c") == std::string::npos);
  BOOST_TEST(
      summarize(s).find(" console=127.0.0.1:8081+/run/rc/console.sock ") !=
      std::string::npos);

  sources.overrides = {{"console.listen", "localhost:8081"}};
  BOOST_TEST(error_of(sources).find("--console.listen: must be an IP address "
                                    "and port") == 0u);
}

BOOST_AUTO_TEST_CASE(cluster_settings) {
  auto s = load_settings(with_env({}));
  BOOST_TEST(to_string(s.role) == std::string{"standalone"});
  BOOST_TEST(summarize(s).find(" role=standalone ") != std::string::npos);

  auto sources = with_env({});
  sources.overrides = {{"cluster.role", "worker"},
                       {"cluster.coordinator", "10.0.0.5:4242,10.0.0.6:4242"},
                       {"cluster.certificate", "/etc/rc/w1.pem"},
                       {"cluster.key", "/etc/rc/w1.key"},
                       {"cluster.ca", "/etc/rc/ca.pem"}};
  s = load_settings(sources);
  BOOST_TEST(to_string(s.role) == std::string{"worker"});
  BOOST_TEST(s.cluster_coordinators ==
                 (std::vector<std::string>{"10.0.0.5:4242", "10.0.0.6:4242"}),
             boost::test_tools::per_element());
  BOOST_TEST(s.cluster_ca == "/etc/rc/ca.pem");

  // A role names every key it lacks, in one line.
  sources.overrides = {{"cluster.role", "coordinator"}};
  BOOST_TEST(error_of(sources) ==
             "cluster.role = coordinator needs cluster.certificate, "
             "cluster.key, cluster.ca, cluster.listen");
  sources.overrides = {{"cluster.role", "leader"}};
  BOOST_TEST(error_of(sources).find("--cluster.role: must be standalone, "
                                    "coordinator or worker") == 0u);
  sources.overrides = {{"cluster.coordinator", "10.0.0.5"}};
  BOOST_TEST(error_of(sources).find("--cluster.coordinator: must be "
                                    "HOST:PORT") == 0u);
}

BOOST_AUTO_TEST_CASE(http_settings) {
  auto s = load_settings(with_env({}));
  BOOST_REQUIRE(s.http_listen);
  BOOST_TEST(s.http_listen->to_string() == "127.0.0.1:8080");
  BOOST_TEST(s.http_max_body == 1024u * 1024u);
  BOOST_TEST(s.http_read_timeout.count() == 10000);
  BOOST_TEST(!s.http_trust_forwarded);
  BOOST_TEST(summarize(s).find(" http=127.0.0.1:8080 ") != std::string::npos);

  auto sources = with_env({});
  sources.overrides = {{"http.listen", "[::1]:0"},
                       {"http.max_body", "64KiB"},
                       {"http.read_timeout", "2s"},
                       {"http.trust_forwarded", "yes"}};
  s = load_settings(sources);
  BOOST_REQUIRE(s.http_listen);
  BOOST_TEST(s.http_listen->host == "::1");
  BOOST_TEST(s.http_listen->port == 0);
  BOOST_TEST(s.http_listen->to_string() == "[::1]:0");
  BOOST_TEST(s.http_max_body == 64u * 1024u);
  BOOST_TEST(s.http_read_timeout.count() == 2000);
  BOOST_TEST(s.http_trust_forwarded);
  BOOST_TEST(s.http_trusted_proxies.empty());

  sources.overrides = {{"http.trusted_proxies", " 127.0.0.1, ::1 ,10.0.0.2"}};
  BOOST_TEST((load_settings(sources).http_trusted_proxies ==
              std::vector<std::string>{"127.0.0.1", "::1", "10.0.0.2"}));
  for (const char* bad : {"localhost", "127.0.0.1:80", "[::1]", "10.0.0.0/8"}) {
    sources.overrides = {{"http.trusted_proxies", bad}};
    BOOST_CHECK_THROW(load_settings(sources), config_error);
  }

  for (const char* off : {"off", ""}) {
    sources.overrides = {{"http.listen", off}};
    BOOST_TEST(!load_settings(sources).http_listen);
    BOOST_TEST(summarize(load_settings(sources)).find(" http=off ") !=
               std::string::npos);
  }
  for (const char* bad : {"localhost:8080", "127.0.0.1", "127.0.0.1:65536",
                          "::1:8080", "[127.0.0.1]:80", "127.0.0.1:80x"}) {
    sources.overrides = {{"http.listen", bad}};
    BOOST_TEST(
        error_of(sources) ==
        std::string{"--http.listen: must be an IP address and port "
                    "like 127.0.0.1:8080 or [::1]:8080 (or off), got '"} +
            bad + "'");
  }
  sources.overrides = {{"http.max_body", "10"}};
  BOOST_TEST(error_of(sources) ==
             "--http.max_body: must be a size from 1KiB to 1GiB like 512KiB "
             "or 1MiB, got '10'");
  sources.overrides = {{"http.max_body", "1 MiB"}};
  BOOST_TEST(error_of(sources).find("got '1 MiB'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_search_shorter_than_racetimes_cache_is_warned_of) {
  auto sources = with_env({});
  auto s = load_settings(sources);
  BOOST_TEST(settings_warnings(s).empty()); // the defaults: 90s, 10s
  sources.overrides = {{"automation.search_after", "65s"}};
  auto warnings = settings_warnings(load_settings(sources));
  BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
  BOOST_TEST(warnings[0].find("automation.search_after (65s) is below 60s "
                              "plus automation.startrace_timeout (10s)") == 0u);
  BOOST_TEST(warnings[0].find("at least 70s") != std::string::npos);
  sources.overrides = {{"automation.search_after", "75s"},
                       {"automation.startrace_timeout", "20s"}};
  BOOST_TEST(settings_warnings(load_settings(sources)).size() == 1u);
  sources.overrides = {{"automation.search_after", "80s"},
                       {"automation.startrace_timeout", "20s"}};
  BOOST_TEST(settings_warnings(load_settings(sources)).empty());
}

BOOST_AUTO_TEST_CASE(example_file_parses_and_documents_every_key) {
  std::string path = RACECONTROL_SOURCE_DIR "/config/racecontrol.example.ini";
  auto sources = with_env({});
  sources.config_file = path;
  auto s = load_settings(sources);
  BOOST_TEST(s.database.database == "racecontrol");
  // Every key --help describes appears in the example, commented or not.
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  std::regex key_pattern(R"(--([a-z_]+)\.([a-z_]+)=VALUE)");
  auto help = describe_settings();
  int keys = 0;
  for (std::sregex_iterator it(help.begin(), help.end(), key_pattern), end;
       it != end; ++it, ++keys) {
    auto section = "[" + (*it)[1].str() + "]";
    auto key = (*it)[2].str();
    auto section_at = text.find(section);
    BOOST_TEST_REQUIRE(section_at != std::string::npos, section);
    std::regex line("\\n;? ?" + key + " =");
    BOOST_TEST(std::regex_search(text.substr(section_at), line),
               key << " is not documented in " << section);
  }
  BOOST_TEST(keys >= 12);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(values)

BOOST_AUTO_TEST_CASE(sizes) {
  BOOST_TEST(parse_size("512").value() == 512u);
  BOOST_TEST(parse_size("64KiB").value() == 65536u);
  BOOST_TEST(parse_size("64k").value() == 65536u);
  BOOST_TEST(parse_size("1MiB").value() == 1048576u);
  BOOST_TEST(parse_size("2G").value() == 2147483648u);
  BOOST_TEST(!parse_size(""));
  BOOST_TEST(!parse_size("MiB"));
  BOOST_TEST(!parse_size("1 MiB"));
  BOOST_TEST(!parse_size("1TiB"));
  BOOST_TEST(!parse_size("-1"));
  BOOST_TEST(!parse_size("99999999999999999999G"));
}

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(parse_duration("250ms").value().count() == 250);
  BOOST_TEST(parse_duration("5s").value().count() == 5000);
  BOOST_TEST(parse_duration("7").value().count() == 7000);
  BOOST_TEST(parse_duration("10m").value().count() == 600000);
  BOOST_TEST(parse_duration("2h").value().count() == 7200000);
  BOOST_TEST(!parse_duration("5 s"));
  BOOST_TEST(!parse_duration("-5s"));
  BOOST_TEST(!parse_duration("5d"));
  BOOST_TEST(!parse_duration(""));
}

BOOST_AUTO_TEST_CASE(ini_syntax) {
  auto doc = ini_document::parse("; comment\n# other\n[a]\nk = v ; trailing\n"
                                 "q = \"x ; y \\\" z\" ; c\nurl = a#b\n"
                                 "empty =\n",
                                 "t.ini");
  BOOST_REQUIRE_EQUAL(doc.entries.size(), 4u);
  BOOST_TEST(doc.entries[0].value == "v");
  BOOST_TEST(doc.entries[1].value == "x ; y \" z");
  BOOST_TEST(doc.entries[2].value == "a#b");
  BOOST_TEST(doc.entries[3].value == "");
  BOOST_TEST(doc.entries[3].line == 7u);
  auto error = [](const char* text) {
    try {
      ini_document::parse(text, "t.ini");
    } catch (const config_error& e) {
      return std::string{e.what()};
    }
    return std::string{};
  };
  BOOST_TEST(error("[a]\nno equals sign\n").rfind("t.ini:2: expected", 0) == 0);
  BOOST_TEST(error("[a\n").rfind("t.ini:1: section header", 0) == 0);
  BOOST_TEST(error("[a]\nk = \"open\n").rfind("t.ini:2: unterminated", 0) == 0);
}

BOOST_AUTO_TEST_CASE(command_line_forms) {
  auto cli = parse_command_line({"--config", "a.ini", "--migrate",
                                 "--log.level=debug", "--config=b.ini", "pos"},
                                {"migrate", "help"}, {"config"});
  BOOST_TEST(cli.has("migrate"));
  BOOST_TEST(!cli.has("help"));
  BOOST_TEST(cli.value("config").value() == "b.ini");
  BOOST_REQUIRE_EQUAL(cli.overrides.size(), 1u);
  BOOST_TEST(cli.overrides[0].first == "log.level");
  BOOST_TEST(cli.overrides[0].second == "debug");
  BOOST_REQUIRE_EQUAL(cli.positional.size(), 1u);
  BOOST_CHECK_THROW(parse_command_line({"--bogus"}, {"migrate"}, {}),
                    config_error);
  BOOST_CHECK_THROW(parse_command_line({"--config"}, {}, {"config"}),
                    config_error);
  BOOST_CHECK_THROW(parse_command_line({"--migrate=yes"}, {"migrate"}, {}),
                    config_error);
}

BOOST_AUTO_TEST_SUITE_END()
