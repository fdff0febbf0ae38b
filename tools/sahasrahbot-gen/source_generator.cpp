#include "tools/sahasrahbot-gen/source_generator.hpp"

#include "persistence/sql.hpp"
#include "persistence/sql_script.hpp"

#include <algorithm>
#include <map>

namespace racecontrol::tools {

// Defined in the file CMake generates from sahasrahbot_schema.sql.
const char* embedded_sahasrahbot_schema();

const std::string& sahasrahbot_schema_sql() {
  static const std::string sql = embedded_sahasrahbot_schema();
  return sql;
}

namespace {

using persistence::sql_execute;

/// Replaces each {NAME} in `text` with its value.
std::string fill(std::string text, const std::map<std::string, long long>& v) {
  for (const auto& [name, value] : v) {
    std::string key = "{" + name + "}";
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key))
      text.replace(at, key.size(), std::to_string(value));
  }
  return text;
}

struct step {
  const char* what;
  const char* sql;
};

// Every statement reads its sizes from {U} users, {R} races, {T}
// tournaments, {D} drift (1 or 0). Ids are dense from 1 so formulas can
// point at rows that exist (or, for drift, at rows that do not).
const step steps[] = {
    {"users", R"(
INSERT INTO users (id, discord_user_id, twitch_name, display_name, created, updated, rtgg_id, rtgg_access_token, test_user)
SELECT seq,
  IF({D} = 1 AND seq % 1000 = 999, NULL, 184000000000000000 + seq),
  IF(seq % 3 = 0, NULL, CONCAT('twitch_', seq)),
  CONCAT('Racer ', seq % GREATEST(1, {U} DIV 2)),
  TIMESTAMP('2021-03-01') + INTERVAL seq MINUTE,
  TIMESTAMP('2023-03-01') + INTERVAL seq MINUTE,
  IF(seq % 5 < 3, CONCAT('rt', LPAD(HEX(seq), 14, '0')), NULL),
  IF(seq % 5 < 3, CONCAT('tok', LPAD(HEX(seq * 7919), 20, '0')), NULL),
  IF({D} = 1 AND seq % 500 = 0, 1, 0)
FROM seq_1_to_{U})"},
    // A user whose only row (race 60) is skipped: not a member of anything.
    {"a user seen only in a skipped race", R"(
INSERT INTO users (id, discord_user_id, twitch_name, display_name, created, updated, rtgg_id, rtgg_access_token, test_user)
SELECT {U} + 1, 184000000000000000 + {U} + 1, 'lurker_tv', 'Ünïcödé Lürker', TIMESTAMP('2021-03-01'), TIMESTAMP('2021-03-01'), NULL, NULL, 0
FROM seq_1_to_1 WHERE {D} = 1)"},
    {"async tournaments", R"(
INSERT INTO asynctournament (id, name, guild_id, channel_id, report_channel_id, created, updated, active, owner_id, allowed_reattempts, customization, runs_per_pool)
SELECT seq, CONCAT('Async Qualifier ', seq), 300000000000000000 + ((seq - 1) % 4) + 1,
  400000000000000000 + seq, IF(seq % 2 = 1, NULL, 410000000000000000 + seq),
  TIMESTAMP('2021-06-01') + INTERVAL seq DAY, TIMESTAMP('2022-06-01') + INTERVAL seq DAY,
  seq % 4 <> 0, 184000000000000000 + ((seq * 37) % {U}) + 1,
  IF({D} = 1 AND seq % 3 = 0, NULL, seq % 3), IF(seq % 5 = 0, 'gmpmt2023', 'default'), 1 + seq % 2
FROM seq_1_to_{T})"},
    {"pools", R"(
INSERT INTO asynctournamentpermalinkpool (id, name, created, updated, tournament_id, preset)
SELECT seq, CONCAT('Pool ', (seq - 1) % 4 + 1), TIMESTAMP('2021-06-02') + INTERVAL seq HOUR,
  TIMESTAMP('2021-06-02') + INTERVAL seq HOUR, (seq - 1) DIV 4 + 1, IF(seq % 4 = 1, NULL, 'open')
FROM seq_1_to_{P})"},
    {"permalinks", R"(
INSERT INTO asynctournamentpermalink (id, url, created, updated, pool_id, live_race, notes, par_updated_at, par_time)
SELECT seq, IF({D} = 1 AND seq % 50 = 0, NULL, CONCAT('https://alttpr.com/h/', LPAD(HEX(seq * 104729), 10, '0'))),
  TIMESTAMP('2021-06-03') + INTERVAL seq MINUTE, TIMESTAMP('2021-06-03') + INTERVAL seq MINUTE,
  (seq - 1) DIV 25 + 1, seq % 10 = 0, IF(seq % 4 = 0, CONCAT('Seed ', seq), NULL),
  IF(seq % 3 = 0, NULL, TIMESTAMP('2021-07-01') + INTERVAL seq MINUTE), IF(seq % 3 = 0, NULL, 5400 + seq % 600 + 0.25)
FROM seq_1_to_{L})"},
    {"live races", R"(
INSERT INTO asynctournamentliverace (id, racetime_slug, episode_id, match_title, status, created, updated, permalink_id, pool_id, tournament_id)
SELECT seq, CONCAT('alttpr/live-race-', LPAD(seq, 4, '0')), 9000 + seq, CONCAT('Live race ', seq),
  IF({D} = 1 AND seq = 2, 'postponed', ELT(seq % 4 + 1, 'scheduled', 'pending', 'in_progress', 'finished')),
  TIMESTAMP('2021-08-01') + INTERVAL seq DAY, TIMESTAMP('2021-08-01') + INTERVAL seq DAY,
  IF(seq % 2 = 0, NULL, ((seq - 1) DIV 2) * 100 + 1), ((seq - 1) DIV 2) * 4 + 1, (seq - 1) DIV 2 + 1
FROM seq_1_to_{LR})"},
    {"races", R"(
INSERT INTO asynctournamentrace (id, thread_id, start_time, end_time, created, updated, permalink_id, tournament_id,
  thread_open_time, status, thread_timeout_time, review_status, reviewer_notes, runner_notes, runner_vod_url,
  reattempted, reviewed_at, user_id, reviewed_by_id, live_race_id, score, score_updated_at, run_collection_rate,
  run_igt, reattempt_reason)
SELECT seq,
  IF(seq % 10 < 7, 500000000000000000 + seq, NULL),
  TIMESTAMP('2022-01-01') + INTERVAL seq MINUTE,
  IF(seq % 20 >= 4, TIMESTAMP('2022-01-01') + INTERVAL seq MINUTE + INTERVAL (5400 + seq % 1800) SECOND, NULL),
  TIMESTAMP('2022-01-01') + INTERVAL seq MINUTE - INTERVAL 5 MINUTE,
  TIMESTAMP('2022-01-01') + INTERVAL seq MINUTE + INTERVAL 2 HOUR,
  IF({D} = 1 AND seq % 100000 = 60, 999999999, ((seq - 1) % {T}) * 100 + (seq * 7) % 100 + 1),
  (seq - 1) % {T} + 1,
  IF(seq % 10 < 7, TIMESTAMP('2022-01-01') + INTERVAL seq MINUTE - INTERVAL 10 MINUTE, NULL),
  IF({D} = 1 AND seq % 5000 = 17, 'abandoned',
     ELT(LEAST(seq % 20, 4) + 1, 'forfeit', 'disqualified', 'in_progress', 'pending', 'finished')),
  IF(seq % 10 < 7, TIMESTAMP('2022-01-01') + INTERVAL seq MINUTE + INTERVAL 1 DAY, NULL),
  IF({D} = 1 AND seq % 5000 = 23, 'escalated',
     CASE seq % 10 WHEN 0 THEN 'approved' WHEN 1 THEN 'rejected' WHEN 2 THEN IF({D} = 1, 'accepted', 'approved') ELSE 'pending' END),
  IF(seq % 10 < 3, CONCAT('Reviewed run ', seq), NULL),
  IF(seq % 4 = 0, CONCAT('GG, notes for run ', seq, ' with ''quotes'' and \\backslash'), NULL),
  IF(seq % 3 = 0, CONCAT('https://www.twitch.tv/videos/', 1000000000 + seq), NULL),
  IF({D} = 1 AND seq % 7 = 0, NULL, seq % 11 = 0),
  IF(seq % 10 < 3, TIMESTAMP('2022-01-02') + INTERVAL seq MINUTE, NULL),
  IF({D} = 1 AND seq % 100000 = 50, 999999999, IF({D} = 1 AND seq = 60, {U} + 1, ((seq * 7919) % {U}) + 1)),
  IF(seq % 10 < 3, ((seq * 31) % {U}) + 1, NULL),
  IF(seq % 1000 = 0, ((seq - 1) % {T}) * 2 + 1, NULL),
  IF(seq % 20 >= 4, 100 - seq % 50 + 0.5, NULL),
  IF(seq % 20 >= 4, TIMESTAMP('2022-01-03') + INTERVAL seq MINUTE, NULL),
  IF(seq % 2 = 0, CONCAT(seq % 217, '/216'), NULL),
  IF(seq % 2 = 0, CONCAT('1:', LPAD(seq % 60, 2, '0'), ':', LPAD(seq % 59, 2, '0')), NULL),
  IF(seq % 11 = 0, 'Crash on the first floor', NULL)
FROM seq_1_to_{R})"},
    {"permissions", R"(
INSERT INTO asynctournamentpermissions (id, role, created, updated, tournament_id, user_id, discord_role_id)
SELECT seq,
  IF({D} = 1 AND seq % 21 = 0, 'owner', IF(seq % 3 = 1, 'admin', 'mod')),
  TIMESTAMP('2021-06-05') + INTERVAL seq HOUR, TIMESTAMP('2021-06-05') + INTERVAL seq HOUR,
  (seq - 1) DIV 3 + 1,
  IF({D} = 1 AND seq IN (4, 5), 999999999, IF(seq % 3 = 0, NULL, ((seq * 101) % {U}) + 1)),
  IF(seq % 3 = 0 OR ({D} = 1 AND seq = 4), 600000000000000000 + seq, NULL)
FROM seq_1_to_{PM})"},
    {"whitelist", R"(
INSERT INTO asynctournamentwhitelist (id, discord_user_id, created, updated, tournament_id, user_id)
SELECT seq, IF(seq % 2 = 0, NULL, 184000000000000000 + ((seq * 211) % {U}) + 1),
  TIMESTAMP('2021-06-06') + INTERVAL seq HOUR, TIMESTAMP('2021-06-06') + INTERVAL seq HOUR,
  (seq - 1) DIV 3 + 1, ((seq * 211) % {U}) + 1
FROM seq_1_to_{W})"},
    {"audit logs", R"(
INSERT INTO asynctournamentauditlog (id, action, created, updated, details, tournament_id, user_id)
SELECT seq, ELT(seq % 10 + 1, 'create', 'create_thread', 'race_ready', 'race_countdown', 'race_started',
    'runner_forfeit', 'timeout_forfeit', 'extend_timeout', 'race_finish', 'reattempt'),
  TIMESTAMP('2022-01-01') + INTERVAL seq * 10 MINUTE, TIMESTAMP('2022-01-01') + INTERVAL seq * 10 MINUTE,
  IF(seq % 4 = 0, NULL, CONCAT('Race ', seq * 10, ' event "', seq, '"')),
  (seq - 1) % {T} + 1, IF(seq % 5 = 0, NULL, ((seq * 7) % {U}) + 1)
FROM seq_1_to_{A})"},
    {"review notes", R"(
INSERT INTO asynctournamentreviewnotes (id, created, note, author_id, race_id)
SELECT seq, TIMESTAMP('2022-02-01') + INTERVAL seq MINUTE, CONCAT('Checked VOD of race ', seq * 100),
  ((seq * 13) % {U}) + 1, IF({D} = 1 AND seq = 3, {R} + 5, LEAST(seq * 100, {R}))
FROM seq_1_to_{N})"},
    {"racer verifications", R"(
INSERT INTO racerverification (id, message_id, guild_id, role_id, racetime_categories, use_alttpr_ladder, minimum_races,
  time_period_days, created, reverify_period_days, channel_id, audit_channel_id, revoke_ineligible, updated)
SELECT seq, IF(seq % 2 = 0, NULL, 700000000000000000 + seq), 300000000000000000 + seq, 800000000000000000 + seq,
  CASE WHEN {D} = 1 AND seq = 1 THEN 'alttpr, smz3,alttpr, ,z1r,'
       WHEN {D} = 1 AND seq = 2 THEN NULL
       WHEN {D} = 1 AND seq = 3 THEN 'ALTTPR,alttpr,\tsmz3\t,,'
       WHEN {D} = 1 AND seq = 4 THEN CONCAT('\r\nz1r\r\n,', REPEAT('é', 30), ',', REPEAT('ü', 60),
                                           ', SMZ3 ,smz3,É', REPEAT('é', 29))
       ELSE 'alttpr,smz3' END,
  seq % 2, 5 + seq, 365,
  IF({D} = 1 AND seq = 1, TIMESTAMP('2020-01-01'), TIMESTAMP('2021-09-01') + INTERVAL seq DAY),
  IF(seq % 2 = 0, 30, NULL),
  710000000000000000 + seq, IF(seq % 3 = 0, NULL, 720000000000000000 + seq), seq % 2,
  TIMESTAMP('2021-09-01') + INTERVAL seq DAY
FROM seq_1_to_5)"},
    {"verified racers", R"(
INSERT INTO verifiedracer (id, estimated_count, created, last_verified, racer_verification_id, user_id)
SELECT seq, IF(seq % 6 = 0, NULL, 5 + seq % 40), TIMESTAMP('2021-10-01') + INTERVAL seq MINUTE,
  IF(seq % 5 = 0, NULL, TIMESTAMP('2022-10-01') + INTERVAL seq MINUTE),
  (seq - 1) % 5 + 1,
  IF({D} = 1 AND seq = 7, 999999999, IF({D} = 1 AND seq % 97 = 0, ((seq - 5) * 13) % {U} + 1, (seq * 13) % {U} + 1))
FROM seq_1_to_{V})"},
    {"preset namespaces", R"(
INSERT INTO presetnamespaces (id, name, discord_user_id)
SELECT seq, IF({D} = 1 AND seq % 10 = 0, NULL,
    IF({D} = 1 AND seq = 3, 'straße', IF({D} = 1 AND seq = 4, 'strasse', CONCAT('ns', seq)))),
  184000000000000000 + seq * 100
FROM seq_1_to_{NS})"},
    {"namespace collaborators", R"(
INSERT INTO presetnamespacecollaborators (id, discord_user_id, namespace_id)
SELECT seq, IF({D} = 1 AND seq = 2, 999999999999, 184000000000000000 + ((seq * 17) % {U}) + 1 + (seq % 2) * 3),
  (seq - 1) DIV 2 + 1
FROM seq_1_to_{NC})"},
    {"presets", R"(
INSERT INTO presets (id, preset_name, content, namespace_id, randomizer, generated_count, modified)
SELECT seq, CONCAT('preset', (seq - 1) % 3 + 1),
  CONCAT('goal_name: Beat the game\nsettings:\n  mode: open\n  swords: randomized\n  seed: ', seq, '\n'),
  (seq - 1) DIV 3 + 1, ELT((seq - 1) % 3 + 1, 'alttpr', 'smz3', 'sm'), seq % 17,
  TIMESTAMP('2022-05-01') + INTERVAL seq HOUR
FROM seq_1_to_{PR})"},
    {"guild config", R"(
INSERT INTO config (guild_id, parameter, value)
SELECT 300000000000000000 + (seq - 1) % 6 + 1, ELT((seq - 1) DIV 6 + 1, 'AsyncTournamentRole', 'DailyAnnouncerChannel', 'AsyncTournamentRole'),
  CONCAT('value-', seq)
FROM seq_1_to_{CF})"},
};

} // namespace

