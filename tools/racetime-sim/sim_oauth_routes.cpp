// racetime.gg's OAuth2 paths as django-oauth-toolkit answers them
// (racetime-protocol.md §1 and §7 "OAuth2 and tokens").

#include "tools/racetime-sim/sim_documents.hpp"
#include "tools/racetime-sim/sim_http.hpp"
#include "tools/racetime-sim/sim_routes.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>

namespace racecontrol::sim {

namespace http = boost::beast::http;

namespace {

/// The body's fields, with client id and secret from HTTP Basic when given.
form_fields token_form(const request& req) {
  auto form = form_of(req);
  auto auth = req.find(http::field::authorization);
  if (auth == req.end() || std::string{auth->value()}.rfind("Basic ", 0) != 0)
    return form;
  std::string encoded{auth->value().substr(6)};
  std::string decoded(
      boost::beast::detail::base64::decoded_size(encoded.size()), '\0');
  auto n = boost::beast::detail::base64::decode(decoded.data(), encoded.data(),
                                                encoded.size());
  decoded.resize(n.first);
  auto colon = decoded.find(':');
  if (colon != std::string::npos) {
    form.emplace_back("client_id", decoded.substr(0, colon));
    form.emplace_back("client_secret", decoded.substr(colon + 1));
  }
  return form;
}

response token_endpoint(route_context& ctx, const request& req) {
  auto form = token_form(req);
  auto result = ctx.w.oauth().grant(form);
  const std::string* type = form_value(form, "grant_type");
  const std::string* client = form_value(form, "client_id");
  ctx.w.record({ctx.w.now(), "token", client ? *client : "", "",
                payload({{"grant_type", json_string(type ? *type : "")},
                         {"status", std::to_string(result.status)}}),
                ""});
  if (result.status != 200) {
    auto res =
        make_response(req, static_cast<http::status>(result.status),
                      oauth_error_json(result.error, result.description));
    if (result.status == 401)
      res.set(http::field::www_authenticate,
              "Bearer error=\"" + result.error + "\"");
    return res;
  }
  auto res = make_response(req, http::status::ok,
                           token_json(result.access_token, result.expires_in,
                                      result.scope, result.refresh_token));
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::pragma, "no-cache");
  return res;
}

response authorize(route_context& ctx, const request& req,
                   const std::string& query) {
  auto result =
      ctx.w.oauth().authorize(decode_form(query), std::string{req.target()});
  using kind = oauth_provider::authorize_result::kind;
  if (result.what == kind::error_page)
    // django-oauth-toolkit's authorize.html with the error.
    return html_response(req, static_cast<http::status>(result.status),
                         "<h2>Error: " + result.error + "</h2><p>" +
                             result.description + "</p>");
  auto location = result.location;
  if (result.what == kind::login) {
    // redirect_to_login keeps '/' unescaped in `next`.
    for (auto at = location.find("%2F"); at != std::string::npos;
         at = location.find("%2F", at))
      location.replace(at, 3, "/");
  }
  auto res = make_response(req, http::status::found);
  res.set(http::field::location, location);
  return res;
}

response userinfo(route_context& ctx, const request& req) {
  auto value = bearer_of(req);
  const token* t = value ? ctx.w.oauth().find_token(*value) : nullptr;
  // Invalid, expired or read-less: the protected view's empty 403.
  if (t == nullptr || t->scopes.count("read") == 0)
    return html_response(req, http::status::forbidden, "");
  // A bot token has no user: the view raises PermissionDenied.
  auto u = t->user_id ? ctx.w.users().find(*t->user_id) : ctx.w.users().end();
  if (u == ctx.w.users().end())
    return forbidden_page(req);
  return make_response(req, http::status::ok,
                       userinfo_json(u->second, ctx.w.active_race(u->first)));
}

} // namespace

std::optional<response> serve_oauth(route_context& ctx, const request& req,
                                    const std::string& path,
                                    const std::string& query) {
  bool get = req.method() == http::verb::get;
  if (path == "/o/token")
    return req.method() == http::verb::post
               ? token_endpoint(ctx, req)
               : make_response(req, http::status::method_not_allowed);
  if (path == "/o/authorize" && get)
    return authorize(ctx, req, query);
  if (path == "/o/userinfo" && get)
    return userinfo(ctx, req);
  return std::nullopt;
}

} // namespace racecontrol::sim
