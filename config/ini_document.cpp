#include "config/ini_document.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

namespace racecontrol::config {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool valid_name(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' &&
        c != '.')
      return false;
  return true;
}

} // namespace

ini_document ini_document::parse(std::string_view text, std::string source) {
  ini_document doc;
  doc.source = std::move(source);
  std::string section;
  std::size_t number = 0;
  auto fail = [&](const std::string& what) {
    throw config_error(doc.source + ":" + std::to_string(number) + ": " + what);
  };
  while (!text.empty()) {
    ++number;
    auto eol = text.find('\n');
    auto line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{}
                                         : text.substr(eol + 1);
    if (line.empty() || line.front() == ';' || line.front() == '#')
      continue;
    if (line.front() == '[') {
      if (line.back() != ']')
        fail("section header must end with ']'");
      auto name = trim(line.substr(1, line.size() - 2));
      if (!valid_name(name))
        fail("bad section name '" + std::string{name} + "'");
      section = std::string{name};
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      fail("expected 'key = value' or '[section]', got '" + std::string{line} +
           "'");
    auto key = trim(line.substr(0, eq));
    if (!valid_name(key))
      fail("bad key name '" + std::string{key} + "'");
    auto raw = trim(line.substr(eq + 1));
    std::string value;
    if (!raw.empty() && raw.front() == '"') {
      std::size_t i = 1;
      for (; i < raw.size() && raw[i] != '"'; ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size())
          ++i;
        value.push_back(raw[i]);
      }
      if (i >= raw.size())
        fail("unterminated quoted value for '" + std::string{key} + "'");
      auto after = trim(raw.substr(i + 1));
      if (!after.empty() && after.front() != ';' && after.front() != '#')
        fail("unexpected text after the quoted value of '" + std::string{key} +
             "'");
    } else {
      // An unquoted value ends at a comment that follows whitespace.
      auto cut = raw.size();
      for (std::size_t i = 1; i < raw.size(); ++i)
        if ((raw[i] == ';' || raw[i] == '#') &&
            std::isspace(static_cast<unsigned char>(raw[i - 1]))) {
          cut = i;
          break;
        }
      value = std::string{trim(raw.substr(0, cut))};
    }
    doc.entries.push_back({section, std::string{key}, value, number});
  }
  return doc;
}

ini_document ini_document::load(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw config_error("cannot read config file " + path +
                       ": check the path given with --config");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

} // namespace racecontrol::config
