#include "persistence/api_token_repository.hpp"

#include "persistence/base64url.hpp"
#include "persistence/migration_set.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>

namespace racecontrol::persistence {

namespace {

constexpr std::string_view token_prefix = "rc_";
constexpr std::size_t token_random_bytes = 32;
constexpr std::size_t token_text_length = 43; // 32 bytes in base64url
constexpr std::size_t max_name_length = 255;  // VARCHAR(255), in characters

/// Uses are recorded at most this often per token.
constexpr auto last_used_resolution = std::chrono::minutes{1};

/// A fresh token, or nullopt with OpenSSL's reason when its random
/// generator cannot deliver (never a weaker fallback).
std::optional<std::string> new_token(std::string& why) {
  std::array<unsigned char, token_random_bytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    why = reason;
    return std::nullopt;
  }
  auto token =
      std::string{token_prefix} + base64url(bytes.data(), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return token;
}

/// Characters, not bytes: VARCHAR(255) counts code points.
std::size_t utf8_length(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
}

std::string joined(const std::vector<std::string>& items,
                   const char* separator) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : separator) + item;
  return out;
}

/// The scopes in api_token_scopes() order without duplicates, or a
/// refusal naming the first unknown one.
std::variant<std::vector<std::string>, api_token_refused>
checked_scopes(const std::vector<std::string>& wanted) {
  const auto& known = api_token_scopes();
  for (const auto& s : wanted)
    if (std::find(known.begin(), known.end(), s) == known.end())
      return api_token_refused{"unknown scope '" + s +
                               "'; the scopes are: " + joined(known, ", ")};
  std::vector<std::string> out;
  for (const auto& s : known)
    if (std::find(wanted.begin(), wanted.end(), s) != wanted.end())
      out.push_back(s);
  if (out.empty())
    return api_token_refused{"a token needs at least one scope; the scopes "
                             "are: " +
                             joined(known, ", ")};
  return out;
}

/// The JSON array stored in api_tokens.scopes. The names come from the
/// fixed list, so none needs escaping.
std::string scopes_json(const std::vector<std::string>& scopes) {
  std::string out = "[";
  for (const auto& s : scopes)
    out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
  return out + "]";
}

/// The strings of a stored scopes array; anything else in it is ignored
/// (it grants nothing).
std::vector<std::string> read_scopes(const sql_value& json) {
  std::vector<std::string> out;
  if (!json)
    return out;
  rapidjson::Document doc;
  doc.Parse(json->data(), json->size());
  if (doc.HasParseError() || !doc.IsArray())
    return out;
  for (const auto& v : doc.GetArray())
    if (v.IsString())
      out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

std::optional<std::int32_t> read_int(const sql_value& v) {
  if (!v)
    return std::nullopt;
  return static_cast<std::int32_t>(std::stol(*v));
}

std::string info_columns() {
  return "t.id, t.organization_id, o.name, t.name, t.scopes, "
         "t.created_by_id, " +
         sql_epoch_us("t.created_at") + ", " + sql_epoch_us("t.last_used_at") +
         ", " + sql_epoch_us("t.revoked_at") +
         " FROM api_tokens t JOIN organizations o ON o.id = t.organization_id";
}

api_token_info read_info(const sql_row& row) {
  api_token_info t;
  t.id = read_int(row[0]).value_or(0);
  t.organization_id = read_int(row[1]).value_or(0);
  t.organization_name = row[2].value_or("");
  t.name = row[3].value_or("");
  t.scopes = read_scopes(row[4]);
  t.created_by_id = read_int(row[5]);
  t.created_at = sql_timestamp(row[6]).value_or(timestamp{});
  t.last_used_at = sql_timestamp(row[7]);
  t.revoked_at = sql_timestamp(row[8]);
  return t;
}

std::optional<api_token_info> info_by_id(odb::mysql::connection& conn,
                                         std::int32_t id) {
  auto rows = sql_query(conn, "SELECT " + info_columns() +
                                  " WHERE t.id = " + std::to_string(id));
  if (rows.empty())
    return std::nullopt;
  return read_info(rows.front());
}

/// An audit entry about a token, committed with the change it describes.
/// The details name the token, never its text or hash.
void audit(odb::mysql::connection& conn, const api_token_info& token,
           const char* action, std::optional<std::int32_t> user_id) {
  sql_execute(conn, "INSERT INTO audit_log (organization_id, user_id, action, "
                    "entity_type, entity_id, details, created_at) VALUES (" +
                        std::to_string(token.organization_id) + ", " +
                        sql_render(conn, sql_nullable(user_id)) + ", " +
                        sql_quote(conn, action) + ", 'api_token', " +
                        std::to_string(token.id) + ", JSON_OBJECT('name', " +
                        sql_quote(conn, token.name) +
                        ", 'scopes', JSON_EXTRACT(" +
                        sql_quote(conn, scopes_json(token.scopes)) +
                        ", '$')), " + sql_quote(now_us()) + ")");
}

} // namespace

