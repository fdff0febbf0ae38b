#include "actors/api_support.hpp"

#include "actors/error.hpp"
#include "actors/http_api.hpp"

#include "persistence/api_token_repository.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace racecontrol {

namespace {

using protocol::error_response;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::http_server_response;

constexpr std::int32_t default_page = 50;
constexpr std::int32_t max_page = 200;

http_server_response unauthorized(const std::string& message) {
  auto r = error_response(401, "unauthorized", message);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"racecontrol\"");
  return r;
}

/// The token of `Authorization: Bearer <token>`, "" when there is none.
std::string bearer_token(const http_server_request& req) {
  const auto* header = req.header("Authorization");
  if (header == nullptr)
    return "";
  constexpr std::string_view scheme = "bearer ";
  if (header->size() <= scheme.size())
    return "";
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>((*header)[i])) != scheme[i])
      return "";
  auto token = header->substr(scheme.size());
  auto first = token.find_first_not_of(' ');
  auto last = token.find_last_not_of(' ');
  return first == std::string::npos ? ""
                                    : token.substr(first, last - first + 1);
}

std::string refusal_message(const std::string& refusal) {
  if (refusal == "revoked")
    return "this API token was revoked; ask an administrator for a new one";
  if (refusal == "malformed")
    return "the bearer token is malformed: racecontrol tokens are `rc_` and "
           "43 characters";
  return "this API token is not known; check that it was copied whole";
}

/// The status for a refusal's reason code (see error_answer).
unsigned refusal_status(const std::string& code) {
  if (code == "forbidden" || code == "bot_shared")
    return 403;
  if (code == "not_found")
    return 404;
  if (code == "players_not_linked" || code == "unknown_users" ||
      code == "unknown_tournament" || code == "startrace_refused" ||
      code == "invalid_config")
    return 422;
  if (code == "bot_not_connected" || code == "bot_starting" ||
      code == "stopping")
    return 503;
  return 409;
}

} // namespace

std::optional<std::int32_t> positive_id(const std::string& text) {
  std::int32_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0)
    return std::nullopt;
  return value;
}

std::string api_actor_name(const api_identity& who) {
  auto name = "api-token:" + who.name + "#" + std::to_string(who.token_id);
  return who.client.empty() ? name : name + " from " + who.client;
}

void with_identity(api_pointer self, const http_server_request& req,
                   const http_responder& respond, const std::string& scope,
                   std::function<void(const api_identity&)> then) {
  auto token = bearer_token(req);
  if (token.empty())
    return respond(unauthorized("this endpoint needs an API token: send "
                                "`Authorization: Bearer rc_...`"));
  auto what = req.method_name + " " + req.path + " from " + req.origin.address;
  // A flood of made-up tokens costs no database work beside the rooms'.
  if (!persistence::api_token_well_formed(token)) {
    spdlog::info("http: {}: malformed token refused", what);
    return respond(unauthorized(refusal_message("malformed")));
  }
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::get::value,
                api_credentials{config::secret::from_request(token)})
      .then(
          [respond, scope, then, what,
           client = req.origin.address](api_identity who) {
            if (!who.accepted) {
              spdlog::info("http: {}: {} token refused", what, who.refusal);
              return respond(unauthorized(refusal_message(who.refusal)));
            }
            who.client = client;
            if (!persistence::scope_allows(who.scopes, scope)) {
              spdlog::info("http: {}: {} lacks the scope {}", what,
                           api_actor_name(who), scope);
              return respond(
                  error_response(403, "insufficient_scope",
                                 "this token lacks the scope `" + scope +
                                     "` (or `admin`); create one that has it"));
            }
            then(who);
          },
          [respond](const caf::error& err) {
            spdlog::warn("http: cannot check an API token: {}", describe(err));
            respond(error_answer(err, "checking the API token"));
          });
}

http_server_response other_organization(const std::string& what) {
  return error_response(403, "forbidden",
                        what + " belongs to another organization than this "
                               "token's; use a token of that organization");
}

