#include "tools/discord-sim/discord_routes.hpp"

#include "protocol/discord_message.hpp"
#include "protocol/json.hpp"

#include <boost/beast/http.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <regex>

namespace racecontrol::discord_sim {

namespace http = boost::beast::http;
using protocol::json_text;
using protocol::json_writer;
using protocol::write_bool;
using protocol::write_int;
using protocol::write_string;

namespace {

/// Discord's bucket hash for POST /channels/{id}/messages: one for the
/// route, whatever the channel (the channel is the bucket's major
/// parameter, not part of its name).
constexpr const char* message_bucket = "80c17d2f203122d936070c88c8d10f33";

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t start = 0; start < path.size();) {
    auto slash = path.find('/', start);
    auto end = slash == std::string::npos ? path.size() : slash;
    if (end > start)
      parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

response make_response(const request& req, http::status status,
                       std::string body) {
  response res{status, req.version()};
  res.set(http::field::server, "discord-sim");
  if (!body.empty())
    res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response error_response(const request& req, http::status status,
                        const std::string& message, std::int64_t code) {
  return make_response(req, status, json_text([&](json_writer& w) {
                         w.StartObject();
                         write_string(w, "message", message);
                         write_int(w, "code", code);
                         w.EndObject();
                       }));
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f",
                static_cast<double>(ms.count()) / 1000.0);
  return buffer;
}

/// Discord's timestamps: "2026-11-22T19:03:00.123000+00:00".
std::string discord_time(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                t.time_since_epoch())
                .count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[128]; // room for any int the format could meet
  std::snprintf(buffer, sizeof buffer,
                "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1000000));
  return buffer;
}

void set_bucket_headers(response& res, const bucket_answer& b) {
  auto reset_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()) +
                     b.reset_after;
  res.set("X-RateLimit-Limit", std::to_string(b.limit));
  res.set("X-RateLimit-Remaining", std::to_string(b.remaining));
  res.set("X-RateLimit-Reset", seconds_text(reset_epoch));
  res.set("X-RateLimit-Reset-After", seconds_text(b.reset_after));
  res.set("X-RateLimit-Bucket", message_bucket);
}

/// Discord's 429: the body, Retry-After (whole seconds, rounded up) and
/// the scope.
response rate_limited(const request& req, double retry_after, bool global) {
  auto res = make_response(
      req, http::status::too_many_requests, json_text([&](json_writer& w) {
        w.StartObject();
        write_string(w, "message", "You are being rate limited.");
        w.Key("retry_after");
        w.Double(std::round(retry_after * 1000) / 1000);
        write_bool(w, "global", global);
        w.EndObject();
      }));
  res.set(http::field::retry_after,
          std::to_string(static_cast<long long>(std::ceil(retry_after))));
  res.set("X-RateLimit-Scope", global ? "global" : "user");
  if (global)
    res.set("X-RateLimit-Global", "true");
  return res;
}

/// Discord's 400 Invalid Form Body: errors nested by the field's path,
/// each leaf {"_errors": [{"code", "message"}]}.
class form_errors {
 public:
  form_errors() { doc_.SetObject(); }

  void add(const std::vector<std::string>& path, const char* code,
           const std::string& message) {
    auto& a = doc_.GetAllocator();
    rapidjson::Value* node = &doc_;
    for (const auto& key : path) {
      auto it = node->FindMember(key.c_str());
      if (it == node->MemberEnd()) {
        node->AddMember(rapidjson::Value(key.c_str(), a),
                        rapidjson::Value(rapidjson::kObjectType), a);
        it = node->FindMember(key.c_str());
      }
      node = &it->value;
    }
    if (!node->HasMember("_errors"))
      node->AddMember("_errors", rapidjson::Value(rapidjson::kArrayType), a);
    rapidjson::Value e(rapidjson::kObjectType);
    e.AddMember("code", rapidjson::Value(code, a), a);
    e.AddMember("message", rapidjson::Value(message.c_str(), a), a);
    (*node)["_errors"].PushBack(e, a);
    empty_ = false;
  }

  void max_length(const std::vector<std::string>& path,
                  const rapidjson::Value& v, std::size_t limit) {
    if (v.IsString() &&
        protocol::discord_length({v.GetString(), v.GetStringLength()}) > limit)
      add(path, "BASE_TYPE_MAX_LENGTH",
          "Must be " + std::to_string(limit) + " or fewer in length.");
  }

