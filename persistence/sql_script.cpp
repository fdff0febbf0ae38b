#include "persistence/sql_script.hpp"

#include <cctype>

namespace racecontrol::persistence {

namespace {

bool only_comments_and_space(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    if (c == '#' || (c == '-' && i + 1 < text.size() && text[i + 1] == '-')) {
      while (i < text.size() && text[i] != '\n')
        ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      auto end = text.find("*/", i + 2);
      if (end == std::string_view::npos)
        return true;
      i = end + 1;
      continue;
    }
    return false;
  }
  return true;
}

std::string trim(std::string_view text) {
  size_t b = 0;
  size_t e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b])))
    ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1])))
    --e;
  return std::string{text.substr(b, e - b)};
}

} // namespace

std::vector<sql_statement> split_sql_script(std::string_view script) {
  std::vector<sql_statement> out;
  size_t start = 0;
  size_t line = 1;
  size_t start_line = 1;
  auto finish = [&](size_t end) {
    auto piece = script.substr(start, end - start);
    if (!only_comments_and_space(piece)) {
      // Report the line of the first non-blank character.
      size_t lead_lines = 0;
      for (char c : piece) {
        if (c == '\n')
          ++lead_lines;
        else if (!std::isspace(static_cast<unsigned char>(c)))
          break;
      }
      out.push_back({trim(piece), start_line + lead_lines});
    }
  };
  for (size_t i = 0; i < script.size(); ++i) {
    char c = script[i];
    if (c == '\n') {
      ++line;
    } else if (c == '\'' || c == '"' || c == '`') {
      for (++i; i < script.size(); ++i) {
        if (script[i] == '\n')
          ++line;
        if (script[i] == '\\' && c != '`') {
          ++i;
        } else if (script[i] == c) {
          if (i + 1 < script.size() && script[i + 1] == c)
            ++i; // doubled quote
          else
            break;
        }
      }
    } else if (c == '#' ||
               (c == '-' && i + 1 < script.size() && script[i + 1] == '-')) {
      while (i + 1 < script.size() && script[i + 1] != '\n')
        ++i;
    } else if (c == '/' && i + 1 < script.size() && script[i + 1] == '*') {
      for (i += 2;
           i + 1 < script.size() && !(script[i] == '*' && script[i + 1] == '/');
           ++i)
        if (script[i] == '\n')
          ++line;
      ++i;
    } else if (c == ';') {
      finish(i);
      start = i + 1;
      start_line = line;
    }
  }
  if (start < script.size())
    finish(script.size());
  return out;
}

} // namespace racecontrol::persistence
