// RaceTime account linking over HTTP (issue 12, point 4; seed 001 "RaceTime
// Account Linking"). An organizer's token asks for a one-time link for a
// player (POST /api/users/{id}/racetime-link, scope matches:write: linking
// serves a tournament's match players); the player opens it in a browser
// (GET /link/racetime, no token: the state in the link is the
// credential), which redirects to racetime.gg's /o/authorize; racetime.gg
// sends the browser back to GET /link/racetime/callback with a code, which
// is exchanged at /o/token, the account read from /o/userinfo and stored
// under the state (persistence/racetime_link_repository.hpp). The page says
// "linked as NAME" or why not. Once the users row changes, the player's
// open room (if any) reloads its players and invites them (the room
// supervisor's refresh).
//
// racetime.gg is called on the daemon's io_context (protocol::racetime_api),
// never blocking an actor: a short-lived actor per callback carries the
// exchange, hearing the io callbacks' results as messages.

#include "actors/api_support.hpp"
#include "actors/error.hpp"
#include "actors/http_api.hpp"
#include "actors/status_page.hpp"
#include "persistence/racetime_link_repository.hpp"

#include "protocol/iso8601.hpp"

#include <caf/event_based_actor.hpp>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

namespace http = boost::beast::http;
using protocol::error_response;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::http_server_response;
using protocol::json_response;

/// The small page a player sees at the end (or on a refusal).
http_server_response page(unsigned status, const std::string& title,
                          const std::string& text) {
  http_server_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width\">"
           "<title>" +
           html_escape(title) +
           " - racecontrol</title></head>"
           "<body style=\"font-family:sans-serif;max-width:40em;margin:3em "
           "auto\"><h1>" +
           html_escape(title) + "</h1><p>" + html_escape(text) +
           "</p></body></html>\n";
  return r;
}

bool linking_on(api_pointer self) {
  const auto& o = self->state.options;
  return !o.link_client_id.empty() && o.racetime != nullptr;
}

/// The page for a state= that racecontrol cannot have made (the same words
/// as the repository's link_unknown).
const char* const not_a_link_text =
    "this link is not valid (mistyped, cut short or made up); ask the "
    "organizer for a new one";

const char* const linking_off_text =
    "RaceTime account linking is not configured: set link.client_id and "
    "RACECONTROL_LINK_CLIENT_SECRET (README, RaceTime account linking)";

std::string redirect_uri(api_pointer self) {
  return self->state.options.link_public_url + "/link/racetime/callback";
}

/// The browser's page for a failed request to the database: refusals say
/// what the repository said (400), anything else is our trouble (503).
http_server_response refusal_page(const caf::error& err) {
  if (is(err, ec::refused)) {
    const auto& ctx = err.context();
    auto message = ctx.size() >= 1 && ctx.match_element<std::string>(0)
                       ? ctx.get_as<std::string>(0)
                       : describe(err);
    return page(400, "Not linked", message);
  }
  return page(503, "Not linked",
              "racecontrol could not check this link just now (" +
                  describe(err) + "); try again in a minute");
}

// --- POST/DELETE /api/users/{id}/racetime-link ------------------------------

std::string link_json(api_pointer self, const link_answer& a) {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_int(w, "user_id", a.user_id);
    protocol::write_string(w, "url",
                           self->state.options.link_public_url +
                               "/link/racetime?state=" + a.state.reveal());
    protocol::write_string(w, "expires_at",
                           protocol::format_iso8601_time(a.expires_at));
    w.EndObject();
  });
}

std::string unlink_json(const link_answer& a) {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_int(w, "user_id", a.user_id);
    w.Key("unlinked_racetime_name");
    if (a.racetime_name.empty())
      w.Null();
    else
      w.String(a.racetime_name.c_str());
    w.EndObject();
  });
}

