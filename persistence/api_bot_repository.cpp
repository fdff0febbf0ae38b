#include "persistence/api_bot_repository.hpp"

#include "persistence/audit_repository.hpp"
#include "persistence/racetime_bot_repository.hpp"
#include "persistence/sql.hpp"
#include "persistence/transaction.hpp"

namespace racecontrol::persistence {

namespace {

using odb::mysql::connection;

std::string id_text(std::int32_t id) {
  return std::to_string(id);
}

/// The bot's columns and whether organization `org` has an active link.
std::vector<bot_view> select_bots(connection& conn, std::int32_t org,
                                  const std::string& where) {
  std::vector<bot_view> out;
  for (const auto& row : sql_query(
           conn, "SELECT b.id, b.category, b.name, b.client_id, b.is_active, "
                 "b.status, COALESCE(b.status_message, ''), " +
                     sql_epoch_us("b.last_connected_at") +
                     ", EXISTS (SELECT 1 FROM racetime_bot_organizations o "
                     "WHERE o.bot_id = b.id AND o.is_active = 1 AND "
                     "o.organization_id = " +
                     id_text(org) + ") FROM racetime_bots b WHERE " + where)) {
    bot_view b;
    b.id = sql_int(row[0]).value_or(0);
    b.category = row[1].value_or("");
    b.name = row[2].value_or("");
    b.client_id = row[3].value_or("");
    b.is_active = row[4].value_or("0") != "0";
    b.status = row[5].value_or("unknown");
    b.status_message = row[6].value_or("");
    b.last_connected_at = sql_timestamp(row[7]);
    b.organization_linked = row[8].value_or("0") != "0";
    out.push_back(std::move(b));
  }
  return out;
}

void add_set(std::string& sets, std::string& fields, const char* field,
             const std::string& assignment) {
  sets += (sets.empty() ? "" : ", ") + assignment;
  fields += std::string{fields.empty() ? "'" : ", '"} + field + "'";
}

void audit(connection& conn, const bot_write& w, std::int32_t id,
           const char* action, const std::string& fields) {
  audit_repository::append_in(
      conn, audit_record{w.organization_id, action, "racetime_bot", id, ""},
      "JSON_OBJECT('actor', " + sql_quote(conn, w.actor) +
          ", 'bot', (SELECT name FROM racetime_bots WHERE id = " + id_text(id) +
          "), 'category', (SELECT category FROM racetime_bots WHERE id = " +
          id_text(id) + "), 'fields', JSON_ARRAY(" + fields + "))");
}

std::variant<bot_view, api_refusal> create(connection& conn, const bot_write& w,
                                           const secret_box& secrets) {
  const auto& category = w.category.value_or("");
  if (sql_scalar(conn, "SELECT id FROM racetime_bots WHERE category = " +
                           sql_quote(conn, category) + " FOR UPDATE"))
    return api_refusal{"category_taken",
                       "a bot of category '" + category +
                           "' exists already (one bot per category); ask an "
                           "administrator to link it to your organization",
                       "category"};
  auto id = racetime_bot_repository::insert_in(
      conn, category, w.name.value_or(""), w.client_id.value_or(""),
      w.client_secret ? w.client_secret->reveal() : std::string{}, secrets);
  sql_execute(conn, "INSERT INTO racetime_bot_organizations (bot_id, "
                    "organization_id, is_active, assigned_at) VALUES (" +
                        id_text(id) + ", " + id_text(w.organization_id) +
                        ", 1, " + sql_quote(now_us()) + ")");
  audit(conn, w, id, "bot_created", "");
  return select_bots(conn, w.organization_id, "b.id = " + id_text(id)).front();
}

std::variant<bot_view, api_refusal> change(connection& conn, const bot_write& w,
                                           const secret_box& secrets) {
  auto id = *w.bot_id;
  auto rows = select_bots(conn, w.organization_id,
                          "b.id = " + id_text(id) + " FOR UPDATE");
  auto what = "bot " + id_text(id);
  if (rows.empty())
    return api_refusal{"not_found", "there is no " + what, ""};
  if (!rows[0].organization_linked)
    return api_refusal{"forbidden",
                       what + " is not one this token's organization may "
                              "use; use a token of an organization it "
                              "serves",
                       ""};
  auto others =
      sql_int(sql_scalar(conn, "SELECT COUNT(*) FROM "
                               "racetime_bot_organizations WHERE bot_id = " +
                                   id_text(id) +
                                   " AND is_active = 1 AND "
                                   "organization_id <> " +
                                   id_text(w.organization_id)))
          .value_or(0);
  if (others > 0 && !w.may_change_shared)
    return api_refusal{"bot_shared",
                       what + " also serves " + std::to_string(others) +
                           " other organization(s), whose rooms a change "
                           "would touch; ask an operator to make it with a "
                           "token that has the admin scope",
                       ""};
  std::string sets, fields;
  if (w.name)
    add_set(sets, fields, "name", "name = " + sql_quote(conn, *w.name));
  if (w.client_id)
    add_set(sets, fields, "client_id",
            "client_id = " + sql_quote(conn, *w.client_id));
  if (w.is_active)
    add_set(sets, fields, "is_active",
            std::string{"is_active = "} + (*w.is_active ? "1" : "0"));
  if (!sets.empty())
    sql_execute(conn, "UPDATE racetime_bots SET " + sets + ", updated_at = " +
                          sql_quote(now_us()) + " WHERE id = " + id_text(id));
  if (w.client_secret) {
    racetime_bot_repository::set_secret_in(conn, id, w.client_secret->reveal(),
                                           secrets);
    fields += std::string{fields.empty() ? "'" : ", '"} + "client_secret'";
  }
  bool deactivated =
      w.is_active == std::optional<bool>{false} && rows[0].is_active;
  audit(conn, w, id, deactivated ? "bot_deactivated" : "bot_updated", fields);
  return select_bots(conn, w.organization_id, "b.id = " + id_text(id)).front();
}

} // namespace

std::vector<bot_view> api_bot_repository::bots(const bot_query& q) {
  return in_transaction(db_, [&](connection& conn) {
    if (q.id)
      return select_bots(conn, q.organization_id, "b.id = " + id_text(*q.id));
    return select_bots(conn, q.organization_id,
                       "b.id IN (SELECT bot_id FROM racetime_bot_organizations "
                       "WHERE is_active = 1 AND organization_id = " +
                           id_text(q.organization_id) + ") ORDER BY b.id");
  });
}

std::variant<bot_view, api_refusal>
api_bot_repository::write(const bot_write& w) {
  return in_transaction(
      db_, [&](connection& conn) -> std::variant<bot_view, api_refusal> {
        return w.bot_id ? change(conn, w, secrets_) : create(conn, w, secrets_);
      });
}

} // namespace racecontrol::persistence
