// GET /metrics and the status page at GET /. Both gather what other actors
// know on each request, asking them at once, each with
// http_api_options::scrape_timeout: a part that does not answer in time is
// left out (metrics: racecontrol_scrape_part_ok{part} 0; the page: an error
// in its place), so a slow database never hangs a scrape.
//
// Access: /metrics is open like /readyz (counts and bot names, no secrets;
// the server listens on loopback by default). The status page is for
// loopback clients, who see every organization (the operator on the host),
// or for a token with `rooms:read`, as `Authorization: Bearer` or
// `?token=` (a browser bookmark), which sees its own organization. A
// request that came through a proxy (X-Forwarded-For or Forwarded) is not
// a loopback client even from 127.0.0.1: the proxy's client is elsewhere.

#include "actors/api_support.hpp"
#include "actors/error.hpp"
#include "actors/http_api.hpp"
#include "actors/status_page.hpp"

#include "protocol/metrics_registry.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>

namespace racecontrol {

namespace {

namespace http = boost::beast::http;
using protocol::gauge_sample;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::http_server_response;
namespace metric = protocol::metric;

/// The statuses a bot can have (bot_info::status), each a series of
/// racecontrol_bot_status so a bot's 0s say what it is not.
const std::vector<std::string> bot_statuses{
    "connected", "starting", "auth_failed", "connection_error", "disconnected"};

/// Waits for `parts` answers, then calls `done` once with what came.
template <class Data>
struct gathering {
  Data data;
  int parts = 0;
  std::function<void(Data&)> done;

