// The HTTP API's scheduled tasks: the token's organization's tasks
// (tasks:read), creating, changing and deleting them (tasks:write) and
// running one now through the scheduler actor (tasks:write). A write is
// checked whole before it is stored: types, known fields, and the schedule
// with the scheduler's own rules (task_timing), so a task the scheduler
// could not plan is refused with 422 instead of failing later. After a
// write the scheduler reloads at once (next_run_at NULL makes it plan a
// changed schedule afresh).

#include "actors/api_support.hpp"
#include "actors/api_views.hpp"
#include "actors/error.hpp"
#include "actors/http_api.hpp"
#include "actors/task_timing.hpp"

#include "protocol/iso8601.hpp"

#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace racecontrol {

namespace {

namespace http = boost::beast::http;
using protocol::error_response;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::json_response;

bool one_of(const std::string& s, std::initializer_list<const char*> known) {
  return std::any_of(known.begin(), known.end(), [&](const char* k) {
    return s == k;
  });
}

// --- reading a task body ---------------------------------------------------

/// A string member into `out` (nullopt for null when `nullable`); adds
/// what is wrong to `errors`.
void read_text(const std::string& key, const rapidjson::Value& v, bool nullable,
               std::optional<std::string>& out, field_errors& errors) {
  if (v.IsNull() && nullable)
    return void(out.reset());
  if (!v.IsString())
    return void(errors.emplace_back(key, nullable ? "must be a string or null"
                                                  : "must be a string"));
  out = std::string{v.GetString(), v.GetStringLength()};
  if (utf8_length(*out) > max_text)
    errors.emplace_back(key, "must be at most 255 characters");
}

/// What the scheduler reads of a config that names a match (a manual open
/// at each run): refused when written rather than failing every run.
void check_open_config(const rapidjson::Value& config, field_errors& errors) {
  auto given = [&](const char* key) {
    return config.HasMember(key) && !config[key].IsNull();
  };
  if (!given("match_id"))
    return; // the scheduler reads nothing else then
  if (given("goal") && (!config["goal"].IsString() ||
                        utf8_length(config["goal"].GetString()) > max_text))
    errors.emplace_back("config", "config.goal must be a goal's name (at most "
                                  "255 characters; empty or null for the "
                                  "match's own)");
  if (given("invitational") && !config["invitational"].IsBool())
    errors.emplace_back("config", "config.invitational must be true or false, "
                                  "or null for the match's own");
}

void read_member(const std::string& key, const rapidjson::Value& v,
                 task_record& t, field_errors& errors) {
  std::optional<std::string> text;
  if (key == "name" || key == "task_type" || key == "schedule_type") {
    read_text(key, v, false, text, errors);
    if (!text)
      return;
    if (key == "name")
      t.name = *text;
    else if (key == "task_type")
      t.task_type = *text;
    else
      t.schedule_type = *text;
  } else if (key == "interval_seconds") {
    if (v.IsNull())
      t.interval_seconds.reset();
    else if (!v.IsInt() || v.GetInt() <= 0)
      errors.emplace_back(key, "must be a positive integer (seconds) or null");
    else
      t.interval_seconds = v.GetInt();
  } else if (key == "cron_expression") {
    read_text(key, v, true, text, errors);
    t.cron_expression = text;
  } else if (key == "run_at") {
    read_text(key, v, true, text, errors);
    t.run_at.reset();
    if (text && !(t.run_at = protocol::parse_iso8601_time(*text)))
      errors.emplace_back(key, "must be an ISO 8601 time such as "
                               "2026-12-24T19:00:00Z, or null");
  } else if (key == "config") {
    if (!v.IsObject())
      return void(errors.emplace_back(key, "must be a JSON object"));
    check_open_config(v, errors);
    t.config_json = protocol::to_json(v);
  } else if (key == "is_active") {
    if (!v.IsBool())
      return void(errors.emplace_back(key, "must be true or false"));
    t.is_active = v.GetBool();
  } else {
    errors.emplace_back(key, "is not a field of a task (name, task_type, "
                             "schedule_type, interval_seconds, "
                             "cron_expression, run_at, config, is_active)");
  }
}

/// The field a schedule error is about, by the schedule's type.
const char* schedule_field(const task_record& t) {
  if (t.schedule_type == "INTERVAL")
    return "interval_seconds";
  if (t.schedule_type == "CRON")
    return "cron_expression";
  if (t.schedule_type == "ONE_TIME")
    return "run_at";
  return "schedule_type";
}

/// Applies the body to `t` (a fresh row to create, the stored one to
/// change) and checks the result whole.
field_errors read_task_body(const rapidjson::Document& doc, bool create,
                            task_record& t) {
  field_errors errors;
  for (const auto& m : doc.GetObject())
    read_member({m.name.GetString(), m.name.GetStringLength()}, m.value, t,
                errors);
  if (create)
    for (const char* required : {"name", "task_type", "schedule_type"})
      if (!doc.HasMember(required))
        errors.emplace_back(required, "is required");
  if (!create && doc.ObjectEmpty())
    errors.emplace_back("body", "the body changes nothing: give at least "
                                "one field");
  if (!errors.empty())
    return errors;
  if (t.name.find_first_not_of(" \t\r\n") == std::string::npos)
    errors.emplace_back("name", "must not be empty");
  if (!one_of(t.task_type,
              {"RACETIME_OPEN_ROOM", "RACETIME_POLL_OPEN_ROOMS", "CUSTOM"}))
    errors.emplace_back("task_type", "must be RACETIME_OPEN_ROOM, "
                                     "RACETIME_POLL_OPEN_ROOMS or CUSTOM");
  if (!one_of(t.schedule_type, {"INTERVAL", "CRON", "ONE_TIME"}))
    errors.emplace_back("schedule_type", "must be INTERVAL, CRON or ONE_TIME");
  std::string why;
  if (errors.empty() && !task_timing::of(t, why))
    errors.emplace_back(schedule_field(t), why);
  return errors;
}

// --- answers ---------------------------------------------------------------

std::string task_json(const task_record& t) {
  return protocol::json_text([&](protocol::json_writer& w) {
    write_task(w, t);
  });
}

/// The scheduler re-reads its rows now rather than at its next periodic
/// reload, so a created or changed task runs on its new schedule.
void tell_scheduler(api_pointer self) {
  if (self->state.peers.scheduler)
    self->send(self->state.peers.scheduler, atom::reload::value);
}

/// Loads task `id` for `who` and hands it to `then`; answers 404 or 403
/// itself (a global task is nobody's through the API).
void with_task(api_pointer self, const http_responder& respond,
               const api_identity& who, std::int32_t id,
               std::function<void(const task_record&)> then) {
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::get::value, task_query{who.organization_id, id, {}})
      .then(
          [respond, who, id, then](const std::vector<task_record>& rows) {
            auto what = "scheduled task " + std::to_string(id);
            if (rows.empty())
              return respond(
                  error_response(404, "not_found", "there is no " + what));
            if (rows[0].organization_id !=
                std::optional<std::int32_t>{who.organization_id})
              return respond(other_organization(what));
            then(rows[0]);
          },
          [respond](const caf::error& err) {
            respond(error_answer(err, "reading a scheduled task"));
          });
}