  bool empty() const { return empty_; }
  std::string json() const { return protocol::to_json(doc_); }

 private:
  rapidjson::Document doc_;
  bool empty_ = true;
};

std::size_t text_length(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString())
    return 0;
  return protocol::discord_length(
      {it->value.GetString(), it->value.GetStringLength()});
}

/// Discord's embed limits: title, description, fields and their parts,
/// footer, and 6000 characters across all embeds.
void check_embeds(const rapidjson::Value& embeds, form_errors& errors) {
  if (!embeds.IsArray()) {
    errors.add({"embeds"}, "BASE_TYPE_LIST", "Must be a list.");
    return;
  }
  if (embeds.Size() > 10)
    errors.add({"embeds"}, "BASE_TYPE_MAX_LENGTH",
               "Must be 10 or fewer in length.");
  std::size_t total = 0;
  for (rapidjson::SizeType i = 0; i < embeds.Size(); ++i) {
    const auto& e = embeds[i];
    auto at = std::to_string(i);
    if (!e.IsObject()) {
      errors.add({"embeds", at}, "MODEL_TYPE_CONVERT",
                 "Only dictionaries may be used in a ModelType");
      continue;
    }
    auto member = [&](const char* key) -> const rapidjson::Value* {
      auto it = e.FindMember(key);
      return it == e.MemberEnd() ? nullptr : &it->value;
    };
    if (auto* t = member("title"))
      errors.max_length({"embeds", at, "title"}, *t, 256);
    if (auto* d = member("description"))
      errors.max_length({"embeds", at, "description"}, *d, 4096);
    total += text_length(e, "title") + text_length(e, "description");
    if (auto* footer = member("footer"); footer && footer->IsObject()) {
      if (auto it = footer->FindMember("text"); it != footer->MemberEnd())
        errors.max_length({"embeds", at, "footer", "text"}, it->value, 2048);
      total += text_length(*footer, "text");
    }
    auto* fields = member("fields");
    if (fields == nullptr || !fields->IsArray())
      continue;
    if (fields->Size() > 25)
      errors.add({"embeds", at, "fields"}, "BASE_TYPE_MAX_LENGTH",
                 "Must be 25 or fewer in length.");
    for (rapidjson::SizeType j = 0; j < fields->Size(); ++j) {
      const auto& f = (*fields)[j];
      if (!f.IsObject())
        continue;
      auto fat = std::to_string(j);
      for (auto [key, limit] :
           {std::pair<const char*, std::size_t>{"name", 256},
            {"value", 1024}}) {
        auto it = f.FindMember(key);
        if (it == f.MemberEnd() || !it->value.IsString() ||
            it->value.GetStringLength() == 0)
          errors.add({"embeds", at, "fields", fat, key}, "BASE_TYPE_REQUIRED",
                     "This field is required");
        else
          errors.max_length({"embeds", at, "fields", fat, key}, it->value,
                            limit);
        total += text_length(f, key);
      }
    }
  }
  if (total > 6000)
    errors.add({"embeds"}, "MAX_EMBED_SIZE_EXCEEDED",
               "Embed size exceeds maximum size of 6000");
}

/// The nonce as a string (Discord takes a string or an integer).
std::string nonce_of(const rapidjson::Value& body) {
  if (!body.IsObject())
    return "";
  auto it = body.FindMember("nonce");
  if (it == body.MemberEnd())
    return "";
  if (it->value.IsString())
    return {it->value.GetString(), it->value.GetStringLength()};
  if (it->value.IsInt64())
    return std::to_string(it->value.GetInt64());
  return "";
}

