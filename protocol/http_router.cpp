#include "protocol/http_router.hpp"

#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace racecontrol::protocol {

namespace http = boost::beast::http;

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t at = path.empty() || path[0] != '/' ? 0 : 1;
  while (at <= path.size()) {
    auto slash = path.find('/', at);
    if (slash == std::string::npos)
      slash = path.size();
    out.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

/// Whether `path` fits `pattern`; fills `params` when it does.
bool matches(const std::vector<std::string>& pattern,
             const std::vector<std::string>& path,
             std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size())
    return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      if (path[i].empty())
        return false;
      found[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

} // namespace

void http_router::add(http::verb method, const std::string& pattern,
                      http_handler handler) {
  if (pattern.empty() || pattern[0] != '/')
    throw std::invalid_argument("route pattern '" + pattern +
                                "' must start with '/'");
  routes_.push_back(
      route{method, pattern, split_path(pattern), std::move(handler)});
}

std::vector<http_router::entry> http_router::routes() const {
  std::vector<entry> out;
  for (const auto& r : routes_)
    out.push_back({r.method, r.pattern});
  return out;
}

void http_router::operator()(http_server_request request,
                             http_responder respond) const {
  auto path = split_path(request.path);
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!matches(r.segments, path, params))
      continue;
    if (r.method == request.method) {
      request.params = std::move(params);
      return r.handler(std::move(request), std::move(respond));
    }
    auto name = std::string{http::to_string(r.method)};
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      allowed.push_back(name);
  }
  if (allowed.empty())
    return respond(
        error_response(404, "not_found", "no resource at " + request.path));
  std::string allow;
  for (const auto& name : allowed)
    allow += (allow.empty() ? "" : ", ") + name;
  auto wrong = error_response(405, "method_not_allowed",
                              request.method_name + " is not allowed on " +
                                  request.path + "; allowed: " + allow);
  wrong.headers.emplace_back("Allow", allow);
  respond(std::move(wrong));
}

} // namespace racecontrol::protocol
