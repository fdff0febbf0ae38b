// The HTTP API's matches: lists and lookups (matches:read), creation and
// changes (matches:write; seed 001's require_racetime_link enforced, the
// tournament supervisor told so rooms open on time), and seed 001's two
// room endpoints, exactly as it shapes them: POST opens the room through
// the tournament supervisor's manual open (rooms:write), GET says whether
// the match has one (rooms:read).

#include "actors/api_support.hpp"
#include "actors/api_views.hpp"
#include "actors/error.hpp"
#include "actors/http_api.hpp"

#include "protocol/iso8601.hpp"

#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

namespace http = boost::beast::http;
using protocol::error_response;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::json_response;

// --- reading a match body ----------------------------------------------------

/// Reads one member of a match body into `w`; adds what is wrong to
/// `errors` (named by the member).
void read_member(const std::string& key, const rapidjson::Value& v, bool create,
                 match_write& w, field_errors& errors) {
  auto bad = [&](const std::string& why) {
    errors.emplace_back(key, why);
  };
  auto text = [&](bool nullable) -> std::optional<std::string> {
    if (v.IsNull() && nullable)
      return std::nullopt;
    if (!v.IsString()) {
      bad(nullable ? "must be a string or null" : "must be a string");
      return std::nullopt;
    }
    std::string s{v.GetString(), v.GetStringLength()};
    if (utf8_length(s) > max_text)
      bad("must be at most 255 characters");
    return s;
  };
  if (key == "tournament_id") {
    if (!create)
      return bad("a match cannot move to another tournament");
    if (!v.IsInt() || v.GetInt() <= 0)
      return bad("must be a positive integer");
    w.tournament_id = v.GetInt();
  } else if (key == "title") {
    w.title = text(false);
    if (w.title && w.title->find_first_not_of(" \t\r\n") == std::string::npos)
      bad("must not be empty");
  } else if (key == "scheduled_at") {
    auto s = text(true);
    if (!s) {
      w.clear_scheduled_at = v.IsNull();
      return;
    }
    w.scheduled_at = protocol::parse_iso8601_time(*s);
    if (!w.scheduled_at)
      bad("must be an ISO 8601 time such as 2026-12-24T19:00:00Z");
  } else if (key == "goal") {
    w.goal = text(true);
    w.clear_goal = v.IsNull();
  } else if (key == "invitational" || key == "auto_create") {
    if (!v.IsBool())
      return bad("must be true or false");
    (key == "invitational" ? w.invitational : w.auto_create) = v.GetBool();
  } else if (key == "players") {
    if (!v.IsArray())
      return bad("must be an array of user ids");
    std::vector<std::int32_t> ids;
    for (const auto& id : v.GetArray()) {
      if (!id.IsInt() || id.GetInt() <= 0)
        return bad("must be an array of user ids (positive integers)");
      ids.push_back(id.GetInt());
    }
    w.players = std::move(ids);
  } else {
    bad("is not a field of a match (tournament_id, title, scheduled_at, "
        "goal, invitational, auto_create, players)");
  }
}

/// The write a body asks for, or the errors naming each bad field.
field_errors read_match_body(const rapidjson::Document& doc, bool create,
                             match_write& w) {
  field_errors errors;
  for (const auto& m : doc.GetObject())
    read_member({m.name.GetString(), m.name.GetStringLength()}, m.value, create,
                w, errors);
  if (create && !w.tournament_id && !doc.HasMember("tournament_id"))
    errors.emplace_back("tournament_id", "is required");
  if (create && !doc.HasMember("title"))
    errors.emplace_back("title", "is required");
  return errors;
}

// --- matches ---------------------------------------------------------------

std::optional<match_query> list_query(const http_server_request& req,
                                      const http_responder& respond) {
  auto page = page_of(req, respond);
  if (!page)
    return std::nullopt;
  match_query q;
  q.page = probe(*page);
  auto fields = query_fields(req);
  if (const auto* t = protocol::form_value(fields, "tournament_id")) {
    q.tournament_id = positive_id(*t);
    if (!q.tournament_id) {
      respond(error_response(
          400, "invalid_query", "tournament_id must be a tournament's id",
          {{"tournament_id", "must be a positive integer"}}));
      return std::nullopt;
    }
  }
  if (const auto* u = protocol::form_value(fields, "upcoming")) {
    if (*u != "true" && *u != "false") {
      respond(error_response(400, "invalid_query",
                             "upcoming must be true or false",
                             {{"upcoming", "must be true or false"}}));
      return std::nullopt;
    }
    q.upcoming = *u == "true";
  }
  return q;
}

