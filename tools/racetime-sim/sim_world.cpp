// The world's setup, races, documents, chat and the race's own life
// (countdown, start, finish: what racetime.gg's racebot process does). The
// actions bots and users take are in sim_world_actions.cpp.

#include "tools/racetime-sim/sim_world.hpp"

#include <algorithm>
#include <cctype>

namespace racecontrol::sim {

namespace {

using namespace std::chrono_literals;

constexpr const char* adjectives[] = {"crafty", "clever", "lazy",  "swift",
                                      "brave",  "comic",  "shiny", "quick"};
constexpr const char* nouns[] = {"vivi",  "doge",  "link",  "zelda",
                                 "kirby", "samus", "mario", "yoshi"};

} // namespace

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
    : hooks_(std::move(h)), time_scale_(time_scale), rng_(seed),
      oauth_(seed + 1) {}

// --- setup -------------------------------------------------------------------

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

void world::add_user(user u) {
  users_[u.id] = std::move(u);
}

std::chrono::milliseconds world::scaled(std::chrono::milliseconds d) const {
  return std::chrono::milliseconds{
      static_cast<std::int64_t>(static_cast<double>(d.count()) * time_scale_)};
}

time_point world::now() const {
  return std::chrono::time_point_cast<microseconds>(system_clock::now());
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
  std::uniform_int_distribution<int> a(0, 7), b(0, 7), num(1, 9999);
  for (;;) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s-%s-%04d", adjectives[a(rng_)],
                  nouns[b(rng_)], num(rng_));
    if (races_.count(buf) == 0)
      return buf;
  }
}

// --- races -------------------------------------------------------------------

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

