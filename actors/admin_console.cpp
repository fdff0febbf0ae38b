#include "actors/admin_console.hpp"

#include "actors/console_command.hpp"
#include "actors/error.hpp"
#include "actors/text_table.hpp"

#include "config/logging.hpp"
#include "protocol/json.hpp"

#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace racecontrol {

void console_slot::set(admin_console_actor actor) {
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(actor);
  unavailable_.clear();
}

void console_slot::set_unavailable(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  unavailable_ = std::move(reason);
}

std::string console_slot::unavailable() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unavailable_;
}

void console_slot::clear(const caf::actor_addr& actor) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_ && current_.address() == actor)
    current_ = nullptr;
}

admin_console_actor console_slot::get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void console_slot::admit(std::uint64_t session) {
  std::lock_guard<std::mutex> lock(mutex_);
  admitted_.insert(session);
}

bool console_slot::admitted(std::uint64_t session) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return admitted_.count(session) != 0;
}

void console_slot::forget(std::uint64_t session) {
  std::lock_guard<std::mutex> lock(mutex_);
  admitted_.erase(session);
}

protocol::line_handler console_handler(std::shared_ptr<console_slot> slot) {
  using kind = console_exchange::kind;
  auto forward = [slot](kind what, std::uint64_t session, std::string peer,
                        std::string text, protocol::line_reply reply) {
    auto actor = slot->get();
    if (!actor) {
      if (!reply)
        return;
      if (auto why = slot->unavailable(); !why.empty())
        return reply("error: " + why + "\n", what == kind::opened);
      reply("error: the console is not running (racecontrold is starting, "
            "restarting it or stopping); try again shortly\n",
            what == kind::opened);
      return;
    }
    caf::anon_send(actor, atom::console::value,
                   console_exchange{what, session, std::move(peer),
                                    std::move(text), std::move(reply)});
  };
  protocol::line_handler h;
  h.opened = [forward](std::uint64_t id, std::string peer,
                       protocol::line_reply reply) {
    forward(kind::opened, id, std::move(peer), {}, std::move(reply));
  };
  h.line = [forward](std::uint64_t id, std::string line,
                     protocol::line_reply reply) {
    forward(kind::line, id, {}, std::move(line), std::move(reply));
  };
  h.closed = [forward, slot](std::uint64_t id) {
    slot->forget(id);
    forward(kind::closed, id, {}, {}, nullptr);
  };
  h.admitted = [slot](std::uint64_t id) {
    return slot->admitted(id);
  };
  return h;
}

namespace {

using console_pointer =
    admin_console_actor::stateful_pointer<admin_console_state>;
using reply_fn = std::function<void(std::string, bool)>;

// --- small helpers -----------------------------------------------------------

std::string utc(const std::optional<timestamp>& t) {
  if (!t)
    return "-";
  auto secs = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string joined(const std::vector<std::string>& items,
                   const char* sep = ",") {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : sep) + item;
  return out;
}

std::string number(const std::optional<std::int32_t>& n) {
  return n ? std::to_string(*n) : "-";
}

/// Equal or not, in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  auto n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^
                                       (i < b.size() ? b[i] : 0));
  return diff == 0;
}

/// The peer without its port ("127.0.0.1:40112" -> "127.0.0.1",
/// "[::1]:40112" -> "[::1]"); "unix socket" as it is.
std::string host_of(const std::string& peer) {
  auto colon = peer.rfind(':');
  if (colon == std::string::npos || colon + 1 == peer.size() ||
      peer.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return peer;
  return peer.substr(0, colon);
}

std::string trimmed(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t");
  return std::string{s.substr(first, last - first + 1)};
}

/// The answer to a failed request: what failed, and why.
std::function<void(caf::error&)> fail_with(reply_fn reply, std::string what) {
  return [reply, what](caf::error& err) {
    reply("error: " + what + ": " + describe(err) + "\n", false);
  };
}

/// Who a session is, for its audit entries: found, not made (the session
/// may have closed while its command ran).
std::pair<std::string, std::string> session_names(console_pointer self,
                                                  std::uint64_t id) {
  if (auto it = self->state.sessions.find(id); it != self->state.sessions.end())
    return {it->second.who, it->second.peer};
  return {"session " + std::to_string(id) + " (closed since)", ""};
}

/// An audit entry for what a console session did (fire and forget: the
/// command's answer does not wait for it); `outcome` "done" or "failed:
/// why" once the component answered, empty when there is nothing to wait
/// for.
void write_audit(console_pointer self,
                 const std::pair<std::string, std::string>& by,
                 const std::string& action, const std::string& detail,
                 const std::string& outcome) {
  audit_record a;
  a.action = "console." + action;
  a.entity_type = "node";
  a.details_json = protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_string(w, "node", self->state.options.node_name);
    protocol::write_string(w, "by", by.first);
    protocol::write_string(w, "peer", by.second);
    if (!detail.empty())
      protocol::write_string(w, "detail", detail);
    if (!outcome.empty())
      protocol::write_string(w, "outcome", outcome);
    w.EndObject();
  });
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::put::value, std::move(a))
      .then([](atom::ok) {},
            [action](caf::error& err) {
              spdlog::warn("console: the audit entry for {} was not written: "
                           "{}",
                           action, describe(err));
            });
}