/// Users the message pings: those it mentions (<@id>, <@!id>) that
/// allowed_mentions lets through (all of them without allowed_mentions).
std::vector<std::string> pinged_users(const rapidjson::Value& body) {
  std::string content;
  if (auto it = body.FindMember("content");
      it != body.MemberEnd() && it->value.IsString())
    content = it->value.GetString();
  std::vector<std::string> mentioned;
  static const std::regex mention{"<@!?([0-9]{1,20})>"};
  for (std::sregex_iterator it{content.begin(), content.end(), mention}, end;
       it != end; ++it)
    if (std::find(mentioned.begin(), mentioned.end(), (*it)[1].str()) ==
        mentioned.end())
      mentioned.push_back((*it)[1].str());
  auto am = body.FindMember("allowed_mentions");
  if (am == body.MemberEnd() || !am->value.IsObject())
    return mentioned;
  bool parse_users = false;
  if (auto p = am->value.FindMember("parse");
      p != am->value.MemberEnd() && p->value.IsArray())
    for (const auto& v : p->value.GetArray())
      parse_users |= v.IsString() && std::string{v.GetString()} == "users";
  if (parse_users)
    return mentioned;
  std::vector<std::string> allowed;
  if (auto u = am->value.FindMember("users");
      u != am->value.MemberEnd() && u->value.IsArray())
    for (const auto& v : u->value.GetArray())
      if (v.IsString())
        allowed.emplace_back(v.GetString(), v.GetStringLength());
  std::vector<std::string> out;
  for (const auto& id : mentioned)
    if (std::find(allowed.begin(), allowed.end(), id) != allowed.end())
      out.push_back(id);
  return out;
}

/// Discord's message object for a created message.
std::string message_object(const std::string& id, const std::string& channel,
                           const rapidjson::Value& body,
                           const std::string& nonce) {
  rapidjson::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) {
    return rapidjson::Value(s.c_str(),
                            static_cast<rapidjson::SizeType>(s.size()), a);
  };
  doc.AddMember("type", 0, a);
  std::string content;
  if (auto it = body.FindMember("content");
      it != body.MemberEnd() && it->value.IsString())
    content = it->value.GetString();
  doc.AddMember("content", str(content), a);
  rapidjson::Value mentions(rapidjson::kArrayType);
  for (const auto& user : pinged_users(body)) {
    rapidjson::Value u(rapidjson::kObjectType);
    u.AddMember("id", str(user), a);
    u.AddMember("username", str("user" + user), a);
    u.AddMember("discriminator", "0", a);
    mentions.PushBack(u, a);
  }
  doc.AddMember("mentions", mentions, a);
  doc.AddMember("mention_roles", rapidjson::Value(rapidjson::kArrayType), a);
  doc.AddMember("attachments", rapidjson::Value(rapidjson::kArrayType), a);
  rapidjson::Value embeds(rapidjson::kArrayType);
  if (auto it = body.FindMember("embeds");
      it != body.MemberEnd() && it->value.IsArray())
    for (const auto& e : it->value.GetArray()) {
      rapidjson::Value copy(e, a);
      copy.AddMember("type", "rich", a);
      embeds.PushBack(copy, a);
    }
  doc.AddMember("embeds", embeds, a);
  doc.AddMember("timestamp",
                str(discord_time(std::chrono::system_clock::now())), a);
  doc.AddMember("edited_timestamp", rapidjson::Value(), a);
  doc.AddMember("flags", 0, a);
  doc.AddMember("components", rapidjson::Value(rapidjson::kArrayType), a);
  doc.AddMember("id", str(id), a);
  doc.AddMember("channel_id", str(channel), a);
  rapidjson::Value author(rapidjson::kObjectType);
  author.AddMember("id", "1100000000000000001", a);
  author.AddMember("username", "racecontrol-sim", a);
  author.AddMember("avatar", rapidjson::Value(), a);
  author.AddMember("discriminator", "0000", a);
  author.AddMember("public_flags", 0, a);
  author.AddMember("flags", 0, a);
  author.AddMember("bot", true, a);
  author.AddMember("global_name", rapidjson::Value(), a);
  doc.AddMember("author", author, a);
  doc.AddMember("pinned", false, a);
  doc.AddMember("mention_everyone", false, a);
  doc.AddMember("tts", false, a);
  if (!nonce.empty())
    doc.AddMember("nonce", str(nonce), a);
  return protocol::to_json(doc);
}

