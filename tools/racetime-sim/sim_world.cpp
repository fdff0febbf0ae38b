#include "tools/racetime-sim/sim_world.hpp"

#include "protocol/json.hpp"

#include <algorithm>
#include <cctype>

namespace racecontrol::sim {

namespace {

using protocol::entrant_status;
using protocol::race_status;
using namespace std::chrono_literals;

constexpr std::size_t max_monitors = 5;
constexpr const char* permission_denied =
    "Permission denied. Check your authorization token.";
constexpr const char* adjectives[] = {"crafty", "cool",   "lazy",  "swift",
                                      "brave",  "clever", "shiny", "quiet"};
constexpr const char* nouns[] = {"vivi",  "doge",  "link",  "zelda",
                                 "kirby", "samus", "mario", "yoshi"};

protocol::status_text race_status_text(race_status s) {
  switch (s) {
    case race_status::open:
      return {"open", "Open", "Anyone may join this race"};
    case race_status::invitational:
      return {"invitational", "Invitational",
              "Only invited users may join this race"};
    case race_status::pending:
      return {"pending", "Starting", "The race is about to begin"};
    case race_status::in_progress:
      return {"in_progress", "In progress", "The race is in progress"};
    case race_status::finished:
      return {"finished", "Finished", "This race has been completed"};
    case race_status::cancelled:
      return {"cancelled", "Cancelled", "This race has been cancelled"};
    default:
      return {"partitioned", "Partitioned", "This race has been partitioned"};
  }
}

protocol::status_text entrant_status_text(entrant_status s) {
  switch (s) {
    case entrant_status::requested:
      return {"requested", "Requested", "Wants to join the race."};
    case entrant_status::invited:
      return {"invited", "Invited", "Invited to join the race."};
    case entrant_status::declined:
      return {"declined", "Declined", "Declined an invitation."};
    case entrant_status::ready:
      return {"ready", "Ready", "Ready to begin the race."};
    case entrant_status::not_ready:
      return {"not_ready", "Not ready", "Not ready to begin yet."};
    case entrant_status::in_progress:
      return {"in_progress", "In progress", "Currently racing."};
    case entrant_status::done:
      return {"done", "Finished", "Finished the race."};
    case entrant_status::dnf:
      return {"dnf", "Did not finish", "Gave up on the race."};
    case entrant_status::dq:
      return {"dq", "Disqualified", "Disqualified by a moderator."};
    default:
      return {"partitioned", "Partitioned", ""};
  }
}

int display_order(entrant_status s) {
  switch (s) {
    case entrant_status::done:
      return 0;
    case entrant_status::ready:
    case entrant_status::in_progress:
      return 1;
    case entrant_status::not_ready:
      return 2;
    case entrant_status::invited:
      return 3;
    case entrant_status::requested:
      return 4;
    case entrant_status::dnf:
      return 5;
    case entrant_status::dq:
      return 6;
    default:
      return 7;
  }
}

bool joined(entrant_status s) {
  return s == entrant_status::not_ready || s == entrant_status::ready ||
         s == entrant_status::in_progress || s == entrant_status::done ||
         s == entrant_status::dnf || s == entrant_status::dq;
}

bool race_over(race_status s) {
  return s == race_status::finished || s == race_status::cancelled ||
         s == race_status::partitioned;
}

std::string ordinal(std::int64_t n) {
  const char* suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1)
      suffix = "st";
    else if (n % 10 == 2)
      suffix = "nd";
    else if (n % 10 == 3)
      suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

/// "0:00:06" as racetime.gg's chat prints finish times.
std::string clock_text(std::chrono::microseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  char buf[32];
  std::snprintf(
      buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
      static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

/// Removes `##tag##text##` markup, keeping the text.
std::string plain_text(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "##") == 0) {
      auto tag_end = text.find("##", i + 2);
      auto text_end = tag_end == std::string::npos
                          ? std::string::npos
                          : text.find("##", tag_end + 2);
      if (text_end != std::string::npos) {
        out += text.substr(tag_end + 2, text_end - tag_end - 2);
        i = text_end + 2;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

} // namespace

protocol::user_summary user::summary() const {
  protocol::user_summary u;
  u.id = id;
  u.name = name;
  if (discriminator != "0000" && !discriminator.empty())
    u.discriminator = discriminator;
  u.full_name = u.discriminator ? name + "#" + discriminator : name;
  std::string lower;
  for (char c : name)
    lower.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  u.url = "/user/" + id + "/" + lower;
  u.twitch_name = twitch_name;
  u.twitch_display_name = twitch_name;
  if (twitch_name)
    u.twitch_channel = "https://www.twitch.tv/" + *twitch_name;
  return u;
}

bool django_bool(const std::string* value, bool model_default) {
  if (value == nullptr)
    return model_default;
  std::string lower;
  for (char c : *value)
    lower.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return !(lower == "false" || lower.empty());
}

world::world(hooks h, double time_scale, std::uint64_t seed)
    : hooks_(std::move(h)), time_scale_(time_scale), rng_(seed) {}

// --- setup ---------------------------------------------------------------

void world::add_category(category c) {
  if (c.short_name.empty()) {
    for (char ch : c.slug)
      if (std::isalnum(static_cast<unsigned char>(ch)))
        c.short_name.push_back(static_cast<char>(std::toupper(ch)));
  }
  if (c.name.empty())
    c.name = c.slug;
  categories_[c.slug] = std::move(c);
}

void world::add_goal(const std::string& cat, const std::string& goal) {
  auto& goals = categories_.at(cat).goals;
  if (std::find(goals.begin(), goals.end(), goal) == goals.end())
    goals.push_back(goal);
}

void world::add_application(application a) {
  apps_[a.client_id] = std::move(a);
}

void world::add_user(user u) {
  users_[u.id] = std::move(u);
}

void world::set_authorize_user(std::string user_id) {
  authorize_user_ = std::move(user_id);
}

void world::set_token_lifetime(std::chrono::seconds s) {
  token_lifetime_ = s;
}

void world::set_guid_window(std::chrono::seconds s) {
  guid_window_ = s;
}

std::chrono::milliseconds world::scaled(std::chrono::milliseconds d) const {
  return std::chrono::milliseconds{
      static_cast<std::int64_t>(static_cast<double>(d.count()) * time_scale_)};
}

time_point world::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(
      system_clock::now());
}

std::string world::random_string(std::size_t n) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(alphabet[pick(rng_)]);
  return out;
}

std::string world::new_slug() {
  std::uniform_int_distribution<int> a(0, 7), b(0, 7), num(0, 9999);
  for (;;) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s-%s-%04d", adjectives[a(rng_)],
                  nouns[b(rng_)], num(rng_));
    if (races_.count(buf) == 0)
      return buf;
  }
}