void audit(console_pointer self, std::uint64_t id, const std::string& action,
           const std::string& detail = {}) {
  write_audit(self, session_names(self, id), action, detail, {});
}

/// The audit entry of a request to a component, written with its outcome
/// once it is known (a failed `task run 999` is not recorded as done),
/// naming the session as it is now. Call the result once.
std::function<void(const std::string& outcome)>
audit_outcome(console_pointer self, std::uint64_t id, std::string action,
              std::string detail = {}) {
  return [self, by = session_names(self, id), action = std::move(action),
          detail = std::move(detail)](const std::string& outcome) {
    write_audit(self, by, action, detail, outcome);
  };
}

/// An audited request's outcome when it did not succeed: unanswered is not
/// refused (the component may still do it).
std::string failure_outcome(const caf::error& err) {
  return (err == caf::sec::request_timeout ? "unknown (no answer in time): "
                                           : "failed: ") +
         describe(err);
}

/// The answer to a failed audited request: audited as failed, then told.
std::function<void(caf::error&)>
fail_audited(std::function<void(const std::string&)> audited, reply_fn reply,
             std::string what) {
  return [audited, reply, what](caf::error& err) {
    audited(failure_outcome(err));
    reply("error: " + what + ": " + describe(err) + "\n", false);
  };
}

// --- login -------------------------------------------------------------------

void accept_login(console_pointer self, std::uint64_t id, std::string who,
                  const reply_fn& reply, config::secret token = {}) {
  auto& s = self->state.sessions[id];
  s.logged_in = true;
  s.who = std::move(who);
  s.token = std::move(token);
  self->state.slot->admit(id);
  self->state.refusals.erase(host_of(s.peer));
  spdlog::info("console: session {} from {} logged in ({})", id, s.peer, s.who);
  reply("logged in (" + s.who + "); help lists the commands\n", false);
}

/// How long the answer to one more refusal from `host` waits: the delay,
/// doubled for every max_failures refusals the host had within
/// refusal_memory, up to 32 times.
std::chrono::milliseconds refusal_wait(admin_console_state& st,
                                       const std::string& host) {
  auto now = std::chrono::steady_clock::now();
  // Hosts quiet for refusal_memory are forgotten, so the map holds only
  // recent ones.
  for (auto it = st.refusals.begin(); it != st.refusals.end();)
    it = now - it->second.last > st.options.refusal_memory
             ? st.refusals.erase(it)
             : std::next(it);
  auto& r = st.refusals[host];
  auto doublings = std::min(r.count / std::max(st.options.max_failures, 1), 5);
  ++r.count;
  r.last = now;
  return st.options.refusal_delay * (1 << doublings);
}

/// Counts the failure and answers after the delay; the last allowed one
/// closes the session.
void refuse_login(console_pointer self, std::uint64_t id, reply_fn reply) {
  auto& st = self->state;
  auto& s = st.sessions[id];
  ++s.failures;
  auto wait = refusal_wait(st, host_of(s.peer));
  spdlog::warn("console: session {} from {}: login refused ({} of {}), "
               "answered in {} ms",
               id, s.peer, s.failures, st.options.max_failures, wait.count());
  s.close_after_refusal = s.failures >= st.options.max_failures;
  s.refusal = std::move(reply);
  self->delayed_send(self, wait, atom::login::value, id);
}

void answer_refusal(console_pointer self, std::uint64_t id) {
  auto it = self->state.sessions.find(id);
  if (it == self->state.sessions.end() || !it->second.refusal)
    return;
  auto& s = it->second;
  auto reply = std::move(s.refusal);
  s.refusal = nullptr;
  if (s.close_after_refusal)
    return reply("error: login refused (wrong password or token); " +
                     std::to_string(s.failures) +
                     " failed logins, closing the session\n",
                 true);
  auto left = self->state.options.max_failures - s.failures;
  reply("error: login refused (wrong password or token); " +
            std::to_string(left) + " attempt(s) left\n",
        false);
}

bool has_admin_scope(const api_token_row& row) {
  return std::find(row.scopes.begin(), row.scopes.end(), "admin") !=
         row.scopes.end();
}

void check_token(console_pointer self, std::uint64_t id,
                 const std::string& token, reply_fn reply) {
  auto value = config::secret::from_request(token);
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::login::value, value)
      .then(
          [self, id, reply, value](api_token_row& row) {
            if (!has_admin_scope(row))
              return refuse_login(self, id, reply);
            accept_login(self, id,
                         "token " + std::to_string(row.id) + " (" +
                             table_cell(row.name) + ")",
                         reply, value);
          },
          [self, id, reply](caf::error& err) {
            if (is(err, ec::refused))
              return refuse_login(self, id, reply);
            // Not the client's fault: do not count it against them.
            reply("error: the token cannot be checked now (" + describe(err) +
                      "); try again, or log in with the password\n",
                  false);
          });
}