void link_order_route(api_pointer self, http_server_request req,
                      http_responder respond, link_order::kind what) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  if (what == link_order::kind::issue && !linking_on(self))
    return respond(error_response(503, "linking_off", linking_off_text));
  with_identity(
      self, req, respond, "matches:write",
      [self, respond, what, id = *id](const api_identity& who) {
        link_order order{what, who.organization_id, id, api_actor_name(who)};
        bool issue = what == link_order::kind::issue;
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::put::value, order)
            .then(
                [self, respond, issue](const link_answer& a) {
                  respond(issue ? json_response(201, link_json(self, a))
                                : json_response(200, unlink_json(a)));
                },
                [respond, id, issue](const caf::error& err) {
                  respond(error_answer(
                      err, std::string{issue ? "creating a RaceTime link"
                                             : "unlinking RaceTime"} +
                               " for user " + std::to_string(id)));
                });
      });
}

// --- GET /link/racetime ----------------------------------------------------

void open_link(api_pointer self, http_server_request req,
               http_responder respond) {
  if (!linking_on(self))
    return respond(page(503, "Linking is off", linking_off_text));
  auto fields = query_fields(req);
  const auto* state = protocol::form_value(fields, "state");
  if (state == nullptr || state->empty())
    return respond(page(400, "Not linked",
                        "this address lacks its state=...; open the whole "
                        "link the organizer sent"));
  // Before anything keeps it: text of anyone's choosing must not reach the
  // log scrubber (it would blank those words out of every log line).
  if (!persistence::link_state_well_formed(*state))
    return respond(page(400, "Not linked", not_a_link_text));
  link_callback check;
  check.state = config::secret::from_request(*state);
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::put::value, check)
      .then(
          [self, respond, state = *state](const link_answer&) {
            const auto& o = self->state.options;
            http_server_response r;
            r.status = 302;
            r.content_type = "text/plain";
            r.headers.emplace_back("Location",
                                   o.racetime->authorize_url(o.link_client_id,
                                                             redirect_uri(self),
                                                             "read", state));
            r.headers.emplace_back("Cache-Control", "no-store");
            respond(std::move(r));
          },
          [respond](const caf::error& err) {
            respond(refusal_page(err));
          });
}

// --- GET /link/racetime/callback -------------------------------------------

/// What one callback needs after the state checked out.
struct callback_job {
  persistence_actor db;
  protocol::racetime_api* racetime = nullptr;
  protocol::client_credentials app;
  std::string redirect_uri;
  std::string code;
  config::secret state;
  std::chrono::milliseconds timeout{25000};
  http_responder respond;
};

/// Exchanges the code and reads /o/userinfo on the io_context; tells
/// `flow` (atom::ok with the account and tokens, or atom::refused with
/// why). Tokens travel as config::secret.
void exchange(const callback_job& job, caf::actor flow) {
  auto* api = job.racetime;
  api->exchange_code(
      job.app, job.code, job.redirect_uri,
      [api, flow](protocol::racetime_result<protocol::token_response> t) {
        if (!t)
          return caf::anon_send(flow, atom::refused::value,
                                "racetime.gg did not accept the "
                                "authorization: " +
                                    t.error().message);
        auto tokens = *t;
        api->user_info(
            tokens.access_token,
            [flow, tokens](protocol::racetime_result<protocol::user_info> u) {
              if (!u)
                return caf::anon_send(flow, atom::refused::value,
                                      "racetime.gg did not tell who you are: " +
                                          u.error().message);
              caf::anon_send(flow, atom::ok::value, u->user.id,
                             u->user.full_name.empty() ? u->user.name
                                                       : u->user.full_name,
                             config::secret::from_request(tokens.access_token),
                             config::secret::from_request(
                                 tokens.refresh_token.value_or("")),
                             tokens.expires_in);
            });
      });
}

