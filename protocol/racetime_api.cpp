#include "protocol/racetime_api.hpp"

#include "config/secret.hpp"

#include <boost/asio/steady_timer.hpp>

namespace racecontrol::protocol {

namespace http = boost::beast::http;

namespace {

constexpr const char* form_type = "application/x-www-form-urlencoded";

racetime_error from_http(const http_error& e, const std::string& what) {
  racetime_error out;
  out.what = racetime_error::kind::http;
  out.http = e;
  out.message = what + " failed: " + e.message;
  if (e.what == http_error::kind::unauthorized)
    // Outside /o/token a 401/403 is about the token, not the client secret.
    out.message += " (the token was refused: renew it, or relink the user's "
                   "account; if a fresh token is refused too, it lacks the "
                   "right to do this)";
  return out;
}

racetime_error bad_response(const std::string& what, const std::string& why) {
  racetime_error out;
  out.what = racetime_error::kind::bad_response;
  out.message = what + ": unexpected response: " + why;
  return out;
}

/// Turns an outcome into a parsed document or an error, by status.
template <class T, class Parse>
racetime_result<T> read_document(const http_outcome& outcome,
                                 const std::string& what, Parse parse) {
  if (!outcome)
    return from_http(outcome.error(), what);
  if (auto e = status_error(*outcome))
    return from_http(*e, what);
  auto parsed = parse(outcome->body);
  if (!parsed)
    return bad_response(what, parsed.error().message);
  return std::move(*parsed);
}

std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

} // namespace

bool racetime_error::credentials_rejected() const {
  // Only /o/token's own verdict on the client: a 401/403 anywhere else is
  // about a token (renew or relink), and one from /o/token without an OAuth
  // body comes from something in between (a proxy's block page).
  return what == kind::oauth && oauth &&
         (oauth->error == "invalid_client" ||
          oauth->error == "unauthorized_client");
}

racetime_api::racetime_api(boost::asio::io_context& io, http_client& http,
                           url base)
    : io_(io), http_(http), base_(std::move(base)) {}

void racetime_api::post_token(const form_fields& form, const std::string& what,
                              bool idempotent,
                              racetime_callback<token_response> done) {
  http_request req;
  req.method = http::verb::post;
  req.target = with_path(base_, "/o/token");
  req.body = encode_form(form);
  req.content_type = form_type;
  req.idempotent = idempotent;
  http_.request(std::move(req), [what,
                                 done = std::move(done)](http_outcome outcome) {
    if (outcome && outcome->status >= 400 && outcome->status < 500) {
      // django-oauth-toolkit answers {"error": ...} with 400/401.
      if (auto body = parse_oauth_error(outcome->body)) {
        racetime_error e = from_http(*status_error(*outcome), what);
        e.what = racetime_error::kind::oauth;
        e.oauth = *body;
        e.message = what + " failed: HTTP " + std::to_string(outcome->status) +
                    " " + body->error +
                    (body->error == "invalid_client"
                         ? " (check the client id and secret)"
                         : "");
        return done(e);
      }
      if (outcome->status == 401 || outcome->status == 403) {
        racetime_error e = from_http(*status_error(*outcome), what);
        e.message = what + " failed: HTTP " + std::to_string(outcome->status) +
                    " without an OAuth error body (not racetime.gg's "
                    "answer: a proxy or firewall in between?)";
        return done(e);
      }
    }
    auto result =
        read_document<token_response>(outcome, what, parse_token_response);
    if (result) {
      // An expired token is harmless, so the scrubber may forget it an
      // hour later; a refresh token is normally used (and rotated) around
      // then.
      auto forget_after = std::chrono::system_clock::now() +
                          std::chrono::seconds{result->expires_in} +
                          std::chrono::hours{1};
      config::register_secret(result->access_token, forget_after);
      if (result->refresh_token)
        config::register_secret(*result->refresh_token,
                                forget_after + std::chrono::hours{23});
    }
    done(std::move(result));
  });
}

void racetime_api::client_credentials_token(
    const client_credentials& creds, racetime_callback<token_response> done) {
  post_token({{"grant_type", "client_credentials"},
              {"client_id", creds.client_id},
              {"client_secret", creds.client_secret}},
             "token request for client " + creds.client_id,
             /*idempotent=*/true, std::move(done));
}

std::string racetime_api::authorize_url(const std::string& client_id,
                                        const std::string& redirect_uri,
                                        const std::string& scope,
                                        const std::string& state) const {
  return base_.origin() + "/o/authorize?" +
         encode_form({{"client_id", client_id},
                      {"response_type", "code"},
                      {"redirect_uri", redirect_uri},
                      {"scope", scope},
                      {"state", state}});
}

void racetime_api::exchange_code(const client_credentials& creds,
                                 const std::string& code,
                                 const std::string& redirect_uri,
                                 racetime_callback<token_response> done) {
  post_token({{"grant_type", "authorization_code"},
              {"code", code},
              {"redirect_uri", redirect_uri},
              {"client_id", creds.client_id},
              {"client_secret", creds.client_secret}},
             "authorization code exchange", false, std::move(done));
}

void racetime_api::refresh_token(const client_credentials& creds,
                                 const std::string& refresh_token,
                                 racetime_callback<token_response> done) {
  post_token({{"grant_type", "refresh_token"},
              {"refresh_token", refresh_token},
              {"client_id", creds.client_id},
              {"client_secret", creds.client_secret}},
             "token refresh", false, std::move(done));
}

void racetime_api::user_info(const std::string& user_token,
                             racetime_callback<protocol::user_info> done) {
  http_request req;
  req.target = with_path(base_, "/o/userinfo");
  req.headers.emplace_back("Authorization", bearer(user_token));
  http_.request(std::move(req), [done = std::move(done)](http_outcome o) {
    done(read_document<protocol::user_info>(o, "user info request",
                                            parse_user_info));
  });
}

void racetime_api::category_data(
    const std::string& category, const std::optional<std::string>& bot_token,
    racetime_callback<protocol::category_data> done) {
  http_request req;
  req.target = with_path(base_, (bot_token ? "/o/" : "/") + category + "/data");
  req.max_response_bytes = category_data_limit;
  if (bot_token)
    req.headers.emplace_back("Authorization", bearer(*bot_token));
  std::string what = "category data request for " + category;
  http_.request(std::move(req), [what, done = std::move(done)](http_outcome o) {
    done(read_document<protocol::category_data>(o, what, parse_category_data));
  });
}

void racetime_api::race_data(const std::string& race_name,
                             racetime_callback<protocol::race_data> done) {
  http_request req;
  req.target = with_path(base_, "/" + race_name + "/data");
  std::string what = "race data request for " + race_name;
  http_.request(std::move(req), [what, done = std::move(done)](http_outcome o) {
    done(read_document<protocol::race_data>(o, what, parse_race_data));
  });
}

void racetime_api::race_data_with_retries(
    const std::string& race_name, int attempts, backoff_options pacing,
    racetime_callback<protocol::race_data> done) {
  struct state {
    racetime_api* api;
    std::string name;
    int left;
    backoff pace;
    boost::asio::steady_timer timer;
    racetime_callback<protocol::race_data> done;
  };
  auto st = std::make_shared<state>(
      state{this, race_name, attempts, backoff{pacing},
            boost::asio::steady_timer{io_}, std::move(done)});
  auto attempt = std::make_shared<std::function<void()>>();
  *attempt = [st, attempt] {
    st->api->race_data(st->name, [st, attempt](
                                     racetime_result<protocol::race_data> r) {
      // A room not found yet, or a transient failure: try again.
      bool again = !r && (r.error().transient() ||
                          (r.error().what == racetime_error::kind::http &&
                           r.error().http.what == http_error::kind::not_found));
      if (--st->left <= 0 || !again) {
        auto done = std::move(st->done);
        *attempt = nullptr; // break the cycle
        return done(std::move(r));
      }
      st->timer.expires_after(st->pace.next_delay());
      st->timer.async_wait([attempt](boost::system::error_code ec) {
        if (!ec && *attempt)
          (*attempt)();
      });
    });
  };
  (*attempt)();
}

void racetime_api::start_race(const std::string& category,
                              const race_settings& settings,
                              const std::vector<std::string>& category_goals,
                              const std::string& bot_token,
                              std::chrono::milliseconds timeout,
                              racetime_callback<created_race> done) {
  std::string what = "startrace in " + category;
  auto problems = validate(settings);
  if (!problems.empty()) {
    racetime_error e;
    e.what = racetime_error::kind::invalid_request;
    e.message = what + " refused before sending:";
    for (const auto& p : problems)
      e.message += " " + p + ";";
    e.message.pop_back();
    return done(e);
  }
  http_request req;
  req.method = http::verb::post;
  req.target = with_path(base_, "/o/" + category + "/startrace");
  req.headers.emplace_back("Authorization", bearer(bot_token));
  req.body = encode_form(startrace_form(settings, category_goals));
  req.content_type = form_type;
  req.timeout = timeout;
  http_.request(std::move(req), [what, category,
                                 done = std::move(done)](http_outcome o) {
    if (!o)
      return done(from_http(o.error(), what));
    if (auto e = status_error(*o))
      return done(from_http(*e, what));
    const std::string* location = o->header("Location");
    if (o->status != 201 || location == nullptr || location->size() < 2 ||
        (*location)[0] != '/')
      return done(bad_response(what, "HTTP " + std::to_string(o->status) +
                                         " without a Location header"));
    auto name = location->substr(1);
    if (name.rfind(category + "/", 0) != 0)
      return done(bad_response(what, "Location " + *location +
                                         " is not in category " + category));
    done(created_race{name});
  });
}

void racetime_api::edit_race(const std::string& race_name,
                             const race_settings& settings,
                             const std::vector<std::string>& category_goals,
                             const std::string& bot_token,
                             racetime_callback<edit_result> done) {
  std::string what = "edit of " + race_name;
  auto problems = validate(settings);
  if (!problems.empty()) {
    racetime_error e;
    e.what = racetime_error::kind::invalid_request;
    e.message = what + " refused before sending:";
    for (const auto& p : problems)
      e.message += " " + p + ";";
    e.message.pop_back();
    return done(e);
  }
  race_data(race_name, [this, what, race_name, settings, category_goals,
                        bot_token, done = std::move(done)](
                           racetime_result<protocol::race_data> before) {
    if (!before) {
      racetime_error e = before.error();
      e.message = what + ": reading the room first: " + e.message;
      return done(e);
    }
    auto changed = settings_differences(settings, *before);
    if (changed.empty())
      return done(edit_result{false});
    auto blocked = fields_edit_cannot_change(changed, *before);
    if (!blocked.empty())
      return done(edit_refused(what, blocked, *before));
    post_edit(race_name, settings, category_goals, bot_token, what,
              std::move(done));
  });
}

racetime_error racetime_api::edit_refused(const std::string& what,
                                          const std::vector<std::string>& f,
                                          const protocol::race_data& room) {
  racetime_error e;
  e.what = racetime_error::kind::invalid_request;
  e.fields = f;
  e.message = what + " refused before sending: racetime.gg would not change";
  for (const auto& field : f)
    e.message += " " + field + ",";
  e.message.pop_back();
  e.message += " (the race is " + std::string{to_string(room.status)} + ")";
  bool preparing = room.status == race_status::open ||
                   room.status == race_status::invitational;
  if (!preparing)
    e.message += "; once a race has started an edit changes only unlisted, "
                 "info_user, allow_comments, hide_comments, "
                 "allow_midrace_chat, allow_non_entrant_chat and "
                 "chat_message_delay, and none after it ended";
  return e;
}

void racetime_api::post_edit(const std::string& race_name,
                             const race_settings& settings,
                             const std::vector<std::string>& category_goals,
                             const std::string& bot_token,
                             const std::string& what,
                             racetime_callback<edit_result> done) {
  http_request req;
  req.method = http::verb::post;
  req.target = with_path(base_, "/o/" + race_name + "/edit");
  req.headers.emplace_back("Authorization", bearer(bot_token));
  req.body = encode_form(edit_form(settings, category_goals));
  req.content_type = form_type;
  http_.request(std::move(req), [this, race_name, settings, what,
                                 done = std::move(done)](http_outcome o) {
    if (!o)
      return done(from_http(o.error(), what));
    if (auto e = status_error(*o))
      return done(from_http(*e, what));
    // 200 says nothing about which fields were applied: look.
    race_data(race_name, [what, settings,
                          done](racetime_result<protocol::race_data> after) {
      if (!after) {
        racetime_error e = after.error();
        e.message =
            what + " was answered 200 but could not be checked: " + e.message;
        return done(e);
      }
      auto kept = settings_differences(settings, *after);
      if (kept.empty())
        return done(edit_result{true});
      racetime_error e;
      e.what = racetime_error::kind::not_applied;
      e.fields = kept;
      e.message = what + ": racetime.gg answered 200 but kept the old value of";
      for (const auto& field : kept)
        e.message += " " + field + ",";
      e.message.pop_back();
      e.message +=
          " (the race is now " + std::string{to_string(after->status)} + ")";
      done(e);
    });
  });
}

} // namespace racecontrol::protocol
