#include "protocol/url.hpp"

#include <charconv>

namespace racecontrol::protocol {

std::string url::authority() const {
  bool default_port = ((scheme == "http" || scheme == "ws") && port == 80) ||
                      ((scheme == "https" || scheme == "wss") && port == 443);
  return default_port ? host : host + ":" + std::to_string(port);
}

std::string url::origin() const {
  return scheme + "://" + authority();
}

expected<url> parse_url(std::string_view text) {
  url u;
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return protocol_error{"URL '" + std::string{text} + "' has no scheme"};
  u.scheme = std::string{text.substr(0, sep)};
  if (u.scheme != "http" && u.scheme != "https" && u.scheme != "ws" &&
      u.scheme != "wss")
    return protocol_error{"URL scheme must be http, https, ws or wss, not " +
                          u.scheme};
  auto rest = text.substr(sep + 3);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  u.target =
      slash == std::string_view::npos ? "/" : std::string{rest.substr(slash)};
  u.port = u.secure() ? 443 : 80;
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos &&
      authority.find(']') == std::string_view::npos) {
    unsigned port = 0;
    auto digits = authority.substr(colon + 1);
    auto [p, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || p != digits.data() + digits.size() || port == 0 ||
        port > 65535)
      return protocol_error{"URL '" + std::string{text} + "' has a bad port"};
    u.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty())
    return protocol_error{"URL '" + std::string{text} + "' has no host"};
  u.host = std::string{authority};
  return u;
}

url with_path(const url& base, std::string_view path, bool websocket) {
  url out = base;
  out.target = std::string{path};
  if (websocket)
    out.scheme = base.secure() ? "wss" : "ws";
  return out;
}

} // namespace racecontrol::protocol
