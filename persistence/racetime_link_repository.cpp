#include "persistence/racetime_link_repository.hpp"

#include "persistence/base64url.hpp"
#include "persistence/database_error.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace racecontrol::persistence {

namespace {
constexpr std::size_t state_length = 43; // 32 bytes in base64url
} // namespace

bool link_state_well_formed(std::string_view state) {
  return state.size() == state_length && is_base64url(state);
}

namespace {

std::string new_state() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("the system's random generator failed");
  return base64url(bytes.data(), bytes.size());
}

bool well_formed(std::string_view state) {
  return link_state_well_formed(state);
}

api_refusal unknown_link() {
  return {"link_unknown",
          "this link is not valid (mistyped, cut short or made up); ask the "
          "organizer for a new one",
          "state"};
}

/// The user and whether they belong to the organization, or a refusal.
std::variant<link_answer, api_refusal> user_of(odb::mysql::connection& conn,
                                               const link_order& o) {
  auto org = std::to_string(o.organization_id);
  auto user = std::to_string(o.user_id);
  auto rows = sql_query(
      conn,
      "SELECT COALESCE(u.display_name, u.discord_username, CONCAT('user ', "
      "u.id)), u.racetime_name, EXISTS(SELECT 1 FROM organization_members om "
      "WHERE om.user_id = u.id AND om.organization_id = " +
          org +
          ") OR EXISTS(SELECT 1 FROM match_players p JOIN matches m ON m.id = "
          "p.match_id JOIN tournaments t ON t.id = m.tournament_id WHERE "
          "p.user_id = u.id AND t.organization_id = " +
          org + ") FROM users u WHERE u.id = " + user + " FOR UPDATE");
  if (rows.empty())
    return api_refusal{"not_found", "no user has id " + user, "id"};
  if (rows[0][2].value_or("0") != "1")
    return api_refusal{"forbidden",
                       "user " + user +
                           " is neither a member of this token's "
                           "organization nor a player in its tournaments",
                       "id"};
  link_answer a;
  a.user_id = o.user_id;
  a.user_name = rows[0][0].value_or("");
  a.racetime_name = rows[0][1].value_or("");
  return a;
}

void audit(odb::mysql::connection& conn, std::int32_t org, std::int32_t user,
           const char* action, const std::string& details_sql) {
  sql_execute(conn, "INSERT INTO audit_log (organization_id, user_id, action, "
                    "entity_type, entity_id, details, created_at) VALUES (" +
                        std::to_string(org) + ", NULL, '" + action +
                        "', 'user', " + std::to_string(user) + ", " +
                        details_sql + ", " + sql_quote(now_us()) + ")");
}

/// The state's row (locked), or why it cannot be used.
struct state_row {
  std::int32_t id = 0;
  std::int32_t organization_id = 0;
  link_answer answer;
  std::string created_by;
};

std::variant<state_row, api_refusal> usable_state(odb::mysql::connection& conn,
                                                  const std::string& state) {
  if (!well_formed(state))
    return unknown_link();
  auto rows = sql_query(
      conn, "SELECT s.id, s.organization_id, s.user_id, " +
                sql_epoch_us("s.expires_at") +
                ", s.used_at IS NOT NULL, "
                "COALESCE(u.display_name, u.discord_username, CONCAT('user ', "
                "u.id)), s.created_by FROM racetime_link_states s JOIN users "
                "u ON u.id = s.user_id WHERE s.state_sha256 = " +
                sql_quote(conn, sha256_hex(state)) + " FOR UPDATE");
  if (rows.empty())
    return unknown_link();
  const auto& r = rows[0];
  if (r[4].value_or("0") == "1")
    return api_refusal{"link_used",
                       "this link was used already; ask the organizer for a "
                       "new one to link again",
                       "state"};
  auto expires = sql_timestamp(r[3]).value_or(timestamp{});
  if (expires <= now_us())
    return api_refusal{"link_expired",
                       "this link expired (links last 15 minutes, and a "
                       "newer link or an unlink ends the older ones); ask the "
                       "organizer for a new one",
                       "state"};
  state_row s;
  s.id = std::stoi(*r[0]);
  s.organization_id = std::stoi(*r[1]);
  s.answer.user_id = std::stoi(*r[2]);
  s.answer.user_name = r[5].value_or("");
  s.answer.expires_at = expires;
  s.created_by = r[6].value_or("");
  return s;
}

/// Ends the user's links not used yet (they expire now).
void end_open_links(odb::mysql::connection& conn, std::int32_t user_id) {
  auto now = sql_quote(now_us());
  sql_execute(conn, "UPDATE racetime_link_states SET expires_at = " + now +
                        " WHERE user_id = " + std::to_string(user_id) +
                        " AND used_at IS NULL AND expires_at > " + now);
}

} // namespace

racetime_link_repository::racetime_link_repository(odb::mysql::database& db,
                                                   const secret_box& secrets)
    : db_(db), secrets_(secrets) {}

