#include "tools/racetime-sim/sim_routes.hpp"

#include "protocol/form.hpp"
#include "protocol/json.hpp"
#include "protocol/oauth_messages.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>

#include <charconv>

namespace racecontrol::sim {

namespace http = boost::beast::http;
using protocol::form_fields;

namespace {

// --- responses ----------------------------------------------------------

response make_response(const request& req, http::status status,
                       std::string body = "",
                       const char* type = "application/json") {
  response res{status, req.version()};
  res.set(http::field::server, "racetime-sim");
  res.set("X-Date-Exact",
          protocol::format_iso8601_time(std::chrono::system_clock::now()));
  if (!body.empty())
    res.set(http::field::content_type, type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response not_found(const request& req) {
  return make_response(req, http::status::not_found,
                       "<h1>Not Found</h1><p>The requested resource was not "
                       "found on this server.</p>",
                       "text/html; charset=utf-8");
}

response forbidden(const request& req) {
  return make_response(req, http::status::forbidden);
}

std::optional<std::string> bearer_of(const request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end())
    return std::nullopt;
  std::string value{it->value()};
  if (value.rfind("Bearer ", 0) != 0)
    return std::nullopt;
  return value.substr(7);
}

form_fields form_of(const request& req) {
  auto it = req.find(http::field::content_type);
  if (it == req.end() ||
      std::string{it->value()}.find("application/x-www-form-urlencoded") ==
          std::string::npos)
    return {}; // racetime.gg parses nothing else
  return protocol::decode_form(req.body());
}

std::string fields_json(const form_fields& fields) {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    for (const auto& [k, v] : fields)
      protocol::write_string(w, k.c_str(), v);
    w.EndObject();
  });
}

// --- race settings from a form (OAuthRaceCreationForm) -------------------

using field_errors = std::map<std::string, std::vector<std::string>>;

/// Reads an integer field with its model default and Django's range
/// messages (shown as durations, as racetime.gg's DurationField does).
std::int64_t integer_field(const form_fields& f, const char* key,
                           std::int64_t fallback, std::int64_t min,
                           std::int64_t max, const char* min_text,
                           const char* max_text, field_errors& errors) {
  const std::string* v = protocol::form_value(f, key);
  if (v == nullptr || v->empty())
    return fallback;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size()) {
    errors[key].push_back("Enter a whole number.");
    return fallback;
  }
  if (n < min)
    errors[key].push_back(std::string{"Ensure this value is greater than or "
                                      "equal to "} +
                          min_text + ".");
  else if (n > max)
    errors[key].push_back(std::string{"Ensure this value is less than or "
                                      "equal to "} +
                          max_text + ".");
  return n;
}

std::string text_field(const form_fields& f, const char* key, std::size_t max,
                       field_errors& errors) {
  const std::string* v = protocol::form_value(f, key);
  if (v == nullptr)
    return "";
  if (v->size() > max)
    errors[key].push_back("Ensure this value has at most " +
                          std::to_string(max) + " characters (it has " +
                          std::to_string(v->size()) + ").");
  return *v;
}

race_settings parse_settings(const form_fields& f, const category& cat,
                             bool editing, field_errors& errors) {
  race_settings s; // model defaults
  s.unlisted = cat.unlisted_by_default;
  auto flag = [&](const char* key, bool fallback) {
    return django_bool(protocol::form_value(f, key), fallback);
  };
  const std::string* goal = protocol::form_value(f, "goal");
  bool known_goal =
      goal != nullptr &&
      std::find(cat.goals.begin(), cat.goals.end(), *goal) != cat.goals.end();
  std::string custom = text_field(f, "custom_goal", 255, errors);
  if (!known_goal && custom.empty())
    errors["__all__"].push_back("You need to set a goal for this race.");
  else if (known_goal && !custom.empty())
    errors["__all__"].push_back("The race must only have one goal.");
  s.goal = known_goal ? *goal : custom;
  s.custom_goal = !known_goal;
  if (!editing) {
    s.team_race = flag("team_race", false);
    s.invitational = flag("invitational", false);
    if (cat.allow_partitionable)
      s.partitionable = flag("partitionable", false);
    if (cat.allow_hide_entrants)
      s.hide_entrants = flag("hide_entrants", false);
  }
  s.ranked = flag("ranked", true);
  s.unlisted = flag("unlisted", s.unlisted);
  s.info_user = text_field(f, "info_user", 1000, errors);
  s.info_bot = text_field(f, "info_bot", 1000, errors);
  s.require_even_teams = flag("require_even_teams", false);
  s.start_delay =
      integer_field(f, "start_delay", 15, 10, 60, "0:00:10", "0:01:00", errors);
  s.time_limit = integer_field(f, "time_limit", 24, 1, 72, "1:00:00",
                               "3 days, 0:00:00", errors);
  s.time_limit_auto_complete = flag("time_limit_auto_complete", false);
  s.streaming_required = flag("streaming_required", true);
  s.auto_start = flag("auto_start", true);
  s.allow_comments = flag("allow_comments", true);
  s.hide_comments = flag("hide_comments", false);
  s.allow_prerace_chat = flag("allow_prerace_chat", true);
  s.allow_midrace_chat = flag("allow_midrace_chat", true);
  s.allow_non_entrant_chat = flag("allow_non_entrant_chat", true);
  s.chat_message_delay = integer_field(f, "chat_message_delay", 0, 0, 90,
                                       "0:00:00", "0:01:30", errors);
  s.recordable = !s.custom_goal && s.ranked;
  return s;
}

