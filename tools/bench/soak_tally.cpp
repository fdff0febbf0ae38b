#include "tools/bench/soak_tally.hpp"

#include "protocol/iso8601.hpp"
#include "protocol/json.hpp"

#include <cstdio>
#include <optional>
#include <set>

namespace racecontrol::bench {

namespace {

struct sim_entrant {
  std::string status;
  std::optional<std::string> place;   ///< as text, like the database's
  std::optional<std::string> time_us; ///< microseconds, as text
};

struct sim_race {
  std::string name; ///< category/slug, as racecontrol stores it
  std::string info_bot;
  std::string status;
  std::map<std::string, sim_entrant> entrants; ///< by racetime.gg user id
};

/// Races per match id, read from the marker racecontrol puts in info_bot:
/// "racecontrol match <id> claim <16 hex>".
using races_by_match = std::map<std::size_t, std::vector<sim_race>>;

std::optional<std::size_t> match_of_marker(const std::string& info_bot) {
  static const std::string prefix = "racecontrol match ";
  if (info_bot.rfind(prefix, 0) != 0)
    return std::nullopt;
  auto rest = info_bot.substr(prefix.size());
  auto space = rest.find(' ');
  if (space == 0 || space == std::string::npos ||
      rest.find_first_not_of("0123456789") != space)
    return std::nullopt;
  return std::stoul(rest.substr(0, space));
}

std::optional<std::string> optional_text(const rapidjson::Value& v,
                                         const char* key) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || it->value.IsNull())
    return std::nullopt;
  if (it->value.IsString())
    return std::string{it->value.GetString()};
  if (it->value.IsInt64())
    return std::to_string(it->value.GetInt64());
  return std::nullopt;
}

sim_race read_race(const rapidjson::Value& r) {
  sim_race race;
  race.name = optional_text(r, "name").value_or("");
  race.info_bot = optional_text(r, "info_bot").value_or("");
  race.status = optional_text(r, "status").value_or("");
  for (const auto& e : r["entrants"].GetArray()) {
    sim_entrant out;
    out.status = optional_text(e, "status").value_or("");
    out.place = optional_text(e, "place");
    if (auto t = optional_text(e, "finish_time"))
      if (auto us = protocol::parse_iso8601_duration(*t))
        out.time_us = std::to_string(us->count());
    race.entrants[optional_text(e, "user").value_or("")] = out;
  }
  return race;
}

races_by_match read_races(const std::string& races_json, soak_tally& t) {
  races_by_match out;
  auto doc = protocol::parse_json(races_json, 256 * 1024 * 1024);
  for (const auto& r : doc.GetArray()) {
    auto race = read_race(r);
    ++t.sim_races;
    if (auto id = match_of_marker(race.info_bot))
      out[*id].push_back(std::move(race));
    else
      ++t.races_without_marker;
  }
  return out;
}

std::string text(const persistence::sql_value& v) {
  return v.value_or("NULL");
}

/// What racecontrold holds for one match's room.
struct room_row {
  std::string room_id, claim_state, slug, marker, status;
  bool adopted = false, match_finished = false;
  std::size_t attempts = 0;
};

std::map<std::size_t, room_row> read_rooms(scratch& db, std::size_t matches) {
  std::map<std::size_t, room_row> out;
  for (auto& r :
       db.rows("SELECT m.id, r.id, r.claim_state, r.slug, r.claim_marker, "
               "r.status, r.adopted, r.startrace_attempts, m.finished_at IS "
               "NOT NULL FROM matches m JOIN racetime_rooms r ON r.match_id "
               "= m.id WHERE m.id BETWEEN 1 AND " +
               std::to_string(matches))) {
    room_row row{text(r[1]), text(r[2]), text(r[3]), text(r[4]), text(r[5])};
    row.adopted = r[6] == persistence::sql_value{"1"};
    row.attempts = std::stoul(r[7].value_or("0"));
    row.match_finished = r[8] == persistence::sql_value{"1"};
    out[std::stoul(*r[0])] = row;
  }
  return out;
}

