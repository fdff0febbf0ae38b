#include "tools/racetime-sim/sim_oauth.hpp"

#include <boost/beast/core/detail/base64.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>

namespace racecontrol::sim {

namespace {

using namespace std::chrono_literals;
using system_clock = std::chrono::system_clock;

constexpr std::array<const char*, 4> all_scopes{"read", "chat_message",
                                                "race_action", "create_race"};

/// AUTHORIZATION_CODE_EXPIRE_SECONDS in racetime.gg's settings.
constexpr std::chrono::seconds code_lifetime{600};

std::optional<std::string> field(const form_fields& f, const char* key) {
  const std::string* v = form_value(f, key);
  return v ? std::optional<std::string>{*v} : std::nullopt;
}

/// BASE64URL(SHA256(verifier)) without padding (RFC 7636 S256).
std::string s256(const std::string& verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(verifier.data(), verifier.size(), digest, &length, EVP_sha256(),
             nullptr);
  std::string out(boost::beast::detail::base64::encoded_size(length), '\0');
  out.resize(boost::beast::detail::base64::encode(out.data(), digest, length));
  for (char& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  out.erase(std::remove(out.begin(), out.end(), '='), out.end());
  return out;
}

/// `uri` with form fields appended to its query.
std::string with_params(const std::string& uri, const form_fields& params) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") +
         encode_form(params);
}

} // namespace

std::optional<std::set<std::string>> parse_scopes(const std::string& text) {
  std::set<std::string> out;
  std::string word;
  for (char c : text + " ") {
    if (c != ' ') {
      word.push_back(c);
      continue;
    }
    if (word.empty())
      continue;
    if (std::find_if(all_scopes.begin(), all_scopes.end(), [&](auto s) {
          return word == s;
        }) == all_scopes.end())
      return std::nullopt;
    out.insert(word);
    word.clear();
  }
  if (out.empty())
    return std::nullopt;
  return out;
}

std::string scope_text(const std::set<std::string>& scopes) {
  std::string out;
  for (const char* s : all_scopes)
    if (scopes.count(s))
      out += (out.empty() ? "" : " ") + std::string{s};
  return out;
}

oauth_provider::oauth_provider(std::uint64_t seed) : rng_(seed) {}

void oauth_provider::add_application(application a) {
  apps_[a.client_id] = std::move(a);
}

void oauth_provider::set_session(std::optional<std::string> user_id,
                                 bool consent) {
  session_user_ = std::move(user_id);
  consent_ = consent;
}

std::string oauth_provider::random_string(std::size_t n) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(alphabet[pick(rng_)]);
  return out;
}

// --- POST /o/token -----------------------------------------------------------

oauth_provider::grant_result
oauth_provider::refuse(unsigned status, std::string error,
                       std::optional<std::string> description) const {
  grant_result out;
  out.status = status;
  out.error = std::move(error);
  out.description = std::move(description);
  return out;
}

oauth_provider::grant_result oauth_provider::grant(const form_fields& form) {
  auto type = field(form, "grant_type").value_or("");
  // django-oauth-toolkit looks at the grant type before the client.
  if (type != "client_credentials" && type != "authorization_code" &&
      type != "refresh_token")
    return refuse(400, "unsupported_grant_type");
  auto app = apps_.find(field(form, "client_id").value_or(""));
  if (app == apps_.end() || !app->second.active ||
      app->second.client_secret != field(form, "client_secret").value_or(""))
    return refuse(401, "invalid_client");
  const application& a = app->second;
  bool bot = a.kind == application::grant::client_credentials;
  if (type == "client_credentials") {
    if (!bot)
      return refuse(400, "unauthorized_client");
    std::set<std::string> scopes(all_scopes.begin(), all_scopes.end());
    if (auto requested = field(form, "scope")) {
      auto parsed = parse_scopes(*requested);
      if (!parsed)
        return refuse(400, "invalid_scope");
      scopes = *parsed;
    }
    return issue(a, std::nullopt, scopes, false);
  }
  if (bot)
    return refuse(400, "unauthorized_client");
  return type == "authorization_code" ? exchange_code(a, form)
                                      : refresh(a, form);
}

oauth_provider::grant_result
oauth_provider::exchange_code(const application& a, const form_fields& form) {
  auto it = codes_.find(field(form, "code").value_or(""));
  if (it == codes_.end() || it->second.client_id != a.client_id ||
      std::chrono::steady_clock::now() - it->second.issued >= code_lifetime)
    return refuse(400, "invalid_grant");
  const code& c = it->second;
  if (c.challenge) {
    auto verifier = field(form, "code_verifier");
    if (!verifier)
      return refuse(400, "invalid_request", "Code verifier required.");
    auto expected = c.challenge_method == "S256" ? s256(*verifier) : *verifier;
    if (expected != *c.challenge)
      return refuse(400, "invalid_grant");
  }
  // Compared only when /o/authorize was given one; a wrong one leaves the
  // code usable.
  auto redirect = field(form, "redirect_uri");
  if (c.redirect_uri && redirect && *redirect != *c.redirect_uri)
    return refuse(400, "invalid_request", "Mismatching redirect URI.");
  auto user = c.user_id;
  auto scopes = c.scopes;
  codes_.erase(it);
  return issue(a, user, scopes, true);
}

