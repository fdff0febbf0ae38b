#pragma once

// racetime-sim's OAuth2 provider, as django-oauth-toolkit behaves with
// racetime.gg's settings (racetime-protocol.md §1 and §7 "OAuth2 and
// tokens"): applications (bots bound to one category, and account-linking
// clients), client credentials, authorization codes (600 s, single use, the
// redirect_uri compared at /o/token, optional PKCE), refresh with rotation,
// scopes, and the session /o/authorize runs in. No sockets: the routes call
// it.

#include "tools/racetime-sim/sim_form.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace racecontrol::sim {

/// A DOT application: a bot (client_credentials, bound to a category) or an
/// OAuth client for user account linking (authorization_code).
struct application {
  std::string client_id;
  std::string client_secret;
  std::string name;
  enum class grant { client_credentials, authorization_code } kind;
  std::string category; ///< bots only
  bool active = true;
  std::vector<std::string> redirect_uris; ///< authorization_code only
};

struct token {
  std::string client_id;
  std::optional<std::string> user_id; ///< set for user tokens
  std::set<std::string> scopes;
  std::chrono::system_clock::time_point expires_at;
  std::optional<std::string> refresh_token;
};

class oauth_provider {
 public:
  explicit oauth_provider(std::uint64_t seed = 1);

  void add_application(application a);
  void set_token_lifetime(std::chrono::seconds s) { token_lifetime_ = s; }

  /// The browser session /o/authorize sees: who is logged in (nullopt: no
  /// session) and whether they press "Authorize" or refuse.
  void set_session(std::optional<std::string> user_id, bool consent = true);

  // --- POST /o/token ----------------------------------------------------

  struct grant_result {
    unsigned status = 200;
    // 200:
    std::string access_token;
    std::optional<std::string> refresh_token;
    std::int64_t expires_in = 0;
    std::string scope;
    // otherwise:
    std::string error;
    std::optional<std::string> description;
  };
  /// `form` holds the request's fields (client id and secret included,
  /// from the body or HTTP Basic).
  grant_result grant(const form_fields& form);

  // --- GET /o/authorize ---------------------------------------------------

  struct authorize_result {
    enum class kind {
      redirect,   ///< 302 to `location` (code, or an OAuth error)
      login,      ///< 302 to `location`, the login page
      error_page, ///< `status` with an HTML page saying `error`
    } what = kind::redirect;
    std::string location;
    unsigned status = 302;
    std::string error;
    std::string description;
  };
  /// `query`: the request's query fields; `target` the request target (for
  /// the login redirect's `next`).
  authorize_result authorize(const form_fields& query,
                             const std::string& target);

  // --- tokens -------------------------------------------------------------

  /// A token that is known and not expired, or nullptr.
  const token* find_token(const std::string& value) const;
  /// The active bot application of `category` behind a token, or nullptr.
  const application* bot_for(const std::string& token_value,
                             const std::string& category) const;
  void expire_tokens(const std::optional<std::string>& client_id);
  /// Makes every issued authorization code older than its 600 s.
  void expire_codes();

 private:
  struct code {
    std::string client_id;
    std::string user_id;
    std::set<std::string> scopes;
    std::optional<std::string> redirect_uri; ///< as given at /o/authorize
    std::chrono::steady_clock::time_point issued;
    std::optional<std::string> challenge;
    std::string challenge_method;
  };

  grant_result refuse(unsigned status, std::string error,
                      std::optional<std::string> description = {}) const;
  grant_result issue(const application& a, std::optional<std::string> user,
                     std::set<std::string> scopes, bool with_refresh);
  grant_result exchange_code(const application& a, const form_fields& form);
  grant_result refresh(const application& a, const form_fields& form);
  std::string random_string(std::size_t n);

  std::mt19937_64 rng_;
  std::map<std::string, application> apps_;
  std::map<std::string, token> tokens_;
  std::map<std::string, std::string> refresh_tokens_; ///< refresh → access
  std::map<std::string, code> codes_;
  std::optional<std::string> session_user_;
  bool consent_ = true;
  std::chrono::seconds token_lifetime_{36000};
};

/// The scopes in a space-separated list, or nullopt when it is empty or
/// names one racetime.gg does not have (invalid_scope).
std::optional<std::set<std::string>> parse_scopes(const std::string& text);

/// "read chat_message race_action create_race", in that order.
std::string scope_text(const std::set<std::string>& scopes);

} // namespace racecontrol::sim