// --- OAuth2 ----------------------------------------------------------------

world::grant_result world::grant(const std::map<std::string, std::string>& f) {
  auto get = [&](const char* k) -> std::string {
    auto it = f.find(k);
    return it == f.end() ? "" : it->second;
  };
  grant_result out;
  auto type = get("grant_type");
  // django-oauth-toolkit checks the grant type before the client.
  if (type != "client_credentials" && type != "authorization_code" &&
      type != "refresh_token") {
    out.error = "unsupported_grant_type";
    out.status = 400;
    return out;
  }
  auto app = apps_.find(get("client_id"));
  if (app == apps_.end() || !app->second.active ||
      app->second.client_secret != get("client_secret")) {
    out.error = "invalid_client";
    out.status = 401;
    return out;
  }
  const application& a = app->second;
  token t;
  t.client_id = a.client_id;
  t.scopes = {"read", "chat_message", "race_action", "create_race"};
  if (type == "client_credentials") {
    if (a.kind != application::grant::client_credentials) {
      out.error = "unauthorized_client";
      out.status = 400;
      return out;
    }
    if (auto scope = get("scope"); !scope.empty()) {
      t.scopes.clear();
      std::string word;
      for (char c : scope + " ") {
        if (c == ' ' && !word.empty())
          t.scopes.insert(word), word.clear();
        else if (c != ' ')
          word.push_back(c);
      }
    }
  } else if (type == "authorization_code" || type == "refresh_token") {
    if (a.kind != application::grant::authorization_code) {
      out.error = "unauthorized_client";
      out.status = 400;
      return out;
    }
    if (type == "authorization_code") {
      auto code = codes_.find(get("code"));
      if (code == codes_.end() || code->second.first != a.client_id) {
        out.error = "invalid_grant";
        out.status = 400;
        return out;
      }
      t.user_id = code->second.second;
      codes_.erase(code);
    } else {
      auto refresh = refresh_tokens_.find(get("refresh_token"));
      auto old = refresh == refresh_tokens_.end()
                     ? tokens_.end()
                     : tokens_.find(refresh->second);
      if (old == tokens_.end() || old->second.client_id != a.client_id) {
        out.error = "invalid_grant";
        out.status = 400;
        return out;
      }
      // Rotation: the old access and refresh tokens die at once.
      t.user_id = old->second.user_id;
      t.scopes = old->second.scopes;
      tokens_.erase(old);
      refresh_tokens_.erase(refresh);
    }
    t.refresh_token = random_string(30);
  }
  t.expires_at = system_clock::now() + token_lifetime_;
  auto value = random_string(30);
  if (t.refresh_token)
    refresh_tokens_[*t.refresh_token] = value;
  out.access_token = value;
  out.refresh_token = t.refresh_token;
  out.expires_in = token_lifetime_.count();
  for (const char* s : {"read", "chat_message", "race_action", "create_race"})
    if (t.scopes.count(s))
      out.scope += (out.scope.empty() ? "" : " ") + std::string{s};
  tokens_[value] = std::move(t);
  record(
      {now(), "token", a.client_id, "", "{\"grant_type\":\"" + type + "\"}"});
  return out;
}