response unprocessable(const request& req, const field_errors& errors) {
  rapidjson::StringBuffer buffer;
  protocol::json_writer w(buffer);
  w.StartObject();
  w.Key("errors");
  w.StartObject();
  for (const auto& [field, messages] : errors) {
    w.Key(field.c_str());
    w.StartArray();
    for (const auto& m : messages)
      w.String(m.c_str());
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return make_response(req, http::status::unprocessable_entity,
                       buffer.GetString());
}

std::string settings_json(const race_settings& s) {
  rapidjson::StringBuffer buffer;
  protocol::json_writer w(buffer);
  w.StartObject();
  protocol::write_string(w, "goal", s.goal);
  protocol::write_bool(w, "custom_goal", s.custom_goal);
  protocol::write_bool(w, "team_race", s.team_race);
  protocol::write_bool(w, "invitational", s.invitational);
  protocol::write_bool(w, "ranked", s.ranked);
  protocol::write_bool(w, "unlisted", s.unlisted);
  protocol::write_string(w, "info_user", s.info_user);
  protocol::write_string(w, "info_bot", s.info_bot);
  protocol::write_bool(w, "recordable", s.recordable);
  protocol::write_bool(w, "require_even_teams", s.require_even_teams);
  protocol::write_int(w, "start_delay", s.start_delay);
  protocol::write_int(w, "time_limit", s.time_limit);
  protocol::write_bool(w, "time_limit_auto_complete",
                       s.time_limit_auto_complete);
  protocol::write_bool(w, "streaming_required", s.streaming_required);
  protocol::write_bool(w, "auto_start", s.auto_start);
  protocol::write_bool(w, "allow_comments", s.allow_comments);
  protocol::write_bool(w, "hide_comments", s.hide_comments);
  protocol::write_bool(w, "allow_prerace_chat", s.allow_prerace_chat);
  protocol::write_bool(w, "allow_midrace_chat", s.allow_midrace_chat);
  protocol::write_bool(w, "allow_non_entrant_chat", s.allow_non_entrant_chat);
  protocol::write_int(w, "chat_message_delay", s.chat_message_delay);
  w.EndObject();
  return buffer.GetString();
}

// --- racetime.gg endpoints ----------------------------------------------

response token_endpoint(route_context& ctx, const request& req) {
  std::map<std::string, std::string> form;
  for (auto& [k, v] : form_of(req))
    form[k] = v;
  auto auth = req.find(http::field::authorization);
  if (auth != req.end() && std::string{auth->value()}.rfind("Basic ", 0) == 0) {
    std::string encoded{auth->value().substr(6)};
    std::string decoded(
        boost::beast::detail::base64::decoded_size(encoded.size()), '\0');
    auto n = boost::beast::detail::base64::decode(
        decoded.data(), encoded.data(), encoded.size());
    decoded.resize(n.first);
    auto colon = decoded.find(':');
    if (colon != std::string::npos) {
      form["client_id"] = decoded.substr(0, colon);
      form["client_secret"] = decoded.substr(colon + 1);
    }
  }
  auto result = ctx.w.grant(form);
  if (!result.access_token) {
    auto res = make_response(
        req, static_cast<http::status>(result.status),
        protocol::serialize(protocol::oauth_error_body{result.error, {}}));
    if (result.status == 401)
      res.set(http::field::www_authenticate,
              "Bearer error=\"" + result.error + "\"");
    return res;
  }
  protocol::token_response t{*result.access_token, result.expires_in, "Bearer",
                             result.scope, result.refresh_token};
  auto res = make_response(req, http::status::ok, protocol::serialize(t));
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::pragma, "no-cache");
  return res;
}

response authorize(route_context& ctx, const request& req,
                   const std::string& query) {
  auto q = protocol::decode_form(query);
  auto get = [&](const char* k) {
    const std::string* v = protocol::form_value(q, k);
    return v ? *v : std::string{};
  };
  if (get("response_type") != "code")
    return make_response(req, http::status::bad_request,
                         "unsupported_response_type", "text/plain");
  std::string error;
  auto code = ctx.w.authorize(get("client_id"), get("redirect_uri"), error);
  if (!code)
    return make_response(req, http::status::bad_request, error, "text/plain");
  auto target = get("redirect_uri");
  target += (target.find('?') == std::string::npos ? "?" : "&");
  target += protocol::encode_form({{"code", *code}, {"state", get("state")}});
  auto res = make_response(req, http::status::found);
  res.set(http::field::location, target);
  return res;
}