const std::vector<std::string>& api_token_scopes() {
  static const std::vector<std::string> scopes = {
      "rooms:read",       "rooms:write",       "matches:read", "matches:write",
      "tournaments:read", "tournaments:write", "bots:read",    "bots:write",
      "tasks:read",       "tasks:write",       "audit:read",   "admin"};
  return scopes;
}

bool scope_allows(const std::vector<std::string>& granted,
                  std::string_view wanted) {
  return std::any_of(granted.begin(), granted.end(), [&](const auto& s) {
    return s == wanted || s == "admin";
  });
}

bool api_token_identity::allows(std::string_view wanted) const {
  return scope_allows(scopes, wanted);
}

bool api_token_well_formed(std::string_view token) {
  if (token.size() != token_prefix.size() + token_text_length ||
      token.substr(0, token_prefix.size()) != token_prefix)
    return false;
  return is_base64url(token.substr(token_prefix.size()));
}

const char* to_string(api_token_refusal r) {
  switch (r) {
    case api_token_refusal::malformed:
      return "malformed";
    case api_token_refusal::unknown:
      return "unknown";
    case api_token_refusal::revoked:
      return "revoked";
  }
  return "unknown";
}

std::variant<api_token_created, api_token_refused>
api_token_repository::create(std::int32_t organization_id,
                             const std::string& name,
                             const std::vector<std::string>& scopes,
                             std::optional<std::int32_t> created_by) {
  using result = std::variant<api_token_created, api_token_refused>;
  auto checked = checked_scopes(scopes);
  if (auto* refused = std::get_if<api_token_refused>(&checked))
    return *refused;
  auto granted = std::get<std::vector<std::string>>(std::move(checked));
  if (name.find_first_not_of(" \t\r\n") == std::string::npos)
    return api_token_refused{"a token needs a name saying who or what uses "
                             "it (e.g. \"results bot\")"};
  if (utf8_length(name) > max_name_length)
    return api_token_refused{
        "the token's name has " + std::to_string(utf8_length(name)) +
        " characters; at most " + std::to_string(max_name_length) + " fit"};
  std::string why;
  auto token = new_token(why);
  if (!token)
    return api_token_refused{"cannot draw random bytes for the token "
                             "(OpenSSL RAND_bytes: " +
                             why + "); nothing was written"};
  auto hash = sha256_hex(*token);
  return in_transaction(db_, [&](odb::mysql::connection& conn) -> result {
    // Checked here rather than left to the foreign keys so the refusal
    // names what is missing; LOCK IN SHARE MODE keeps it from vanishing
    // before the insert commits.
    if (!sql_scalar(conn, "SELECT id FROM organizations WHERE id = " +
                              std::to_string(organization_id) +
                              " LOCK IN SHARE MODE"))
      return api_token_refused{
          "organization " + std::to_string(organization_id) +
          " does not exist; `SELECT id, name FROM organizations` lists them"};
    if (created_by && !sql_scalar(conn, "SELECT id FROM users WHERE id = " +
                                            std::to_string(*created_by) +
                                            " LOCK IN SHARE MODE"))
      return api_token_refused{"user " + std::to_string(*created_by) +
                               " (--created-by) does not exist"};
    sql_execute(conn,
                "INSERT INTO api_tokens (organization_id, name, "
                "token_sha256, scopes, created_by_id, created_at) VALUES (" +
                    std::to_string(organization_id) + ", " +
                    sql_quote(conn, name) + ", " + sql_quote(conn, hash) +
                    ", " + sql_quote(conn, scopes_json(granted)) + ", " +
                    sql_render(conn, sql_nullable(created_by)) + ", " +
                    sql_quote(now_us()) + ")");
    auto id = sql_scalar(conn, "SELECT LAST_INSERT_ID()");
    auto info = info_by_id(conn, read_int(id).value_or(0));
    if (!info)
      throw database_error(database_error::kind::statement,
                           "the new api_tokens row cannot be read back");
    audit(conn, *info, "api_token_created", created_by);
    return api_token_created{*info, config::secret{*token}};
  });
}