std::optional<std::string> world::authorize(const std::string& client_id,
                                            const std::string& redirect_uri,
                                            std::string& error) {
  auto app = apps_.find(client_id);
  if (app == apps_.end() ||
      app->second.kind != application::grant::authorization_code) {
    error = "invalid_client";
    return std::nullopt;
  }
  const auto& uris = app->second.redirect_uris;
  if (!uris.empty() &&
      std::find(uris.begin(), uris.end(), redirect_uri) == uris.end()) {
    error = "invalid_request: mismatching redirect URI";
    return std::nullopt;
  }
  if (authorize_user_.empty() || users_.count(authorize_user_) == 0) {
    error = "login_required: no test user is configured to approve";
    return std::nullopt;
  }
  auto code = random_string(30);
  codes_[code] = {client_id, authorize_user_};
  return code;
}

const token* world::find_token(const std::string& value) const {
  auto it = tokens_.find(value);
  if (it == tokens_.end() || it->second.expires_at <= system_clock::now())
    return nullptr;
  return &it->second;
}

const application* world::bot_for(const std::string& token_value,
                                  const std::string& cat) const {
  const token* t = find_token(token_value);
  if (t == nullptr || t->user_id)
    return nullptr;
  auto app = apps_.find(t->client_id);
  if (app == apps_.end() || !app->second.active ||
      app->second.kind != application::grant::client_credentials ||
      app->second.category != cat)
    return nullptr;
  return &app->second;
}

void world::expire_tokens(const std::optional<std::string>& client_id) {
  auto past = system_clock::now() - 1s;
  for (auto& [value, t] : tokens_)
    if (!client_id || t.client_id == *client_id)
      t.expires_at = past;
}

// --- races -----------------------------------------------------------------

const category* world::find_category(const std::string& slug) const {
  auto it = categories_.find(slug);
  return it == categories_.end() ? nullptr : &it->second;
}

race* world::find_race(const std::string& slug) {
  auto it = races_.find(slug);
  return it == races_.end() ? nullptr : &it->second;
}

race* world::find_race(const std::string& cat, const std::string& slug) {
  race* r = find_race(slug);
  return r != nullptr && r->category == cat ? r : nullptr;
}

std::vector<std::string> world::race_slugs() const {
  std::vector<std::string> out;
  for (const auto& [slug, r] : races_)
    out.push_back(slug);
  return out;
}

std::string world::open_race(const application& bot, race_settings settings) {
  race r;
  r.category = bot.category;
  r.slug = new_slug();
  r.settings = std::move(settings);
  r.status =
      r.settings.invitational ? race_status::invitational : race_status::open;
  r.opened_at = now();
  r.opened_by_bot = bot.name;
  auto slug = r.slug;
  races_[slug] = std::move(r);
  system_message(races_[slug], "Race opened automatically by " + bot.name);
  return races_[slug].name();
}