link_result racetime_link_repository::issue(const link_order& o) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) -> link_result {
    auto who = user_of(conn, o);
    if (auto* refused = std::get_if<api_refusal>(&who))
      return *refused;
    auto answer = std::get<link_answer>(std::move(who));
    // Only the newest link works: one sent to the wrong place is revoked
    // by issuing another.
    end_open_links(conn, o.user_id);
    auto state = new_state();
    answer.expires_at = now_us() + lifetime;
    sql_execute(conn,
                "INSERT INTO racetime_link_states (user_id, organization_id, "
                "state_sha256, created_by, created_at, expires_at) VALUES (" +
                    std::to_string(o.user_id) + ", " +
                    std::to_string(o.organization_id) + ", " +
                    sql_quote(conn, sha256_hex(state)) + ", " +
                    sql_quote(conn, o.actor) + ", " + sql_quote(now_us()) +
                    ", " + sql_quote(answer.expires_at) + ")");
    audit(conn, o.organization_id, o.user_id, "user.racetime_link_created",
          "JSON_OBJECT('by', " + sql_quote(conn, o.actor) + ", 'expires_at', " +
              sql_quote(answer.expires_at) + ")");
    answer.state = config::secret{state};
    return answer;
  });
}

link_result racetime_link_repository::unlink(const link_order& o) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) -> link_result {
    auto who = user_of(conn, o);
    if (auto* refused = std::get_if<api_refusal>(&who))
      return *refused;
    auto answer = std::get<link_answer>(std::move(who));
    auto id = std::to_string(o.user_id);
    end_open_links(conn, o.user_id);
    auto was =
        sql_scalar(conn, "SELECT racetime_id FROM users WHERE id = " + id);
    if (!was)
      return answer; // not linked: nothing to do, nothing to audit
    sql_execute(conn, "UPDATE users SET racetime_id = NULL, racetime_name = "
                      "NULL, racetime_access_token = NULL, "
                      "racetime_refresh_token = NULL, "
                      "racetime_token_expires_at = NULL, updated_at = " +
                          sql_quote(now_us()) + " WHERE id = " + id);
    audit(conn, o.organization_id, o.user_id, "user.racetime_unlinked",
          "JSON_OBJECT('by', " + sql_quote(conn, o.actor) +
              ", 'racetime_id', " + sql_quote(conn, *was) +
              ", 'racetime_name', " + sql_quote(conn, answer.racetime_name) +
              ")");
    return answer;
  });
}

link_result racetime_link_repository::check(const std::string& state) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) -> link_result {
    auto s = usable_state(conn, state);
    if (auto* refused = std::get_if<api_refusal>(&s))
      return *refused;
    return std::get<state_row>(s).answer;
  });
}

link_result racetime_link_repository::complete(const link_callback& c) {
  // Sealed before the transaction: no key, no lock taken.
  auto access = secrets_.seal_or_throw(c.access_token.reveal());
  std::optional<std::string> refresh;
  if (!c.refresh_token.empty())
    refresh = secrets_.seal_or_throw(c.refresh_token.reveal());
  try {
    return in_transaction(
        db_, [&](odb::mysql::connection& conn) -> link_result {
          auto s = usable_state(conn, c.state.reveal());
          if (auto* refused = std::get_if<api_refusal>(&s))
            return *refused;
          auto& row = std::get<state_row>(s);
          auto user = std::to_string(row.answer.user_id);
          auto other = sql_scalar(
              conn, "SELECT id FROM users WHERE racetime_id = " +
                        sql_quote(conn, c.racetime_id) + " AND id <> " + user);
          if (other)
            return api_refusal{"racetime_taken",
                               "the racetime.gg account " + c.racetime_name +
                                   " is already linked to another racecontrol "
                                   "user; ask the organizer to unlink it first",
                               "racetime_id"};
          auto replaced = sql_scalar(
              conn, "SELECT racetime_id FROM users WHERE id = " + user +
                        " AND racetime_id <> " +
                        sql_quote(conn, c.racetime_id));
          auto now = now_us();
          std::string expires = "NULL";
          if (c.expires_in_s > 0)
            expires = sql_quote(now + std::chrono::seconds{c.expires_in_s});
          sql_execute(
              conn,
              "UPDATE users SET racetime_id = " +
                  sql_quote(conn, c.racetime_id) +
                  ", racetime_name = " + sql_quote(conn, c.racetime_name) +
                  ", racetime_access_token = " + sql_quote(conn, access) +
                  ", racetime_refresh_token = " +
                  (refresh ? sql_quote(conn, *refresh) : "NULL") +
                  ", racetime_token_expires_at = " + expires +
                  ", updated_at = " + sql_quote(now) + " WHERE id = " + user);
          sql_execute(conn, "UPDATE racetime_link_states SET used_at = " +
                                sql_quote(now) +
                                " WHERE id = " + std::to_string(row.id));
          audit(conn, row.organization_id, row.answer.user_id,
                "user.racetime_linked",
                "JSON_OBJECT('racetime_id', " + sql_quote(conn, c.racetime_id) +
                    ", 'racetime_name', " + sql_quote(conn, c.racetime_name) +
                    ", 'link_created_by', " + sql_quote(conn, row.created_by) +
                    (replaced ? ", 'replaced_racetime_id', " +
                                    sql_quote(conn, *replaced)
                              : std::string{}) +
                    ")");
          auto answer = row.answer;
          answer.racetime_name = c.racetime_name;
          return answer;
        });
  } catch (const database_error& e) {
    // Another link of the same account committed in between.
    if (e.what_kind() != database_error::kind::constraint)
      throw;
    return api_refusal{"racetime_taken",
                       "the racetime.gg account " + c.racetime_name +
                           " is already linked to another racecontrol user; "
                           "ask the organizer to unlink it first",
                       "racetime_id"};
  }
}

} // namespace racecontrol::persistence