/// The checks after the bucket: channel, body, limits, nonce; then the
/// message is created (or the earlier one answered).
response create_message(state& s, const request& req,
                        const std::string& channel,
                        std::chrono::steady_clock::time_point now) {
  if (!s.has_channel(channel))
    return error_response(req, http::status::not_found, "Unknown Channel",
                          10003);
  rapidjson::Document body;
  body.Parse(req.body().data(), req.body().size());
  if (body.HasParseError() || !body.IsObject())
    return error_response(req, http::status::bad_request,
                          "The request body contains invalid JSON.", 50109);
  form_errors errors;
  auto content = body.FindMember("content");
  bool has_content = false;
  if (content != body.MemberEnd() && !content->value.IsNull()) {
    if (!content->value.IsString())
      errors.add({"content"}, "BASE_TYPE_STRING", "Must be a string.");
    else {
      errors.max_length({"content"}, content->value, 2000);
      has_content = content->value.GetStringLength() > 0;
    }
  }
  bool has_embeds = false;
  if (auto e = body.FindMember("embeds"); e != body.MemberEnd()) {
    check_embeds(e->value, errors);
    has_embeds = e->value.IsArray() && !e->value.Empty();
  }
  auto nonce = nonce_of(body);
  if (auto n = body.FindMember("nonce"); n != body.MemberEnd())
    errors.max_length({"nonce"}, n->value, 25);
  if (!errors.empty())
    return make_response(req, http::status::bad_request,
                         "{\"message\":\"Invalid Form Body\",\"code\":50035,"
                         "\"errors\":" +
                             errors.json() + "}");
  if (!has_content && !has_embeds)
    return error_response(req, http::status::bad_request,
                          "Cannot send an empty message", 50006);
  bool enforce = false;
  if (auto e = body.FindMember("enforce_nonce");
      e != body.MemberEnd() && e->value.IsBool())
    enforce = e->value.GetBool();
  if (enforce && !nonce.empty())
    if (auto* earlier = s.recent_nonce(channel, nonce, now))
      return make_response(req, http::status::ok, earlier->json);
  recorded_message m;
  m.id = s.make_id();
  m.channel_id = channel;
  m.nonce = nonce;
  m.json = message_object(m.id, channel, body, nonce);
  auto answer = m.json;
  s.record(std::move(m), now);
  return make_response(req, http::status::ok, std::move(answer));
}

/// Serves one POST /channels/{id}/messages as Discord would.
response serve_message(state& s, const request& req,
                       const std::string& channel) {
  auto auth = req.find(http::field::authorization);
  if (auth == req.end() || auth->value() != "Bot " + s.options().token)
    return error_response(req, http::status::unauthorized, "401: Unauthorized",
                          0);
  auto now = std::chrono::steady_clock::now();
  auto b = s.take(channel, now);
  auto res = b.allowed
                 ? create_message(s, req, channel, now)
                 : rate_limited(
                       req, static_cast<double>(b.reset_after.count()) / 1000.0,
                       false);
  set_bucket_headers(res, b);
  res.prepare_payload();
  return res;
}

response fault_status(const request& req, unsigned status) {
  auto res = error_response(
      req, static_cast<http::status>(status),
      std::to_string(status) + ": " +
          std::string{http::obsolete_reason(static_cast<http::status>(status))},
      0);
  return res;
}

reply faulted(state& s, const request& req, const fault& f,
              const std::string& channel) {
  if (f.serve_then_status != 0) {
    auto res = serve_message(s, req, channel);
    if (res.result() != http::status::ok)
      return {std::move(res), f.delay};
    if (f.drop_connection)
      return {std::nullopt, f.delay};
    return {fault_status(req, f.serve_then_status), f.delay};
  }
  if (f.drop_connection)
    return {std::nullopt, f.delay};
  if (f.status == 429) {
    auto res = rate_limited(req, f.retry_after, f.global);
    if (!f.global) {
      bucket_answer b;
      b.limit = s.options().bucket_limit;
      b.reset_after = std::chrono::milliseconds{
          static_cast<std::int64_t>(std::ceil(f.retry_after * 1000))};
      set_bucket_headers(res, b);
    }
    res.prepare_payload();
    return {std::move(res), f.delay};
  }
  if (f.status != 0)
    return {fault_status(req, f.status), f.delay};
  return {serve_message(s, req, channel), f.delay};
}

// --- control ---------------------------------------------------------------

std::string query_value(const std::string& target, const std::string& key) {
  auto q = target.find('?');
  if (q == std::string::npos)
    return "";
  auto query = target.substr(q + 1);
  for (std::size_t start = 0; start <= query.size();) {
    auto amp = query.find('&', start);
    auto part = query.substr(start, amp == std::string::npos ? std::string::npos
                                                             : amp - start);
    if (part.rfind(key + "=", 0) == 0)
      return part.substr(key.size() + 1);
    if (amp == std::string::npos)
      break;
    start = amp + 1;
  }
  return "";
}