void world::touch(race& r) {
  ++r.version;
  if (hooks_.broadcast)
    hooks_.broadcast(
        r.slug,
        protocol::serialize(
            protocol::race_data_message{race_data(r), r.version}, now()));
}

protocol::race_data world::race_data(const race& r) const {
  protocol::race_data d;
  const category& cat = categories_.at(r.category);
  d.version = r.version;
  d.name = r.name();
  d.slug = r.slug;
  d.status = r.status;
  d.status_info = race_status_text(r.status);
  d.url = "/" + r.name();
  d.data_url = d.url + "/data";
  d.websocket_url = "/ws/race/" + r.slug;
  d.websocket_bot_url = "/ws/o/bot/" + r.slug;
  d.websocket_oauth_url = "/ws/o/race/" + r.slug;
  d.category = {cat.name,       cat.short_name,           cat.slug,
                "/" + cat.slug, "/" + cat.slug + "/data", std::nullopt};
  d.goal = {r.settings.goal, r.settings.custom_goal};
  d.info_user = r.settings.info_user;
  d.info_bot = r.settings.info_bot;
  d.info = r.settings.info_user.empty() || r.settings.info_bot.empty()
               ? r.settings.info_user + r.settings.info_bot
               : r.settings.info_user + "\n" + r.settings.info_bot;
  d.team_race = r.settings.team_race;
  std::vector<const entrant*> sorted;
  for (const auto& e : r.entrants)
    sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    if (display_order(a->status) != display_order(b->status))
      return display_order(a->status) < display_order(b->status);
    return a->status == entrant_status::done && a->place < b->place;
  });
  for (const entrant* e : sorted) {
    protocol::entrant out;
    out.user = users_.at(e->user_id).summary();
    out.status = e->status;
    out.status_info = entrant_status_text(e->status);
    out.finish_time = e->finish_time;
    out.finished_at = e->finished_at;
    out.place = e->place;
    if (e->place)
      out.place_ordinal = ordinal(*e->place);
    out.stream_live = e->stream_live;
    out.stream_override = e->stream_override;
    d.entrants.push_back(std::move(out));
    if (joined(e->status))
      ++d.entrants_count;
    if (e->status == entrant_status::done)
      ++d.entrants_count_finished;
    if (e->status == entrant_status::dnf || e->status == entrant_status::dq)
      ++d.entrants_count_inactive;
  }
  d.opened_at = r.opened_at;
  d.start_delay = std::chrono::seconds{r.settings.start_delay};
  d.started_at = r.started_at;
  d.ended_at = r.ended_at;
  d.cancelled_at = r.cancelled_at;
  d.ranked = r.settings.ranked;
  d.unlisted = r.settings.unlisted;
  d.time_limit = std::chrono::hours{r.settings.time_limit};
  d.time_limit_auto_complete = r.settings.time_limit_auto_complete;
  d.require_even_teams = r.settings.require_even_teams;
  d.streaming_required = r.settings.streaming_required;
  d.auto_start = r.settings.auto_start;
  d.opened_by_bot = r.opened_by_bot;
  for (const auto& m : r.monitors)
    d.monitors.push_back(users_.at(m).summary());
  d.recordable = r.settings.recordable;
  d.allow_comments = r.settings.allow_comments;
  d.hide_comments = r.settings.hide_comments;
  d.hide_entrants = r.settings.hide_entrants;
  d.allow_prerace_chat = r.settings.allow_prerace_chat;
  d.allow_midrace_chat = r.settings.allow_midrace_chat;
  d.allow_non_entrant_chat = r.settings.allow_non_entrant_chat;
  d.chat_message_delay = std::chrono::seconds{r.settings.chat_message_delay};
  d.bot_meta = r.bot_meta;
  return d;
}

