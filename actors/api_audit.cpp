// The HTTP API's audit log (audit:read): the token's organization's
// entries, newest first, filtered by entity and time. Pages go backwards:
// `next` is the id of the last entry shown and `?cursor=` lists the entries
// older than it, so new entries never shift a page being read.

#include "actors/api_support.hpp"
#include "actors/api_views.hpp"
#include "actors/http_api.hpp"

#include "protocol/iso8601.hpp"

namespace racecontrol {

namespace {

namespace http = boost::beast::http;
using protocol::error_response;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::json_response;

constexpr std::size_t max_entity_type = 50; // audit_log.entity_type

/// The query's filters, or nullopt after answering 400 naming the bad one.
std::optional<audit_query> audit_filters(const http_server_request& req,
                                         const http_responder& respond) {
  audit_query q;
  auto fields = query_fields(req);
  auto bad = [&](const char* name, const std::string& why) {
    respond(error_response(400, "invalid_query", std::string{name} + " " + why,
                           {{name, why}}));
    return std::nullopt;
  };
  if (const auto* t = protocol::form_value(fields, "entity_type")) {
    if (t->empty() || t->size() > max_entity_type)
      return bad("entity_type", "must be 1 to 50 characters, e.g. match");
    q.entity_type = *t;
  }
  if (const auto* id = protocol::form_value(fields, "entity_id")) {
    q.entity_id = positive_id(*id);
    if (!q.entity_id)
      return bad("entity_id", "must be a positive integer");
  }
  for (const char* name : {"since", "until"}) {
    const auto* text = protocol::form_value(fields, name);
    if (text == nullptr)
      continue;
    auto at = protocol::parse_iso8601_time(*text);
    if (!at)
      return bad(name, "must be an ISO 8601 time such as "
                       "2026-12-01T00:00:00Z");
    (std::string{name} == "since" ? q.since : q.until) = *at;
  }
  return q;
}

void list_audit(api_pointer self, http_server_request req,
                http_responder respond) {
  auto page = page_of(req, respond);
  if (!page)
    return;
  auto q = audit_filters(req, respond);
  if (!q)
    return;
  with_identity(
      self, req, respond, "audit:read",
      [self, respond, page = *page, q = *q](const api_identity& who) mutable {
        q.organization_id = who.organization_id;
        if (page.after_id > 0)
          q.before_id = page.after_id;
        q.limit = static_cast<std::uint32_t>(page.limit + 1);
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value, q)
            .then(
                [respond, page](const std::vector<audit_entry>& rows) {
                  respond(json_response(
                      200, page_json(rows, page, write_audit_entry)));
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "listing audit entries"));
                });
      });
}

} // namespace

void add_audit_routes(api_pointer self, protocol::http_router& routes) {
  routes.add(http::verb::get, "/api/audit",
             [self](http_server_request req, http_responder respond) {
               list_audit(self, std::move(req), std::move(respond));
             });
}

} // namespace racecontrol