void on_login_line(console_pointer self, std::uint64_t id,
                   const std::string& line, reply_fn reply) {
  auto text = trimmed(line);
  if (text == "quit" || text == "exit")
    return reply("bye\n", true);
  if (text.empty())
    return reply("", false);
  if (text.rfind("login", 0) != 0 || (text.size() > 5 && text[5] != ' '))
    return reply("error: log in first: login PASSWORD, or login TOKEN (an API "
                 "token with the admin scope)\n",
                 false);
  auto secret = trimmed(std::string_view{text}.substr(5));
  if (secret.empty())
    return reply("error: login needs the password or a token: login SECRET\n",
                 false);
  // The password first: one that starts with rc_ is a password all the same.
  const auto& password = self->state.options.password.reveal();
  if (!password.empty() && same_secret(secret, password))
    return accept_login(self, id, "password", reply);
  if (secret.rfind("rc_", 0) == 0)
    return check_token(self, id, secret, std::move(reply));
  refuse_login(self, id, std::move(reply));
}

// --- status, bots, rooms -----------------------------------------------------

/// What `status` gathers from three components at once; rendered when the
/// last answers, each part shown or its error.
struct status_parts {
  std::optional<database_status> db;
  std::optional<std::vector<bot_info>> bots;
  std::optional<std::vector<room_watch_info>> rooms;
  std::string db_error, bots_error, rooms_error;
  int waiting = 3;
};

std::string render_status(console_pointer self, const status_parts& p) {
  auto& st = self->state;
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - st.started);
  std::vector<std::pair<std::string, std::string>> kv = {
      {"node", st.options.node_name},
      {"console up", std::to_string(uptime.count()) + " s"},
      {"sessions", std::to_string(st.sessions.size())},
      {"draining", st.draining ? "yes (no new rooms on this node)" : "no"}};
  if (p.db)
    kv.push_back({"database", p.db->database + " at " + p.db->location +
                                  ", MariaDB " + p.db->server_version +
                                  ", schema " + p.db->schema_version + ", " +
                                  std::to_string(p.db->pending_migrations) +
                                  " pending migration(s)"});
  else
    kv.push_back({"database", "unreachable: " + p.db_error});
  if (p.bots) {
    auto connected =
        std::count_if(p.bots->begin(), p.bots->end(), [](const bot_info& b) {
          return b.status == "connected";
        });
    kv.push_back({"bots", std::to_string(p.bots->size()) + " (" +
                              std::to_string(connected) + " connected)"});
  } else {
    kv.push_back({"bots", "unknown: " + p.bots_error});
  }
  if (p.rooms)
    kv.push_back({"rooms watched", std::to_string(p.rooms->size())});
  else
    kv.push_back({"rooms watched", "unknown: " + p.rooms_error});
  return key_values(kv);
}

void run_status(console_pointer self, reply_fn reply) {
  auto parts = std::make_shared<status_parts>();
  auto done = [self, parts, reply] {
    if (--parts->waiting == 0)
      reply(render_status(self, *parts), false);
  };
  auto& c = self->state.components;
  auto t = self->state.options.request_timeout;
  self->request(c.db, t, atom::status::value)
      .then(
          [parts, done](database_status& s) {
            parts->db = s;
            done();
          },
          [parts, done](caf::error& e) {
            parts->db_error = describe(e);
            done();
          });
  self->request(c.bots, t, atom::status::value)
      .then(
          [parts, done](std::vector<bot_info>& b) {
            parts->bots = b;
            done();
          },
          [parts, done](caf::error& e) {
            parts->bots_error = describe(e);
            done();
          });
  self->request(c.rooms, t, atom::status::value)
      .then(
          [parts, done](std::vector<room_watch_info>& r) {
            parts->rooms = r;
            done();
          },
          [parts, done](caf::error& e) {
            parts->rooms_error = describe(e);
            done();
          });
}

std::string render_bots(const std::vector<bot_info>& bots) {
  if (bots.empty())
    return "no bots run: add a [bot.CATEGORY] section or a racetime_bots "
           "row, then bot reload\n";
  text_table t{
      {"id", "category", "name", "status", "token", "goals", "message"}};
  for (const auto& b : bots)
    t.add({std::to_string(b.bot_id), b.category, b.name, b.status,
           b.has_token ? "yes" : "no", std::to_string(b.goals.size()),
           clip(b.message, 60)});
  return t.render();
}

void run_bots(console_pointer self, reply_fn reply) {
  self->request(self->state.components.bots,
                self->state.options.request_timeout, atom::status::value)
      .then(
          [reply](std::vector<bot_info>& bots) {
            reply(render_bots(bots), false);
          },
          fail_with(reply, "the bot supervisor did not answer"));
}