protocol::category_data world::category_data(const std::string& slug,
                                             bool include_unlisted) const {
  const category& c = categories_.at(slug);
  protocol::category_data d;
  d.name = c.name;
  d.short_name = c.short_name;
  d.slug = c.slug;
  d.url = "/" + c.slug;
  d.data_url = d.url + "/data";
  d.goals = c.goals;
  for (const auto& [s, r] : races_) {
    if (r.category != slug || race_over(r.status) ||
        (r.settings.unlisted && !include_unlisted))
      continue;
    auto full = race_data(r);
    protocol::race_summary sum;
    sum.name = full.name;
    sum.status = full.status;
    sum.status_info = full.status_info;
    sum.url = full.url;
    sum.data_url = full.data_url;
    sum.goal = full.goal;
    sum.info = full.info;
    sum.entrants_count = full.entrants_count;
    sum.entrants_count_finished = full.entrants_count_finished;
    sum.entrants_count_inactive = full.entrants_count_inactive;
    sum.opened_at = full.opened_at;
    sum.started_at = full.started_at;
    sum.time_limit = full.time_limit;
    sum.opened_by_bot = full.opened_by_bot;
    d.current_races.push_back(std::move(sum));
  }
  return d;
}

// --- chat --------------------------------------------------------------------

void world::system_message(race& r, const std::string& text) {
  protocol::chat_message m;
  m.id = random_string(16);
  m.posted_at = now();
  m.message = text;
  m.message_plain = plain_text(text);
  m.is_system = true;
  r.chat.push_back(m);
  if (hooks_.broadcast)
    hooks_.broadcast(
        r.slug, protocol::serialize(protocol::chat_message_message{m}, now()));
}

void world::bot_message(race& r, const application& bot,
                        const protocol::message_action& a) {
  protocol::chat_message m;
  m.id = random_string(16);
  m.bot = bot.name;
  m.is_bot = true;
  m.is_monitor = false;
  m.posted_at = now();
  m.message = a.message;
  m.message_plain = plain_text(a.message);
  if (a.direct_to) {
    m.is_dm = true;
    m.direct_to = users_.at(*a.direct_to).summary();
  } else {
    m.actions = a.actions;
    m.is_pinned = a.pinned.value_or(false);
  }
  r.chat.push_back(m);
  if (!hooks_.broadcast)
    return;
  if (m.is_dm) {
    const auto& to = users_.at(*a.direct_to);
    protocol::dm_user recipient{to.id, to.summary().full_name, to.name,
                                to.summary().discriminator};
    hooks_.broadcast(r.slug, protocol::serialize(
                                 protocol::chat_dm_message{m.id, std::nullopt,
                                                           bot.name, recipient},
                                 now()));
  } else {
    hooks_.broadcast(
        r.slug, protocol::serialize(protocol::chat_message_message{m}, now()));
  }
}

// --- race life
// -----------------------------------------------------------------

entrant* world::find_entrant(race& r, const std::string& user_id) {
  for (auto& e : r.entrants)
    if (e.user_id == user_id)
      return &e;
  return nullptr;
}

bool world::user_in_active_race(const std::string& user_id) const {
  for (const auto& [slug, r] : races_) {
    if (race_over(r.status))
      continue;
    for (const auto& e : r.entrants)
      if (e.user_id == user_id && (e.status == entrant_status::not_ready ||
                                   e.status == entrant_status::ready ||
                                   e.status == entrant_status::in_progress))
        return true;
  }
  return false;
}

void world::check_auto_start(race& r) {
  if (!r.settings.auto_start ||
      (r.status != race_status::open && r.status != race_status::invitational))
    return;
  std::size_t count = 0;
  for (const auto& e : r.entrants) {
    if (e.status == entrant_status::not_ready)
      return;
    if (e.status == entrant_status::ready)
      ++count;
  }
  if (count >= 2)
    start_countdown(r);
}

void world::start_countdown(race& r) {
  // Whoever is not ready when the countdown starts is removed.
  r.entrants.erase(std::remove_if(r.entrants.begin(), r.entrants.end(),
                                  [](const entrant& e) {
                                    return e.status ==
                                           entrant_status::not_ready;
                                  }),
                   r.entrants.end());
  auto delay = scaled(std::chrono::seconds{r.settings.start_delay});
  r.status = race_status::pending;
  r.started_at =
      now() + std::chrono::duration_cast<std::chrono::microseconds>(delay);
  auto id = ++r.countdown;
  system_message(r, "Everyone is ready. The race will begin in " +
                        std::to_string(r.settings.start_delay) + " seconds!");
  touch(r);
  auto slug = r.slug;
  if (hooks_.schedule)
    hooks_.schedule(delay, [this, slug, id] {
      race* rr = find_race(slug);
      if (rr == nullptr || rr->status != race_status::pending ||
          rr->countdown != id)
        return;
      rr->status = race_status::in_progress;
      for (auto& e : rr->entrants)
        if (e.status == entrant_status::ready)
          e.status = entrant_status::in_progress;
      system_message(*rr, "The race has begun! Good luck and have fun.");
      touch(*rr);
    });
}

