#pragma once

// The organizers' status page at GET / as HTML: bots and their status,
// upcoming matches with their room or the reason they have none, active
// rooms with links to racetime.gg, recent results. Server-rendered, no
// JavaScript, refreshed by the browser every 30 s; every text from the
// database or racetime.gg is HTML-escaped, so a match called
// `<script>alert("x")</script>` shows as written. A pure function of what
// the HTTP API gathered (actors/api_status.cpp), so it is tested without
// a server.

#include "actors/messages.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol {

/// What the page shows; a part that did not answer in time is absent and
/// its error is shown in its place.
struct status_page_data {
  std::optional<std::vector<bot_info>> bots;
  std::string bots_error;
  std::optional<overview_view> rows;
  std::string rows_error;
  /// Whose rows: "every organization" or "organization 3".
  std::string audience;
  std::string racetime_url; ///< for room links
  timestamp generated_at;
};

/// `text` with & < > " ' as character references (safe in element text
/// and in quoted attribute values).
std::string html_escape(std::string_view text);

/// The whole page.
std::string render_status_page(const status_page_data& page);

} // namespace racecontrol