void list_matches(api_pointer self, http_server_request req,
                  http_responder respond) {
  auto q = list_query(req, respond);
  if (!q)
    return;
  with_identity(
      self, req, respond, "matches:read",
      [self, respond, q = *q](const api_identity& who) mutable {
        q.organization_id = who.organization_id;
        auto page = q.page;
        page.limit -= 1;
        auto base = self->state.options.racetime_url;
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value, q)
            .then(
                [respond, page, base](const std::vector<match_view>& rows) {
                  respond(json_response(
                      200, page_json(rows, page, [&](auto& w, const auto& m) {
                        write_match(w, m, base);
                      })));
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "listing matches"));
                });
      });
}

/// Loads match `id` for `who` and hands it to `then`; answers 404 or 403
/// itself.
void with_match(api_pointer self, const http_responder& respond,
                const api_identity& who, std::int32_t id,
                std::function<void(const match_view&)> then) {
  match_query q;
  q.organization_id = who.organization_id;
  q.id = id;
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::get::value, q)
      .then(
          [respond, who, id, then](const std::vector<match_view>& rows) {
            auto what = "match " + std::to_string(id);
            if (rows.empty())
              return respond(
                  error_response(404, "not_found", "there is no " + what));
            if (rows[0].organization_id != who.organization_id)
              return respond(other_organization(what));
            then(rows[0]);
          },
          [respond](const caf::error& err) {
            respond(error_answer(err, "reading a match"));
          });
}

void get_match(api_pointer self, http_server_request req,
               http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(
      self, req, respond, "matches:read",
      [self, respond, id = *id](const api_identity& who) {
        auto base = self->state.options.racetime_url;
        with_match(
            self, respond, who, id, [respond, base](const match_view& m) {
              respond(json_response(200, protocol::json_text([&](auto& w) {
                                      write_match(w, m, base);
                                    })));
            });
      });
}

/// Sends the write; answers the match (201 created, 200 changed) and tells
/// the tournament supervisor, so its timers follow the new schedule.
void save_match(api_pointer self, const http_responder& respond,
                match_write w) {
  bool create = !w.match_id;
  auto base = self->state.options.racetime_url;
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::put::value, w)
      .then(
          [self, respond, create, base, actor = w.actor](const match_view& m) {
            spdlog::info("http: {} {} match {}", actor,
                         create ? "created" : "changed", m.id);
            self->send(self->state.peers.tournaments, atom::changed::value,
                       automation_change{automation_change::kind::match, m.id});
            respond(json_response(create ? 201 : 200,
                                  protocol::json_text([&](auto& jw) {
                                    write_match(jw, m, base);
                                  })));
          },
          [respond, create](const caf::error& err) {
            respond(error_answer(err, create ? "creating a match"
                                             : "changing a match"));
          });
}

/// Authenticates first (a client without a token learns nothing about
/// the body), then reads the body and saves.
void write_match_route(api_pointer self, http_server_request req,
                       http_responder respond, bool create) {
  std::optional<std::int32_t> id;
  if (!create && !(id = path_id(req, respond)))
    return;
  auto shared = std::make_shared<const http_server_request>(std::move(req));
  with_identity(self, *shared, respond, "matches:write",
                [self, respond, shared, id, create](const api_identity& who) {
                  auto body = json_body(*shared, respond, false);
                  if (!body)
                    return;
                  match_write w;
                  w.match_id = id;
                  auto errors = read_match_body(*body, create, w);
                  if (!create && body->ObjectEmpty())
                    errors.emplace_back(
                        "body", "the body changes nothing: give at least "
                                "one field");
                  if (!errors.empty())
                    return respond(error_response(
                        422, "invalid_fields",
                        "the match has invalid fields: see fields", errors));
                  w.organization_id = who.organization_id;
                  w.actor = api_actor_name(who);
                  save_match(self, respond, std::move(w));
                });
}

// --- seed 001's room endpoints -------------------------------------------

