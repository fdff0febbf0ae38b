// The HTTP API's reads of tournaments and rooms (bots are in
// actors/api_bots.cpp). Lists are pages by ascending id (`?limit=&cursor=`,
// answered `{"items": [...], "next"}`); a row of another organization than
// the token's is 403.

#include "actors/api_support.hpp"
#include "actors/api_views.hpp"
#include "actors/http_api.hpp"

#include "persistence/api_token_repository.hpp"

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

namespace http = boost::beast::http;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::json_response;

/// The room statuses `GET /api/rooms?status=` accepts (racetime.gg's).
bool known_room_status(const std::string& s) {
  for (const char* known : {"open", "invitational", "pending", "in_progress",
                            "finished", "cancelled"})
    if (s == known)
      return true;
  return false;
}

void list_tournaments(api_pointer self, http_server_request req,
                      http_responder respond) {
  auto page = page_of(req, respond);
  if (!page)
    return;
  with_identity(
      self, req, respond, "tournaments:read",
      [self, respond, page = *page](const api_identity& who) {
        tournament_query q{who.organization_id, std::nullopt, probe(page)};
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value, q)
            .then(
                [respond, page](const std::vector<tournament_view>& rows) {
                  respond(json_response(
                      200, page_json(rows, page, write_tournament)));
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "listing tournaments"));
                });
      });
}

void get_tournament(api_pointer self, http_server_request req,
                    http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(
      self, req, respond, "tournaments:read",
      [self, respond, id = *id](const api_identity& who) {
        tournament_query q{who.organization_id, id, {}};
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value, q)
            .then(
                [respond, id, who](const std::vector<tournament_view>& rows) {
                  auto what = "tournament " + std::to_string(id);
                  if (rows.empty())
                    return respond(protocol::error_response(
                        404, "not_found", "there is no " + what));
                  if (rows[0].organization_id != who.organization_id)
                    return respond(other_organization(what));
                  respond(json_response(200, protocol::json_text([&](auto& w) {
                                          write_tournament(w, rows[0]);
                                        })));
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "reading a tournament"));
                });
      });
}

void list_rooms(api_pointer self, http_server_request req,
                http_responder respond) {
  auto page = page_of(req, respond);
  if (!page)
    return;
  std::optional<std::string> status;
  auto fields = query_fields(req);
  if (const auto* s = protocol::form_value(fields, "status")) {
    if (!known_room_status(*s))
      return respond(protocol::error_response(
          400, "invalid_query", "unknown room status '" + *s + "'",
          {{"status", "one of open, invitational, pending, in_progress, "
                      "finished, cancelled"}}));
    status = *s;
  }
  with_identity(
      self, req, respond, "rooms:read",
      [self, respond, page = *page, status](const api_identity& who) {
        room_query q{who.organization_id, std::nullopt, status, probe(page)};
        auto base = self->state.options.racetime_url;
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value, q)
            .then(
                [respond, page, base](const std::vector<room_view>& rows) {
                  respond(json_response(
                      200, page_json(rows, page, [&](auto& w, const auto& r) {
                        write_room(w, r, base);
                      })));
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "listing rooms"));
                });
      });
}

void get_room(api_pointer self, http_server_request req,
              http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(
      self, req, respond, "rooms:read",
      [self, respond, id = *id](const api_identity& who) {
        room_query q{who.organization_id, id, std::nullopt, {}};
        auto base = self->state.options.racetime_url;
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value, q)
            .then(
                [respond, id, who, base](const std::vector<room_view>& rows) {
                  auto what = "room " + std::to_string(id);
                  if (rows.empty())
                    return respond(protocol::error_response(
                        404, "not_found", "there is no " + what));
                  // A room without a match (deleted since, with its
                  // tournament perhaps) belongs to no organization: no
                  // token reads it, as no list shows it (its requester and
                  // status message are some organization's own).
                  const auto& org = rows[0].organization_id;
                  if (!org)
                    return respond(protocol::error_response(
                        403, "forbidden",
                        what + " has no match (it was deleted), so it "
                               "belongs to no organization; the admin "
                               "console's room SLUG shows it"));
                  if (*org != who.organization_id)
                    return respond(other_organization(what));
                  respond(json_response(200, protocol::json_text([&](auto& w) {
                                          write_room(w, rows[0], base);
                                        })));
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "reading a room"));
                });
      });
}

} // namespace

void add_catalog_routes(api_pointer self, protocol::http_router& routes) {
  auto bind = [self](auto handler) {
    return [self, handler](http_server_request req, http_responder respond) {
      handler(self, std::move(req), std::move(respond));
    };
  };
  routes.add(http::verb::get, "/api/tournaments", bind(list_tournaments));
  routes.add(http::verb::get, "/api/tournaments/{id}", bind(get_tournament));
  routes.add(http::verb::get, "/api/rooms", bind(list_rooms));
  routes.add(http::verb::get, "/api/rooms/{id}", bind(get_room));
}

} // namespace racecontrol