void run_bot_reload(console_pointer self, std::uint64_t id, reply_fn reply) {
  auto audited = audit_outcome(self, id, "bot_reload");
  self->request(self->state.components.bots,
                self->state.options.request_timeout, atom::reload::value)
      .then(
          [audited, reply](atom::ok) {
            audited("done");
            reply("bots reloaded from the database; bots shows them\n", false);
          },
          fail_audited(audited, reply, "the bots were not reloaded"));
}

std::string render_rooms(const std::vector<room_record>& rows,
                         const std::vector<room_watch_info>& watchers,
                         bool active_only) {
  std::map<std::int32_t, const room_watch_info*> by_id;
  for (const auto& w : watchers)
    by_id[w.room_id] = &w;
  text_table t{
      {"id", "slug", "status", "watcher", "restarts", "match", "last error"}};
  for (const auto& r : rows) {
    auto w = by_id.find(r.id);
    const room_watch_info* info = w == by_id.end() ? nullptr : w->second;
    bool active = info != nullptr && info->watcher != "parked";
    if (active_only && !active)
      continue;
    t.add({std::to_string(r.id), r.slug,
           info && !info->status.empty() ? info->status : r.status,
           info ? info->watcher : (r.parked ? "parked" : "none"),
           info ? std::to_string(info->restarts) : "-", number(r.match_id),
           info ? clip(info->last_error, 50) : ""});
  }
  if (t.rows() == 0)
    return active_only ? "no room is watched now\n"
                       : "no room whose race has not ended\n";
  return t.render();
}

void run_rooms(console_pointer self, bool active_only, reply_fn reply) {
  auto& c = self->state.components;
  auto t = self->state.options.request_timeout;
  self->request(c.db, t, atom::get::value, atom::rooms::value, true)
      .then(
          [self, active_only, reply, t](std::vector<room_record>& rows) {
            self->request(self->state.components.rooms, t, atom::status::value)
                .then(
                    [rows, active_only,
                     reply](std::vector<room_watch_info>& watchers) {
                      reply(render_rooms(rows, watchers, active_only), false);
                    },
                    fail_with(reply, "the room supervisor did not answer"));
          },
          fail_with(reply, "the rooms could not be read"));
}

std::string render_room(const room_context& ctx,
                        const room_watch_info* watcher) {
  const auto& r = ctx.room;
  std::vector<std::pair<std::string, std::string>> kv = {
      {"room", std::to_string(r.id) + " " + r.slug},
      {"status", r.status},
      {"watcher", watcher
                      ? watcher->watcher + " (" +
                            std::to_string(watcher->restarts) + " restart(s))"
                      : (r.parked ? "parked" : "none")}};
  if (watcher && !watcher->last_error.empty())
    kv.push_back({"last error", watcher->last_error});
  if (ctx.match) {
    const auto& m = *ctx.match;
    kv.push_back({"match", std::to_string(m.id) + " " + m.title});
    kv.push_back({"tournament",
                  std::to_string(m.tournament_id) + " " + m.tournament_name});
    kv.push_back({"scheduled (UTC)", utc(m.scheduled_at)});
  } else {
    kv.push_back({"match", "none"});
  }
  auto out = key_values(kv);
  if (ctx.players.empty())
    return out;
  text_table t{{"player", "racetime", "entrant", "place"}};
  for (const auto& p : ctx.players)
    t.add({p.display_name, p.racetime_name.value_or("(not linked)"),
           p.entrant_status, number(p.finish_place)});
  return out + "\n" + t.render();
}

void show_room(console_pointer self, std::int32_t room_id, reply_fn reply) {
  auto t = self->state.options.request_timeout;
  self->request(self->state.components.db, t, atom::get::value,
                atom::room::value, room_id)
      .then(
          [self, reply, t, room_id](room_context& ctx) {
            self->request(self->state.components.rooms, t, atom::status::value)
                .then(
                    [ctx, reply, room_id](std::vector<room_watch_info>& ws) {
                      auto w = std::find_if(ws.begin(), ws.end(),
                                            [&](const room_watch_info& x) {
                                              return x.room_id == room_id;
                                            });
                      reply(render_room(ctx, w == ws.end() ? nullptr : &*w),
                            false);
                    },
                    fail_with(reply, "the room supervisor did not answer"));
          },
          fail_with(reply, "room " + std::to_string(room_id)));
}

void run_room(console_pointer self, const std::string& slug, reply_fn reply) {
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::get::value, atom::rooms::value, true)
      .then(
          [self, slug, reply](std::vector<room_record>& rows) {
            auto r = std::find_if(
                rows.begin(), rows.end(), [&](const room_record& x) {
                  return x.slug == slug || x.room_name == slug;
                });
            if (r == rows.end())
              return reply("error: no room '" + table_cell(slug) +
                               "' whose race has not ended; rooms lists "
                               "them\n",
                           false);
            show_room(self, r->id, reply);
          },
          fail_with(reply, "the rooms could not be read"));
}

