#include "actors/match_room_settings.hpp"

#include "actors/room_checks.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>

namespace racecontrol {

namespace {

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xf];
  }
  return out;
}

} // namespace

race_settings match_room_settings(const match_open_context& m,
                                  const open_overrides& overrides,
                                  const std::string& marker) {
  race_settings s;
  if (overrides.goal && !overrides.goal->empty())
    s.goal = *overrides.goal;
  else if (m.match_goal && !m.match_goal->empty())
    s.goal = *m.match_goal;
  else if (m.tournament_goal && !m.tournament_goal->empty())
    s.goal = *m.tournament_goal;
  else
    s.goal = "Beat the game";
  s.invitational = overrides.invitational.value_or(m.match_invitational);
  auto title = m.match_title.empty() ? "Match " + std::to_string(m.match_id)
                                     : m.match_title;
  s.info_user = m.tournament_name + " - " + title + " - Scheduled: " +
                (m.scheduled_at ? utc_minutes(*m.scheduled_at)
                                : std::string{"not scheduled"});
  s.info_bot = marker;
  // Seed 001's table, each sent explicitly.
  s.unlisted = false;
  s.start_delay = 15;
  s.time_limit = 24;
  s.streaming_required = true;
  s.auto_start = true;
  s.allow_comments = true;
  s.hide_comments = true;
  s.allow_prerace_chat = true;
  s.allow_midrace_chat = true;
  s.allow_non_entrant_chat = false;
  s.chat_message_delay = 0;
  s.team_race = false;
  s.require_even_teams = false;
  // Not in the seed; racetime.gg's defaults, sent so nothing is left to
  // the server.
  s.ranked = true;
  s.time_limit_auto_complete = false;
  return s;
}

std::string make_marker(std::int32_t match_id) {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("OpenSSL could not make random bytes for a "
                             "room claim marker");
  return "racecontrol match " + std::to_string(match_id) + " claim " +
         hex(bytes, sizeof bytes);
}

std::vector<race_listing> find_marked(const category_races& races,
                                      const std::string& marker) {
  std::vector<race_listing> out;
  for (const auto& r : races.races) {
    for (auto at = r.info.find(marker); at != std::string::npos;
         at = r.info.find(marker, at + 1)) {
      auto end = at + marker.size();
      bool starts =
          at == 0 || std::isspace(static_cast<unsigned char>(r.info[at - 1]));
      bool ends = end == r.info.size() ||
                  std::isspace(static_cast<unsigned char>(r.info[end]));
      if (starts && ends) {
        out.push_back(r);
        break;
      }
    }
  }
  return out;
}

std::string settings_hash(const race_settings& s) {
  // Every field, each ended by a separator no field can hold unescaped.
  std::string text;
  auto add = [&](const std::string& field) {
    for (char c : field)
      text += c == '\x1f' ? std::string{"\\x1f"} : std::string(1, c);
    text += '\x1f';
  };
  auto flag = [&](bool b) {
    add(b ? "1" : "0");
  };
  auto opt_flag = [&](const std::optional<bool>& b) {
    add(b ? (*b ? "1" : "0") : "-");
  };
  add(s.goal);
  flag(s.team_race);
  flag(s.invitational);
  flag(s.ranked);
  flag(s.unlisted);
  add(s.info_user);
  // info_bot holds the claim's marker, which changes with every claim; the
  // form racetime.gg judged is the same without it.
  flag(s.require_even_teams);
  add(std::to_string(s.start_delay));
  add(std::to_string(s.time_limit));
  flag(s.time_limit_auto_complete);
  flag(s.streaming_required);
  flag(s.auto_start);
  flag(s.allow_comments);
  flag(s.hide_comments);
  flag(s.allow_prerace_chat);
  flag(s.allow_midrace_chat);
  flag(s.allow_non_entrant_chat);
  add(std::to_string(s.chat_message_delay));
  opt_flag(s.partitionable);
  opt_flag(s.hide_entrants);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest);
  return hex(digest, sizeof digest);
}

} // namespace racecontrol