void count_rooms(const races_by_match& races,
                 const std::map<std::size_t, room_row>& rooms,
                 std::size_t matches, soak_tally& t) {
  for (std::size_t m = 1; m <= matches; ++m) {
    auto it = races.find(m);
    auto n = it == races.end() ? 0 : it->second.size();
    (n == 0 ? t.marker_none : n == 1 ? t.marker_one : t.marker_many) += 1;
    auto row = rooms.find(m);
    if (row == rooms.end()) {
      ++t.rows_missing;
      continue;
    }
    t.rows_creating += row->second.claim_state == "creating";
    t.adopted += row->second.adopted;
    t.startrace_attempts += row->second.attempts;
    if (n != 1)
      continue;
    const auto& race = it->second.front();
    t.rows_with_sim_slug +=
        row->second.claim_state == "created" && row->second.slug == race.name;
    t.rows_with_sim_marker += row->second.marker == race.info_bot;
  }
}

/// Each match player as racecontrold recorded it, by match and racetime id.
using player_rows = std::map<std::size_t, std::map<std::string, sim_entrant>>;

player_rows read_players(scratch& db, std::size_t matches) {
  player_rows out;
  for (auto& r : db.rows("SELECT p.match_id, u.racetime_id, "
                         "p.entrant_status, p.finish_place, " +
                         persistence::sql_time_us("p.finish_time") +
                         " FROM match_players p JOIN users u ON u.id = "
                         "p.user_id WHERE p.match_id BETWEEN 1 AND " +
                         std::to_string(matches)))
    out[std::stoul(*r[0])][text(r[1])] = {text(r[2]), r[3], r[4]};
  return out;
}

std::string describe(const sim_entrant& e) {
  return e.status + " place " + e.place.value_or("-") + " time " +
         e.time_us.value_or("-") + " us";
}

/// The players of match `m` as the simulator's race has them; counts the
/// ones that differ.
bool players_match(std::size_t m, const sim_race& race,
                   const std::map<std::string, sim_entrant>& recorded,
                   soak_tally& t) {
  bool all = race.entrants.size() == recorded.size();
  for (const auto& [user, want] : race.entrants) {
    auto got = recorded.find(user);
    bool same = got != recorded.end() && got->second.status == want.status &&
                got->second.place == want.place &&
                got->second.time_us == want.time_us;
    if (same)
      continue;
    all = false;
    ++t.players_wrong;
    if (t.result_examples.size() < 5)
      t.result_examples.push_back(
          "match " + std::to_string(m) + " player " + user + ": simulator " +
          describe(want) + ", recorded " +
          (got == recorded.end() ? std::string{"nothing"}
                                 : describe(got->second)));
  }
  return all;
}

void count_results(scratch& db, const races_by_match& races,
                   const std::map<std::size_t, room_row>& rooms,
                   std::size_t matches, soak_tally& t) {
  auto players = read_players(db, matches);
  // (room id, action) -> entries: race_finished, or race_cancelled for a
  // race all its entrants forfeited, and race_reopened for an end undone.
  std::map<std::pair<std::string, std::string>, std::size_t> audits;
  for (auto& r : db.rows("SELECT entity_id, action, COUNT(*) FROM audit_log "
                         "WHERE action IN ('race_finished', "
                         "'race_cancelled', 'race_reopened') GROUP BY "
                         "entity_id, action"))
    audits[{text(r[0]), text(r[1])}] = std::stoul(r[2].value_or("0"));
  auto audited = [&](const std::string& room, const char* action) {
    auto it = audits.find({room, action});
    return it == audits.end() ? std::size_t{0} : it->second;
  };
  for (std::size_t m = 1; m <= matches; ++m) {
    auto it = races.find(m);
    auto row = rooms.find(m);
    if (it == races.end() || it->second.size() != 1 || row == rooms.end())
      continue;
    const auto& race = it->second.front();
    bool finished = race.status == "finished";
    bool cancelled = race.status == "cancelled";
    t.races_finished += finished;
    t.races_cancelled += cancelled;
    // One end more than reopenings (an end undone and made again is
    // written, withdrawn and written anew), the last one the race's.
    const auto& room = row->second.room_id;
    auto ends =
        audited(room, "race_finished") + audited(room, "race_cancelled");
    auto reopened = audited(room, "race_reopened");
    t.races_reopened += reopened > 0;
    t.reopenings += reopened;
    t.result_audits_one +=
        ends == reopened + 1 &&
        audited(room, cancelled ? "race_cancelled" : "race_finished") > 0;
    bool same = players_match(m, race, players[m], t);
    t.results_recorded += same && (finished || cancelled) &&
                          row->second.status == race.status &&
                          (cancelled || row->second.match_finished);
  }
}