void world::check_finished(race& r) {
  if (r.status != race_status::in_progress)
    return;
  for (const auto& e : r.entrants)
    if (e.status == entrant_status::in_progress)
      return;
  r.status = race_status::finished;
  r.ended_at = now();
  system_message(
      r, "Race finished in " +
             clock_text(std::chrono::duration_cast<std::chrono::microseconds>(
                 *r.ended_at - *r.started_at)));
}

std::optional<action_error> world::user_does(race& r, const std::string& uid,
                                             const std::string& what) {
  auto u = users_.find(uid);
  if (u == users_.end())
    return action_error{"No user found matching the given ID."};
  const std::string& name = u->second.name;
  entrant* e = find_entrant(r, uid);
  bool before_start =
      r.status == race_status::open || r.status == race_status::invitational;
  if (what == "join") {
    if (!before_start)
      return action_error{"You cannot join this race at this time."};
    if (e != nullptr && e->status == entrant_status::invited) {
      e->status = entrant_status::not_ready;
    } else if (e != nullptr) {
      return action_error{name + " is already an entrant."};
    } else if (user_in_active_race(uid)) {
      return action_error{name + " is not allowed to join this race."};
    } else {
      r.entrants.push_back({uid, r.status == race_status::invitational
                                     ? entrant_status::requested
                                     : entrant_status::not_ready});
    }
    system_message(r, "##user##" + name + "## joins the race.");
  } else if (what == "decline" && e && e->status == entrant_status::invited) {
    e->status = entrant_status::declined;
  } else if (what == "ready" && e && e->status == entrant_status::not_ready &&
             before_start) {
    e->status = entrant_status::ready;
    system_message(r, "##user##" + name + "## is ready!");
    touch(r);
    check_auto_start(r);
    return std::nullopt;
  } else if (what == "unready" && e && e->status == entrant_status::ready &&
             before_start) {
    e->status = entrant_status::not_ready;
  } else if (what == "leave" && e && before_start) {
    r.entrants.erase(r.entrants.begin() + (e - r.entrants.data()));
  } else if (what == "done" && e && e->status == entrant_status::in_progress) {
    auto elapsed = now() - *r.started_at;
    if (elapsed < scaled(std::chrono::seconds{5}))
      return action_error{"You cannot finish in the first 5 seconds."};
    std::int64_t place = 1;
    for (const auto& other : r.entrants)
      if (other.status == entrant_status::done)
        ++place;
    e->status = entrant_status::done;
    e->finished_at = now();
    e->finish_time =
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed);
    e->place = place;
    system_message(r, "##user##" + name + "## has ##good##finished## in " +
                          ordinal(place) + " place with a time of " +
                          clock_text(*e->finish_time) + "!");
    check_finished(r);
  } else if (what == "forfeit" && e &&
             (e->status == entrant_status::in_progress ||
              e->status == entrant_status::ready)) {
    e->status = entrant_status::dnf;
    system_message(r, "##user##" + name +
                          "## has ##bad##forfeited## from the "
                          "race.");
    check_finished(r);
  } else if (what == "undone" && e && e->status == entrant_status::done) {
    e->status = entrant_status::in_progress;
    e->finished_at.reset();
    e->finish_time.reset();
    e->place.reset();
    if (r.status == race_status::finished) {
      r.status = race_status::in_progress;
      r.ended_at.reset();
      system_message(r, "Race timer restarted.");
    }
  } else if (what == "stream_offline" && e) {
    e->stream_live = false;
  } else if (what == "stream_live" && e) {
    e->stream_live = true;
  } else {
    return action_error{"You cannot " + what +
                        " at this time. Refresh to "
                        "continue."};
  }
  touch(r);
  return std::nullopt;
}

// --- bot actions
// ---------------------------------------------------------------

