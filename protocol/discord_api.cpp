#include "protocol/discord_api.hpp"

#include "protocol/json.hpp"
#include "racecontrol/version.hpp"

#include <boost/beast/http/verb.hpp>

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace racecontrol::protocol {

namespace {

std::string trimmed(const std::string& text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos)
    return "";
  auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

std::optional<std::int64_t> integer_header(const http_response& r,
                                           std::string_view name) {
  auto* value = r.header(name);
  if (value == nullptr)
    return std::nullopt;
  auto text = trimmed(*value);
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0')
    return std::nullopt;
  return n;
}

/// Seconds as Discord writes them ("1.234", "65"), rounded up to whole
/// milliseconds so a caller never comes back a moment too early.
std::optional<std::chrono::milliseconds> seconds_value(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return std::nullopt;
  return std::chrono::milliseconds{
      static_cast<std::int64_t>(std::ceil(seconds * 1000.0 - 1e-6))};
}

std::optional<std::chrono::milliseconds> seconds_header(const http_response& r,
                                                        std::string_view name) {
  auto* value = r.header(name);
  if (value == nullptr)
    return std::nullopt;
  auto text = trimmed(*value);
  char* end = nullptr;
  double s = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0')
    return std::nullopt;
  return seconds_value(s);
}

bool is_snowflake(const std::string& id) {
  if (id.empty() || id.size() > 20)
    return false;
  for (char c : id)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

/// Discord's field errors, flattened: {"embeds": {"0": {"title":
/// {"_errors": [{"code", "message"}]}}}} -> "embeds.0.title: message
/// (CODE)".
void collect_errors(const rapidjson::Value& node, const std::string& path,
                    std::vector<std::string>& out) {
  if (!node.IsObject())
    return;
  for (auto it = node.MemberBegin(); it != node.MemberEnd(); ++it) {
    std::string key{it->name.GetString(), it->name.GetStringLength()};
    if (key == "_errors" && it->value.IsArray()) {
      for (const auto& e : it->value.GetArray()) {
        if (!e.IsObject())
          continue;
        std::string line = (path.empty() ? std::string{"body"} : path) + ": ";
        auto m = e.FindMember("message");
        if (m != e.MemberEnd() && m->value.IsString())
          line += m->value.GetString();
        auto c = e.FindMember("code");
        if (c != e.MemberEnd() && c->value.IsString())
          line += std::string{" ("} + c->value.GetString() + ")";
        out.push_back(std::move(line));
      }
    } else {
      collect_errors(it->value, path.empty() ? key : path + "." + key, out);
    }
  }
}

/// Discord's JSON error body: {"message", "code", "errors"?}.
struct error_body {
  std::optional<std::int64_t> code;
  std::string message;
  std::vector<std::string> field_errors;
};

std::optional<error_body> parse_error_body(const std::string& body) {
  try {
    auto doc = parse_json(body, 256 * 1024);
    json_object o{doc, ""};
    error_body e;
    e.message = o.optional_string("message").value_or("");
    if (auto code = o.optional_number("code"))
      e.code = static_cast<std::int64_t>(*code);
    if (o.has("errors"))
      collect_errors(o.value()["errors"], "", e.field_errors);
    return e;
  } catch (const json_error&) {
    return std::nullopt;
  }
}

std::string advice(unsigned status, const std::optional<std::int64_t>& code,
                   const std::string& channel) {
  if (status == 401)
    return "the bot token was refused: check the Discord bot token "
           "racecontrol is given (Bot settings, Reset Token)";
  if (status == 403)
    return "the bot may not post in channel " + channel +
           ": invite it to the server and give it View Channel, Send "
           "Messages and Embed Links there";
  if (status == 404 || code == 10003)
    return "channel " + channel +
           " does not exist or the bot cannot see it: check the "
           "tournament's Discord channel id";
  if (status == 400)
    return "Discord refused the message: fix what it names";
  return "Discord refused the request";
}

discord_outcome rate_limited(const http_response& r,
                             const discord_rate_limit& limits,
                             const std::string& what) {
  discord_rate_limited out;
  out.bucket = limits.bucket;
  out.scope = limits.scope;
  out.global = limits.global || limits.scope == "global";
  std::optional<std::chrono::milliseconds> wait;
  try {
    auto doc = parse_json(r.body, 64 * 1024);
    json_object o{doc, ""};
    if (auto s = o.optional_number("retry_after"))
      wait = seconds_value(*s);
    if (o.optional_boolean("global").value_or(false))
      out.global = true;
    out.message = o.optional_string("message").value_or("");
  } catch (const json_error&) {
    // A 429 from something in front of Discord: the headers decide.
  }
  if (!wait)
    wait = seconds_header(r, "Retry-After");
  if (!wait)
    wait = limits.reset_after;
  // Nothing says how long: a second, rather than a loop.
  out.retry_after = wait.value_or(std::chrono::milliseconds{1000});
  out.message = what + ": rate limited" + (out.global ? " (global)" : "") +
                " for " + std::to_string(out.retry_after.count()) + " ms" +
                (out.message.empty() ? "" : ": " + out.message);
  return out;
}

} // namespace

discord_rate_limit parse_discord_rate_limit(const http_response& r) {
  discord_rate_limit l;
  l.limit = integer_header(r, "X-RateLimit-Limit");
  l.remaining = integer_header(r, "X-RateLimit-Remaining");
  l.reset_after = seconds_header(r, "X-RateLimit-Reset-After");
  if (auto* b = r.header("X-RateLimit-Bucket"))
    l.bucket = trimmed(*b);
  if (auto* g = r.header("X-RateLimit-Global"))
    l.global = trimmed(*g) == "true";
  if (auto* s = r.header("X-RateLimit-Scope"))
    l.scope = trimmed(*s);
  return l;
}

discord_outcome classify_discord_answer(const http_response& r,
                                        const discord_rate_limit& limits,
                                        const std::string& what) {
  auto status = std::to_string(r.status);
  if (r.status >= 200 && r.status < 300) {
    try {
      auto doc = parse_json(r.body, 1024 * 1024);
      return discord_delivered{json_object{doc, ""}.string("id")};
    } catch (const json_error& e) {
      // Delivered, probably; the nonce makes the retry harmless.
      return discord_transient{what + ": answered " + status +
                                   " without a readable message: " + e.what(),
                               true};
    }
  }
  if (r.status == 429)
    return rate_limited(r, limits, what);
  if (r.status >= 500 || r.status == 408)
    return discord_transient{what + ": HTTP " + status + " from Discord", true};
  std::string channel = "?";
  if (auto at = what.find("/channels/"); at != std::string::npos) {
    channel = what.substr(at + 10);
    channel = channel.substr(0, channel.find('/'));
  }
  discord_permanent out;
  out.status = r.status;
  out.message = what + ": HTTP " + status;
  if (auto body = parse_error_body(r.body)) {
    out.code = body->code;
    if (!body->message.empty())
      out.message += " " + body->message;
    if (body->code)
      out.message += " (code " + std::to_string(*body->code) + ")";
    for (const auto& e : body->field_errors)
      out.message += "; " + e;
  } else {
    out.message += " without Discord's JSON error (something in between?)";
  }
  out.message += ": " + advice(r.status, out.code, channel);
  return out;
}

const char* outcome_name(const discord_outcome& outcome) {
  switch (outcome.index()) {
    case 0:
      return "discord_delivered";
    case 1:
      return "discord_rate_limited";
    case 2:
      return "discord_transient";
    default:
      return "discord_permanent";
  }
}

discord_api::discord_api(http_client& http, url base)
    : http_(http), base_(std::move(base)) {
  while (base_.target.size() > 1 && base_.target.back() == '/')
    base_.target.pop_back();
  if (base_.target == "/")
    base_.target.clear();
}

void discord_api::post_message(const std::string& channel_id,
                               const discord_message& message,
                               const config::secret& bot_token, callback done) {
  if (!is_snowflake(channel_id)) {
    discord_permanent refused;
    refused.message = "not sent: the channel id \"" + channel_id +
                      "\" is not a Discord id (digits only): check the "
                      "tournament's Discord channel";
    return done({refused, {}});
  }
  std::string what = "POST /channels/" + channel_id + "/messages";
  if (auto problems = validate(message); !problems.empty()) {
    discord_permanent refused;
    refused.message = "not sent: " + what + ": Discord would refuse it:";
    for (const auto& p : problems)
      refused.message += " " + p + ";";
    refused.message.pop_back();
    return done({refused, {}});
  }
  http_request req;
  req.method = boost::beast::http::verb::post;
  req.target =
      with_path(base_, base_.target + "/channels/" + channel_id + "/messages");
  req.headers = {
      {"Authorization", "Bot " + bot_token.reveal()},
      // Discord asks bots for this form of User-Agent.
      {"User-Agent", std::string{"DiscordBot (https://racetime.gg, "} +
                         racecontrol::version + ")"}};
  req.body = to_json(message);
  req.content_type = "application/json";
  req.idempotent = message.enforce_nonce && !message.nonce.empty();
  http_.request(std::move(req), [what,
                                 done = std::move(done)](http_outcome outcome) {
    if (!outcome) {
      const auto& e = outcome.error();
      // Only a failure to reach Discord at all (resolve, connect, TLS)
      // says the message was not sent; after the write, a reset, a timeout
      // or a cut answer may follow a created message.
      bool unreached = e.what == http_error::kind::tls ||
                       e.message.rfind("cannot connect", 0) == 0 ||
                       e.message.rfind("cannot resolve", 0) == 0 ||
                       e.message.rfind("resolving", 0) == 0;
      return done({discord_transient{what + ": " + e.message, !unreached}, {}});
    }
    auto limits = parse_discord_rate_limit(*outcome);
    done({classify_discord_answer(*outcome, limits, what), limits});
  });
}

} // namespace racecontrol::protocol