/// discord-sim's messages: nonce per (channel, message id), and the
/// per-nonce POST counts.
struct discord_record {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>>
      ids_by_nonce; ///< (channel, nonce) -> message ids
  std::size_t messages = 0;
};

discord_record read_discord(const std::string& messages_json, soak_tally& t) {
  discord_record out;
  auto doc = protocol::parse_json(messages_json, 256 * 1024 * 1024);
  for (const auto& m : doc["messages"].GetArray()) {
    ++out.messages;
    out.ids_by_nonce[{optional_text(m, "channel_id").value_or(""),
                      optional_text(m, "nonce").value_or("")}]
        .push_back(optional_text(m, "id").value_or(""));
  }
  for (const auto& n : doc["nonces"].GetArray()) {
    if (n["posts"].GetInt64() <= 1)
      continue;
    ++t.nonces_posted_again;
    t.posted_again_one_message += n["messages"].GetInt64() <= 1;
  }
  return out;
}

void count_notifications(scratch& db, const std::string& messages_json,
                         std::size_t matches, soak_tally& t) {
  auto discord = read_discord(messages_json, t);
  t.messages = discord.messages;
  std::set<std::pair<std::string, std::string>> known;
  for (auto& r :
       db.rows("SELECT CAST(channel_id AS CHAR), nonce, state, event, "
               "CAST(discord_message_id AS CHAR) FROM discord_outbox")) {
    ++t.outbox_rows;
    auto state = text(r[2]);
    t.outbox_delivered += state == "delivered";
    t.outbox_pending += state == "pending";
    t.outbox_failed += state == "failed";
    ++t.rows_by_event[text(r[3])];
    std::pair<std::string, std::string> key{text(r[0]), text(r[1])};
    known.insert(key);
    auto it = discord.ids_by_nonce.find(key);
    auto n = it == discord.ids_by_nonce.end() ? 0 : it->second.size();
    (n == 0   ? t.delivered_never
     : n == 1 ? t.delivered_once
              : t.delivered_more) += 1;
    t.message_id_matches += n == 1 && r[4] == it->second.front();
  }
  for (const auto& [key, ids] : discord.ids_by_nonce)
    if (known.count(key) == 0)
      t.messages_without_row += ids.size();
  // Per match: its room announced once and its result once; the start
  // once at most (a race that started and ended while racecontrold was
  // down is only seen finished).
  // A reopening is announced too, and the end after it again.
  for (auto& r : db.rows(
           "SELECT r.match_id, SUM(o.event = 'room_created'), SUM(o.event IN "
           "('race_finished', 'race_cancelled')) - SUM(o.event = "
           "'race_reopened'), SUM(o.event = 'race_started') FROM "
           "racetime_rooms r LEFT JOIN discord_outbox o ON o.dedupe_key LIKE "
           "CONCAT('room:', r.id, ':%') WHERE r.match_id BETWEEN 1 AND " +
           std::to_string(matches) + " GROUP BY r.match_id")) {
    t.matches_announced += r[1] == persistence::sql_value{"1"} &&
                           r[2] == persistence::sql_value{"1"};
    auto started = std::stoul(r[3].value_or("0"));
    t.started_once += started == 1;
    t.started_more += started > 1;
  }
}

} // namespace