std::optional<action_error> world::user_action(race& r,
                                               const protocol::user_action& a) {
  using kind = protocol::user_action::kind;
  auto u = users_.find(a.user);
  if (u == users_.end())
    return action_error{"No user found matching the given ID."};
  const std::string& name = u->second.name;
  entrant* e = find_entrant(r, a.user);
  bool before_start =
      r.status == race_status::open || r.status == race_status::invitational;
  if (a.what == kind::invite) {
    if (e != nullptr)
      return action_error{name + " is already an entrant."};
    if (u->second.banned || user_in_active_race(a.user) ||
        (r.settings.streaming_required && !u->second.twitch_name))
      return action_error{name + " is not allowed to join this race."};
    if (!before_start)
      return action_error{"You cannot invite users at this time. Refresh to "
                          "continue."};
    r.entrants.push_back({a.user, entrant_status::invited});
    system_message(r, "##bot##" + r.opened_by_bot + "## invites ##user##" +
                          name + "## to join the race.");
  } else if (e == nullptr) {
    return action_error{"Specified user is not a race entrant."};
  } else if (a.what == kind::accept_request) {
    if (e->status != entrant_status::requested)
      return action_error{"You cannot accept this request at this time. "
                          "Refresh to continue."};
    e->status = entrant_status::not_ready;
  } else if (a.what == kind::force_unready) {
    if (e->status != entrant_status::ready)
      return action_error{"You cannot force this entrant to be unready at "
                          "this time. Refresh to continue."};
    e->status = entrant_status::not_ready;
  } else if (a.what == kind::remove_entrant) {
    if (!before_start)
      return action_error{"You cannot remove entrants once the race has "
                          "started."};
    r.entrants.erase(r.entrants.begin() + (e - r.entrants.data()));
  } else if (a.what == kind::add_monitor) {
    if (std::find(r.monitors.begin(), r.monitors.end(), a.user) ==
        r.monitors.end()) {
      if (r.monitors.size() > max_monitors)
        return action_error{"This race already has the maximum number of "
                            "monitors."};
      r.monitors.push_back(a.user);
    }
  } else if (a.what == kind::remove_monitor) {
    r.monitors.erase(std::remove(r.monitors.begin(), r.monitors.end(), a.user),
                     r.monitors.end());
  } else if (a.what == kind::override_stream) {
    if (!r.settings.streaming_required || e->stream_live)
      return action_error{"You cannot set a stream override for this entrant "
                          "at this time. Refresh to continue."};
    e->stream_override = true;
  }
  touch(r);
  return std::nullopt;
}

std::optional<action_error>
world::simple_action(race& r, const application& bot,
                     const protocol::simple_action& a,
                     std::vector<std::string>& replies) {
  using kind = protocol::simple_action::kind;
  switch (a.what) {
    case kind::ping:
      replies.push_back(protocol::serialize(protocol::pong_message{}, now()));
      return std::nullopt;
    case kind::getrace:
      replies.push_back(protocol::serialize(
          protocol::race_data_message{race_data(r), r.version}, now()));
      replies.push_back(protocol::serialize(
          protocol::race_renders_message{"{}", r.version}, now()));
      return std::nullopt;
    case kind::make_open:
      if (r.status != race_status::invitational)
        return action_error{"Race is not an invitational."};
      r.status = race_status::open;
      break;
    case kind::make_invitational:
      if (r.status != race_status::open)
        return action_error{"Race is not open."};
      r.status = race_status::invitational;
      break;
    case kind::begin: {
      std::size_t ready = 0;
      for (const auto& e : r.entrants)
        ready += e.status == entrant_status::ready;
      if (ready < 2 || (r.status != race_status::open &&
                        r.status != race_status::invitational))
        return action_error{"Race cannot be started yet."};
      start_countdown(r);
      return std::nullopt;
    }
    case kind::cancel:
      if (race_over(r.status))
        return action_error{"Cannot cancel a race that is in " +
                            std::string{protocol::to_string(r.status)} +
                            " state."};
      r.status = race_status::cancelled;
      r.cancelled_at = now();
      ++r.countdown;
      for (auto& e : r.entrants)
        if (e.status == entrant_status::in_progress)
          e.status = entrant_status::dnf;
      system_message(r, "This race has been cancelled by ##bot##" + bot.name +
                            "##.");
      break;
  }
  touch(r);
  return std::nullopt;
}