// --- matches, open-room, tasks -----------------------------------------------

std::string render_matches(const std::vector<tournament_plan>& plans) {
  struct row {
    std::optional<timestamp> at;
    std::vector<std::string> cells;
  };
  std::vector<row> rows;
  for (const auto& p : plans)
    for (const auto& m : p.matches)
      rows.push_back({m.scheduled_at,
                      {std::to_string(m.match_id),
                       std::to_string(p.tournament_id) + " " + p.name,
                       utc(m.scheduled_at), m.auto_create ? "yes" : "no",
                       m.has_room ? "yes" : "no", m.reason_code.value_or("")}});
  if (rows.empty())
    return "no matches in the window\n";
  std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
    return a.at < b.at;
  });
  text_table t{
      {"match", "tournament", "scheduled (UTC)", "auto", "room", "reason"}};
  for (auto& r : rows)
    t.add(std::move(r.cells));
  return t.render();
}

void run_matches(console_pointer self, bool upcoming, reply_fn reply) {
  plan_query q;
  auto now = now_us();
  q.from = upcoming ? now : now - std::chrono::hours{24};
  q.to = now + std::chrono::hours{24 * 7};
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::get::value, q)
      .then(
          [reply](std::vector<tournament_plan>& plans) {
            reply(render_matches(plans), false);
          },
          fail_with(reply, "the matches could not be read"));
}

void run_open_room(console_pointer self, std::uint64_t id,
                   const console_command& cmd, reply_fn reply) {
  auto match = parse_console_id(cmd.args[0]);
  if (!match)
    return reply("error: MATCH must be a match id (a positive number), got '" +
                     table_cell(cmd.args[0]) + "'; matches lists them\n",
                 false);
  manual_open request;
  request.match_id = *match;
  request.goal = cmd.option("goal");
  if (auto inv = cmd.option("invitational")) {
    request.invitational = parse_yes_no(*inv);
    if (!request.invitational)
      return reply("error: --invitational takes yes or no, got '" +
                       table_cell(*inv) + "'\n",
                   false);
  }
  request.requested_by = "console: " + self->state.sessions[id].who;
  self->request(self->state.components.tournaments,
                self->state.options.open_timeout, atom::open::value,
                std::move(request))
      .then(
          [reply](room_answer& a) {
            reply((a.existed ? "the match already had its room:\n"
                             : "room opened:\n") +
                      key_values({{"room", a.slug},
                                  {"url", a.url},
                                  {"goal", a.goal},
                                  {"invited players",
                                   std::to_string(a.invited_players)}}),
                  false);
          },
          fail_with(reply, "match " + std::to_string(*match) + " got no room"));
}

std::string schedule_of(const task_record& t) {
  if (t.schedule_type == "INTERVAL" && t.interval_seconds)
    return "every " + std::to_string(*t.interval_seconds) + " s";
  if (t.schedule_type == "CRON" && t.cron_expression)
    return "cron " + *t.cron_expression;
  if (t.schedule_type == "ONE_TIME")
    return "once at " + utc(t.run_at);
  return t.schedule_type;
}

std::string render_tasks(const std::vector<task_record>& tasks) {
  if (tasks.empty())
    return "no scheduled tasks\n";
  text_table t{{"id", "name", "type", "schedule", "active", "next run (UTC)",
                "last run", "last status", "error"}};
  for (const auto& x : tasks)
    t.add({std::to_string(x.id), x.name, x.task_type, schedule_of(x),
           x.is_active ? "yes" : "no", utc(x.next_run_at), utc(x.last_run_at),
           x.run_started_at ? "running on " + x.run_owner : x.last_run_status,
           clip(x.last_run_error, 50)});
  return t.render();
}

void run_tasks(console_pointer self, reply_fn reply) {
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::get::value, atom::tasks::value)
      .then(
          [reply](std::vector<task_record>& tasks) {
            reply(render_tasks(tasks), false);
          },
          fail_with(reply, "the tasks could not be read"));
}

void run_task_run(console_pointer self, std::uint64_t id,
                  const console_command& cmd, reply_fn reply) {
  auto task = parse_console_id(cmd.args[0]);
  if (!task)
    return reply("error: ID must be a task id (a positive number), got '" +
                     table_cell(cmd.args[0]) + "'; tasks lists them\n",
                 false);
  auto audited = audit_outcome(self, id, "task_run", std::to_string(*task));
  self->request(self->state.components.scheduler,
                self->state.options.request_timeout, atom::run::value, *task)
      .then(
          [audited, reply, task](atom::ok) {
            audited("done");
            reply("task " + std::to_string(*task) +
                      " started; tasks shows its result once it ends\n",
                  false);
          },
          fail_audited(audited, reply,
                       "task " + std::to_string(*task) + " did not start"));
}

// --- audit, tokens ----------------------------------------------------------

