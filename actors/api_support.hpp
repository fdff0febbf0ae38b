#pragma once

// What every /api/ endpoint of the HTTP API actor shares: the bearer-token
// check with its scope, the mapping of errors to statuses, and reading
// ids, pages and JSON bodies with errors that name the input.
//
// Scopes (persistence::api_token_scopes): reads of tournaments need
// `tournaments:read`, of matches `matches:read`, of rooms (and a match's
// room) `rooms:read`, of bots `bots:read`; creating and changing matches
// needs `matches:write` (so does a player's RaceTime account link, which
// serves match players), opening a room `rooms:write`. `admin` allows
// everything. A token sees its own organization's rows only.

#include "actors/interfaces.hpp"

#include "protocol/form.hpp"
#include "protocol/http_router.hpp"
#include "protocol/http_server.hpp"
#include "protocol/json.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racecontrol {

struct http_api_state;
using api_pointer = http_api_actor::stateful_pointer<http_api_state>;

/// (member, what is wrong with it) for an error's `fields`.
using field_errors = std::vector<std::pair<std::string, std::string>>;

/// The longest text a VARCHAR(255) column takes, in characters.
constexpr std::size_t max_text = 255;

/// Characters (code points) of UTF-8 text: MariaDB counts VARCHAR limits
/// in characters, not bytes.
std::size_t utf8_length(const std::string& text);

/// The audit identity of a request: "api-token:<name>#<id> from <client
/// address>" (the address as http_client_origin has it: X-Forwarded-For's
/// client only behind a trusted proxy).
std::string api_actor_name(const api_identity& who);

/// Checks the request's `Authorization: Bearer rc_...` through the
/// persistence actor and calls `then` with the identity when the token is
/// valid and allows `scope`. Otherwise answers itself: 401 (with
/// `WWW-Authenticate: Bearer`) for a missing, malformed, unknown or revoked
/// token, 403 naming the scope for a token without it, 503 when the
/// database cannot check it.
void with_identity(api_pointer self, const protocol::http_server_request& req,
                   const protocol::http_responder& respond,
                   const std::string& scope,
                   std::function<void(const api_identity&)> then);

/// 403 for a row of another organization than the token's (`what` names
/// the row, e.g. "match 12"; nothing of the row itself is said).
protocol::http_server_response other_organization(const std::string& what);

/// The answer for a failed request to another actor: not_found 404,
/// refusals by their code (make_refusal: forbidden 403, players_not_linked
/// and the input errors 422, a bot down 503, other checks 409), the
/// database unreachable 503, a timeout 504; `what` says what was asked.
protocol::http_server_response error_answer(const caf::error& err,
                                            const std::string& what);

/// A decimal id above 0 and nothing else ("5abc", " 5", "+5" are not).
std::optional<std::int32_t> positive_id(const std::string& text);

/// The path parameter `name` as a positive id, or nullopt after
/// answering 400 naming it.
std::optional<std::int32_t> path_id(const protocol::http_server_request& req,
                                    const protocol::http_responder& respond,
                                    const char* name = "id");

/// The request's query parameters, decoded.
protocol::form_fields query_fields(const protocol::http_server_request& req);

/// `?limit=` (1 to 200, default 50) and `?cursor=` (the `next` of the
/// previous page); nullopt after answering 400 naming the bad one.
std::optional<api_page> page_of(const protocol::http_server_request& req,
                                const protocol::http_responder& respond);

/// The request's JSON body as an object; an empty body is `{}` when
/// `optional`. nullopt after answering 400 (malformed_json, or
/// invalid_body when it is not an object).
std::optional<rapidjson::Document>
json_body(const protocol::http_server_request& req,
          const protocol::http_responder& respond, bool optional);

/// A page answer: `{"items": [...], "next": "<cursor>" | null}`. `rows`
/// holds up to limit + 1 rows (one more tells that a next page exists).
template <class Row, class Write>
std::string page_json(const std::vector<Row>& rows, const api_page& page,
                      Write&& write_item) {
  auto shown =
      std::min<std::size_t>(rows.size(), static_cast<std::size_t>(page.limit));
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (std::size_t i = 0; i < shown; ++i)
      write_item(w, rows[i]);
    w.EndArray();
    w.Key("next");
    if (rows.size() > shown && shown > 0)
      w.String(std::to_string(rows[shown - 1].id).c_str());
    else
      w.Null();
    w.EndObject();
  });
}

/// The page asked of the database: one row more than shown.
inline api_page probe(api_page page) {
  page.limit += 1;
  return page;
}

} // namespace racecontrol
