#pragma once

// Small pieces the simulator's HTTP answers share: responses with
// racetime.gg's headers, the bearer token and the form of a request.

#include "tools/racetime-sim/sim_form.hpp"
#include "tools/racetime-sim/sim_routes.hpp"

#include <optional>
#include <string>

namespace racecontrol::sim {

/// A response with racetime.gg's headers (Server, X-Date-Exact) and the
/// request's keep-alive; a content type only with a body.
response make_response(const request& req, boost::beast::http::status status,
                       std::string body = "",
                       const char* type = "application/json");

/// An HTML response (Django's error pages), also when `body` is empty.
response html_response(const request& req, boost::beast::http::status status,
                       std::string body);

/// Django's page for a 404 (`Http404`) and for a 403 (PermissionDenied).
response not_found(const request& req);
response forbidden_page(const request& req);

/// `Authorization: Bearer <token>`, or nullopt.
std::optional<std::string> bearer_of(const request& req);

/// The body's fields when it is form-encoded; racetime.gg parses nothing
/// else (a JSON body reads as no fields at all).
form_fields form_of(const request& req);

} // namespace racecontrol::sim