/// The short-lived actor of one callback: starts the exchange, stores the
/// account it hears of, answers the browser, and ends.
caf::behavior callback_flow(caf::event_based_actor* self, callback_job job) {
  exchange(job, caf::actor_cast<caf::actor>(self));
  return {
      [self, job](atom::ok, const std::string& racetime_id,
                  const std::string& name, const config::secret& access,
                  const config::secret& refresh, std::int64_t expires_in) {
        link_callback c{job.state, false,   racetime_id, name,
                        access,    refresh, expires_in};
        self->request(job.db, job.timeout, atom::put::value, c)
            .then(
                [self, job](const link_answer& a) {
                  spdlog::info("link: user {} linked racetime.gg account {}",
                               a.user_id, a.racetime_name);
                  job.respond(page(200, "Linked",
                                   a.user_name + " is linked as " +
                                       a.racetime_name +
                                       " on racetime.gg. You can close this "
                                       "page."));
                  self->quit();
                },
                [self, job](const caf::error& err) {
                  job.respond(refusal_page(err));
                  self->quit();
                });
      },
      [self, job](atom::refused, const std::string& why) {
        spdlog::warn("link: a callback failed: {}", why);
        job.respond(page(502, "Not linked",
                         why + ". Nothing was stored; open the link again."));
        self->quit();
      },
      caf::after(job.timeout) >>
          [self, job] {
            job.respond(page(504, "Not linked",
                             "racetime.gg did not answer in time. Nothing "
                             "was stored; open the link again."));
            self->quit();
          },
  };
}

void link_callback_route(api_pointer self, http_server_request req,
                         http_responder respond) {
  if (!linking_on(self))
    return respond(page(503, "Linking is off", linking_off_text));
  auto fields = query_fields(req);
  const auto* state = protocol::form_value(fields, "state");
  const auto* code = protocol::form_value(fields, "code");
  if (const auto* denied = protocol::form_value(fields, "error"))
    return respond(page(400, "Not linked",
                        "racetime.gg did not authorize racecontrol (" +
                            *denied +
                            "). Nothing was stored; open the link again to "
                            "try once more."));
  if (state == nullptr || code == nullptr || code->empty())
    return respond(page(400, "Not linked",
                        "racetime.gg's answer lacks its code or state; open "
                        "the link again"));
  if (!persistence::link_state_well_formed(*state))
    return respond(page(400, "Not linked", not_a_link_text));
  const auto& o = self->state.options;
  callback_job job{self->state.peers.db,
                   o.racetime,
                   {o.link_client_id, o.link_client_secret.reveal()},
                   redirect_uri(self),
                   *code,
                   config::secret::from_request(*state),
                   o.link_timeout,
                   respond};
  auto flights = self->state.linking;
  auto key = *state;
  if (!flights->begin(key))
    return respond(page(409, "Being linked",
                        "This link is being completed by another request "
                        "right now (the page was reloaded?). Wait a few "
                        "seconds: the first request's page says how it "
                        "ended; whether the account is linked shows on "
                        "racecontrol's side too."));
  // The state is checked before the code is spent on it.
  link_callback check;
  check.state = job.state;
  self->request(self->state.peers.db, o.db_timeout, atom::put::value, check)
      .then(
          [self, job, flights, key](const link_answer&) {
            auto flow = self->spawn(callback_flow, job);
            flow->attach_functor([flights, key] {
              flights->end(key);
            });
          },
          [respond, flights, key](const caf::error& err) {
            flights->end(key);
            respond(refusal_page(err));
          });
}

} // namespace

void add_link_routes(api_pointer self, protocol::http_router& routes) {
  routes.add(http::verb::post, "/api/users/{id}/racetime-link",
             [self](http_server_request req, http_responder respond) {
               link_order_route(self, std::move(req), std::move(respond),
                                link_order::kind::issue);
             });
  routes.add(http::verb::delete_, "/api/users/{id}/racetime-link",
             [self](http_server_request req, http_responder respond) {
               link_order_route(self, std::move(req), std::move(respond),
                                link_order::kind::unlink);
             });
  routes.add(http::verb::get, "/link/racetime",
             [self](http_server_request req, http_responder respond) {
               open_link(self, std::move(req), std::move(respond));
             });
  routes.add(http::verb::get, "/link/racetime/callback",
             [self](http_server_request req, http_responder respond) {
               link_callback_route(self, std::move(req), std::move(respond));
             });
}

} // namespace racecontrol