api_token_check api_token_repository::authenticate(std::string_view token) {
  if (!api_token_well_formed(token))
    return api_token_refusal::malformed;
  auto hash = sha256_hex(token);
  auto now = now_us();
  auto stale_before = now - last_used_resolution;
  return in_transaction(
      db_, [&](odb::mysql::connection& conn) -> api_token_check {
        // The lookup goes through the unique index on token_sha256, whose
        // comparisons take longer the more leading characters match. That
        // leaks nothing: what is compared is the SHA-256 of the guess, and
        // a guess whose hash shares a prefix with a stored hash is no
        // closer to the stored token (finding one that does is a preimage
        // search). The constant-time comparison below keeps our own code
        // from adding a timing signal of its own, and insists on an exact
        // byte match where the column's case-insensitive collation would
        // also accept upper-case hex.
        auto rows = sql_query(
            conn,
            "SELECT id, organization_id, name, scopes, token_sha256, "
            "revoked_at IS NOT NULL, last_used_at IS NULL OR last_used_at < " +
                sql_quote(stale_before) +
                " FROM api_tokens WHERE token_sha256 = " +
                sql_quote(conn, hash));
        if (rows.empty())
          return api_token_refusal::unknown;
        const auto& row = rows.front();
        auto stored = row[4].value_or("");
        if (stored.size() != hash.size() ||
            CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0)
          return api_token_refusal::unknown;
        if (row[5].value_or("1") != "0")
          return api_token_refusal::revoked;
        api_token_identity who;
        who.id = read_int(row[0]).value_or(0);
        who.organization_id = read_int(row[1]).value_or(0);
        who.name = row[2].value_or("");
        who.scopes = read_scopes(row[3]);
        // Only when the recorded use is older than a minute: most
        // requests then stay reads. The condition is repeated so two
        // requests racing here write once.
        if (row[6].value_or("0") == "1")
          sql_execute(conn,
                      "UPDATE api_tokens SET last_used_at = " + sql_quote(now) +
                          " WHERE id = " + std::to_string(who.id) +
                          " AND (last_used_at IS NULL OR "
                          "last_used_at < " +
                          sql_quote(stale_before) + ")");
        return who;
      });
}

std::vector<api_token_info>
api_token_repository::list(std::optional<std::int32_t> organization_id) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    std::vector<api_token_info> out;
    auto where = organization_id ? " WHERE t.organization_id = " +
                                       std::to_string(*organization_id)
                                 : std::string{};
    for (const auto& row :
         sql_query(conn, "SELECT " + info_columns() + where + " ORDER BY t.id"))
      out.push_back(read_info(row));
    return out;
  });
}

api_token_revoke_result api_token_repository::revoke(std::int32_t id) {
  return in_transaction(db_, [&](odb::mysql::connection& conn) {
    api_token_revoke_result r;
    auto state = sql_query(conn, "SELECT revoked_at IS NOT NULL FROM "
                                 "api_tokens WHERE id = " +
                                     std::to_string(id) + " FOR UPDATE");
    if (state.empty())
      return r;
    if (state.front()[0].value_or("0") == "1") {
      r.outcome = api_token_revoke_outcome::already_revoked;
      r.token = info_by_id(conn, id);
      return r;
    }
    sql_execute(conn,
                "UPDATE api_tokens SET revoked_at = " + sql_quote(now_us()) +
                    " WHERE id = " + std::to_string(id));
    r.outcome = api_token_revoke_outcome::revoked;
    r.token = info_by_id(conn, id);
    if (r.token)
      audit(conn, *r.token, "api_token_revoked", std::nullopt);
    return r;
  });
}

} // namespace racecontrol::persistence
