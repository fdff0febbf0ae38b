#include "actors/status_page.hpp"

#include "protocol/iso8601.hpp"

#include <algorithm>
#include <cstdio>

namespace racecontrol {

namespace {

/// Small, readable without any stylesheet loaded from elsewhere.
constexpr const char* style = R"css(
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { background: #f3f3f3; }
.bad { color: #a00; } .good { color: #070; } .muted { color: #777; }
.error { background: #fee; padding: 0.5em; border: 1px solid #d99; }
)css";

/// "2026-12-02 18:30:00" (UTC, to the second).
std::string when(const std::optional<timestamp>& t) {
  if (!t)
    return "—";
  auto text = protocol::format_iso8601_time(
      std::chrono::time_point_cast<std::chrono::seconds>(*t));
  std::replace(text.begin(), text.end(), 'T', ' ');
  if (!text.empty() && text.back() == 'Z')
    text.pop_back();
  return html_escape(text);
}

/// A finish time as racetime.gg shows it: "1:02:03.4".
std::string race_time(race_duration d) {
  auto tenths = d.count() / 100000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld.%lld",
                static_cast<long long>(tenths / 36000),
                static_cast<long long>(tenths / 600 % 60),
                static_cast<long long>(tenths / 10 % 60),
                static_cast<long long>(tenths % 10));
  return buf;
}

std::string player_names(const std::vector<match_player_info>& players) {
  if (players.empty())
    return "<span class=\"muted\">no players</span>";
  std::string out;
  for (const auto& p : players) {
    if (!out.empty())
      out += ", ";
    out += html_escape(p.display_name);
    if (!p.racetime_id)
      out += " <span class=\"muted\">(not linked)</span>";
  }
  return out;
}

std::string room_link(const room_view& r, const std::string& racetime_url) {
  if (!r.slug)
    return "<span class=\"muted\">being created</span>";
  auto url = racetime_url + "/" + *r.slug;
  return "<a href=\"" + html_escape(url) + "\">" + html_escape(*r.slug) +
         "</a>";
}

std::string room_status(const room_view& r) {
  if (r.parked)
    return "<span class=\"bad\">parked: " + html_escape(r.status_message) +
           "</span>";
  if (r.claim_state == "creating")
    return "creating";
  return r.status.empty() ? "unknown" : html_escape(r.status);
}

/// `<table id=...>` with a header row; `rows` already rendered.
std::string table(const char* id, std::vector<const char*> headers,
                  const std::string& rows, const char* empty) {
  std::string out = "<table id=\"" + std::string{id} + "\"><thead><tr>";
  for (const auto* h : headers)
    out += std::string{"<th>"} + h + "</th>";
  out += "</tr></thead><tbody>";
  if (rows.empty())
    out += "<tr class=\"empty\"><td colspan=\"" +
           std::to_string(headers.size()) + "\" class=\"muted\">" + empty +
           "</td></tr>";
  return out + rows + "</tbody></table>\n";
}

std::string error_box(const std::string& message) {
  return "<p class=\"error\">" + html_escape(message) + "</p>\n";
}

std::string bots_section(const status_page_data& page) {
  std::string out = "<h2>Bots</h2>\n";
  if (!page.bots)
    return out + error_box(page.bots_error);
  std::string rows;
  for (const auto& b : *page.bots) {
    auto good = b.status == "connected";
    rows += "<tr data-bot=\"" + std::to_string(b.bot_id) + "\"><td>" +
            html_escape(b.name) + "</td><td>" + html_escape(b.category) +
            "</td><td class=\"" + (good ? "good" : "bad") + "\">" +
            html_escape(b.status) + "</td><td>" + html_escape(b.message) +
            "</td></tr>";
  }
  return out + table("bots", {"Bot", "Category", "Status", "Message"}, rows,
                     "no bot runs");
}

std::string match_room_cell(const match_view& m, const std::string& base) {
  if (m.room)
    return room_link(*m.room, base) + " (" + room_status(*m.room) + ")";
  if (m.reason_code)
    return "<span class=\"bad\">not opened: " + html_escape(*m.reason_code) +
           (m.reason_message ? " — " + html_escape(*m.reason_message) : "") +
           "</span>";
  return "<span class=\"muted\">not opened yet</span>";
}

std::string upcoming_section(const overview_view& v, const std::string& base) {
  std::string rows;
  for (const auto& m : v.upcoming)
    rows += "<tr data-match=\"" + std::to_string(m.id) + "\"><td>" +
            std::to_string(m.id) + "</td><td>" + html_escape(m.title) +
            "</td><td>" + when(m.scheduled_at) + "</td><td>" +
            player_names(m.players) + "</td><td>" + match_room_cell(m, base) +
            "</td></tr>";
  return "<h2>Upcoming matches</h2>\n" +
         table("upcoming",
               {"Match", "Title", "Scheduled (UTC)", "Players", "Room"}, rows,
               "no upcoming match");
}

std::string active_section(const overview_view& v, const std::string& base) {
  std::string rows;
  for (const auto& r : v.active)
    rows += "<tr data-room=\"" + std::to_string(r.id) + "\"><td>" +
            room_link(r, base) + "</td><td>" + room_status(r) + "</td><td>" +
            (r.match_id ? std::to_string(*r.match_id) : "—") + "</td><td>" +
            player_names(r.results) + "</td><td>" + when(r.created_at) +
            "</td></tr>";
  return "<h2>Active rooms</h2>\n" +
         table("active", {"Room", "Status", "Match", "Players", "Opened (UTC)"},
               rows, "no active room");
}

/// "1. Name 1:02:03.5, 2. Other, —. Third (dnf)" by finish place.
std::string results_text(std::vector<match_player_info> players) {
  std::stable_sort(players.begin(), players.end(),
                   [](const auto& a, const auto& b) {
                     return a.finish_place.value_or(1 << 30) <
                            b.finish_place.value_or(1 << 30);
                   });
  std::string out;
  for (const auto& p : players) {
    if (!out.empty())
      out += "<br>";
    out += p.finish_place ? std::to_string(*p.finish_place) + ". " : "—. ";
    out += html_escape(p.display_name);
    if (p.finish_time)
      out += " " + race_time(*p.finish_time);
    else if (!p.entrant_status.empty())
      out += " (" + html_escape(p.entrant_status) + ")";
  }
  return out.empty() ? "<span class=\"muted\">no entrants</span>" : out;
}

std::string recent_section(const overview_view& v, const std::string& base) {
  std::string rows;
  for (const auto& r : v.recent)
    rows += "<tr data-room=\"" + std::to_string(r.id) + "\"><td>" +
            room_link(r, base) + "</td><td>" +
            (r.match_id ? std::to_string(*r.match_id) : "—") + "</td><td>" +
            results_text(r.results) + "</td></tr>";
  return "<h2>Recent results</h2>\n" + table("recent",
                                             {"Room", "Match", "Results"}, rows,
                                             "no finished race yet");
}

} // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_status_page(const status_page_data& page) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"30\">"
      "<meta name=\"viewport\" content=\"width=device-width\">"
      "<title>racecontrol status</title><style>";
  out += style;
  out += "</style></head><body>\n<h1>racecontrol status</h1>\n"
         "<p class=\"muted\">" +
         html_escape(page.audience) + "; generated " + when(page.generated_at) +
         " UTC; this page refreshes every 30 seconds.</p>\n";
  out += bots_section(page);
  if (!page.rows)
    out += error_box(page.rows_error);
  else
    out += upcoming_section(*page.rows, page.racetime_url) +
           active_section(*page.rows, page.racetime_url) +
           recent_section(*page.rows, page.racetime_url);
  return out + "</body></html>\n";
}

} // namespace racecontrol
