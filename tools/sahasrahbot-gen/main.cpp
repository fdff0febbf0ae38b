// sahasrahbot-gen: fills a database with SahasrahBot's real schema and
// realistic generated data (see source_generator.hpp), the source for
// `racecontrol-migrate import-sahasrahbot` tests and benchmarks.

#include "tools/sahasrahbot-gen/source_generator.hpp"

#include "config/command_line.hpp"
#include "persistence/database.hpp"

#include <chrono>
#include <iostream>

int main(int argc, char** argv) {
  using namespace racecontrol;
  try {
    auto cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {"help", "no-drift"},
        {"database", "users", "races"});
    if (cli.has("help")) {
      std::cout << "usage: sahasrahbot-gen --database URL [--users N] "
                   "[--races N] [--no-drift]\n\n"
                   "Creates SahasrahBot's schema in the database (dropping its "
                   "tables first) and fills it: N users, N async races and "
                   "everything around them, with the drift cases of live data "
                   "unless --no-drift.\n";
      return 0;
    }
    auto text = cli.value("database");
    if (!text)
      throw config::config_error("--database URL is required");
    std::string error;
    auto url = config::parse_database_url(*text, error);
    if (!url)
      throw config::config_error("--database: " + error);
    tools::source_scale scale;
    scale.users = std::stoi(cli.value("users").value_or("1000"));
    scale.races = std::stoi(cli.value("races").value_or("10000"));
    scale.drift = !cli.has("no-drift");
    persistence::database_options options;
    options.url = *url;
    auto db = persistence::open_database(options);
    auto start = std::chrono::steady_clock::now();
    tools::generate_sahasrahbot_source(*db, scale, [](const std::string& line) {
      std::cout << line << "\n" << std::flush;
    });
    std::cout << "done in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count()
              << " ms\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sahasrahbot-gen: " << e.what() << "\n";
    return 2;
  }
}