  void arrived() {
    if (--parts == 0)
      done(data);
  }
};

// --- /metrics ----------------------------------------------------------------

struct scrape {
  std::vector<gauge_sample> gauges;
};

/// racetime.gg's room statuses: each is a series even at 0, so a status
/// that empties shows 0 rather than vanishing.
const std::vector<std::string> room_statuses{
    "open", "invitational", "pending", "in_progress", "finished", "cancelled"};

void add_database_gauges(scrape& s, const database_gauges& g) {
  s.gauges.push_back({metric::outbox_depth, {}, double(g.outbox_pending)});
  std::map<std::string, std::int64_t> by_status;
  for (const auto& status : room_statuses)
    by_status[status] = 0;
  for (const auto& r : g.rooms)
    by_status[r.status] += r.count;
  for (const auto& [status, count] : by_status)
    s.gauges.push_back({metric::rooms, {{"status", status}}, double(count)});
  s.gauges.push_back(
      {metric::rooms, {{"status", "parked"}}, double(g.rooms_parked)});
}

void add_bot_gauges(scrape& s, const std::vector<bot_info>& bots) {
  for (const auto& b : bots)
    for (const auto& status : bot_statuses)
      s.gauges.push_back(
          {metric::bot_status,
           {{"bot", b.name}, {"category", b.category}, {"status", status}},
           b.status == status ? 1.0 : 0.0});
}

/// Worker nodes by state (both states present, even at 0) and each one's
/// rooms.
void add_cluster_gauges(scrape& s,
                        const std::vector<cluster_node_info>& nodes) {
  double connected = 0;
  for (const auto& n : nodes) {
    connected += n.connected ? 1 : 0;
    s.gauges.push_back({metric::cluster_node_rooms,
                        {{"node", n.node_name}},
                        n.connected ? double(n.rooms) : 0.0});
  }
  s.gauges.push_back(
      {metric::cluster_nodes, {{"state", "connected"}}, connected});
  s.gauges.push_back({metric::cluster_nodes,
                      {{"state", "left"}},
                      double(nodes.size()) - connected});
}

void part_ok(scrape& s, const char* part, bool ok) {
  s.gauges.push_back(
      {metric::scrape_part_ok, {{"part", part}}, ok ? 1.0 : 0.0});
}

void answer_metrics(api_pointer self, http_server_request,
                    http_responder respond) {
  auto g = std::make_shared<gathering<scrape>>();
  g->parts = self->state.peers.cluster ? 3 : 2;
  g->done = [respond](scrape& s) {
    http_server_response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = protocol::metrics().render(s.gauges);
    respond(std::move(r));
  };
  auto timeout = self->state.options.scrape_timeout;
  self->request(self->state.peers.db, timeout, atom::get::value,
                atom::metrics::value)
      .then(
          [g](const database_gauges& dg) {
            add_database_gauges(g->data, dg);
            part_ok(g->data, "database", true);
            g->arrived();
          },
          [g](const caf::error& err) {
            spdlog::warn("http: /metrics without the database's gauges: {}",
                         describe(err));
            part_ok(g->data, "database", false);
            g->arrived();
          });
  if (self->state.peers.cluster)
    self->request(self->state.peers.cluster, timeout, atom::status::value)
        .then(
            [g](const std::vector<cluster_node_info>& nodes) {
              add_cluster_gauges(g->data, nodes);
              part_ok(g->data, "cluster", true);
              g->arrived();
            },
            [g](const caf::error& err) {
              spdlog::warn("http: /metrics without the cluster's nodes: {}",
                           describe(err));
              part_ok(g->data, "cluster", false);
              g->arrived();
            });
  if (!self->state.peers.bots) {
    part_ok(g->data, "bots", false);
    return g->arrived();
  }
  self->request(self->state.peers.bots, timeout, atom::status::value)
      .then(
          [g](const std::vector<bot_info>& bots) {
            add_bot_gauges(g->data, bots);
            part_ok(g->data, "bots", true);
            g->arrived();
          },
          [g](const caf::error& err) {
            spdlog::warn("http: /metrics without the bots' status: {}",
                         describe(err));
            part_ok(g->data, "bots", false);
            g->arrived();
          });
}

// --- the status page
// -----------------------------------------------------------

/// A client on this host talking to us directly, not through a proxy: a
/// peer the configuration names a proxy (http.trust_forwarded,
/// http.trusted_proxies) relays others' requests, with or without the
/// headers (nginx's proxy_pass adds none unless told, stunnel never).
bool local_client(const http_server_request& req) {
  if (req.trust_forwarded || req.header("X-Forwarded-For") != nullptr ||
      req.header("Forwarded") != nullptr)
    return false;
  auto address = req.peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                            address.to_v6())
        .is_loopback();
  return address.is_loopback();
}

http_server_response html_response(unsigned status, std::string body) {
  http_server_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  return r;
}

void render_page(api_pointer self, const http_responder& respond,
                 std::optional<std::int32_t> organization) {
  auto g = std::make_shared<gathering<status_page_data>>();
  g->parts = 2;
  g->data.audience = organization
                         ? "organization " + std::to_string(*organization)
                         : "every organization";
  g->data.racetime_url = self->state.options.racetime_url;
  g->data.generated_at = now_us();
  g->done = [respond](status_page_data& page) {
    respond(html_response(200, render_status_page(page)));
  };
  auto timeout = self->state.options.scrape_timeout;
  self->request(self->state.peers.db, timeout, atom::get::value,
                overview_query{organization, 50})
      .then(
          [g](overview_view& v) {
            g->data.rows = std::move(v);
            g->arrived();
          },
          [g](const caf::error& err) {
            g->data.rows_error =
                "matches and rooms cannot be shown: " + describe(err);
            g->arrived();
          });
  if (!self->state.peers.bots) {
    g->data.bots_error = "no bot supervisor in this process";
    return g->arrived();
  }
  self->request(self->state.peers.bots, timeout, atom::status::value)
      .then(
          [g](std::vector<bot_info>& bots) {
            g->data.bots = std::move(bots);
            g->arrived();
          },
          [g](const caf::error& err) {
            g->data.bots_error =
                "the bots' status cannot be shown: " + describe(err);
            g->arrived();
          });
}

void answer_status_page(api_pointer self, http_server_request req,
                        http_responder respond) {
  auto fields = query_fields(req);
  const auto* query_token = protocol::form_value(fields, "token");
  if (query_token == nullptr && req.header("Authorization") == nullptr) {
    if (local_client(req))
      return render_page(self, respond, std::nullopt);
    return respond(html_response(
        403, "<!DOCTYPE html><title>racecontrol: forbidden</title><p>The "
             "status page answers clients on racecontrold's own host only. "
             "From elsewhere, add <code>?token=</code> with an API token that "
             "has the scope <code>rooms:read</code>.</p>\n"));
  }
  // A ?token= is checked exactly like a bearer header.
  if (query_token != nullptr)
    req.headers.emplace_back("Authorization", "Bearer " + *query_token);
  with_identity(self, req, respond, "rooms:read",
                [self, respond](const api_identity& who) {
                  render_page(self, respond, who.organization_id);
                });
}

} // namespace

void add_status_routes(api_pointer self, protocol::http_router& routes) {
  routes.add(http::verb::get, "/metrics",
             [self](http_server_request req, http_responder respond) {
               answer_metrics(self, std::move(req), std::move(respond));
             });
  routes.add(http::verb::get, "/",
             [self](http_server_request req, http_responder respond) {
               answer_status_page(self, std::move(req), std::move(respond));
             });
}

} // namespace racecontrol
