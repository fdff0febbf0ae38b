#define BOOST_TEST_MODULE console_command
#include <boost/test/unit_test.hpp>

// The admin console's plain functions: splitting a line into words,
// parsing commands with their arguments and options (and the errors with
// their hints), and aligned tables.

#include "actors/console_command.hpp"
#include "actors/text_table.hpp"

using namespace racecontrol;

namespace {

std::vector<std::string> words(std::string_view line) {
  auto r = split_words(line);
  auto* err = std::get_if<console_parse_error>(&r);
  BOOST_REQUIRE_MESSAGE(!err, (err ? err->message : ""));
  return std::get<std::vector<std::string>>(r);
}

console_command parsed(std::string_view line) {
  auto r = parse_console_line(line);
  auto* err = std::get_if<console_parse_error>(&r);
  BOOST_REQUIRE_MESSAGE(!err, (err ? err->message : ""));
  return std::get<console_command>(r);
}

std::string error_of(std::string_view line) {
  auto r = parse_console_line(line);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<console_parse_error>(r),
                        "no error for '" << line << "'");
  return std::get<console_parse_error>(r).message;
}

using strings = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_CASE(words_split_on_blanks_and_group_in_quotes) {
  BOOST_TEST(words("  rooms   --active\t") == (strings{"rooms", "--active"}));
  BOOST_TEST(
      words(R"(token create --name "results bot" --scopes a,b)") ==
      (strings{"token", "create", "--name", "results bot", "--scopes", "a,b"}));
  BOOST_TEST(words(R"(--name="a b"c 'it''s' x\ y "q\"uote" '\n')") ==
             (strings{"--name=a bc", "its", "x y", "q\"uote", "\\n"}));
  BOOST_TEST(words(R"("")") == (strings{""}));
  BOOST_TEST(words("").empty());
}

BOOST_AUTO_TEST_CASE(unclosed_quotes_and_a_trailing_backslash_are_errors) {
  BOOST_TEST(std::get<console_parse_error>(split_words(R"(a "b)")).message ==
             "unclosed double quote; close it or escape it with \\");
  BOOST_TEST(std::get<console_parse_error>(split_words("a 'b")).message ==
             "unclosed single quote; close it or escape it with \\");
  BOOST_TEST(std::holds_alternative<console_parse_error>(split_words("a \\")));
}

BOOST_AUTO_TEST_CASE(commands_take_arguments_and_options) {
  auto c = parsed("open-room 17 --goal \"Any% NMG\" --invitational=no");
  BOOST_TEST(c.name() == "open-room");
  BOOST_TEST(c.args == strings{"17"});
  BOOST_TEST(*c.option("goal") == "Any% NMG");
  BOOST_TEST(*c.option("invitational") == "no");
  BOOST_TEST(!c.option("other"));

  auto r = parsed("rooms --active");
  BOOST_TEST(r.name() == "rooms");
  BOOST_TEST(r.has("active"));
  BOOST_TEST(!parsed("rooms").has("active"));

  BOOST_TEST(parsed("bot reload").name() == "bot reload");
  BOOST_TEST(parsed("task run 4").args == strings{"4"});
  BOOST_TEST(parsed("token revoke 9").name() == "token revoke");
  BOOST_TEST(parsed("drain off").args == strings{"off"});
  BOOST_TEST(parsed("drain").args.empty());
  BOOST_TEST(parsed("   ").spec == nullptr); // nothing to do
}

BOOST_AUTO_TEST_CASE(every_command_help_names_parses) {
  for (const auto& spec : console_commands()) {
    auto r = parse_console_line(spec.name + std::string(spec.min_args, ' ') +
                                (spec.min_args ? "1" : ""));
    BOOST_TEST_CONTEXT(spec.name) {
      BOOST_TEST(std::holds_alternative<console_command>(r));
    }
  }
  auto help = console_help();
  BOOST_TEST(help.find("open-room MATCH [--goal G] [--invitational yes|no]") !=
             std::string::npos);
  BOOST_TEST(help.find("token create --org ID --name NAME --scopes A,B") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_lines_get_an_error_with_a_hint) {
  BOOST_TEST(error_of("frobnicate now") ==
             "unknown command 'frobnicate'; try help");
  BOOST_TEST(error_of("bot") == "'bot' needs a subcommand; try bot reload");
  BOOST_TEST(error_of("token steal 3") ==
             "unknown 'token' command 'steal'; try token create --org ID "
             "--name NAME --scopes A,B, token list, token revoke ID");
  BOOST_TEST(error_of("rooms --all") ==
             "unknown option --all for 'rooms'; usage: rooms [--active]");
  BOOST_TEST(error_of("rooms --active=yes") ==
             "--active takes no value; usage: rooms [--active]");
  BOOST_TEST(error_of("open-room 3 --goal") ==
             "--goal needs a value; usage: open-room MATCH [--goal G] "
             "[--invitational yes|no]");
  BOOST_TEST(error_of("open-room") ==
             "'open-room' needs 1 argument(s); usage: open-room MATCH "
             "[--goal G] [--invitational yes|no]");
  BOOST_TEST(error_of("status now") ==
             "too many arguments for 'status'; usage: status");
  BOOST_TEST(error_of("room \"a") ==
             "unclosed double quote; close it or escape it with \\");
}

BOOST_AUTO_TEST_CASE(ids_and_yes_no_values) {
  BOOST_TEST(*parse_console_id("17") == 17);
  BOOST_TEST(*parse_console_id("2147483647") == 2147483647);
  BOOST_TEST(!parse_console_id("0"));
  BOOST_TEST(!parse_console_id("-3"));
  BOOST_TEST(!parse_console_id("2147483648"));
  BOOST_TEST(!parse_console_id("12a"));
  BOOST_TEST(!parse_console_id(""));
  BOOST_TEST(*parse_yes_no("yes"));
  BOOST_TEST(!*parse_yes_no("no"));
  BOOST_TEST(!parse_yes_no("maybe"));
}

BOOST_AUTO_TEST_CASE(tables_align_columns_under_a_rule) {
  text_table t{{"id", "name", "status"}};
  t.add({"1", "Zoë's bot", "connected"});
  t.add({"12", "b", ""});
  BOOST_TEST(t.render() == "id  name       status\n"
                           "--  ---------  ---------\n"
                           "1   Zoë's bot  connected\n"
                           "12  b          -\n");
}

BOOST_AUTO_TEST_CASE(cells_escape_what_would_break_a_table) {
  BOOST_TEST(table_cell("a\nb\tc\x01") == "a\\nb\\tc?");
  BOOST_TEST(table_cell("") == "-");
  BOOST_TEST(clip("abcdefghij", 6) == "abc...");
  BOOST_TEST(clip("abc", 6) == "abc");
  BOOST_TEST(clip("ééééééé", 5) == "éé...");
  BOOST_TEST(key_values({{"node", "n1"}, {"database", "rc"}}) ==
             "node      n1\n"
             "database  rc\n");
}
