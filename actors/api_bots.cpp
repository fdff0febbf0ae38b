// The HTTP API's racetime.gg bots: those the token's organization may use
// (racetime_bot_organizations; bots:read) with their live state from the
// bot supervisor, creating one for the organization, changing one it may
// use, and deactivating it (bots:write). The client secret is write-only:
// it goes to the persistence actor in a config::secret (rendered as ***)
// and never into an answer, an audit entry or a log line. After a write
// the bot supervisor reloads (the console's `bot reload`), so a new bot
// starts, a changed one restarts with its new credentials and a
// deactivated one stops before the answer is sent.

#include "actors/api_support.hpp"
#include "actors/api_views.hpp"
#include "actors/error.hpp"
#include "actors/http_api.hpp"

#include "persistence/api_token_repository.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace racecontrol {

namespace {

namespace http = boost::beast::http;
using protocol::error_response;
using protocol::http_responder;
using protocol::http_server_request;
using protocol::json_response;
using live_bots = std::map<std::int32_t, bot_info>;

/// racetime.gg category slugs: lower-case letters, digits and dashes.
bool category_slug(const std::string& s) {
  return !s.empty() && s.size() <= 50 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// --- reading a bot body ----------------------------------------------------

/// A non-empty string of at most 255 characters, or nullopt after adding
/// the error.
std::optional<std::string> text_member(const std::string& key,
                                       const rapidjson::Value& v,
                                       field_errors& errors) {
  if (!v.IsString()) {
    errors.emplace_back(key, "must be a string");
    return std::nullopt;
  }
  std::string s{v.GetString(), v.GetStringLength()};
  if (s.find_first_not_of(" \t\r\n") == std::string::npos)
    errors.emplace_back(key, "must not be empty");
  else if (utf8_length(s) > max_text)
    errors.emplace_back(key, "must be at most 255 characters");
  return s;
}

void read_member(const std::string& key, const rapidjson::Value& v, bool create,
                 bot_write& w, field_errors& errors) {
  if (key == "category") {
    if (!create)
      return void(errors.emplace_back(
          key, "a bot's category cannot change; create a bot for the other "
               "category"));
    if (!v.IsString() || !category_slug({v.GetString(), v.GetStringLength()}))
      return void(errors.emplace_back(
          key, "must be a racetime.gg category slug (a-z, 0-9, -; at most "
               "50)"));
    w.category = std::string{v.GetString(), v.GetStringLength()};
  } else if (key == "name") {
    w.name = text_member(key, v, errors);
  } else if (key == "client_id") {
    w.client_id = text_member(key, v, errors);
  } else if (key == "client_secret") {
    if (auto s = text_member(key, v, errors))
      w.client_secret = config::secret{std::move(*s)};
  } else if (key == "is_active" && !create) {
    if (!v.IsBool())
      return void(errors.emplace_back(key, "must be true or false"));
    w.is_active = v.GetBool();
  } else {
    errors.emplace_back(key, create ? "is not a field of a new bot "
                                      "(category, name, client_id, "
                                      "client_secret)"
                                    : "is not a field of a bot (name, "
                                      "client_id, client_secret, is_active)");
  }
}

field_errors read_bot_body(const rapidjson::Document& doc, bool create,
                           bot_write& w) {
  field_errors errors;
  for (const auto& m : doc.GetObject())
    read_member({m.name.GetString(), m.name.GetStringLength()}, m.value, create,
                w, errors);
  if (create)
    for (const char* required :
         {"category", "name", "client_id", "client_secret"})
      if (!doc.HasMember(required))
        errors.emplace_back(required, "is required");
  if (!create && doc.ObjectEmpty())
    errors.emplace_back("body", "the body changes nothing: give at least "
                                "one field");
  return errors;
}

// --- answers ---------------------------------------------------------------

/// Asks the bot supervisor how its bots are and hands `then` the running
/// ones by id; when it does not answer, none (the rows' stored status is
/// shown instead, and the failure logged).
void with_live_bots(api_pointer self, std::function<void(live_bots)> then) {
  self->request(self->state.peers.bots, self->state.options.db_timeout,
                atom::status::value)
      .then(
          [then](const std::vector<bot_info>& bots) {
            live_bots live;
            for (const auto& b : bots)
              live.emplace(b.bot_id, b);
            then(std::move(live));
          },
          [then](const caf::error& err) {
            spdlog::warn("http: the bot supervisor did not say how the bots "
                         "are: {}",
                         describe(err));
            then({});
          });
}

std::string bot_json(const bot_view& b, const live_bots& live) {
  auto it = live.find(b.id);
  return protocol::json_text([&](protocol::json_writer& w) {
    write_bot(w, b, it == live.end() ? nullptr : &it->second);
  });
}

void answer_bot(api_pointer self, const http_responder& respond,
                unsigned status, const bot_view& b) {
  with_live_bots(self, [respond, status, b](live_bots live) {
    respond(json_response(status, bot_json(b, live)));
  });
}

/// Loads bot `id` for `who`: 404 when there is none, 403 when the
/// organization may not use it.
void with_bot(api_pointer self, const http_responder& respond,
              const api_identity& who, std::int32_t id,
              std::function<void(const bot_view&)> then) {
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::get::value, bot_query{who.organization_id, id})
      .then(
          [respond, id, then](const std::vector<bot_view>& rows) {
            auto what = "bot " + std::to_string(id);
            if (rows.empty())
              return respond(
                  error_response(404, "not_found", "there is no " + what));
            if (!rows[0].organization_linked)
              return respond(other_organization(what));
            then(rows[0]);
          },
          [respond](const caf::error& err) {
            respond(error_answer(err, "reading a bot"));
          });
}

/// Stores the write, has the bot supervisor reload, then answers with the
/// bot as it runs now.
void save_bot(api_pointer self, const http_responder& respond, bot_write w,
              unsigned status) {
  auto actor = w.actor;
  self->request(self->state.peers.db, self->state.options.db_timeout,
                atom::put::value, std::move(w))
      .then(
          [self, respond, status, actor](const bot_view& b) {
            spdlog::info("http: {} {} bot {} ({})", actor,
                         status == 201 ? "created" : "changed", b.id,
                         b.category);
            self->request(self->state.peers.bots,
                          self->state.options.db_timeout, atom::reload::value)
                .then(
                    [self, respond, status, b](atom::ok) {
                      answer_bot(self, respond, status, b);
                    },
                    [self, respond, status, b](const caf::error& err) {
                      spdlog::warn("http: bot {} was saved but the bots did "
                                   "not reload: {}; `bot reload` on the "
                                   "console retries",
                                   b.id, describe(err));
                      answer_bot(self, respond, status, b);
                    });
          },
          [respond](const caf::error& err) {
            respond(error_answer(err, "saving a bot"));
          });
}

// --- routes ----------------------------------------------------------------

void list_bots(api_pointer self, http_server_request req,
               http_responder respond) {
  with_identity(
      self, req, respond, "bots:read",
      [self, respond](const api_identity& who) {
        self->request(self->state.peers.db, self->state.options.db_timeout,
                      atom::get::value,
                      bot_query{who.organization_id, std::nullopt})
            .then(
                [self, respond](const std::vector<bot_view>& rows) {
                  with_live_bots(self, [respond, rows](live_bots live) {
                    respond(json_response(
                        200, protocol::json_text([&](protocol::json_writer& w) {
                          w.StartObject();
                          w.Key("items");
                          w.StartArray();
                          for (const auto& b : rows) {
                            auto it = live.find(b.id);
                            write_bot(w, b,
                                      it == live.end() ? nullptr : &it->second);
                          }
                          w.EndArray();
                          w.Key("next");
                          w.Null();
                          w.EndObject();
                        })));
                  });
                },
                [respond](const caf::error& err) {
                  respond(error_answer(err, "listing bots"));
                });
      });
}

void get_bot(api_pointer self, http_server_request req,
             http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(self, req, respond, "bots:read",
                [self, respond, id = *id](const api_identity& who) {
                  with_bot(self, respond, who, id,
                           [self, respond](const bot_view& b) {
                             answer_bot(self, respond, 200, b);
                           });
                });
}

void write_bot_route(api_pointer self, http_server_request req,
                     http_responder respond, bool create) {
  std::optional<std::int32_t> id;
  if (!create && !(id = path_id(req, respond)))
    return;
  auto shared = std::make_shared<const http_server_request>(std::move(req));
  with_identity(
      self, *shared, respond, "bots:write",
      [self, respond, shared, id, create](const api_identity& who) {
        auto body = json_body(*shared, respond, false);
        if (!body)
          return;
        bot_write w;
        w.bot_id = id;
        if (auto errors = read_bot_body(*body, create, w); !errors.empty())
          return respond(
              error_response(422, "invalid_fields",
                             "the bot has invalid fields: see fields", errors));
        w.organization_id = who.organization_id;
        w.actor = api_actor_name(who);
        w.may_change_shared = persistence::scope_allows(who.scopes, "admin");
        save_bot(self, respond, std::move(w), create ? 201 : 200);
      });
}

/// DELETE deactivates: the row stays (rooms and audit entries name it) and
/// PATCH {"is_active": true} brings it back.
void deactivate_bot(api_pointer self, http_server_request req,
                    http_responder respond) {
  auto id = path_id(req, respond);
  if (!id)
    return;
  with_identity(self, req, respond, "bots:write",
                [self, respond, id = *id](const api_identity& who) {
                  bot_write w;
                  w.bot_id = id;
                  w.is_active = false;
                  w.organization_id = who.organization_id;
                  w.actor = api_actor_name(who);
                  w.may_change_shared =
                      persistence::scope_allows(who.scopes, "admin");
                  save_bot(self, respond, std::move(w), 200);
                });
}

} // namespace

void add_bot_routes(api_pointer self, protocol::http_router& routes) {
  routes.add(http::verb::get, "/api/bots",
             [self](http_server_request req, http_responder respond) {
               list_bots(self, std::move(req), std::move(respond));
             });
  routes.add(http::verb::post, "/api/bots",
             [self](http_server_request req, http_responder respond) {
               write_bot_route(self, std::move(req), std::move(respond), true);
             });
  routes.add(http::verb::get, "/api/bots/{id}",
             [self](http_server_request req, http_responder respond) {
               get_bot(self, std::move(req), std::move(respond));
             });
  routes.add(http::verb::patch, "/api/bots/{id}",
             [self](http_server_request req, http_responder respond) {
               write_bot_route(self, std::move(req), std::move(respond), false);
             });
  routes.add(http::verb::delete_, "/api/bots/{id}",
             [self](http_server_request req, http_responder respond) {
               deactivate_bot(self, std::move(req), std::move(respond));
             });
}

} // namespace racecontrol
