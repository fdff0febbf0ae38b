#include "tools/racetime-sim/sim_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace racecontrol::sim {

namespace {

bool is_word_byte(unsigned char c) {
  // Python's \w is Unicode-aware: treat every non-ASCII byte as a letter.
  return std::isalnum(c) || c == '_' || c >= 0x80;
}

/// Where `##tag##text##` starting at `i` has its text: [first, second).
std::optional<std::pair<std::size_t, std::size_t>>
markup_at(const std::string& text, std::size_t i) {
  const std::size_t n = text.size();
  if (text.compare(i, 2, "##") != 0)
    return std::nullopt;
  std::size_t j = i + 2;
  while (j < n && is_word_byte(static_cast<unsigned char>(text[j])))
    ++j;
  if (j == i + 2 || text.compare(j, 2, "##") != 0)
    return std::nullopt;
  std::size_t start = j + 2;
  // At least one character, no newline, up to the nearest "##".
  for (std::size_t k = start + 1; k <= n && text[k - 1] != '\n'; ++k)
    if (text.compare(k, 2, "##") == 0)
      return std::make_pair(start, k);
  return std::nullopt;
}

/// Entrant ordering group (Race.ordered_entrants' state_sort).
int order_group(const entrant& e) {
  if (e.place && !e.dnf && !e.dq)
    return 1;
  if (e.state == entrant_state::joined && !e.place && e.ready && !e.dnf &&
      !e.dq)
    return 2;
  if (e.state == entrant_state::joined && !e.ready)
    return 3;
  if (e.state == entrant_state::invited)
    return 4;
  if (e.state == entrant_state::requested)
    return 5;
  if (e.dnf)
    return 6;
  if (e.dq)
    return 7;
  if (e.state == entrant_state::declined)
    return 8;
  return 0;
}

std::optional<time_point> done_at(const race& r) {
  return r.ended_at ? r.ended_at : r.cancelled_at;
}

bool is_unfinalized(const race& r, time_point now) {
  auto at = done_at(r);
  return is_done(r.state) && !r.recorded && at &&
         *at >= now - std::chrono::minutes{10};
}

bool can_add_comment(const entrant& e, const race& r, time_point now) {
  bool joined = e.state == entrant_state::joined;
  if (r.state == race_state::in_progress)
    return joined && (e.finish_time || e.dnf) && !e.dq &&
           r.settings.allow_comments;
  if (r.state == race_state::finished) {
    auto at = done_at(r);
    return joined && !e.dq && r.settings.allow_comments && !r.recorded &&
           (r.settings.recordable || (at && now - *at < std::chrono::hours{1}));
  }
  return false;
}

} // namespace

std::string user::display_name() const {
  if (discriminator.empty() || discriminator == "0000")
    return name;
  return name + "#" + discriminator;
}

status_text describe(race_state s) {
  switch (s) {
    case race_state::open:
      return {"open", "Open", "Anyone may join this race"};
    case race_state::invitational:
      return {"invitational", "Invitational",
              "Only invitees may join this race"};
    case race_state::pending:
      return {"pending", "Getting ready", "Waiting for race to begin"};
    case race_state::in_progress:
      return {"in_progress", "In progress", "Race is in progress"};
    case race_state::finished:
      return {"finished", "Finished", "This race has been completed"};
    case race_state::cancelled:
      return {"cancelled", "Cancelled", "This race has been cancelled"};
    case race_state::partitioned:
      break;
  }
  return {"partitioned", "Partitioned",
          "Race has been partitioned into separate 1v1 races"};
}

const char* to_string(race_state s) {
  return describe(s).value;
}

status_text describe(const entrant& e, const race& r) {
  switch (e.state) {
    case entrant_state::requested:
      return {"requested", "Join request", "Wishes to join the race."};
    case entrant_state::invited:
      return {"invited", "Invited", "Invited to join the race."};
    case entrant_state::declined:
      return {"declined", "Declined", "Declined invitation to join."};
    case entrant_state::partitioned:
      return {"partitioned", "Partitioned", "Moved to partitioned race room."};
    case entrant_state::joined:
      break;
  }
  if (e.dnf)
    return {"dnf", "DNF", "Did not finish the race."};
  if (e.dq)
    return {"dq", "DQ", "Disqualified by a category moderator."};
  if (e.finish_time)
    return {"done", "Finished", "Finished the race."};
  if (r.state == race_state::in_progress)
    return {"in_progress", "In progress", "Still flyin'."};
  if (e.ready)
    return {"ready", "Ready", "Ready to begin the race."};
  return {"not_ready", "Not ready", "Not ready to begin yet."};
}

bool is_preparing(race_state s) {
  return s == race_state::open || s == race_state::invitational;
}

