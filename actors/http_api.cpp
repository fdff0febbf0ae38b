#include "actors/http_api.hpp"

#include "actors/error.hpp"

#include "protocol/json.hpp"

#include <caf/send.hpp>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace http = boost::beast::http;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::json_response;

void http_api_slot::set(http_api_actor actor) {
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(actor);
}

void http_api_slot::clear(const caf::actor_addr& actor) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_ && current_.address() == actor)
    current_ = nullptr;
}

http_api_actor http_api_slot::get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

protocol::http_handler http_api_handler(std::shared_ptr<http_api_slot> slot) {
  return [slot](http_server_request request, http_responder respond) {
    auto actor = slot->get();
    if (!actor)
      return respond(protocol::error_response(
          503, "unavailable",
          "racecontrold is starting or stopping; try again shortly"));
    caf::anon_send(actor, atom::http::value,
                   http_exchange{std::make_shared<const http_server_request>(
                                     std::move(request)),
                                 std::move(respond)});
  };
}

namespace {

std::string readiness_json(bool ready, const std::string& reason,
                           const database_status* db) {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_string(w, "status", ready ? "ready" : "not_ready");
    if (!ready)
      protocol::write_string(w, "reason", reason);
    if (db != nullptr) {
      w.Key("database");
      w.StartObject();
      protocol::write_bool(w, "reachable", true);
      protocol::write_string(w, "schema_version", db->schema_version);
      protocol::write_int(w, "pending_migrations", db->pending_migrations);
      w.EndObject();
    }
    w.EndObject();
  });
}

/// Answers /readyz and logs when readiness changes.
void answer_readiness(api_pointer self, const http_responder& respond,
                      bool ready, const std::string& reason,
                      const database_status* db) {
  if (self->state.ready != ready) {
    if (ready)
      spdlog::info("http: /readyz says ready");
    else
      spdlog::warn("http: /readyz says not ready: {}", reason);
    self->state.ready = ready;
  }
  respond(json_response(ready ? 200 : 503, readiness_json(ready, reason, db)));
}

/// Asks the database whether it is ready and answers /readyz.
void check_readiness(api_pointer self, const http_responder& respond) {
  self->request(self->state.peers.db, self->state.options.readiness_timeout,
                atom::status::value)
      .then(
          [self, respond](const database_status& st) {
            if (st.pending_migrations == 0)
              return answer_readiness(self, respond, true, "", &st);
            answer_readiness(
                self, respond, false,
                "database " + st.database + " has " +
                    std::to_string(st.pending_migrations) +
                    " pending migration(s): run racecontrol-migrate up",
                &st);
          },
          [self, respond](const caf::error& err) {
            answer_readiness(self, respond, false,
                             "the database check failed: " + describe(err),
                             nullptr);
          });
}

void add_health_routes(api_pointer self, protocol::http_router& routes) {
  routes.add(http::verb::get, "/healthz",
             [](http_server_request, http_responder respond) {
               respond(json_response(200, R"({"status":"ok"})"));
             });
  routes.add(http::verb::get, "/readyz",
             [self](http_server_request, http_responder respond) {
               check_readiness(self, respond);
             });
  routes.add(http::verb::get, "/api/openapi.json",
             [](http_server_request, http_responder respond) {
               respond(json_response(200, openapi_document()));
             });
}

} // namespace

protocol::http_router api_router(api_pointer self) {
  protocol::http_router routes;
  add_health_routes(self, routes);
  add_catalog_routes(self, routes);
  add_match_routes(self, routes);
  return routes;
}

http_api_actor::behavior_type http_api(api_pointer self, http_api_peers peers,
                                       std::shared_ptr<http_api_slot> slot,
                                       http_api_options options) {
  self->state.peers = std::move(peers);
  self->state.options = std::move(options);
  self->state.routes = api_router(self);
  slot->set(caf::actor_cast<http_api_actor>(self));
  self->attach_functor([slot, address = self->address()] {
    slot->clear(address);
  });
  return {
      [self](atom::http, const http_exchange& x) {
        self->state.routes(*x.request, x.respond);
      },
  };
}

} // namespace racecontrol