void save_task(api_pointer self, const http_responder& respond, task_write w,
               unsigned status) {
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::put::value, w)
      .then(
          [self, respond, status, w](const task_record& t) {
            spdlog::info("http: {} {} scheduled task {}", w.actor,
                         w.remove        ? "deleted"
                         : status == 201 ? "created"
                                         : "changed",
                         t.id);
            tell_scheduler(self);
            if (w.remove)
              return respond({204, "application/json", {}, ""});
            respond(json_response(status, task_json(t)));
          },
          [respond](const caf::error& err) {
            respond(error_answer(err, "saving a scheduled task"));
          });
}

// --- routes ----------------------------------------------------------------

void list_tasks(api_pointer self, http_server_request req,
                http_responder respond) {
  auto page = page_of(req, respond);
  if (!page)
    return;
  with_identity(
      self, req, respond, "tasks:read",
      [self, respond, page = *page](const api_identity& who) {
        task_query q{who.organization_id, std::nullopt, probe(page)};
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value, q)
            .then(
                [respond, page](const std::vector<task_record>& rows) {
                  respond(
                      json_response(200, page_json(rows, page, write_task)));
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "listing scheduled tasks"));
                });
      });
}

void get_task(api_pointer self, http_server_request req,
              http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(self, req, respond, "tasks:read",
                [self, respond, id = *id](const api_identity& who) {
                  with_task(self, respond, who, id,
                            [respond](const task_record& t) {
                              respond(json_response(200, task_json(t)));
                            });
                });
}

void answer_invalid(const http_responder& respond, const field_errors& errors) {
  respond(error_response(422, "invalid_fields",
                         "the task has invalid fields: see fields", errors));
}

void create_task(api_pointer self, http_server_request req,
                 http_responder respond) {
  auto shared = std::make_shared<const http_server_request>(std::move(req));
  with_identity(self, *shared, respond, "tasks:write",
                [self, respond, shared](const api_identity& who) {
                  auto body = json_body(*shared, respond, false);
                  if (!body)
                    return;
                  task_write w;
                  w.task.config_json = "{}";
                  if (auto errors = read_task_body(*body, true, w.task);
                      !errors.empty())
                    return answer_invalid(respond, errors);
                  w.organization_id = who.organization_id;
                  w.actor = api_actor_name(who);
                  save_task(self, respond, std::move(w), 201);
                });
}