std::optional<action_error>
world::bot_action(race& r, const application& bot,
                  const protocol::bot_action& action,
                  std::vector<std::string>& replies) {
  if (auto* m = std::get_if<protocol::message_action>(&action)) {
    if (!protocol::valid_guid(m->guid))
      return action_error{"Bad request, no GUID supplied. A unique "
                          "identifier is needed to send messages."};
    auto now_steady = std::chrono::steady_clock::now();
    auto seen = guids_.find(m->guid);
    if (seen != guids_.end() && now_steady - seen->second < guid_window_)
      return std::nullopt; // dropped silently, as racetime.gg does
    guids_[m->guid] = now_steady;
    if (m->message.empty() || m->message.size() > 1000)
      return action_error{"message: Ensure this value has at most 1000 "
                          "characters."};
    if (m->actions != "null") {
      auto doc = protocol::parse_json(m->actions);
      if (doc.IsObject() && doc.MemberCount() > 4)
        return action_error{"actions: A message may only have up to 4 "
                            "actions."};
    }
    if (m->direct_to && users_.count(*m->direct_to) == 0)
      return action_error{"No user found matching the given ID."};
    bot_message(r, bot, *m);
    return std::nullopt;
  }
  if (auto* p = std::get_if<protocol::pin_action>(&action)) {
    for (auto& msg : r.chat)
      if (msg.id == p->message_id) {
        msg.is_pinned = p->pin;
        if (hooks_.broadcast)
          hooks_.broadcast(r.slug,
                           protocol::serialize(
                               protocol::chat_pin_message{msg, p->pin}, now()));
        return std::nullopt;
      }
    return action_error{"Could not find a message with that ID."};
  }
  if (auto* s = std::get_if<protocol::setinfo_action>(&action)) {
    if (s->info_bot)
      r.settings.info_bot = *s->info_bot;
    if (s->info_user)
      r.settings.info_user = *s->info_user;
    system_message(r,
                   "##bot##" + bot.name + "## updated the race information.");
    touch(r);
    return std::nullopt;
  }
  if (auto* m = std::get_if<protocol::setmeta_action>(&action)) {
    auto current = protocol::parse_json(r.bot_meta);
    auto update = protocol::parse_json(m->meta);
    for (auto it = update.MemberBegin(); it != update.MemberEnd(); ++it) {
      rapidjson::Value key(it->name, current.GetAllocator());
      rapidjson::Value value(it->value, current.GetAllocator());
      current.RemoveMember(it->name);
      current.AddMember(key, value, current.GetAllocator());
    }
    auto merged = protocol::to_json(current);
    if (std::string{"{\"bot_meta\": "}.size() + merged.size() + 1 > 2048)
      return action_error{"Data provided is too large to save."};
    r.bot_meta = merged;
    ++r.version; // no broadcast: shows in the next race.data
    return std::nullopt;
  }
  if (auto* u = std::get_if<protocol::user_action>(&action))
    return user_action(r, *u);
  if (auto* s = std::get_if<protocol::simple_action>(&action))
    return simple_action(r, bot, *s, replies);
  if (auto* h = std::get_if<protocol::gethistory_action>(&action)) {
    protocol::chat_history_message history;
    std::size_t start = 0;
    if (h->last_message) {
      for (std::size_t i = 0; i < r.chat.size(); ++i)
        if (r.chat[i].id == *h->last_message)
          start = i + 1;
    }
    std::vector<protocol::chat_message> regular, pinned;
    for (std::size_t i = start; i < r.chat.size(); ++i) {
      if (r.chat[i].is_dm)
        continue;
      (r.chat[i].is_pinned ? pinned : regular).push_back(r.chat[i]);
    }
    if (regular.size() > 100)
      regular.erase(regular.begin(), regular.end() - 100);
    history.messages = regular;
    history.messages.insert(history.messages.end(), pinned.begin(),
                            pinned.end());
    replies.push_back(protocol::serialize(history, now()));
    return std::nullopt;
  }
  return action_error{permission_denied};
}

void world::record(bot_record r) {
  records_.push_back(std::move(r));
  if (records_.size() > 100000)
    records_.pop_front();
}

} // namespace racecontrol::sim