std::string render_audit(const std::vector<audit_entry>& entries) {
  if (entries.empty())
    return "no audit entries match\n";
  text_table t{{"id", "time (UTC)", "org", "action", "entity", "details"}};
  for (const auto& e : entries)
    t.add(
        {std::to_string(e.id), utc(e.created_at), number(e.organization_id),
         e.action,
         e.entity_type.empty() ? "" : e.entity_type + " " + number(e.entity_id),
         clip(e.details_json, 70)});
  return t.render();
}

void run_audit(console_pointer self, const console_command& cmd,
               reply_fn reply) {
  audit_query q;
  q.limit = 20;
  if (auto tail = cmd.option("tail")) {
    auto n = parse_console_id(*tail);
    if (!n || *n > 1000)
      return reply("error: --tail takes a number from 1 to 1000, got '" +
                       table_cell(*tail) + "'\n",
                   false);
    q.limit = static_cast<std::uint32_t>(*n);
  }
  if (auto entity = cmd.option("entity"))
    q.entity_type = *entity;
  if (auto id = cmd.option("id")) {
    q.entity_id = parse_console_id(*id);
    if (!q.entity_id)
      return reply("error: --id takes an entity id (a positive number), got '" +
                       table_cell(*id) + "'\n",
                   false);
  }
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::get::value, q)
      .then(
          [reply](std::vector<audit_entry>& entries) {
            reply(render_audit(entries), false);
          },
          fail_with(reply, "the audit log could not be read"));
}

std::vector<std::string> split_scopes(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto item = trimmed(std::string_view{text}.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty())
      out.push_back(item);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out;
}

void run_token_create(console_pointer self, std::uint64_t id,
                      const console_command& cmd, reply_fn reply) {
  auto org = cmd.option("org");
  auto name = cmd.option("name");
  auto scopes = cmd.option("scopes");
  if (!org || !name || !scopes)
    return reply("error: token create needs --org ID, --name NAME and --scopes "
                 "A,B; e.g. token create --org 1 --name \"results bot\" "
                 "--scopes rooms:read,matches:read\n",
                 false);
  auto org_id = parse_console_id(*org);
  if (!org_id)
    return reply("error: --org takes an organization id (a positive number), "
                 "got '" +
                     table_cell(*org) + "'\n",
                 false);
  spdlog::info("console: session {} ({}) creates an API token for "
               "organization {}",
               id, self->state.sessions[id].who, *org_id);
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::put::value,
                api_token_order{*org_id, *name, split_scopes(*scopes)})
      .then(
          [self, id, reply](api_token_issued& made) {
            const auto& t = made.token;
            audit(self, id, "token_create",
                  std::to_string(t.id) + " (organization " +
                      std::to_string(t.organization_id) + ", scopes " +
                      joined(t.scopes) + ")");
            // The one place the token's text is ever shown: this session.
            reply("created token " + std::to_string(t.id) + " \"" +
                      table_cell(t.name) + "\" of organization " +
                      std::to_string(t.organization_id) + " (" +
                      table_cell(t.organization_name) + ") with scopes " +
                      joined(t.scopes) + ":\n\n" + made.plaintext.reveal() +
                      "\n\nCopy it now: only its SHA-256 is stored, so it "
                      "will not be shown again.\n",
                  false);
          },
          fail_with(reply, "no token was created"));
}

std::string render_tokens(const std::vector<api_token_row>& tokens) {
  if (tokens.empty())
    return "no API tokens; token create makes one\n";
  text_table t{
      {"id", "org", "name", "scopes", "created (UTC)", "last used", "revoked"}};
  for (const auto& x : tokens)
    t.add({std::to_string(x.id),
           std::to_string(x.organization_id) + " " + x.organization_name,
           x.name, joined(x.scopes), utc(x.created_at), utc(x.last_used_at),
           utc(x.revoked_at)});
  return t.render();
}

void run_token_list(console_pointer self, reply_fn reply) {
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::get::value, atom::token::value)
      .then(
          [reply](std::vector<api_token_row>& tokens) {
            reply(render_tokens(tokens), false);
          },
          fail_with(reply, "the tokens could not be read"));
}

void run_token_revoke(console_pointer self, std::uint64_t id,
                      const console_command& cmd, reply_fn reply) {
  auto token = parse_console_id(cmd.args[0]);
  if (!token)
    return reply("error: ID must be a token id (a positive number), got '" +
                     table_cell(cmd.args[0]) + "'; token list shows them\n",
                 false);
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::put::value, api_token_revocation{*token})
      .then(
          [self, id, reply](api_token_row& t) {
            spdlog::info("console: session {} revoked API token {}", id, t.id);
            audit(self, id, "token_revoke", std::to_string(t.id));
            reply("token " + std::to_string(t.id) + " \"" + table_cell(t.name) +
                      "\" is revoked (since " + utc(t.revoked_at) + " UTC)\n",
                  false);
          },
          fail_with(reply, "token " + std::to_string(*token)));
}