http_server_response error_answer(const caf::error& err,
                                  const std::string& what) {
  if (is(err, ec::refused)) {
    auto code = refusal_code(err);
    std::vector<std::pair<std::string, std::string>> fields;
    const auto& ctx = err.context();
    auto message = ctx.size() >= 1 && ctx.match_element<std::string>(0)
                       ? ctx.get_as<std::string>(0)
                       : describe(err);
    if (auto field = refusal_field(err); !field.empty())
      fields.emplace_back(field, message);
    return error_response(refusal_status(code), code.empty() ? "refused" : code,
                          message, fields);
  }
  if (is(err, ec::not_found))
    return error_response(404, "not_found", describe(err));
  if (err == caf::sec::request_timeout)
    return error_response(504, "timeout",
                          what + " took too long; it may still complete: "
                                 "look again shortly");
  if (is(err, ec::database_outcome_unknown))
    return error_response(503, "database_outcome_unknown",
                          what + ": MariaDB's connection broke while the "
                                 "change was being saved, so whether it was "
                                 "saved is unknown: look (GET) before "
                                 "sending it again");
  if (is(err, ec::database_unavailable))
    return error_response(503, "database_unavailable",
                          what + " failed: MariaDB does not answer; try "
                                 "again shortly");
  return error_response(500, "internal", what + " failed: " + describe(err));
}

std::optional<std::int32_t> path_id(const http_server_request& req,
                                    const http_responder& respond,
                                    const char* name) {
  auto it = req.params.find(name);
  auto id = it == req.params.end() ? std::nullopt : positive_id(it->second);
  if (!id)
    respond(error_response(400, "invalid_path",
                           std::string{"the "} + name +
                               " in the path must be a positive integer",
                           {{name, "must be a positive integer"}}));
  return id;
}

protocol::form_fields query_fields(const http_server_request& req) {
  return protocol::decode_form(req.query);
}

std::optional<api_page> page_of(const http_server_request& req,
                                const http_responder& respond) {
  api_page page;
  page.limit = default_page;
  auto fields = query_fields(req);
  if (const auto* limit = protocol::form_value(fields, "limit")) {
    auto n = positive_id(*limit);
    if (!n || *n > max_page) {
      respond(error_response(400, "invalid_query", "limit must be 1 to 200",
                             {{"limit", "must be an integer from 1 to 200"}}));
      return std::nullopt;
    }
    page.limit = *n;
  }
  if (const auto* cursor = protocol::form_value(fields, "cursor")) {
    auto n = positive_id(*cursor);
    if (!n) {
      respond(error_response(
          400, "invalid_query", "cursor must be the `next` of a page",
          {{"cursor", "must be the `next` value of the previous page"}}));
      return std::nullopt;
    }
    page.after_id = *n;
  }
  return page;
}

namespace {

/// Whether every string and member name in `v` is well-formed UTF-8 once
/// read: RapidJSON lets an escaped lone low surrogate ("\udc00") through,
/// which it writes as bytes no UTF-8 reader (MariaDB's utf8mb4) accepts.
bool strings_are_utf8(const rapidjson::Value& v) {
  if (v.IsString())
    return protocol::valid_utf8({v.GetString(), v.GetStringLength()});
  if (v.IsArray()) {
    for (const auto& item : v.GetArray())
      if (!strings_are_utf8(item))
        return false;
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject())
      if (!strings_are_utf8(m.name) || !strings_are_utf8(m.value))
        return false;
  }
  return true;
}

} // namespace

std::optional<rapidjson::Document> json_body(const http_server_request& req,
                                             const http_responder& respond,
                                             bool optional) {
  auto blank = req.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank && optional) {
    rapidjson::Document empty;
    empty.SetObject();
    return empty;
  }
  auto not_utf8 = [&] {
    respond(error_response(400, "malformed_json",
                           "the body is not valid UTF-8 (JSON is sent as "
                           "UTF-8)"));
  };
  if (!protocol::valid_utf8(req.body)) {
    not_utf8();
    return std::nullopt;
  }
  try {
    auto doc = protocol::parse_json(req.body);
    if (!strings_are_utf8(doc)) { // an escaped lone surrogate
      not_utf8();
      return std::nullopt;
    }
    if (!doc.IsObject()) {
      respond(error_response(400, "invalid_body",
                             "the body must be a JSON object"));
      return std::nullopt;
    }
    return doc;
  } catch (const protocol::json_error& e) {
    respond(
        error_response(400, "malformed_json",
                       std::string{"the body is not valid JSON: "} + e.what()));
    return std::nullopt;
  }
}

std::size_t utf8_length(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
}

} // namespace racecontrol
