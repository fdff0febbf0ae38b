#include "actors/start_outcome.hpp"

namespace racecontrol {

namespace {

using kind = start_race_outcome::kind;
using protocol::http_error;
using protocol::racetime_error;

start_race_outcome make(kind k, std::string message) {
  start_race_outcome out;
  out.what = k;
  out.message = std::move(message);
  return out;
}

/// racetime.gg's 422 body as "field: message" lines (form-wide errors,
/// "__all__", as the bare message).
std::vector<std::string> field_lines(const http_error& e) {
  std::vector<std::string> out;
  for (const auto& [field, messages] : e.field_errors)
    for (const auto& m : messages)
      out.push_back(field == "__all__" ? m : field + ": " + m);
  return out;
}

start_race_outcome from_http(const racetime_error& e) {
  const auto& h = e.http;
  switch (h.what) {
    case http_error::kind::network:
    case http_error::kind::timeout:
    case http_error::kind::tls:
      // The HTTP client reports a failure after a POST went out as
      // outcome_unknown, so these happened before: nothing was created.
      return make(kind::not_sent, e.message + " (not sent: no room was made)");
    case http_error::kind::unauthorized:
      return make(kind::forbidden, e.message);
    case http_error::kind::unprocessable: {
      auto out = make(kind::refused, e.message);
      out.field_errors = field_lines(h);
      if (out.field_errors.empty())
        out.field_errors.push_back("racetime.gg refused the settings (HTTP " +
                                   std::to_string(h.status) +
                                   ") without naming a field");
      return out;
    }
    case http_error::kind::not_found:
      return make(kind::refused,
                  e.message + " (racetime.gg has no such category)");
    case http_error::kind::rate_limited: {
      auto out = make(kind::rate_limited, e.message);
      out.retry_after_ms =
          h.retry_after ? std::chrono::duration_cast<std::chrono::milliseconds>(
                              *h.retry_after)
                              .count()
                        : default_retry_after.count();
      out.message += " (try again in " + std::to_string(out.retry_after_ms) +
                     " ms" + (h.retry_after ? "" : ": no Retry-After given") +
                     ")";
      return out;
    }
    case http_error::kind::unexpected_status:
      // racetime.gg creates a room only with a 201; a 3xx or 4xx it does
      // not otherwise send made none.
      if (h.status >= 300 && h.status < 500)
        return make(kind::refused, e.message);
      break;
    case http_error::kind::outcome_unknown:
    case http_error::kind::server_error:
    case http_error::kind::too_large:
    case http_error::kind::bad_response:
      break;
  }
  return make(kind::unknown,
              e.message + " (the room may exist: look for its marker in the "
                          "category's races before trying again)");
}

} // namespace

const char* to_string(start_race_outcome::kind k) {
  switch (k) {
    case start_race_outcome::kind::created:
      return "created";
    case start_race_outcome::kind::unknown:
      return "unknown";
    case start_race_outcome::kind::not_sent:
      return "not_sent";
    case start_race_outcome::kind::refused:
      return "refused";
    case start_race_outcome::kind::forbidden:
      return "forbidden";
    case start_race_outcome::kind::rate_limited:
      return "rate_limited";
  }
  return "?";
}

start_race_outcome
to_start_outcome(const protocol::racetime_result<protocol::created_race>& r) {
  if (r) {
    start_race_outcome out;
    out.what = kind::created;
    out.race_name = r->name;
    return out;
  }
  const auto& e = r.error();
  switch (e.what) {
    case racetime_error::kind::http:
      return from_http(e);
    case racetime_error::kind::invalid_request: {
      auto out = make(kind::refused, e.message);
      out.field_errors = e.fields;
      return out;
    }
    case racetime_error::kind::bad_response:
    case racetime_error::kind::oauth:
    case racetime_error::kind::not_applied:
      break;
  }
  // Sent and answered with something that is not a plain refusal.
  return make(kind::unknown,
              e.message + " (the room may exist: look for its marker in the "
                          "category's races before trying again)");
}

start_race_outcome refused_before_sending(const std::string& category,
                                          std::vector<std::string> problems) {
  std::string message = "startrace in " + category + " refused before sending:";
  for (const auto& p : problems)
    message += " " + p + ";";
  message.pop_back();
  auto out = make(kind::refused, std::move(message));
  out.field_errors = std::move(problems);
  return out;
}

category_races to_category_races(const protocol::category_data& data) {
  category_races out;
  out.races.reserve(data.current_races.size());
  for (const auto& r : data.current_races)
    out.races.push_back(
        race_listing{r.name, r.info, r.status_info.value, r.opened_at});
  return out;
}

} // namespace racecontrol