response userinfo(route_context& ctx, const request& req) {
  auto value = bearer_of(req);
  const token* t = value ? ctx.w.find_token(*value) : nullptr;
  if (t == nullptr || !t->user_id || t->scopes.count("read") == 0)
    return forbidden(req);
  const user& u = ctx.w.users().at(*t->user_id);
  return make_response(
      req, http::status::ok,
      protocol::serialize(protocol::user_info{u.summary(), {}}));
}

response start_race(route_context& ctx, const request& req,
                    const std::string& cat) {
  const category* c = ctx.w.find_category(cat);
  if (c == nullptr)
    return not_found(req);
  auto value = bearer_of(req);
  const token* t = value ? ctx.w.find_token(*value) : nullptr;
  const application* bot = value ? ctx.w.bot_for(*value, cat) : nullptr;
  if (bot == nullptr || t->scopes.count("create_race") == 0)
    return forbidden(req);
  auto form = form_of(req);
  field_errors errors;
  auto settings = parse_settings(form, *c, false, errors);
  ctx.w.record({ctx.w.now(), "startrace", bot->client_id, "",
                "{\"fields\":" + fields_json(form) +
                    ",\"status\":" + (errors.empty() ? "201" : "422") + "}"});
  if (!errors.empty())
    return unprocessable(req, errors);
  auto name = ctx.w.open_race(*bot, settings);
  ctx.w.record({ctx.w.now(), "race_opened", bot->client_id, name,
                settings_json(settings)});
  auto res = make_response(req, http::status::created);
  res.set(http::field::location, "/" + name);
  return res;
}

response edit_race(route_context& ctx, const request& req,
                   const std::string& cat, const std::string& slug) {
  race* r = ctx.w.find_race(cat, slug);
  if (r == nullptr)
    return not_found(req);
  auto value = bearer_of(req);
  const token* t = value ? ctx.w.find_token(*value) : nullptr;
  const application* bot = value ? ctx.w.bot_for(*value, cat) : nullptr;
  if (bot == nullptr || t->scopes.count("create_race") == 0 ||
      r->status == protocol::race_status::finished ||
      r->status == protocol::race_status::cancelled)
    return forbidden(req);
  auto form = form_of(req);
  field_errors errors;
  auto edited = parse_settings(form, *ctx.w.find_category(cat), true, errors);
  ctx.w.record({ctx.w.now(), "edit", bot->client_id, r->name(),
                "{\"fields\":" + fields_json(form) + "}"});
  if (!errors.empty())
    return unprocessable(req, errors);
  // Fields edit does not take keep their values; the rest is replaced,
  // omitted ones by model defaults.
  edited.team_race = r->settings.team_race;
  edited.invitational = r->settings.invitational;
  edited.partitionable = r->settings.partitionable;
  edited.hide_entrants = r->settings.hide_entrants;
  r->settings = edited;
  ctx.w.record({ctx.w.now(), "race_edited", bot->client_id, r->name(),
                settings_json(edited)});
  ctx.w.touch(*r);
  return make_response(req, http::status::ok);
}

response category_data(route_context& ctx, const request& req,
                       const std::string& cat, bool as_bot) {
  if (ctx.w.find_category(cat) == nullptr)
    return not_found(req);
  std::string body;
  if (as_bot) {
    auto value = bearer_of(req);
    if (!value || ctx.w.bot_for(*value, cat) == nullptr)
      return forbidden(req);
    auto now = std::chrono::steady_clock::now();
    auto& cached = ctx.bot_category_cache[cat];
    if (cached.second.empty() || now - cached.first >= ctx.bot_category_ttl)
      cached = {now, protocol::serialize(ctx.w.category_data(cat, true))};
    body = cached.second;
  } else {
    body = protocol::serialize(ctx.w.category_data(cat, false));
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
  auto res = make_response(req, http::status::ok,
                           protocol::serialize(ctx.w.race_data(*r)));
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

std::optional<fault> take_fault(std::vector<fault>& faults,
                                const std::string& path) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (path.rfind(it->path_prefix, 0) != 0)
      continue;
    fault f = *it;
    if (--it->count <= 0)
      faults.erase(it);
    return f;
  }
  return std::nullopt;
}

response serve_racetime(route_context& ctx, const request& req) {
  std::string target{req.target()};
  auto q = target.find('?');
  std::string path = target.substr(0, q);
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  bool get = req.method() == http::verb::get;
  bool post = req.method() == http::verb::post;
  if (path == "/o/token")
    return post ? token_endpoint(ctx, req)
                : make_response(req, http::status::method_not_allowed);
  if (path == "/o/authorize" && get)
    return authorize(ctx, req, query);
  if (path == "/o/userinfo" && get)
    return userinfo(ctx, req);
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