// --- log level, drain, shutdown ----------------------------------------------

void run_log_level(console_pointer self, std::uint64_t id,
                   const console_command& cmd, const reply_fn& reply) {
  auto level = config::parse_log_level(cmd.args[0]);
  if (!level)
    return reply("error: unknown log level '" + table_cell(cmd.args[0]) +
                     "'; use trace, debug, info, warn, error, critical or "
                     "off\n",
                 false);
  spdlog::default_logger()->set_level(*level);
  // Said at warn so the change shows even at the new level.
  spdlog::warn("console: session {} ({}) set the log level to {}", id,
               self->state.sessions[id].who, cmd.args[0]);
  audit(self, id, "log_level", cmd.args[0]);
  reply("log level is now " + cmd.args[0] + "\n", false);
}

/// `drain NODE` on a coordinator: the placer moves the worker's rooms to
/// the other workers (each stops there, then is watched elsewhere).
void run_drain_node(console_pointer self, std::uint64_t id,
                    const std::string& node, reply_fn reply) {
  auto audited = audit_outcome(self, id, "drain_node", node);
  // Only a coordinator's "rooms" is a placer; a room supervisor answers
  // the request with an error.
  auto placer =
      caf::actor_cast<room_placer_actor>(self->state.components.rooms);
  self->request(placer, self->state.options.request_timeout, atom::drain::value,
                node)
      .then(
          [audited, node, reply](std::uint32_t moved) {
            audited("done: " + std::to_string(moved) + " room(s) moved");
            reply("draining worker " + table_cell(node) + ": moving " +
                      std::to_string(moved) +
                      " room(s) to the other workers; it gets no new "
                      "rooms until it joins again\n",
                  false);
          },
          [audited, node, reply](const caf::error& err) {
            audited(failure_outcome(err));
            if (err == caf::sec::unexpected_message)
              return reply("error: drain takes nothing or off here; drain "
                           "NODE works on a coordinator (this node hosts "
                           "its rooms itself), got '" +
                               table_cell(node) + "'\n",
                           false);
            reply("error: cannot drain " + table_cell(node) + ": " +
                      describe(err) + "\n",
                  false);
          });
}

void run_drain(console_pointer self, std::uint64_t id,
               const console_command& cmd, reply_fn reply) {
  bool on = true;
  if (!cmd.args.empty()) {
    if (cmd.args[0] != "off")
      return run_drain_node(self, id, cmd.args[0], std::move(reply));
    on = false;
  }
  auto audited = audit_outcome(self, id, on ? "drain" : "drain_off");
  self->request(self->state.components.tournaments,
                self->state.options.request_timeout, atom::drain::value, on)
      .then(
          [self, audited, on, reply](atom::ok) {
            audited("done");
            self->state.draining = on;
            reply(on ? "draining: this node opens no new rooms (automatic, "
                       "scheduled or open-room); rooms already open stay "
                       "watched. drain off resumes\n"
                     : "drain ended: rooms are opened again\n",
                  false);
          },
          fail_audited(audited, reply,
                       "the tournament supervisor did not answer"));
}

void run_shutdown(console_pointer self, std::uint64_t id,
                  const reply_fn& reply) {
  spdlog::warn("console: session {} from {} ({}) asks racecontrold to stop", id,
               self->state.sessions[id].peer, self->state.sessions[id].who);
  audit(self, id, "shutdown");
  reply("stopping racecontrold as on SIGTERM: rooms write what they hold, "
        "then every component stops\n",
        true);
  if (self->state.options.stop_node)
    self->state.options.stop_node();
}

// --- nodes -------------------------------------------------------------------

std::string render_nodes(const std::string& self_name,
                         const std::vector<cluster_node_info>& nodes) {
  text_table t{
      {"name", "role", "state", "rooms", "joined (UTC)", "last heartbeat"}};
  t.add({self_name, "coordinator", "active (this node)", "-", "-", "-"});
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  for (const auto& n : nodes) {
    std::string beat = "-";
    if (n.last_heartbeat_at > 0) {
      char ago[32];
      std::snprintf(ago, sizeof ago, "%.1f s ago",
                    double(now - n.last_heartbeat_at) / 1000.0);
      beat = ago;
    }
    t.add({n.node_name, n.role, n.connected ? "connected" : "left",
           std::to_string(n.rooms),
           utc(timestamp{std::chrono::milliseconds{n.joined_at}}), beat});
  }
  return t.render();
}

void run_nodes(console_pointer self, reply_fn reply) {
  const auto& name = self->state.options.node_name;
  if (!self->state.components.cluster)
    return reply("node " + name +
                     " is standalone (cluster.role = standalone): no other "
                     "nodes\n",
                 false);
  self->request(self->state.components.cluster,
                self->state.options.request_timeout, atom::status::value)
      .then(
          [name, reply](std::vector<cluster_node_info>& nodes) {
            reply(render_nodes(name, nodes), false);
          },
          fail_with(reply, "the cluster registry did not answer"));
}