bool is_done(race_state s) {
  return s == race_state::finished || s == race_state::cancelled ||
         s == race_state::partitioned;
}

bool is_running(const entrant& e) {
  return e.state == entrant_state::joined && !e.dnf && !e.dq && !e.finish_time;
}

std::int64_t entrants_count(const race& r) {
  return std::count_if(r.entrants.begin(), r.entrants.end(), [](auto& e) {
    return e.state == entrant_state::joined;
  });
}

std::int64_t entrants_count_finished(const race& r) {
  return std::count_if(r.entrants.begin(), r.entrants.end(), [](auto& e) {
    return e.state == entrant_state::joined && e.finish_time && !e.dnf && !e.dq;
  });
}

std::int64_t entrants_count_inactive(const race& r) {
  return std::count_if(r.entrants.begin(), r.entrants.end(), [](auto& e) {
    return e.state == entrant_state::joined && (e.dnf || e.dq);
  });
}

std::vector<const entrant*> ordered_entrants(const race& r,
                                             const user_table& users) {
  std::vector<const entrant*> out;
  for (const auto& e : r.entrants)
    out.push_back(&e);
  auto key = [&](const entrant* e) {
    auto u = users.find(e->user_id);
    // SQL puts NULL places and times first; only finishers have them.
    return std::make_tuple(order_group(*e), e->place.value_or(0),
                           e->finish_time.value_or(microseconds{0}),
                           u == users.end() ? std::string{} : u->second.name);
  };
  std::stable_sort(out.begin(), out.end(), [&](auto* a, auto* b) {
    return key(a) < key(b);
  });
  return out;
}

std::vector<std::string> entrant_actions(const entrant& e, const race& r,
                                         time_point now) {
  std::vector<std::string> out;
  if (e.state == entrant_state::requested) {
    out.emplace_back("cancel_invite");
  } else if (e.state == entrant_state::invited) {
    out.emplace_back("accept_invite");
    out.emplace_back("decline_invite");
  } else if (e.state == entrant_state::joined) {
    const auto& s = r.settings;
    if (is_preparing(r.state)) {
      if (e.ready)
        out.emplace_back("unready");
      else if (s.team_race)
        out.emplace_back("set_team"); // the sim has no teams
      else if (!s.streaming_required || s.partitionable || e.stream_live ||
               e.stream_override)
        out.emplace_back(s.partitionable ? "partition" : "ready");
      else
        out.emplace_back("not_live");
      out.emplace_back("leave");
    }
    if (can_add_comment(e, r, now))
      out.emplace_back(e.comment ? "change_comment" : "add_comment");
    if (r.state == race_state::in_progress || is_unfinalized(r, now)) {
      if (!e.dq && !e.dnf)
        out.emplace_back(e.finish_time ? "undone" : "done");
      if (!e.dq && !e.finish_time)
        out.emplace_back(e.dnf ? "unforfeit" : "forfeit");
    }
  }
  return out;
}

bool can_monitor(const race& r, const std::string& user_id) {
  return std::find(r.monitors.begin(), r.monitors.end(), user_id) !=
         r.monitors.end();
}

std::string plain_text(const std::string& text) {
  // re.sub(r'##(\w+?)##(.+?)##', r'\2', text)
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (auto inner = markup_at(text, i)) {
      out.append(text, inner->first, inner->second - inner->first);
      i = inner->second + 2;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::string slugify(const std::string& text) {
  std::string out;
  bool dash = false;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_') {
      if (dash && !out.empty())
        out.push_back('-');
      dash = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else if (c == '-' || std::isspace(c)) {
      dash = true;
    }
  }
  return out;
}

std::string ordinal(std::int64_t n) {
  const char* suffix = "th";
  if (n % 100 < 11 || n % 100 > 13)
    suffix = n % 10 == 1   ? "st"
             : n % 10 == 2 ? "nd"
             : n % 10 == 3 ? "rd"
                           : "th";
  return std::to_string(n) + suffix;
}

std::string timer_text(microseconds d, bool deciseconds) {
  long long us = d.count() < 0 ? -d.count() : d.count();
  long long s = us / 1000000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%lld:%02lld:%02lld",
                d.count() < 0 ? "-" : "", s / 3600, s / 60 % 60, s % 60);
  std::string out = buf;
  if (deciseconds) {
    // min(round(microseconds / 100000), 9): Python rounds half to even,
    // as nearbyint does in the default rounding mode.
    auto tenth = std::nearbyint(static_cast<double>(us % 1000000) / 100000.0);
    out += "." + std::to_string(std::min(static_cast<int>(tenth), 9));
  }
  return out;
}

std::size_t character_count(const std::string& utf8) {
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
}

} // namespace racecontrol::sim
