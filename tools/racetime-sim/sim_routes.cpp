#include "tools/racetime-sim/sim_routes.hpp"

#include "tools/racetime-sim/sim_documents.hpp"
#include "tools/racetime-sim/sim_http.hpp"
#include "tools/racetime-sim/sim_race_form.hpp"

#include <boost/beast/http.hpp>

namespace racecontrol::sim {

namespace http = boost::beast::http;

namespace {

/// An empty 403: what django-oauth-toolkit's protected views answer for a
/// missing, invalid or expired token, or one without the scope.
response forbidden(const request& req) {
  return html_response(req, http::status::forbidden, "");
}

std::string settings_json(const race_settings& s) {
  auto flag = [](bool b) {
    return std::string{b ? "true" : "false"};
  };
  return payload(
      {{"goal", json_string(s.goal)},
       {"custom_goal", flag(s.custom_goal)},
       {"team_race", flag(s.team_race)},
       {"invitational", flag(s.invitational)},
       {"ranked", flag(s.ranked)},
       {"unlisted", flag(s.unlisted)},
       {"partitionable", flag(s.partitionable)},
       {"hide_entrants", flag(s.hide_entrants)},
       {"info_user", json_string(s.info_user)},
       {"info_bot", json_string(s.info_bot)},
       {"recordable", flag(s.recordable)},
       {"require_even_teams", flag(s.require_even_teams)},
       {"start_delay", std::to_string(s.start_delay)},
       {"time_limit", std::to_string(s.time_limit)},
       {"time_limit_auto_complete", flag(s.time_limit_auto_complete)},
       {"streaming_required", flag(s.streaming_required)},
       {"auto_start", flag(s.auto_start)},
       {"allow_comments", flag(s.allow_comments)},
       {"hide_comments", flag(s.hide_comments)},
       {"allow_prerace_chat", flag(s.allow_prerace_chat)},
       {"allow_midrace_chat", flag(s.allow_midrace_chat)},
       {"allow_non_entrant_chat", flag(s.allow_non_entrant_chat)},
       {"chat_message_delay", std::to_string(s.chat_message_delay)}});
}

/// The bot of `category` behind the request's token when the token has
/// `create_race` (startrace and edit need it), else nullptr.
const application* race_creator(route_context& ctx, const request& req,
                                const std::string& category) {
  auto value = bearer_of(req);
  if (!value)
    return nullptr;
  const token* t = ctx.w.oauth().find_token(*value);
  const application* bot = ctx.w.oauth().bot_for(*value, category);
  if (bot == nullptr || t == nullptr || t->scopes.count("create_race") == 0)
    return nullptr;
  return bot;
}

response start_race(route_context& ctx, const request& req,
                    const std::string& cat) {
  const category* c = ctx.w.find_category(cat);
  if (c == nullptr)
    return not_found(req);
  const application* bot = race_creator(ctx, req, cat);
  if (bot == nullptr)
    return forbidden(req);
  auto fields = form_of(req);
  auto form = creation_form(fields, *c);
  ctx.w.record({ctx.w.now(), "startrace", bot->client_id, "",
                payload({{"fields", string_map_json(fields)},
                         {"status", form.errors.empty() ? "201" : "422"}}),
                ""});
  if (!form.errors.empty())
    return make_response(req, http::status::unprocessable_entity,
                         form.errors.json());
  auto name = ctx.w.open_race(cat, *bot, form.settings);
  ctx.w.record({ctx.w.now(), "race_opened", bot->client_id, name,
                settings_json(form.settings), ""});
  auto res = make_response(req, http::status::created);
  res.set(http::field::location, "/" + name);
  return res;
}

response edit_race(route_context& ctx, const request& req,
                   const std::string& cat, const std::string& slug) {
  race* r = ctx.w.find_race(cat, slug);
  if (r == nullptr)
    return not_found(req);
  const application* bot = race_creator(ctx, req, cat);
  if (bot == nullptr)
    return forbidden(req);
  auto fields = form_of(req);
  auto form = edit_form(fields, *ctx.w.find_category(cat), *r);
  ctx.w.record({ctx.w.now(), "edit", bot->client_id, r->name(),
                payload({{"fields", string_map_json(fields)}}), ""});
  if (!form.errors.empty())
    return make_response(req, http::status::unprocessable_entity,
                         form.errors.json());
  if (is_done(r->state))
    return forbidden(req);
  ctx.w.edit_race(*r, bot->name,
                  {form.settings, form.changed, form.has_goal_field});
  ctx.w.record({ctx.w.now(), "race_edited", bot->client_id, r->name(),
                settings_json(r->settings), ""});
  return make_response(req, http::status::ok);
}

response category_data(route_context& ctx, const request& req,
                       const std::string& cat, bool as_bot) {
  if (ctx.w.find_category(cat) == nullptr)
    return not_found(req);
  std::string body;
  if (as_bot) {
    // Any scope will do; only the bot's category counts.
    auto value = bearer_of(req);
    if (!value || ctx.w.oauth().bot_for(*value, cat) == nullptr)
      return forbidden(req);
    auto now = std::chrono::steady_clock::now();
    auto& cached = ctx.bot_category_cache[cat];
    if (cached.second.empty() || now - cached.first >= ctx.bot_category_ttl)
      cached = {now, ctx.w.category_json(cat, true)};
    body = cached.second;
  } else {
    body = ctx.w.category_json(cat, false);
  }
  auto res = make_response(req, http::status::ok, body);
  res.set(http::field::cache_control, "public, max-age=60");
  return res;
}

response race_data(route_context& ctx, const request& req,
                   const std::string& cat, const std::string& slug) {
  race* r = ctx.w.find_race(cat, slug);
  if (r == nullptr)
    return not_found(req);
  auto res = make_response(req, http::status::ok, ctx.w.race_json(*r));
  res.set(http::field::cache_control, "public, max-age=5, must-revalidate");
  return res;
}

} // namespace

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string::npos ? path.size() : slash;
    if (end > start)
      out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

response serve_racetime(route_context& ctx, const request& req) {
  std::string target{req.target()};
  auto q = target.find('?');
  std::string path = target.substr(0, q);
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  if (auto oauth = serve_oauth(ctx, req, path, query))
    return std::move(*oauth);
  bool get = req.method() == http::verb::get;
  bool post = req.method() == http::verb::post;
  auto parts = split_path(path);
  if (parts.size() == 3 && parts[0] == "o" && parts[2] == "data" && get)
    return category_data(ctx, req, parts[1], true);
  if (parts.size() == 3 && parts[0] == "o" && parts[2] == "startrace" && post)
    return start_race(ctx, req, parts[1]);
  if (parts.size() == 4 && parts[0] == "o" && parts[3] == "edit" && post)
    return edit_race(ctx, req, parts[1], parts[2]);
  if (parts.size() == 2 && parts[1] == "data" && get)
    return category_data(ctx, req, parts[0], false);
  if (parts.size() == 3 && parts[2] == "data" && get)
    return race_data(ctx, req, parts[0], parts[1]);
  return not_found(req);
}

} // namespace racecontrol::sim
