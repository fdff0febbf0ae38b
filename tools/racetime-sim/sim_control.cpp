// The control API of racetime-sim: outside racetime.gg's namespace (its own
// port), JSON in and out. Tests arrange categories, bots, users and faults
// with it, act as users in races, and read back what bots did.

#include "tools/racetime-sim/sim_routes.hpp"

#include "protocol/json.hpp"
#include "tools/racetime-sim/sim_documents.hpp"

#include <boost/beast/http.hpp>

#include <algorithm>

namespace racecontrol::sim {

namespace http = boost::beast::http;
using protocol::json_object;

namespace {

response reply(const request& req, http::status status, std::string body) {
  response res{status, req.version()};
  res.set(http::field::server, "racetime-sim-control");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response ok(const request& req, std::string body = "{\"ok\":true}") {
  return reply(req, http::status::ok, std::move(body));
}

response bad(const request& req, const std::string& message) {
  return reply(req, http::status::bad_request,
               protocol::json_text([&](protocol::json_writer& w) {
                 w.StartObject();
                 protocol::write_string(w, "error", message);
                 w.EndObject();
               }));
}

response add_category(route_context& ctx, const request& req,
                      const json_object& o) {
  category c;
  c.slug = o.string("slug");
  c.name = o.optional_string("name").value_or(c.slug);
  c.short_name = o.optional_string("short_name").value_or("");
  if (o.has("goals"))
    c.goals = o.string_array("goals");
  c.allow_partitionable =
      o.optional_boolean("allow_partitionable").value_or(false);
  c.allow_hide_entrants =
      o.optional_boolean("allow_hide_entrants").value_or(false);
  c.unlisted_by_default =
      o.optional_boolean("unlisted_by_default").value_or(false);
  c.streaming_required =
      o.optional_boolean("streaming_required").value_or(true);
  ctx.w.add_category(std::move(c));
  return ok(req);
}

response add_app(route_context& ctx, const request& req, const json_object& o,
                 bool bot) {
  application a;
  a.client_id = o.string("client_id");
  a.client_secret = o.string("client_secret");
  a.name = o.optional_string("name").value_or(a.client_id);
  if (bot) {
    a.kind = application::grant::client_credentials;
    a.category = o.string("category");
    if (ctx.w.find_category(a.category) == nullptr)
      return bad(req, "no category " + a.category);
  } else {
    a.kind = application::grant::authorization_code;
    if (o.has("redirect_uris"))
      a.redirect_uris = o.string_array("redirect_uris");
  }
  a.active = o.optional_boolean("active").value_or(true);
  ctx.w.oauth().add_application(std::move(a));
  return ok(req);
}

response add_user(route_context& ctx, const request& req,
                  const json_object& o) {
  user u;
  u.id = o.string("id");
  u.name = o.string("name");
  u.discriminator = o.optional_string("discriminator").value_or("0000");
  u.twitch_name = o.optional_string("twitch_name");
  u.banned = o.optional_boolean("banned").value_or(false);
  u.live = o.optional_boolean("live").value_or(true);
  auto summary = user_summary_json(u);
  ctx.w.add_user(std::move(u));
  return ok(req, summary);
}

response race_state(route_context& ctx, const request& req, race& r) {
  // DMs included: racetime.gg keeps them, only the sockets never show them.
  std::string chat = "[";
  for (const auto& m : r.chat)
    chat += (chat.size() > 1 ? "," : "") + ctx.w.chat_json(r, m);
  return ok(req, payload({{"race", ctx.w.race_json(r)}, {"chat", chat + "]"}}));
}

response records(route_context& ctx, const request& req,
                 const std::string& kind) {
  return ok(req, protocol::json_text([&](protocol::json_writer& w) {
              w.StartArray();
              for (const auto& r : ctx.w.records()) {
                if (!kind.empty() && r.kind != kind)
                  continue;
                w.StartObject();
                protocol::write_time(w, "at", r.at);
                protocol::write_string(w, "kind", r.kind);
                protocol::write_string(w, "client_id", r.client_id);
                protocol::write_string(w, "race", r.race);
                protocol::write_raw(w, "detail", r.detail);
                if (!r.peer.empty())
                  protocol::write_string(w, "peer", r.peer);
                w.EndObject();
              }
              w.EndArray();
            }));
}

/// The member `key` as a body: a string as it is, any other JSON value as
/// its JSON text.
std::optional<std::string> body_of(const json_object& o, const char* key) {
  if (!o.has(key))
    return std::nullopt;
  const auto& v = o.value()[key];
  if (v.IsNull())
    return std::nullopt;
  if (v.IsString())
    return std::string{v.GetString(), v.GetStringLength()};
  return protocol::to_json(v);
}

response add_fault(route_context& ctx, const request& req,
                   const json_object& o) {
  fault f;
  f.path_prefix = o.string("path_prefix");
  f.path_suffix = o.optional_string("path_suffix").value_or("");
  auto status = o.optional_integer("status").value_or(0);
  if (status != 0 && (status < 100 || status > 599))
    return bad(req, "status must be an HTTP status (100-599), or 0 for none");
  f.status = static_cast<unsigned>(status);
  f.body = body_of(o, "body");
  if (f.body && f.status == 0)
    return bad(req, "a body needs a status to go with it");
  if (auto type = o.optional_string("content_type")) {
    if (!f.body)
      return bad(req, "content_type needs a body");
    f.content_type = *type;
  }
  f.delay =
      std::chrono::milliseconds{o.optional_integer("delay_ms").value_or(0)};
  f.count = static_cast<int>(o.optional_integer("count").value_or(1));
  auto every = o.optional_integer("every").value_or(1);
  if (every < 1)
    return bad(req, "every must be at least 1 (1: every matching request)");
  f.every = static_cast<int>(every);
  f.retry_after = o.optional_integer("retry_after");
  f.drop_connection = o.optional_boolean("drop_connection").value_or(false);
  if (f.drop_connection && f.status != 0)
    return bad(req, "drop_connection closes without an answer: no status");
  f.serve_first = o.optional_boolean("serve_first").value_or(false);
  ctx.faults.add(std::move(f));
  return ok(req);
}

response set_random_faults(route_context& ctx, const request& req,
                           const json_object& o) {
  fault_mix_settings s;
  s.path_prefix = o.optional_string("path_prefix").value_or("/");
  s.path_suffix = o.optional_string("path_suffix").value_or("");
  s.rate = o.number("rate");
  if (!(s.rate >= 0.0 && s.rate <= 1.0))
    return bad(req, "rate must be between 0 and 1 (0.2: one request in 5)");
  auto seed = o.optional_integer("seed").value_or(1);
  if (seed < 0)
    return bad(req, "seed must not be negative");
  s.seed = static_cast<std::uint64_t>(seed);
  if (o.has("modes"))
    s.modes = o.string_array("modes");
  s.delay = std::chrono::milliseconds{
      o.optional_integer("delay_ms").value_or(s.delay.count())};
  if (s.delay.count() < 0)
    return bad(req, "delay_ms must not be negative");
  if (auto error = ctx.faults.set_random(std::move(s)))
    return bad(req, *error);
  return ok(req, ctx.faults.random_stats_json());
}

void write_entrant(protocol::json_writer& w, const world& wd, const race& r,
                   const entrant& e) {
  w.StartObject();
  protocol::write_string(w, "user", e.user_id);
  auto u = wd.users().find(e.user_id);
  protocol::write_string(w, "name",
                         u == wd.users().end() ? "" : u->second.display_name());
  protocol::write_string(w, "status", describe(e, r).value);
  protocol::write_optional_int(w, "place", e.place);
  protocol::write_duration(w, "finish_time", e.finish_time);
  w.EndObject();
}

/// Every race ever opened, oldest first, ended and cancelled ones too: for
/// tests that count rooms (by info_bot, by who opened them).
std::string race_listing(route_context& ctx) {
  std::vector<const race*> all;
  for (const auto& slug : ctx.w.race_slugs())
    all.push_back(ctx.w.find_race(slug));
  std::stable_sort(all.begin(), all.end(), [](auto* a, auto* b) {
    return a->opened_at < b->opened_at;
  });
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartArray();
    for (const race* r : all) {
      w.StartObject();
      protocol::write_string(w, "name", r->name());
      protocol::write_string(w, "category", r->category);
      protocol::write_string(w, "slug", r->slug);
      protocol::write_string(w, "status", to_string(r->state));
      protocol::write_int(w, "version", r->version);
      protocol::write_string(w, "info_user", r->settings.info_user);
      protocol::write_string(w, "info_bot", r->settings.info_bot);
      protocol::write_time(w, "opened_at", r->opened_at);
      protocol::write_string(w, "opened_by", r->opened_by_client_id);
      protocol::write_string(w, "opened_by_bot", r->opened_by_bot);
      protocol::write_bool(w, "invitational", r->settings.invitational);
      w.Key("goal");
      w.StartObject();
      protocol::write_string(w, "name", r->settings.goal);
      protocol::write_bool(w, "custom", r->settings.custom_goal);
      w.EndObject();
      protocol::write_time(w, "started_at", r->started_at);
      protocol::write_time(w, "ended_at", r->ended_at);
      protocol::write_time(w, "cancelled_at", r->cancelled_at);
      w.Key("entrants");
      w.StartArray();
      for (const auto& e : r->entrants)
        write_entrant(w, ctx.w, *r, e);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  });
}

response set_demo_players(route_context& ctx, const request& req,
                          const json_object& o) {
  demo_settings s; // each POST replaces all: omitted fields take defaults
  auto ms = [&](const char* key, std::chrono::milliseconds fallback) {
    return std::chrono::milliseconds{
        o.optional_integer(key).value_or(fallback.count())};
  };
  s.enabled = o.optional_boolean("enabled").value_or(true);
  s.accept_after = ms("accept_after_ms", s.accept_after);
  s.ready_after = ms("ready_after_ms", s.ready_after);
  s.finish_min = ms("finish_min_ms", s.finish_min);
  s.finish_max = ms("finish_max_ms", s.finish_max);
  s.forfeit_rate = o.optional_number("forfeit_rate").value_or(0.0);
  s.undo_rate = o.optional_number("undo_rate").value_or(0.0);
  s.undo_after = ms("undo_after_ms", s.undo_after);
  auto seed = o.optional_integer("seed").value_or(1);
  if (seed < 0)
    return bad(req, "seed must not be negative");
  s.seed = static_cast<std::uint64_t>(seed);
  if (auto error = validate(s))
    return bad(req, *error);
  ctx.demo->configure(s);
  return ok(req, ctx.demo->json());
}

response serve_races(route_context& ctx, const request& req,
                     const std::vector<std::string>& parts) {
  if (parts.size() == 1)
    return ok(req, race_listing(ctx));
  race* r = ctx.w.find_race(parts[1]);
  if (r == nullptr)
    return bad(req, "no race " + parts[1]);
  if (parts.size() == 2)
    return race_state(ctx, req, *r);
  if (parts.size() == 3 && parts[2] == "drop-sockets") {
    ctx.drop_sockets(r->slug);
    return ok(req);
  }
  if (parts.size() == 3 &&
      (parts[2] == "stall-reads" || parts[2] == "resume-reads")) {
    ctx.stall_reads(r->slug, parts[2] == "stall-reads");
    return ok(req);
  }
  if (parts.size() == 3 && (parts[2] == "mute" || parts[2] == "unmute")) {
    ctx.mute(r->slug, parts[2] == "mute");
    return ok(req);
  }
  rapidjson::Document doc;
  doc.SetObject();
  if (!req.body().empty())
    doc = protocol::parse_json(req.body(), 1024 * 1024);
  json_object o{doc, ""};
  if (parts.size() == 3 && parts[2] == "hold-race-data") {
    ctx.w.hold_race_updates(
        *r,
        std::chrono::milliseconds{o.optional_integer("delay_ms").value_or(200)},
        static_cast<int>(o.optional_integer("count").value_or(1)));
    return ok(req);
  }
  if (parts.size() == 5 && parts[2] == "users" && parts[4] == "message") {
    if (auto error = ctx.w.user_says(*r, parts[3], o.string("message")))
      return bad(req, error->message());
    return ok(req);
  }
  if (parts.size() == 5 && parts[2] == "users") {
    if (auto error = ctx.w.user_does(*r, parts[3], parts[4]))
      return bad(req, error->message());
    return ok(req);
  }
  return bad(req, "unknown race command");
}

response dispatch(route_context& ctx, const request& req,
                  const std::vector<std::string>& parts) {
  bool post = req.method() == http::verb::post;
  if (parts.empty() || parts[0] == "health")
    return ok(req);
  if (parts[0] == "races")
    return serve_races(ctx, req, parts);
  if (parts[0] == "log")
    return records(ctx, req, "");
  if (parts[0] == "stats")
    return ok(req,
              "{\"connections\":" + std::to_string(ctx.connections_accepted) +
                  ",\"client_close_frames\":" +
                  std::to_string(ctx.client_close_frames) +
                  ",\"faults_served\":" + std::to_string(ctx.faults_served) +
                  ",\"open_bot_sockets\":" +
                  std::to_string(ctx.open_bot_sockets) + "}");
  if (parts[0] == "faults" && parts.size() == 2 && parts[1] == "stats")
    return ok(req, ctx.faults.random_stats_json());
  if (parts[0] == "demo-players" && req.method() == http::verb::get)
    return ok(req, ctx.demo->json());
  if (parts[0] == "faults" && req.method() == http::verb::delete_) {
    if (parts.size() == 2 && parts[1] == "random")
      ctx.faults.stop_random();
    else
      ctx.faults.clear();
    return ok(req);
  }
  if (!post)
    return bad(req, "unknown control path");
  rapidjson::Document doc;
  doc.SetObject();
  if (!req.body().empty())
    doc = protocol::parse_json(req.body(), 1024 * 1024);
  json_object o{doc, ""};
  if (parts[0] == "categories" && parts.size() == 1)
    return add_category(ctx, req, o);
  if (parts[0] == "categories" && parts.size() == 3 && parts[2] == "goals") {
    if (ctx.w.find_category(parts[1]) == nullptr)
      return bad(req, "no category " + parts[1]);
    ctx.w.add_goal(parts[1], o.string("name"));
    return ok(req);
  }
  if (parts[0] == "bots")
    return add_app(ctx, req, o, true);
  if (parts[0] == "apps")
    return add_app(ctx, req, o, false);
  if (parts[0] == "users")
    return add_user(ctx, req, o);
  if (parts[0] == "authorize-user") {
    auto id = o.optional_string("user_id");
    if (id && id->empty())
      id.reset();
    ctx.w.oauth().set_session(id, o.optional_boolean("consent").value_or(true));
    return ok(req);
  }
  if (parts[0] == "tokens" && parts.size() == 2 && parts[1] == "expire") {
    ctx.w.oauth().expire_tokens(o.optional_string("client_id"));
    return ok(req);
  }
  if (parts[0] == "codes" && parts.size() == 2 && parts[1] == "expire") {
    ctx.w.oauth().expire_codes();
    return ok(req);
  }
  if (parts[0] == "token-lifetime") {
    ctx.w.oauth().set_token_lifetime(
        std::chrono::seconds{o.integer("seconds")});
    return ok(req);
  }
  if (parts[0] == "crash-close") {
    ctx.set_crash_reset(o.optional_boolean("reset").value_or(true));
    return ok(req);
  }
  if (parts[0] == "unknown-race") {
    ctx.set_unknown_race_hang(
        std::chrono::milliseconds{o.optional_integer("hang_ms").value_or(0)});
    return ok(req);
  }
  if (parts[0] == "faults" && parts.size() == 2 && parts[1] == "random")
    return set_random_faults(ctx, req, o);
  if (parts[0] == "demo-players")
    return set_demo_players(ctx, req, o);
  if (parts[0] == "faults" && parts.size() == 1)
    return add_fault(ctx, req, o);
  return bad(req, "unknown control path");
}

} // namespace

response serve_control(route_context& ctx, const request& req) {
  std::string target{req.target()};
  auto q = target.find('?');
  auto parts = split_path(target.substr(0, q));
  try {
    if (!parts.empty() && parts[0] == "log" && q != std::string::npos) {
      auto query = target.substr(q + 1);
      if (query.rfind("kind=", 0) == 0)
        return records(ctx, req, query.substr(5));
    }
    return dispatch(ctx, req, parts);
  } catch (const protocol::json_error& e) {
    return bad(req, e.what());
  } catch (const std::out_of_range& e) {
    return bad(req, std::string{"unknown reference: "} + e.what());
  }
}

} // namespace racecontrol::sim