/// The body of POST .../racetime-room: optional `goal` (string) and
/// `invitational` (bool), nothing else.
///
/// Not inlined: GCC 12 inlining it into its caller warns of a delete on a
/// non-heap pointer in the vector's destructor (a known false positive of
/// -Wfree-nonheap-object), which -Werror turns into a failed build.
[[gnu::noinline]] bool read_open_body(const rapidjson::Document& doc,
                                      manual_open& open,
                                      const http_responder& respond) {
  field_errors errors;
  for (const auto& m : doc.GetObject()) {
    std::string key{m.name.GetString(), m.name.GetStringLength()};
    if (key == "goal" && m.value.IsString())
      open.goal = std::string{m.value.GetString(), m.value.GetStringLength()};
    else if (key == "goal" && !m.value.IsNull())
      errors.emplace_back(key, "must be a string");
    else if (key == "invitational" && m.value.IsBool())
      open.invitational = m.value.GetBool();
    else if (key == "invitational" && !m.value.IsNull())
      errors.emplace_back(key, "must be true or false");
    else if (key != "goal" && key != "invitational")
      errors.emplace_back(key, "is not an override (goal, invitational)");
  }
  if (open.goal && utf8_length(*open.goal) > max_text)
    errors.emplace_back("goal", "must be at most 255 characters");
  if (errors.empty())
    return true;
  respond(error_response(422, "invalid_fields",
                         "the overrides are invalid: see fields", errors));
  return false;
}

/// Opens the room (the tournament supervisor's manual open, where it
/// meets any automatic open of the same match) and answers seed 001's
/// shape: 201 when the room was created now, 200 when it existed.
void ask_for_room(api_pointer self, const http_responder& respond,
                  manual_open open) {
  self->request(self->state.peers.tournaments, self->state.options.open_timeout,
                atom::open::value, open)
      .then(
          [respond](const room_answer& a) {
            respond(json_response(a.existed ? 200 : 201, room_answer_json(a)));
          },
          [respond, open](const caf::error& err) {
            spdlog::info("http: {}: no room for match {}: {}",
                         open.requested_by, open.match_id, describe(err));
            respond(error_answer(err, "opening the room"));
          });
}

void open_room(api_pointer self, http_server_request req,
               http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  auto shared = std::make_shared<const http_server_request>(std::move(req));
  with_identity(self, *shared, respond, "rooms:write",
                [self, respond, shared, id = *id](const api_identity& who) {
                  auto body = json_body(*shared, respond, true);
                  if (!body)
                    return;
                  manual_open open;
                  open.match_id = id;
                  if (!read_open_body(*body, open, respond))
                    return;
                  open.requested_by = api_actor_name(who);
                  // The match's organization is checked before anything is
                  // opened.
                  with_match(self, respond, who, id,
                             [self, respond, open](const match_view&) {
                               ask_for_room(self, respond, open);
                             });
                });
}

void room_status(api_pointer self, http_server_request req,
                 http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(self, req, respond, "rooms:read",
                [self, respond, id = *id](const api_identity& who) {
                  auto base = self->state.options.racetime_url;
                  with_match(
                      self, respond, who, id,
                      [respond, base](const match_view& m) {
                        respond(json_response(200, room_status_json(m, base)));
                      });
                });
}

} // namespace

void add_match_routes(api_pointer self, protocol::http_router& routes) {
  auto bind = [self](auto handler) {
    return [self, handler](http_server_request req, http_responder respond) {
      handler(self, std::move(req), std::move(respond));
    };
  };
  routes.add(http::verb::get, "/api/matches", bind(list_matches));
  routes.add(http::verb::post, "/api/matches",
             [self](http_server_request req, http_responder respond) {
               write_match_route(self, std::move(req), std::move(respond),
                                 true);
             });
  routes.add(http::verb::get, "/api/matches/{id}", bind(get_match));
  routes.add(http::verb::patch, "/api/matches/{id}",
             [self](http_server_request req, http_responder respond) {
               write_match_route(self, std::move(req), std::move(respond),
                                 false);
             });
  routes.add(http::verb::get, "/api/matches/{id}/racetime-room",
             bind(room_status));
  routes.add(http::verb::post, "/api/matches/{id}/racetime-room",
             bind(open_room));
}

} // namespace racecontrol