oauth_provider::grant_result oauth_provider::refresh(const application& a,
                                                     const form_fields& form) {
  auto r = refresh_tokens_.find(field(form, "refresh_token").value_or(""));
  auto old =
      r == refresh_tokens_.end() ? tokens_.end() : tokens_.find(r->second);
  if (old == tokens_.end() || old->second.client_id != a.client_id)
    return refuse(400, "invalid_grant");
  // Rotation: the old access and refresh tokens die at once.
  auto user = old->second.user_id;
  auto scopes = old->second.scopes;
  tokens_.erase(old);
  refresh_tokens_.erase(r);
  return issue(a, user, scopes, true);
}

oauth_provider::grant_result
oauth_provider::issue(const application& a, std::optional<std::string> user,
                      std::set<std::string> scopes, bool with_refresh) {
  token t;
  t.client_id = a.client_id;
  t.user_id = std::move(user);
  t.scopes = std::move(scopes);
  t.expires_at = system_clock::now() + token_lifetime_;
  if (with_refresh)
    t.refresh_token = random_string(30);
  grant_result out;
  out.access_token = random_string(30);
  out.refresh_token = t.refresh_token;
  out.expires_in = token_lifetime_.count();
  out.scope = scope_text(t.scopes);
  if (t.refresh_token)
    refresh_tokens_[*t.refresh_token] = out.access_token;
  tokens_[out.access_token] = std::move(t);
  return out;
}

// --- GET /o/authorize --------------------------------------------------------

oauth_provider::authorize_result
oauth_provider::authorize(const form_fields& q, const std::string& target) {
  authorize_result out;
  if (!session_user_) {
    // LoginRequiredMixin runs before anything is looked at.
    out.what = authorize_result::kind::login;
    out.location = "/account/auth?" + encode_form({{"next", target}});
    return out;
  }
  auto page = [&](std::string description) {
    out.what = authorize_result::kind::error_page;
    out.status = 400;
    out.error = "invalid_request";
    out.description = std::move(description);
    return out;
  };
  auto app = apps_.find(field(q, "client_id").value_or(""));
  if (app == apps_.end() || !app->second.active ||
      app->second.kind != application::grant::authorization_code)
    return page("Invalid client_id parameter value.");
  const auto& uris = app->second.redirect_uris;
  auto given = field(q, "redirect_uri");
  std::string redirect;
  if (given) {
    if (std::find(uris.begin(), uris.end(), *given) == uris.end())
      return page("Mismatching redirect URI.");
    redirect = *given;
  } else if (uris.size() == 1) {
    redirect = uris.front();
  } else {
    return page("Missing redirect URI.");
  }
  auto state = field(q, "state");
  auto fail = [&](const char* error) {
    form_fields params{{"error", error}};
    if (state)
      params.emplace_back("state", *state);
    out.location = with_params(redirect, params);
    return out;
  };
  if (field(q, "response_type").value_or("") != "code")
    return fail("unsupported_response_type");
  std::set<std::string> scopes(all_scopes.begin(), all_scopes.end());
  if (auto requested = field(q, "scope")) {
    auto parsed = parse_scopes(*requested);
    if (!parsed)
      return fail("invalid_scope");
    scopes = *parsed;
  }
  auto challenge = field(q, "code_challenge");
  auto method = field(q, "code_challenge_method").value_or("plain");
  if (challenge && method != "plain" && method != "S256")
    return fail("invalid_request");
  if (!consent_)
    return fail("access_denied");
  auto value = random_string(30);
  codes_[value] = {app->second.client_id,
                   *session_user_,
                   scopes,
                   given,
                   std::chrono::steady_clock::now(),
                   challenge,
                   method};
  form_fields params{{"code", value}};
  if (state)
    params.emplace_back("state", *state);
  out.location = with_params(redirect, params);
  return out;
}

// --- tokens
// --------------------------------------------------------------------

const token* oauth_provider::find_token(const std::string& value) const {
  auto it = tokens_.find(value);
  if (it == tokens_.end() || it->second.expires_at <= system_clock::now())
    return nullptr;
  return &it->second;
}

const application* oauth_provider::bot_for(const std::string& token_value,
                                           const std::string& cat) const {
  const token* t = find_token(token_value);
  if (t == nullptr || t->user_id)
    return nullptr;
  auto app = apps_.find(t->client_id);
  if (app == apps_.end() || !app->second.active ||
      app->second.kind != application::grant::client_credentials ||
      app->second.category != cat)
    return nullptr;
  return &app->second;
}

void oauth_provider::expire_tokens(const std::optional<std::string>& id) {
  auto past = system_clock::now() - 1s;
  for (auto& [value, t] : tokens_)
    if (!id || t.client_id == *id)
      t.expires_at = past;
}

void oauth_provider::expire_codes() {
  auto past = std::chrono::steady_clock::now() - code_lifetime - 1s;
  for (auto& [value, c] : codes_)
    c.issued = past;
}

} // namespace racecontrol::sim
