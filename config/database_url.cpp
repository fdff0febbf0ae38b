#include "config/database_url.hpp"

#include <cctype>
#include <charconv>

namespace racecontrol::config {

namespace {

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
      return false;
    out.push_back(static_cast<char>(
        std::stoi(std::string{in.substr(i + 1, 2)}, nullptr, 16)));
    i += 2;
  }
  return true;
}

std::string percent_encode(std::string_view in) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string format(const database_url& u, bool with_password) {
  std::string out = "mysql://" + percent_encode(u.user);
  if (!u.password.empty())
    out += with_password ? ":" + percent_encode(u.password.reveal()) : ":***";
  out += "@";
  if (u.socket.empty())
    out += u.host + ":" + std::to_string(u.port);
  else
    out += "localhost";
  out += "/" + u.database;
  if (!u.socket.empty())
    out += "?socket=" + u.socket;
  return out;
}

} // namespace

std::string database_url::location() const {
  return socket.empty() ? host + ":" + std::to_string(port) : socket;
}

std::string database_url::redacted() const {
  return format(*this, false);
}

std::string database_url::to_string() const {
  return format(*this, true);
}

std::optional<database_url> parse_database_url(std::string_view text,
                                               std::string& error) {
  database_url url;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    error = "database URL must look like mysql://user:password@host:port/db";
    return std::nullopt;
  }
  auto scheme = text.substr(0, scheme_end);
  if (scheme != "mysql" && scheme != "mariadb") {
    error = "database URL scheme must be mysql:// or mariadb://, not " +
            std::string{scheme} + "://";
    return std::nullopt;
  }
  auto rest = text.substr(scheme_end + 3);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    error = "database URL has no database name (…/dbname at the end)";
    return std::nullopt;
  }
  url.database = std::string{rest.substr(slash + 1)};
  rest = rest.substr(0, slash);
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = credentials.find(':');
    std::string password;
    if (!percent_decode(credentials.substr(0, colon), url.user) ||
        (colon != std::string_view::npos &&
         !percent_decode(credentials.substr(colon + 1), password))) {
      error = "database URL has a bad percent-encoding in user or password";
      return std::nullopt;
    }
    if (!password.empty())
      url.password = secret{std::move(password)};
  }
  if (url.user.empty()) {
    error = "database URL has no user (mysql://USER@host/db)";
    return std::nullopt;
  }
  if (!rest.empty()) {
    std::string_view host = rest;
    if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      auto port_text = rest.substr(colon + 1);
      unsigned port = 0;
      auto [ptr, ec] = std::from_chars(
          port_text.data(), port_text.data() + port_text.size(), port);
      if (ec != std::errc{} || ptr != port_text.data() + port_text.size() ||
          port == 0 || port > 65535) {
        error = "database URL port must be a number from 1 to 65535, not '" +
                std::string{port_text} + "'";
        return std::nullopt;
      }
      url.port = static_cast<std::uint16_t>(port);
    }
    if (!host.empty())
      url.host = std::string{host};
  }
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    std::string value;
    if (eq != std::string_view::npos)
      percent_decode(pair.substr(eq + 1), value);
    if (key == "socket") {
      url.socket = value;
    } else {
      error = "database URL has an unknown parameter '" + std::string{key} +
              "' (known: socket)";
      return std::nullopt;
    }
  }
  return url;
}

} // namespace racecontrol::config
