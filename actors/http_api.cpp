#include "actors/http_api.hpp"

#include "actors/error.hpp"

#include "protocol/json.hpp"

#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol {

namespace http = boost::beast::http;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::json_response;

void http_api_slot::set(http_api_actor actor) {
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(actor);
  unavailable_.clear();
}

void http_api_slot::set_unavailable(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  unavailable_ = std::move(reason);
}

std::string http_api_slot::unavailable() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unavailable_;
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
    if (!actor) {
      if (auto why = slot->unavailable(); !why.empty())
        return respond(protocol::error_response(503, "standby", why));
      return respond(protocol::error_response(
          503, "unavailable",
          "racecontrold is starting or stopping; try again shortly"));
    }
    caf::anon_send(actor, atom::http::value,
                   http_exchange{std::make_shared<const http_server_request>(
                                     std::move(request)),
                                 std::move(respond)});
  };
}

namespace {

/// What /readyz says, gathered from the database and then the bots.
struct readiness {
  bool ready = false;
  std::string reason; ///< why not ready
  std::optional<database_status> db;
  std::optional<std::vector<bot_info>> bots;
  std::string bots_error; ///< why `bots` is missing
};

/// `"bots": {"running": n, "connected": n, ...}`: every status a bot can
/// have, zeros included, so a probe can compare without knowing them all.
void write_bots_summary(protocol::json_writer& w, const readiness& r) {
  w.Key("bots");
  w.StartObject();
  if (!r.bots) {
    protocol::write_string(w, "error", r.bots_error);
    w.EndObject();
    return;
  }
  std::map<std::string, std::int64_t> by_status{{"connected", 0},
                                                {"starting", 0},
                                                {"auth_failed", 0},
                                                {"connection_error", 0},
                                                {"disconnected", 0}};
  for (const auto& b : *r.bots)
    ++by_status[b.status];
  protocol::write_int(w, "running", static_cast<std::int64_t>(r.bots->size()));
  for (const auto& [status, count] : by_status)
    protocol::write_int(w, status.c_str(), count);
  w.EndObject();
}

std::string readiness_json(const readiness& r) {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_string(w, "status", r.ready ? "ready" : "not_ready");
    if (!r.ready)
      protocol::write_string(w, "reason", r.reason);
    if (r.db) {
      w.Key("database");
      w.StartObject();
      protocol::write_bool(w, "reachable", true);
      protocol::write_string(w, "schema_version", r.db->schema_version);
      protocol::write_int(w, "pending_migrations", r.db->pending_migrations);
      w.EndObject();
    }
    write_bots_summary(w, r);
    w.EndObject();
  });
}

/// Answers /readyz and logs when readiness changes.
void answer_readiness(api_pointer self, const http_responder& respond,
                      const readiness& r) {
  if (self->state.ready != r.ready) {
    if (r.ready)
      spdlog::info("http: /readyz says ready");
    else
      spdlog::warn("http: /readyz says not ready: {}", r.reason);
    self->state.ready = r.ready;
  }
  respond(json_response(r.ready ? 200 : 503, readiness_json(r)));
}

/// Adds the bots' summary and answers. The bots inform, they do not decide:
/// a bot that cannot log in is the operator's business (its row says why),
/// and restarting racecontrold on it would not help.
void answer_with_bots(api_pointer self, const http_responder& respond,
                      readiness r) {
  if (!self->state.peers.bots) {
    r.bots_error = "no bot supervisor in this process";
    return answer_readiness(self, respond, r);
  }
  self->request(self->state.peers.bots, self->state.options.readiness_timeout,
                atom::status::value)
      .then(
          [self, respond, r](std::vector<bot_info>& bots) mutable {
            r.bots = std::move(bots);
            answer_readiness(self, respond, r);
          },
          [self, respond, r](const caf::error& err) mutable {
            r.bots_error =
                "the bot supervisor did not answer: " + describe(err);
            answer_readiness(self, respond, r);
          });
}

/// Asks the database whether it is ready, then the bots how they are, and
/// answers /readyz.
void check_readiness(api_pointer self, const http_responder& respond) {
  self->request(self->state.peers.db, self->state.options.readiness_timeout,
                atom::status::value)
      .then(
          [self, respond](const database_status& st) {
            readiness r;
            r.db = st;
            r.ready = st.pending_migrations == 0;
            if (!r.ready)
              r.reason = "database " + st.database + " has " +
                         std::to_string(st.pending_migrations) +
                         " pending migration(s): run racecontrol-migrate up";
            answer_with_bots(self, respond, std::move(r));
          },
          [self, respond](const caf::error& err) {
            readiness r;
            r.reason = "the database check failed: " + describe(err);
            answer_with_bots(self, respond, std::move(r));
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
  add_audit_routes(self, routes);
  add_task_routes(self, routes);
  add_bot_routes(self, routes);
  add_status_routes(self, routes);
  add_link_routes(self, routes);
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
