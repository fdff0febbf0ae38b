#pragma once

// racetime.gg's HTTP API as a bot and an OAuth2 client uses it: tokens
// (client credentials, authorization code, refresh), /o/userinfo, category
// and race data, startrace and edit. Each call is one request (race data
// has a variant with retries); results arrive through callbacks on the HTTP
// client's strand. Tokens never appear in logs or error messages.

#include "protocol/backoff.hpp"
#include "protocol/expected.hpp"
#include "protocol/http_client.hpp"
#include "protocol/oauth_messages.hpp"
#include "protocol/race_data.hpp"
#include "protocol/race_settings.hpp"
#include "protocol/url.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace racecontrol::protocol {

/// Why a racetime.gg call failed.
struct racetime_error {
  enum class kind {
    invalid_request, ///< refused before sending (settings out of range)
    http,            ///< transport or status failure: see `http`
    oauth,           ///< /o/token answered with an OAuth error
    bad_response,    ///< a response that does not say what it should
    not_applied,     ///< racetime.gg said 200 but kept old values (`fields`)
  };
  kind what = kind::http;
  http_error http;
  std::optional<oauth_error_body> oauth;
  /// Settings racetime.gg would not or did not apply (an edit of a started
  /// race, ...): with invalid_request before sending, not_applied after.
  std::vector<std::string> fields;
  /// For a person: what was attempted, for which category/race, and why.
  std::string message;

  /// Worth retrying: a transient HTTP failure.
  bool transient() const { return what == kind::http && http.transient(); }

  /// /o/token rejected the client itself (OAuth error invalid_client or
  /// unauthorized_client): an operator must fix the client id or secret.
  /// False for every other 401/403: outside /o/token they mean the token
  /// expired or was revoked (renew it, or relink the user), and a 401/403
  /// from /o/token without an OAuth body did not come from racetime.gg.
  bool credentials_rejected() const;
};

template <class T>
using racetime_result = expected<T, racetime_error>;

template <class T>
using racetime_callback = std::function<void(racetime_result<T>)>;

struct client_credentials {
  std::string client_id;
  std::string client_secret; ///< a secret: never log
};

/// A race room created by startrace: "category/slug" from the Location
/// header.
struct created_race {
  std::string name;
};

/// What an edit did.
struct edit_result {
  /// False when the room already had every setting: nothing was sent (each
  /// edit posts chat in the room, so no edit goes out without a change).
  bool sent = false;
};

class racetime_api {
 public:
  /// `base` is racetime.gg's origin, e.g. https://racetime.gg.
  racetime_api(boost::asio::io_context& io, http_client& http, url base);

  // --- OAuth2 ---------------------------------------------------------

  /// POST /o/token, grant_type=client_credentials (form-encoded). Marked
  /// idempotent (a second token does not revoke the first), so it may be
  /// sent again on a new connection; the other grants are not.
  void client_credentials_token(const client_credentials& creds,
                                racetime_callback<token_response> done);

  /// The URL to send a user to for linking their account.
  std::string authorize_url(const std::string& client_id,
                            const std::string& redirect_uri,
                            const std::string& scope,
                            const std::string& state) const;

  /// POST /o/token, grant_type=authorization_code.
  void exchange_code(const client_credentials& creds, const std::string& code,
                     const std::string& redirect_uri,
                     racetime_callback<token_response> done);

  /// POST /o/token, grant_type=refresh_token (the old pair dies at once).
  void refresh_token(const client_credentials& creds,
                     const std::string& refresh_token,
                     racetime_callback<token_response> done);

  /// GET /o/userinfo with a user's token.
  void user_info(const std::string& user_token,
                 racetime_callback<protocol::user_info> done);

  // --- data -------------------------------------------------------------

  /// GET /{category}/data, or /o/{category}/data (including unlisted
  /// rooms) when a bot token is given.
  void category_data(const std::string& category,
                     const std::optional<std::string>& bot_token,
                     racetime_callback<protocol::category_data> done);

  /// GET /{category}/{slug}/data for race name "category/slug".
  void race_data(const std::string& race_name,
                 racetime_callback<protocol::race_data> done);

  /// race_data with up to `attempts` tries and exponential backoff between
  /// them (for joining a room that may not be visible yet).
  void race_data_with_retries(const std::string& race_name, int attempts,
                              backoff_options pacing,
                              racetime_callback<protocol::race_data> done);

  // --- rooms ------------------------------------------------------------

  /// POST /o/{category}/startrace with every setting explicit. Checks the
  /// settings first; resolves `goal` against `category_goals`. Never sent
  /// twice: an error of kind http_error::kind::outcome_unknown means the
  /// room may exist (look in category_data with the bot token before
  /// opening another). `timeout` limits the exchange (0: the HTTP client's
  /// request_timeout); past it, once sent, the outcome is unknown.
  void start_race(const std::string& category, const race_settings& settings,
                  const std::vector<std::string>& category_goals,
                  const std::string& bot_token,
                  std::chrono::milliseconds timeout,
                  racetime_callback<created_race> done);

  /// start_race with the HTTP client's request_timeout.
  void start_race(const std::string& category, const race_settings& settings,
                  const std::vector<std::string>& category_goals,
                  const std::string& bot_token,
                  racetime_callback<created_race> done) {
    start_race(category, settings, category_goals, bot_token,
               std::chrono::milliseconds{0}, std::move(done));
  }

  /// POST /o/{category}/{slug}/edit with the full settings, reporting
  /// success only when the room has them afterwards. racetime.gg answers 200
  /// to edits it partly drops (once a race has started only a few fields
  /// change), so the room is read first: nothing is sent when nothing
  /// differs, an edit with changes the room cannot take is refused before
  /// sending (invalid_request, the fields named), and after the 200 the
  /// room is read again (not_applied when a field kept its old value, e.g.
  /// the race started in between). Three requests per edit.
  void edit_race(const std::string& race_name, const race_settings& settings,
                 const std::vector<std::string>& category_goals,
                 const std::string& bot_token,
                 racetime_callback<edit_result> done);

  const url& base() const noexcept { return base_; }

 private:
  void post_token(const form_fields& form, const std::string& what,
                  bool idempotent, racetime_callback<token_response> done);
  void post_edit(const std::string& race_name, const race_settings& settings,
                 const std::vector<std::string>& category_goals,
                 const std::string& bot_token, const std::string& what,
                 racetime_callback<edit_result> done);
  static racetime_error edit_refused(const std::string& what,
                                     const std::vector<std::string>& fields,
                                     const protocol::race_data& room);

  boost::asio::io_context& io_;
  http_client& http_;
  url base_;
};

} // namespace racecontrol::protocol