void change_task(api_pointer self, http_server_request req,
                 http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  auto shared = std::make_shared<const http_server_request>(std::move(req));
  with_identity(
      self, *shared, respond, "tasks:write",
      [self, respond, shared, id = *id](const api_identity& who) {
        auto body = json_body(*shared, respond, false);
        if (!body)
          return;
        auto doc = std::make_shared<rapidjson::Document>(std::move(*body));
        with_task(self, respond, who, id,
                  [self, respond, doc, who](const task_record& stored) {
                    task_write w;
                    w.task = stored;
                    w.read_as = stored;
                    if (auto errors = read_task_body(*doc, false, w.task);
                        !errors.empty())
                      return answer_invalid(respond, errors);
                    w.organization_id = who.organization_id;
                    w.actor = api_actor_name(who);
                    save_task(self, respond, std::move(w), 200);
                  });
      });
}

void delete_task(api_pointer self, http_server_request req,
                 http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(self, req, respond, "tasks:write",
                [self, respond, id = *id](const api_identity& who) {
                  task_write w;
                  w.task.id = id;
                  w.organization_id = who.organization_id;
                  w.actor = api_actor_name(who);
                  w.remove = true;
                  save_task(self, respond, std::move(w), 204);
                });
}

/// The run-now entry in the audit log, with the token's identity.
void audit_run(api_pointer self, const api_identity& who,
               const task_record& t) {
  audit_record a;
  a.organization_id = who.organization_id;
  a.action = "task_run";
  a.entity_type = "scheduled_task";
  a.entity_id = t.id;
  a.details_json = protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_string(w, "actor", api_actor_name(who));
    protocol::write_string(w, "name", t.name);
    w.EndObject();
  });
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::put::value, a)
      .then([](atom::ok) {},
            [id = t.id](const caf::error& err) {
              spdlog::warn("http: the audit entry for running scheduled task "
                           "{} was not written: {}",
                           id, describe(err));
            });
}

/// Asks the scheduler to run the task now (it claims the run in MariaDB
/// first, like a timed run) and answers 202 once it has started.
void ask_scheduler_to_run(api_pointer self, const http_responder& respond,
                          const api_identity& who, const task_record& t) {
  self->request(self->state.peers.scheduler, self->state.options.db_timeout,
                atom::run::value, t.id)
      .then(
          [self, respond, who, t](atom::ok) {
            audit_run(self, who, t);
            respond(json_response(
                202, protocol::json_text([&](protocol::json_writer& w) {
                  w.StartObject();
                  protocol::write_int(w, "task_id", t.id);
                  protocol::write_string(w, "status", "started");
                  w.EndObject();
                })));
          },
          [respond, t](const caf::error& err) {
            auto id = std::to_string(t.id);
            if (is(err, ec::not_found)) {
              // The row is active but the scheduler has not read it yet
              // (created a moment ago): its reload is on the way.
              auto r = error_response(503, "task_not_loaded",
                                      "the scheduler has not loaded task " +
                                          id + " yet; try again in a moment");
              r.headers.emplace_back("Retry-After", "1");
              return respond(r);
            }
            if (is(err, ec::unspecified))
              return respond(
                  error_response(409, "task_running", describe(err)));
            respond(error_answer(err, "running scheduled task " + id));
          });
}

void run_task(api_pointer self, http_server_request req,
              http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(
      self, req, respond, "tasks:write",
      [self, respond, id = *id](const api_identity& who) {
        with_task(
            self, respond, who, id, [self, respond, who](const task_record& t) {
              auto what = "scheduled task " + std::to_string(t.id);
              if (!t.is_active)
                return respond(error_response(
                    409, "task_inactive",
                    what + " is not active; set is_active to true "
                           "first"));
              if (t.run_started_at)
                return respond(error_response(
                    409, "task_running",
                    what + " is running already (on " + t.run_owner + ")"));
              if (!self->state.peers.scheduler)
                return respond(error_response(
                    503, "unavailable", "no scheduler runs in this process"));
              ask_scheduler_to_run(self, respond, who, t);
            });
      });
}

} // namespace

void add_task_routes(api_pointer self, protocol::http_router& routes) {
  auto bind = [self](auto handler) {
    return [self, handler](http_server_request req, http_responder respond) {
      handler(self, std::move(req), std::move(respond));
    };
  };
  routes.add(http::verb::get, "/api/tasks", bind(list_tasks));
  routes.add(http::verb::post, "/api/tasks", bind(create_task));
  routes.add(http::verb::get, "/api/tasks/{id}", bind(get_task));
  routes.add(http::verb::patch, "/api/tasks/{id}", bind(change_task));
  routes.add(http::verb::delete_, "/api/tasks/{id}", bind(delete_task));
  routes.add(http::verb::post, "/api/tasks/{id}/run", bind(run_task));
}

} // namespace racecontrol