response bad_control(const request& req, const std::string& why) {
  return make_response(req, http::status::bad_request,
                       json_text([&](json_writer& w) {
                         w.StartObject();
                         write_string(w, "error", why);
                         w.EndObject();
                       }));
}

fault parse_fault(const protocol::json_object& o) {
  fault f;
  f.status = static_cast<unsigned>(o.optional_integer("status").value_or(0));
  f.count = static_cast<int>(o.optional_integer("count").value_or(1));
  f.every = static_cast<int>(o.optional_integer("every").value_or(1));
  f.retry_after = o.optional_number("retry_after").value_or(1.0);
  f.global = o.optional_boolean("global").value_or(false);
  f.delay =
      std::chrono::milliseconds{o.optional_integer("delay_ms").value_or(0)};
  f.drop_connection = o.optional_boolean("drop_connection").value_or(false);
  f.serve_then_status = static_cast<unsigned>(
      o.optional_integer("serve_then_status").value_or(0));
  f.channel = o.optional_string("channel").value_or("");
  if (f.count < 1 || f.every < 1)
    throw protocol::json_error("count and every must be at least 1");
  if (f.status != 0 && (f.status < 400 || f.status > 599))
    throw protocol::json_error("status must be a 4xx or 5xx status");
  if (f.serve_then_status != 0 &&
      (f.serve_then_status < 400 || f.serve_then_status > 599))
    throw protocol::json_error("serve_then_status must be a 4xx or 5xx status");
  return f;
}

} // namespace

reply serve_api(state& s, const request& req) {
  std::string target{req.target()};
  auto parts = split_path(target.substr(0, target.find('?')));
  reply out;
  if (req.method() != http::verb::post || parts.size() != 5 ||
      parts[0] != "api" || parts[1] != "v10" || parts[2] != "channels" ||
      parts[4] != "messages") {
    out.res = error_response(req, http::status::not_found, "404: Not Found", 0);
  } else {
    const auto& channel = parts[3];
    rapidjson::Document body;
    body.Parse(req.body().data(), req.body().size());
    if (!body.HasParseError())
      s.count_nonce(channel, nonce_of(body));
    if (auto f = s.take_fault(channel))
      out = faulted(s, req, *f, channel);
    else
      out.res = serve_message(s, req, channel);
  }
  s.count_status(out.res ? out.res->result_int() : 0);
  return out;
}

response serve_control(state& s, const request& req) {
  std::string target{req.target()};
  auto path = target.substr(0, target.find('?'));
  auto method = req.method();
  try {
    if (method == http::verb::get && path == "/health")
      return make_response(req, http::status::ok, "{\"ok\":true}");
    if (method == http::verb::get && path == "/messages")
      return make_response(req, http::status::ok,
                           s.messages_json(query_value(target, "channel")));
    if (method == http::verb::get && path == "/stats")
      return make_response(req, http::status::ok, s.stats_json());
    if (method == http::verb::delete_ && path == "/faults") {
      s.clear_faults();
      return make_response(req, http::status::no_content, "");
    }
    if (method == http::verb::post) {
      auto doc = protocol::parse_json(req.body().empty() ? "{}" : req.body());
      protocol::json_object o{doc, ""};
      if (path == "/channels") {
        auto id = o.string("id");
        if (!s.add_channel(id))
          return bad_control(req, "channel id \"" + id +
                                      "\" is not a Discord id (digits only)");
        return make_response(req, http::status::created,
                             json_text([&](json_writer& w) {
                               w.StartObject();
                               write_string(w, "id", id);
                               w.EndObject();
                             }));
      }
      if (path == "/faults") {
        s.add_fault(parse_fault(o));
        return make_response(req, http::status::created, "{}");
      }
      if (path == "/limits") {
        auto limit = o.integer("limit");
        auto window = o.integer("window_ms");
        if (limit < 1 || window < 1)
          return bad_control(req, "limit and window_ms must be at least 1");
        s.set_bucket(static_cast<int>(limit),
                     std::chrono::milliseconds{window});
        return make_response(req, http::status::ok, "{}");
      }
    }
  } catch (const protocol::json_error& e) {
    return bad_control(req, e.what());
  }
  return make_response(req, http::status::not_found,
                       "{\"error\":\"no such control route\"}");
}

} // namespace racecontrol::discord_sim
