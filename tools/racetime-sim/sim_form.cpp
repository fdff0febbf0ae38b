#include "tools/racetime-sim/sim_form.hpp"

#include <cctype>
#include <cstdio>

namespace racecontrol::sim {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string unquote_plus(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string quote_plus(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

} // namespace

form_fields decode_form(std::string_view body) {
  form_fields out;
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);
    if (end == std::string_view::npos)
      end = body.size();
    auto pair = body.substr(start, end - start);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      out.emplace_back(unquote_plus(pair.substr(0, eq)),
                       eq == std::string_view::npos
                           ? std::string{}
                           : unquote_plus(pair.substr(eq + 1)));
    }
    start = end + 1;
  }
  return out;
}

const std::string* form_value(const form_fields& fields, std::string_view key) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : fields)
    if (k == key)
      found = &v;
  return found;
}

std::string encode_form(const form_fields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty())
      out.push_back('&');
    out += quote_plus(k) + "=" + quote_plus(v);
  }
  return out;
}

} // namespace racecontrol::sim
