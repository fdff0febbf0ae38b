#pragma once

// Keeps a category bot's client-credentials token fresh: fetched at start,
// renewed at half its lifetime, held in memory only, and handed to the
// bot's sockets through source() (pushed to them the moment it changes, so
// tokens living less than a minute work). Failures are retried with
// backoff, waiting at least as long as a 429's Retry-After asks. Only
// /o/token rejecting the client itself (invalid_client,
// unauthorized_client) stops it: retrying would not help, an operator must
// fix the credentials. Anything else, a 401/403 from a proxy included, is
// retried.

#include "protocol/racetime_api.hpp"
#include "protocol/token_source.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace racecontrol::protocol {

struct token_event {
  enum class kind {
    obtained,            ///< a new token is current
    retrying,            ///< a failure; trying again in `retry_in`
    credentials_rejected ///< permanent: the keeper stopped
  };
  kind what = kind::obtained;
  std::string message; ///< never contains the token
  std::chrono::milliseconds retry_in{0};
};

struct token_keeper_options {
  backoff_options retry{std::chrono::milliseconds{1000},
                        std::chrono::milliseconds{300000}};
  /// Renew after this fraction of the token's lifetime.
  double renew_at = 0.5;
  /// The longest Retry-After honoured (a bigger one is taken as this).
  std::chrono::milliseconds max_retry_after{3600000};
};

class token_keeper {
 public:
  token_keeper(boost::asio::io_context& io, racetime_api& api,
               client_credentials creds, token_keeper_options options = {});
  ~token_keeper();

  token_keeper(const token_keeper&) = delete;
  token_keeper& operator=(const token_keeper&) = delete;

  /// Fetches the first token; `on_event` reports every change (on the
  /// keeper's strand).
  void start(std::function<void(const token_event&)> on_event);

  /// Stops renewing. Once it returns, `on_event` is not called again.
  /// Sources handed out keep answering with the last token.
  void stop();

  /// The newest token, if any; safe from any thread.
  std::optional<bearer_token> current() const;

  /// The newest token while it still works as far as the keeper knows: not
  /// expired, and not refused by racetime.gg (a renewal failing at the
  /// token's half-life leaves it usable for the other half).
  std::optional<bearer_token> usable() const;

  /// The token for this bot's sockets (websocket_session). It stays valid
  /// after the keeper is gone; `refused` then does nothing.
  std::shared_ptr<token_source> source() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

} // namespace racecontrol::protocol
