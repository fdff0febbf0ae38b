#include "tools/racetime-sim/sim_http.hpp"

#include "tools/racetime-sim/sim_documents.hpp"

#include <boost/beast/http.hpp>

namespace racecontrol::sim {

namespace http = boost::beast::http;

response make_response(const request& req, http::status status,
                       std::string body, const char* type) {
  response res{status, req.version()};
  res.set(http::field::server, "racetime-sim");
  res.set("X-Date-Exact", python_isoformat(std::chrono::system_clock::now()));
  if (!body.empty())
    res.set(http::field::content_type, type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response html_response(const request& req, http::status status,
                       std::string body) {
  auto res = make_response(req, status, std::move(body));
  res.set(http::field::content_type, "text/html; charset=utf-8");
  return res;
}

response not_found(const request& req) {
  return html_response(req, http::status::not_found,
                       "<h1>Not Found</h1><p>The requested resource was not "
                       "found on this server.</p>");
}

response forbidden_page(const request& req) {
  return html_response(req, http::status::forbidden,
                       "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  "
                       "<title>403 Forbidden</title>\n</head>\n<body>\n  "
                       "<h1>403 Forbidden</h1><p></p>\n</body>\n</html>\n");
}

std::optional<std::string> bearer_of(const request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end())
    return std::nullopt;
  std::string value{it->value()};
  if (value.rfind("Bearer ", 0) != 0)
    return std::nullopt;
  return value.substr(7);
}

form_fields form_of(const request& req) {
  auto it = req.find(http::field::content_type);
  if (it == req.end() ||
      std::string{it->value()}.find("application/x-www-form-urlencoded") ==
          std::string::npos)
    return {};
  return decode_form(req.body());
}

} // namespace racecontrol::sim