// --- sessions ----------------------------------------------------------------

void run_command(console_pointer self, std::uint64_t id,
                 const console_command& cmd, reply_fn reply) {
  const auto& n = cmd.name();
  spdlog::info("console: session {} ({}): {}", id, self->state.sessions[id].who,
               n);
  if (n == "help")
    return reply(console_help(), false);
  if (n == "status")
    return run_status(self, reply);
  if (n == "bots")
    return run_bots(self, reply);
  if (n == "bot reload")
    return run_bot_reload(self, id, reply);
  if (n == "rooms")
    return run_rooms(self, cmd.has("active"), reply);
  if (n == "room")
    return run_room(self, cmd.args[0], reply);
  if (n == "nodes")
    return run_nodes(self, reply);
  if (n == "matches")
    return run_matches(self, cmd.has("upcoming"), reply);
  if (n == "open-room")
    return run_open_room(self, id, cmd, reply);
  if (n == "tasks")
    return run_tasks(self, reply);
  if (n == "task run")
    return run_task_run(self, id, cmd, reply);
  if (n == "audit")
    return run_audit(self, cmd, reply);
  if (n == "token create")
    return run_token_create(self, id, cmd, reply);
  if (n == "token list")
    return run_token_list(self, reply);
  if (n == "token revoke")
    return run_token_revoke(self, id, cmd, reply);
  if (n == "log-level")
    return run_log_level(self, id, cmd, reply);
  if (n == "drain")
    return run_drain(self, id, cmd, reply);
  if (n == "shutdown")
    return run_shutdown(self, id, reply);
  if (n == "quit")
    return reply("bye\n", true);
  reply("error: '" + n + "' is known but not served; try help\n", false);
}

void on_line(console_pointer self, console_exchange& x) {
  // A session opened before this actor (re)started is not known: it logs
  // in again.
  auto& s = self->state.sessions[x.session];
  if (s.refusal) // a client typing ahead of a refused login's answer
    return x.reply("error: wait for the answer to the login\n", false);
  if (!s.logged_in)
    return on_login_line(self, x.session, x.text, std::move(x.reply));
  auto parsed = parse_console_line(x.text);
  if (auto* err = std::get_if<console_parse_error>(&parsed))
    return x.reply("error: " + err->message + "\n", false);
  auto& cmd = std::get<console_command>(parsed);
  if (cmd.spec == nullptr)
    return x.reply("", false);
  if (s.token.empty() || cmd.name() == "quit")
    return run_command(self, x.session, cmd, std::move(x.reply));
  // Logged in with a token: it must still hold (not revoked since, its
  // admin scope kept) for each command.
  auto id = x.session;
  self->request(self->state.components.db, self->state.options.request_timeout,
                atom::login::value, s.token)
      .then(
          [self, id, cmd, reply = x.reply](api_token_row& row) {
            if (self->state.sessions.count(id) == 0)
              return; // closed meanwhile: nothing to run it for
            if (has_admin_scope(row))
              return run_command(self, id, cmd, reply);
            reply("error: the token this session logged in with lost its "
                  "admin scope; closing the session\n",
                  true);
          },
          [self, id, reply = x.reply](caf::error& err) {
            if (!is(err, ec::refused))
              return reply(
                  "error: the session's token cannot be checked now (" +
                      describe(err) + "); nothing was run, try again\n",
                  false);
            spdlog::warn("console: session {}: its token no longer holds; "
                         "closing it",
                         id);
            reply("error: the token this session logged in with was revoked "
                  "(or expired); closing the session\n",
                  true);
          });
}

} // namespace

admin_console_actor::behavior_type
admin_console(console_pointer self, admin_console_components components,
              std::shared_ptr<console_slot> slot,
              admin_console_options options) {
  auto& st = self->state;
  st.components = std::move(components);
  st.options = std::move(options);
  st.started = std::chrono::steady_clock::now();
  st.slot = slot;
  self->set_exception_handler(exception_error);
  slot->set(caf::actor_cast<admin_console_actor>(self));
  self->attach_functor([slot, address = self->address()] {
    slot->clear(address);
  });
  return {
      [self](atom::console, console_exchange& x) {
        using kind = console_exchange::kind;
        auto& sessions = self->state.sessions;
        switch (x.what) {
          case kind::opened:
            sessions[x.session].peer = x.peer;
            spdlog::info("console: session {} opened from {}", x.session,
                         x.peer);
            x.reply("racecontrol console on " + self->state.options.node_name +
                        "; log in: login PASSWORD, or login TOKEN (an API "
                        "token with the admin scope)\n",
                    false);
            break;
          case kind::line:
            on_line(self, x);
            break;
          case kind::closed:
            if (sessions.erase(x.session) != 0)
              spdlog::info("console: session {} closed", x.session);
            break;
        }
      },
      [self](atom::login, std::uint64_t session) {
        answer_refusal(self, session);
      },
  };
}

} // namespace racecontrol