void generate_sahasrahbot_source(
    odb::mysql::database& db, const source_scale& scale,
    const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& line) {
    if (progress)
      progress(line);
  };
  long long users = std::max(scale.users, 20);
  long long races = std::max(scale.races, 100);
  long long tournaments = std::max(4LL, races / 25000);
  std::map<std::string, long long> sizes{
      {"U", users},
      {"R", races},
      {"T", tournaments},
      {"D", scale.drift ? 1 : 0},
      {"P", tournaments * 4},
      {"L", tournaments * 100},
      {"LR", tournaments * 2},
      {"PM", tournaments * 3},
      {"W", tournaments * 3},
      {"A", std::max(10LL, races / 10)},
      {"N", std::max(5LL, races / 100)},
      {"V", std::max(10LL, users / 10)},
      {"NS", std::max(5LL, users / 100)},
      {"NC", std::max(5LL, users / 100) * 2},
      {"PR", std::max(5LL, users / 100) * 3},
      {"CF", scale.drift ? 18 : 12},
  };
  auto conn = db.connection();
  sql_execute(*conn, "SET FOREIGN_KEY_CHECKS = 0");
  say("creating SahasrahBot's schema");
  for (const auto& st :
       persistence::split_sql_script(sahasrahbot_schema_sql())) {
    // Start from empty tables every time.
    auto at = st.text.find("CREATE TABLE IF NOT EXISTS `");
    if (at != std::string::npos) {
      auto name_start = at + 28;
      auto name = st.text.substr(name_start,
                                 st.text.find('`', name_start) - name_start);
      sql_execute(*conn, "DROP TABLE IF EXISTS `" + name + "`");
    }
    sql_execute(*conn, st.text);
  }
  // The import reads with the data as it is in production; foreign key
  // checks stay off here so the drift orphans can exist.
  sql_execute(*conn, "SET FOREIGN_KEY_CHECKS = 0");
  for (const auto& s : steps) {
    say(std::string{"generating "} + s.what);
    sql_execute(*conn, fill(s.sql, sizes));
  }
  sql_execute(*conn, "SET FOREIGN_KEY_CHECKS = 1");
  say("generated " + std::to_string(users) + " users, " +
      std::to_string(tournaments) + " async tournaments, " +
      std::to_string(races) + " async races");
}

} // namespace racecontrol::tools