soak_tally tally_soak(scratch& db, std::size_t matches,
                      const std::string& races_json,
                      const std::string& messages_json) {
  soak_tally t;
  t.matches = matches;
  auto races = read_races(races_json, t);
  auto rooms = read_rooms(db, matches);
  count_rooms(races, rooms, matches, t);
  count_results(db, races, rooms, matches, t);
  count_notifications(db, messages_json, matches, t);
  return t;
}

bool soak_tally::ok() const {
  bool rooms = marker_one == matches && marker_none == 0 && marker_many == 0 &&
               races_without_marker == 0 && sim_races == matches;
  bool rows = rows_with_sim_slug == matches &&
              rows_with_sim_marker == matches && rows_creating == 0 &&
              rows_missing == 0;
  bool results = races_finished + races_cancelled == matches &&
                 results_recorded == matches && result_audits_one == matches &&
                 players_wrong == 0;
  bool notes = outbox_rows > 0 && outbox_delivered == outbox_rows &&
               delivered_once == outbox_rows && delivered_never == 0 &&
               delivered_more == 0 && message_id_matches == outbox_rows &&
               messages == outbox_rows && messages_without_row == 0 &&
               posted_again_one_message == nonces_posted_again &&
               matches_announced == matches && started_more == 0;
  return rooms && rows && results && notes;
}

void soak_tally::print() const {
  auto z = [](std::size_t n) {
    return static_cast<unsigned long>(n);
  };
  std::printf("matches: %lu\n", z(matches));
  std::printf("rooms on racetime-sim by marker: %lu matches with exactly one, "
              "%lu with none, %lu with more than one (%lu races in all, %lu "
              "without a racecontrol marker)\n",
              z(marker_one), z(marker_none), z(marker_many), z(sim_races),
              z(races_without_marker));
  std::printf("rows: %lu of %lu hold the simulator's slug (%lu its marker); "
              "%lu claims still creating, %lu matches without a row; %lu "
              "rooms adopted by marker, %lu startrace requests under all "
              "claims\n",
              z(rows_with_sim_slug), z(matches), z(rows_with_sim_marker),
              z(rows_creating), z(rows_missing), z(adopted),
              z(startrace_attempts));
  std::printf("results: %lu races finished on racetime-sim (%lu more "
              "cancelled: every entrant forfeited), %lu results recorded as "
              "the simulator has them (%lu players differ), %lu rooms with "
              "one race_finished (or race_cancelled) audit entry more than "
              "race_reopened entries, the last as the race ended (%lu races "
              "reopened by an undo, %lu reopenings)\n",
              z(races_finished), z(races_cancelled), z(results_recorded),
              z(players_wrong), z(result_audits_one), z(races_reopened),
              z(reopenings));
  for (const auto& e : result_examples)
    std::printf("  %s\n", e.c_str());
  std::printf("notifications: %lu outbox rows (%lu delivered, %lu pending, "
              "%lu failed); %lu delivered exactly once, %lu never, %lu more "
              "than once; %lu keep the message's id; discord-sim holds %lu "
              "messages, %lu without an outbox row; %lu nonces POSTed more "
              "than once, %lu of them kept one message\n",
              z(outbox_rows), z(outbox_delivered), z(outbox_pending),
              z(outbox_failed), z(delivered_once), z(delivered_never),
              z(delivered_more), z(message_id_matches), z(messages),
              z(messages_without_row), z(nonces_posted_again),
              z(posted_again_one_message));
  std::string events;
  for (const auto& [event, n] : rows_by_event)
    events += (events.empty() ? "" : ", ") + event + " " + std::to_string(n);
  std::printf("  by event: %s; %lu of %lu matches announced room_created "
              "once and race_finished (or race_cancelled) once more than "
              "race_reopened; "
              "race_started once for %lu, "
              "more than once for %lu\n",
              events.c_str(), z(matches_announced), z(matches), z(started_once),
              z(started_more));
}

} // namespace racecontrol::bench