const user* world::find_user(const std::string& id) const {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

entrant* world::find_entrant(race& r, const std::string& user_id) {
  for (auto& e : r.entrants)
    if (e.user_id == user_id)
      return &e;
  return nullptr;
}

std::string world::display(const entrant& e) const {
  const user* u = find_user(e.user_id);
  return u ? u->display_name() : "(deleted user)";
}

std::string world::open_race(const std::string& cat, const application& bot,
                             race_settings settings) {
  race r;
  r.category = cat;
  r.slug = new_slug();
  r.settings = std::move(settings);
  r.state =
      r.settings.invitational ? race_state::invitational : race_state::open;
  r.opened_at = now();
  r.opened_by_bot = bot.name;
  r.opened_by_client_id = bot.client_id;
  auto slug = r.slug;
  race& stored = races_[slug] = std::move(r);
  add_message(stored, "Race opened automatically by " + bot.name);
  if (hooks_.schedule && low_entrants_limit_.count() > 0) {
    auto warn_at = low_entrants_limit_ - std::chrono::minutes{5};
    if (warn_at.count() > 0)
      hooks_.schedule(warn_at, [this, slug] {
        check_low_entrants(slug, false);
      });
    else
      hooks_.schedule(low_entrants_limit_, [this, slug] {
        check_low_entrants(slug, true);
      });
  }
  return stored.name();
}

void world::edit_race(race& r, const std::string& bot, const race_edit& e) {
  r.settings = e.settings;
  ++r.version;
  auto changed = [&](const char* field) {
    return std::find(e.changed.begin(), e.changed.end(), field) !=
           e.changed.end();
  };
  bool messaged = false;
  // The bot form's goal is text compared with the stored goal object, so
  // it always counts as changed (§2, §7).
  if (e.has_goal_field) {
    add_message(r, bot + " set a new goal: " + r.settings.goal);
    messaged = true;
  }
  if (changed("info_user") || changed("info_bot")) {
    add_message(r, bot + " updated the race information.");
    messaged = true;
  }
  if (changed("streaming_required")) {
    add_message(r, r.settings.streaming_required
                       ? "Streaming is now required for this race."
                       : "Streaming is now NOT required for this race.");
    messaged = true;
  }
  if (changed("chat_message_delay")) {
    add_message(r, r.settings.chat_message_delay
                       ? "Chat delay is now " +
                             std::to_string(r.settings.chat_message_delay) +
                             " seconds."
                       : std::string{"Chat delay has been removed."});
    messaged = true;
  }
  if (!messaged)
    broadcast_data(r);
}

// --- documents ---------------------------------------------------------------

std::string world::race_json(const race& r) const {
  return sim::race_json(r, categories_.at(r.category), users_, now());
}

std::string world::category_json(const std::string& slug,
                                 bool include_unlisted) const {
  std::vector<const race*> current;
  for (const auto& [s, r] : races_)
    if (r.category == slug && !is_done(r.state) &&
        (include_unlisted || !r.settings.unlisted))
      current.push_back(&r);
  return sim::category_json(categories_.at(slug), current);
}

race_update world::current(const race& r) const {
  return {race_json(r), renders_json(r, users_), r.version};
}

std::string world::chat_json(const race& r, const chat_message& m) const {
  return chat_message_json(m, r, users_);
}

std::string
world::chat_history(const race& r,
                    const std::optional<std::string>& last_message) {
  std::size_t start = 0;
  if (last_message)
    for (std::size_t i = 0; i < r.chat.size(); ++i)
      if (r.chat[i].id == *last_message)
        start = i + 1;
  std::vector<const chat_message*> regular, pinned;
  for (std::size_t i = start; i < r.chat.size(); ++i) {
    if (r.chat[i].direct_to)
      continue;
    (r.chat[i].pinned ? pinned : regular).push_back(&r.chat[i]);
  }
  if (regular.size() > 100)
    regular.erase(regular.begin(), regular.end() - 100);
  std::string list = "[";
  for (auto* group : {&regular, &pinned})
    for (const chat_message* m : *group)
      list += (list.size() > 1 ? "," : "") + chat_json(r, *m);
  return payload({{"messages", list + "]"}});
}

// --- broadcasts -------------------------------------------------------------

void world::add_message(race& r, const std::string& text, bool highlight,
                        bool broadcast) {
  chat_message m;
  m.id = random_string(16);
  m.posted_at = now();
  m.message = text;
  m.highlight = highlight;
  r.chat.push_back(m);
  broadcast_chat(r, r.chat.back());
  if (broadcast)
    broadcast_data(r);
}

void world::broadcast_chat(race& r, const chat_message& m) {
  if (!hooks_.broadcast)
    return;
  if (m.direct_to)
    hooks_.broadcast(r.slug, "chat.dm", chat_dm_payload(m, users_));
  else
    hooks_.broadcast(r.slug, "chat.message",
                     payload({{"message", chat_json(r, m)}}));
}

void world::broadcast_data(race& r) {
  if (!hooks_.update)
    return;
  auto update = current(r);
  if (r.held_updates > 0 && hooks_.schedule) {
    --r.held_updates;
    hooks_.schedule(r.hold_for, [this, slug = r.slug, update] {
      hooks_.update(slug, update);
    });
    return;
  }
  hooks_.update(r.slug, update);
}

void world::touch(race& r) {
  ++r.version;
  broadcast_data(r);
}

void world::hold_race_updates(race& r, std::chrono::milliseconds delay,
                              int count) {
  r.hold_for = delay;
  r.held_updates = count;
}

// --- the race's own life (racebot.py) ----------------------------------------

void world::check_readiness(race& r) {
  // racebot: auto start once nobody is unready and the race can begin.
  if (!r.settings.auto_start || !is_preparing(r.state) ||
      r.settings.partitionable)
    return;
  std::size_t ready = 0;
  for (const auto& e : r.entrants) {
    if (e.state != entrant_state::joined)
      continue;
    if (!e.ready)
      return;
    ++ready;
  }
  if (ready < 2 || r.settings.team_race) // the sim has no teams
    return;
  start_countdown(r, std::nullopt);
  add_message(r,
              "Everyone is ready. The race will begin in " +
                  std::to_string(r.settings.start_delay) + " seconds!",
              true);
}

void world::check_low_entrants(const std::string& slug, bool warned) {
  race* r = find_race(slug);
  if (r == nullptr || !is_preparing(r->state))
    return;
  auto joined = std::count_if(r->entrants.begin(), r->entrants.end(),
                              [](const entrant& e) {
                                return e.state == entrant_state::joined;
                              });
  auto open_for = std::chrono::duration_cast<std::chrono::milliseconds>(
      now() - r->opened_at);
  if (joined < 2 && open_for >= low_entrants_limit_) {
    // Race.cancel() by the racebot: no "by" in its message.
    mark_cancelled(*r);
    touch(*r);
    add_message(*r, "This race has been cancelled. Reason: less than 2 "
                    "entrants joined.");
    return;
  }
  if (joined < 2 && !warned) {
    add_message(*r,
                "Warning: this race will be automatically cancelled in 5 "
                "minutes unless at least two entrants join.",
                true);
    warned = true;
  }
  // racebot.py looks again every 100 ms for as long as the race is open;
  // once a second is close enough here.
  auto left = low_entrants_limit_ - open_for;
  auto again = left.count() > 0 ? left : std::chrono::milliseconds{1000};
  hooks_.schedule(again, [this, slug, warned] {
    check_low_entrants(slug, warned);
  });
}

void world::start_countdown(race& r, const std::optional<std::string>& by) {
  // Race.begin: whoever is not a ready entrant is removed.
  for (std::size_t i = 0; i < r.entrants.size();) {
    const entrant& e = r.entrants[i];
    if (e.state == entrant_state::joined && e.ready) {
      ++i;
      continue;
    }
    auto name = display(e);
    r.entrants.erase(r.entrants.begin() + static_cast<std::ptrdiff_t>(i));
    add_message(r, name + " is removed from the race.");
  }
  auto delay = std::chrono::seconds{r.settings.start_delay};
  r.state = race_state::pending;
  r.started_at = now() + std::chrono::duration_cast<microseconds>(
                             scaled(std::chrono::milliseconds{delay}));
  ++r.version;
  auto id = ++r.countdown;
  if (by)
    add_message(r,
                *by + " has initiated the race. The race will begin in " +
                    std::to_string(r.settings.start_delay) + " seconds!",
                true);
  if (!hooks_.schedule)
    return;
  // "10…" then "5…" to "1…" (chat only), then the start.
  for (int s : {10, 5, 4, 3, 2, 1, 0}) {
    auto at = std::max(delay - std::chrono::seconds{s}, 0s);
    hooks_.schedule(scaled(at), [this, slug = r.slug, id, s] {
      race* rr = find_race(slug);
      if (rr == nullptr || rr->state != race_state::pending ||
          rr->countdown != id)
        return;
      if (s > 0)
        add_message(*rr, std::to_string(s) + "\xE2\x80\xA6", true, false);
      else
        start(*rr);
    });
  }
}

void world::start(race& r) {
  r.state = race_state::in_progress;
  ++r.version;
  add_message(r, "The race has begun! Good luck and have fun.", true);
  if (hooks_.observe)
    hooks_.observe(race_event::started, r.slug, "");
}

void world::recalculate_places(race& r) {
  std::vector<entrant*> finishers;
  for (auto& e : r.entrants) {
    if (e.finish_time && !e.dnf && !e.dq)
      finishers.push_back(&e);
    else
      e.place.reset();
  }
  std::stable_sort(finishers.begin(), finishers.end(), [](auto* a, auto* b) {
    return *a->finish_time < *b->finish_time;
  });
  std::int64_t place = 1;
  for (entrant* e : finishers)
    e->place = place++;
  ++r.version;
}

void world::finish_if_none_remaining(race& r) {
  if (r.state != race_state::in_progress)
    return;
  for (const auto& e : r.entrants)
    if (is_running(e))
      return;
  finish(r);
}

void world::finish(race& r) {
  r.state = race_state::finished;
  r.ended_at = now();
  bool finisher =
      std::any_of(r.entrants.begin(), r.entrants.end(), [](auto& e) {
        return e.finish_time && !e.dq && !e.dnf;
      });
  if (!finisher && !r.settings.time_limit_auto_complete) {
    // Nobody finished: the race is cancelled instead.
    r.state = race_state::cancelled;
    r.cancelled_at = r.ended_at;
    r.settings.recordable = false;
  }
  if (!r.settings.recordable)
    r.settings.unlisted = false;
  ++r.version;
  for (auto& e : r.entrants)
    if (is_running(e))
      e.dnf = true;
  if (r.state == race_state::finished)
    add_message(r,
                "Race finished in " +
                    timer_text(std::chrono::duration_cast<microseconds>(
                                   *r.ended_at - *r.started_at),
                               true),
                true);
  else
    add_message(r,
                "This race has been cancelled due to all entrants "
                "forfeiting.",
                true);
}

// --- records ---------------------------------------------------------------

void world::record(bot_record r) {
  records_.push_back(std::move(r));
  if (records_.size() > 100000)
    records_.pop_front();
}

} // namespace racecontrol::sim
