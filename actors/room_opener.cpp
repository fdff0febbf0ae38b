#include "actors/room_opener.hpp"

#include "protocol/json.hpp"
#include "protocol/metrics_registry.hpp"

#include "actors/error.hpp"
#include "actors/match_room_settings.hpp"
#include "actors/room_checks.hpp"

#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace racecontrol {

namespace {

using opener_pointer = room_opener_actor::stateful_pointer<room_opener_state>;

/// The longest wait for the bot's list of the category's races. startrace
/// has none: the bot answers it within its own startrace_timeout (the HTTP
/// request's), after a renewed token's wait, or when it ends (its state
/// answers what is pending), and a timer per room would wake CAF's clock
/// thread once more for every room opened.
constexpr auto bot_timeout = std::chrono::seconds{120};

std::string who(opener_pointer self) {
  return "match " + std::to_string(self->state.match_id);
}

timestamp now() {
  return std::chrono::system_clock::now();
}

std::string in_parentheses(const std::string& text) {
  return text.empty() ? "" : " (" + text + ")";
}

void load(opener_pointer self);
void send_startrace(opener_pointer self);
void search(opener_pointer self);

// --- the end: answer everyone, tell the parent, quit
// --------------------------

void finish(opener_pointer self, bool has_room, const std::string& code) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  std::int32_t tournament = st.context ? st.context->tournament_id : 0;
  self->send(st.parent, atom::opened::value,
             match_outcome{st.match_id, tournament, has_room, code});
  self->quit();
}

void fail_waiting(opener_pointer self, const caf::error& err) {
  for (auto& rp : self->state.waiting)
    rp.deliver(err);
  self->state.waiting.clear();
}

std::int32_t linked_players(const match_open_context& m) {
  return static_cast<std::int32_t>(
      std::count_if(m.players.begin(), m.players.end(), [](const auto& p) {
        return p.racetime_id.has_value();
      }));
}

room_answer answer_for(opener_pointer self, const std::string& slug,
                       const std::string& goal) {
  auto& st = self->state;
  return {slug, st.options.racetime_base + "/" + slug,
          st.context ? linked_players(*st.context) : 0, goal, st.existed};
}

/// A database request failed: try the same step again after a backoff.
void retry_later(opener_pointer self, const std::string& what,
                 const caf::error& err, std::function<void()> step) {
  auto delay = self->state.db_backoff.next_delay();
  spdlog::warn("room opener: {}: {} failed ({}); trying again in {} ms",
               who(self), what, describe(err), delay.count());
  self->state.retry_step = std::move(step);
  self->delayed_send(self, delay, atom::flush::value);
}

// --- blocked: the reason stored, manual requests told
// -------------------------

/// The reason is stored (`changed`: it differs from the match's last).
void blocked(opener_pointer self, const not_opened& reason, bool changed) {
  fail_waiting(self, make_refusal(reason.code, reason.message));
  if (changed)
    spdlog::warn("room opener: {}: no room: {}", who(self), reason.message);
  finish(self, false, reason.code);
}

void block(opener_pointer self, const not_opened& reason) {
  auto& st = self->state;
  fail_waiting(self, make_refusal(reason.code, reason.message));
  self->request(st.db, db_request_timeout, atom::put::value,
                match_reason{st.match_id, reason.code, reason.message})
      .then(
          [self, reason](bool changed) {
            blocked(self, reason, changed);
          },
          [self, reason](caf::error& err) {
            retry_later(self, "storing why it has no room", err,
                        [self, reason] {
                          block(self, reason);
                        });
          });
}

// --- settled: the room exists ------------------------------------------------

/// The room event's details besides what the claim's row holds.
std::string event_details(opener_pointer self) {
  auto& st = self->state;
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_string(w, "goal", st.settings.goal);
    protocol::write_bool(w, "invitational", st.settings.invitational);
    protocol::write_string(w, "info_user", st.settings.info_user);
    protocol::write_string(w, "node", st.options.node_name);
    w.EndObject();
  });
}

/// Answers everyone with the room, has it watched (`room` is a room_record
/// or, from settle, a room_context) and ends.
template <class Room>
void watch_and_answer(opener_pointer self, const std::string& slug,
                      Room&& room) {
  auto& st = self->state;
  auto answer = answer_for(self, slug, st.settings.goal);
  for (auto& rp : st.waiting)
    rp.deliver(answer);
  st.waiting.clear();
  // The room supervisor watches it from now on (and finds it at its next
  // poll should this message be lost).
  caf::anon_send(st.rooms, atom::watch::value, std::forward<Room>(room));
  finish(self, true, "");
}

/// Counts an adopted room as a startrace outcome of its own, and an
/// automatic open's latency from the match's planned open time.
void count_settled(opener_pointer self, bool adopted) {
  auto& st = self->state;
  if (!st.context)
    return;
  const auto& ctx = *st.context;
  if (adopted)
    protocol::metrics().add(
        protocol::metric::startrace_outcomes,
        {{"category", ctx.bot_category}, {"outcome", "adopted"}});
  if (st.mode != opener_mode::automatic || !ctx.scheduled_at)
    return;
  auto planned =
      *ctx.scheduled_at - std::chrono::minutes{ctx.room_open_minutes_before};
  auto late = std::chrono::duration<double>(now_us() - planned).count();
  protocol::metrics().observe(protocol::metric::room_open_latency, {},
                              std::max(0.0, late));
}

void settle(opener_pointer self, const std::string& slug,
            const std::string& status, bool adopted) {
  auto& st = self->state;
  claim_settled s{st.claim->room_id, st.claim->marker,   slug, status,
                  adopted,           event_details(self)};
  self->request(st.db, db_request_timeout, atom::put::value, s)
      .then(
          [self, adopted](room_context& ctx) {
            count_settled(self, adopted);
            // An adopted room may be older than this opener: its watcher
            // fetches it first like any other.
            ctx.room.just_opened = !adopted;
            spdlog::info("room opener: {}: room {} {} (claim {}, {} "
                         "startrace attempt(s))",
                         who(self), ctx.room.slug,
                         adopted ? "found and adopted" : "opened",
                         self->state.claim->room_id,
                         self->state.claim->startrace_attempts);
            auto slug = ctx.room.slug;
            watch_and_answer(self, slug, std::move(ctx));
          },
          [self, slug, status, adopted](caf::error& err) {
            if (is(err, ec::not_found)) {
              // Another claim took the row: nothing of ours to store.
              spdlog::error("room opener: {}: {}", who(self), describe(err));
              fail_waiting(self, err);
              finish(self, false, "claim_lost");
              return;
            }
            if (is(err, ec::database_constraint)) {
              // Another row holds this room's name: racetime.gg never
              // reuses one, so that row is stale (a simulator restarted
              // with the same names). Retrying cannot help; a person must
              // look. The claim stays, so a restart finds the room again.
              block(self, {"room_conflict",
                           "racetime.gg opened room " + slug +
                               " for this match, but another "
                               "racetime_rooms row already holds that "
                               "name (" +
                               describe(err) +
                               "): check that row, then restart "
                               "racecontrold to take the room"});
              return;
            }
            retry_later(self, "storing its new room " + slug, err,
                        [self, slug, status, adopted] {
                          settle(self, slug, status, adopted);
                        });
          });
}

// --- refused for sure: the claim given up
// -------------------------------------

void refuse(opener_pointer self, const std::string& code,
            const std::string& message, bool keep_settings) {
  auto& st = self->state;
  claim_refused r{st.claim->room_id, st.claim->marker, code, message,
                  keep_settings ? settings_hash(st.settings) : ""};
  self->request(st.db, db_request_timeout, atom::put::value, r)
      .then(
          [self, code, message](bool) {
            spdlog::error("room opener: {}: claim given up ({}): {}", who(self),
                          code, message);
            fail_waiting(self, make_refusal(code, message));
            finish(self, false, code);
          },
          [self, code, message, keep_settings](caf::error& err) {
            retry_later(self, "giving up its refused claim", err,
                        [self, code, message, keep_settings] {
                          refuse(self, code, message, keep_settings);
                        });
          });
}

// --- startrace
// -----------------------------------------------------------------

/// Why an automatic open gives up its claim rather than send startrace
/// again: its window passed while startrace could not go out (racetime.gg
/// or the bot down) or found no room. A room opened hours late, perhaps
/// after the match was played, helps nobody; an organizer can still open
/// it by hand. A claim a person asked for (in this life or an earlier one)
/// keeps trying.
std::optional<std::string> window_gone(opener_pointer self) {
  auto& st = self->state;
  if (st.mode != opener_mode::automatic || !st.requested_by.empty() ||
      !st.context || !st.context->scheduled_at)
    return std::nullopt;
  const auto& ctx = *st.context;
  if (window(*ctx.scheduled_at, ctx.room_open_minutes_before, st.options.grace,
             now()) != window_state::past_grace)
    return std::nullopt;
  auto closed =
      *ctx.scheduled_at +
      std::chrono::duration_cast<timestamp::duration>(st.options.grace);
  return match_label(ctx) +
         " could not be opened before its window closed at " +
         utc_minutes(closed) + " (" +
         std::to_string(st.claim->startrace_attempts) +
         " startrace attempt(s), the last: " + st.last_trouble +
         "): open it by hand if it is still wanted";
}

/// Sends startrace again under the same claim, its attempt written first.
void attempt_again(opener_pointer self) {
  auto& st = self->state;
  if (auto gone = window_gone(self)) {
    refuse(self, "window_passed", *gone, false);
    return;
  }
  claim_attempt a{st.claim->room_id, st.claim->marker};
  self->request(st.db, db_request_timeout, atom::put::value, a)
      .then(
          [self](bool ours) {
            if (!ours) {
              spdlog::error("room opener: {}: its claim changed under it; "
                            "leaving it to whoever holds it now",
                            who(self));
              fail_waiting(
                  self, make_refusal("claim_lost", "the room's claim changed"));
              finish(self, false, "claim_lost");
              return;
            }
            ++self->state.claim->startrace_attempts;
            self->state.claim->last_attempt_at = now();
            self->state.searching_since.reset();
            send_startrace(self);
          },
          [self](caf::error& err) {
            retry_later(self, "recording a startrace attempt", err, [self] {
              attempt_again(self);
            });
          });
}

void on_outcome(opener_pointer self, const start_race_outcome& o) {
  auto& st = self->state;
  using kind = start_race_outcome::kind;
  switch (o.what) {
    case kind::created:
      st.start_backoff.reset();
      settle(self, o.race_name,
             st.settings.invitational ? "invitational" : "open", false);
      return;
    case kind::unknown:
      st.last_trouble = "no known outcome" + in_parentheses(o.message);
      spdlog::warn("room opener: {}: startrace attempt {} has no known "
                   "outcome ({}); looking for the room by its marker",
                   who(self), st.claim->startrace_attempts, o.message);
      search(self);
      return;
    case kind::refused: {
      std::string text = o.message;
      for (const auto& e : o.field_errors)
        text += (text.empty() ? "" : "; ") + e;
      refuse(self, "startrace_refused",
             "racetime.gg refused the room's settings: " + text +
                 " (change the match or tournament settings; it is not "
                 "sent again unchanged)",
             true);
      return;
    }
    case kind::forbidden:
      refuse(self, "bot_forbidden", o.message, false);
      return;
    case kind::not_sent:
    case kind::rate_limited: {
      st.last_trouble = "not sent" + in_parentheses(o.message);
      auto delay = std::max(st.start_backoff.next_delay(),
                            std::chrono::milliseconds{o.retry_after_ms});
      spdlog::warn("room opener: {}: startrace not sent ({}); trying again "
                   "in {} ms",
                   who(self), o.message, delay.count());
      self->delayed_send(self, delay, atom::start::value);
      return;
    }
  }
}

void send_startrace(opener_pointer self) {
  auto& st = self->state;
  spdlog::info("room opener: {}: startrace attempt {} ({})", who(self),
               st.claim->startrace_attempts, st.claim->marker);
  // The claim's bot (an earlier life's claim may name another than the
  // tournament's now), and the claim's marker in info_bot.
  auto settings = st.settings;
  settings.info_bot = st.claim->marker;
  auto bot_id = st.claim->bot_id ? st.claim->bot_id : st.context->bot_id;
  if (!bot_id) {
    block(self, {"no_bot", "its room claim names no bot to open it with"});
    return;
  }
  start_race_request request{*bot_id, std::move(settings), st.claim->marker};
  self->request(st.bots, caf::infinite, atom::start::value, request)
      .then(
          [self](start_race_outcome& o) {
            on_outcome(self, o);
          },
          [self](caf::error& err) {
            // No running bot read the request (none runs, or it ended with
            // the request in its mailbox): nothing was sent. A bot that had
            // sent it answers `unknown` itself, even when it ends.
            start_race_outcome o;
            o.what = start_race_outcome::kind::not_sent;
            o.message = describe(err);
            on_outcome(self, o);
          });
}

// --- search: the outcome is unknown
// -------------------------------------------

void search_later(opener_pointer self) {
  self->delayed_send(self, self->state.options.search_interval,
                     atom::search::value);
}

void on_races(opener_pointer self, const category_races& races) {
  auto& st = self->state;
  auto found = find_marked(races, st.claim->marker);
  if (!found.empty()) {
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return a.opened_at < b.opened_at;
    });
    if (found.size() > 1)
      spdlog::error("room opener: {}: {} rooms carry the claim's marker; "
                    "adopting the first, {}: close the others by hand",
                    who(self), found.size(), found.front().name);
    settle(self, found.front().name, found.front().status, true);
    return;
  }
  using std::chrono::duration_cast;
  auto horizon =
      std::max(st.claim->last_attempt_at.value_or(now()) +
                   duration_cast<timestamp::duration>(st.options.search_after),
               st.searching_since.value_or(now()) +
                   duration_cast<timestamp::duration>(st.options.listing_lag));
  if (now() < horizon) {
    search_later(self);
    return;
  }
  spdlog::warn(
      "room opener: {}: no room carries its marker {} s after "
      "startrace attempt {}: sending it again under the same claim",
      who(self),
      std::chrono::duration_cast<std::chrono::seconds>(st.options.search_after)
          .count(),
      st.claim->startrace_attempts);
  attempt_again(self);
}

void search(opener_pointer self) {
  auto& st = self->state;
  if (!st.searching_since)
    st.searching_since = now();
  auto bot = st.claim->bot_id ? st.claim->bot_id : st.context->bot_id;
  if (!bot) {
    block(self, {"no_bot", "its room claim names no bot to look with"});
    return;
  }
  auto bot_id = *bot;
  self->request(st.bots, bot_timeout, atom::fetch::value, atom::races::value,
                bot_id)
      .then(
          [self](category_races& races) {
            on_races(self, races);
          },
          [self](caf::error& err) {
            spdlog::warn("room opener: {}: cannot list the category's "
                         "races ({}); looking again later",
                         who(self), describe(err));
            search_later(self);
          });
}

// --- claimed
// -------------------------------------------------------------------

void on_claim(opener_pointer self, room_claim_result& r) {
  auto& st = self->state;
  st.claim = r.row;
  if (r.claimed) {
    spdlog::info("room opener: {}: claimed (claim {})", who(self),
                 r.row.room_id);
    send_startrace(self);
  } else if (r.row.claim_state == "created") {
    st.existed = true;
    watch_and_answer(self, r.row.slug.value_or(""),
                     room_record{r.row.room_id, r.row.slug.value_or(""),
                                 r.row.category, "", r.row.status,
                                 r.row.match_id, r.row.bot_id, false, "", 0,
                                 false});
  } else {
    search(self);
  }
}

// --- load, check and claim
// ----------------------------------------------------

/// The match already has a row: answer with the room, or recover the claim.
void on_existing_room(opener_pointer self) {
  auto& st = self->state;
  st.claim = st.context->room;
  if (st.claim->claim_state == "created") {
    st.existed = true;
    auto slug = st.claim->slug.value_or("");
    for (auto& rp : st.waiting)
      rp.deliver(answer_for(self, slug, st.settings.goal));
    st.waiting.clear();
    finish(self, true, "");
    return;
  }
  spdlog::info("room opener: {}: recovering claim {} (startrace attempt {} "
               "at most): looking for its room",
               who(self), st.claim->room_id, st.claim->startrace_attempts);
  search(self);
}

/// Whether a manual request came after the database was asked for an
/// automatic open (or with other overrides): its answer is not this open's.
bool asked_otherwise(opener_pointer self) {
  const auto& st = self->state;
  const auto& q = st.asked;
  return q.manual != (st.mode == opener_mode::manual) ||
         q.requested_by != st.requested_by || q.goal != st.overrides.goal ||
         q.invitational != st.overrides.invitational;
}

/// Acts on the persistence worker's answer, deciding as it did (the same
/// function on the request's match, bots, time and overrides): it claimed
/// the room when the checks passed and stored the reason when one failed.
void decide(opener_pointer self, opening_result& r) {
  auto& st = self->state;
  if (!r.claim && asked_otherwise(self)) {
    // Nothing claimed yet: ask again as the manual request asks.
    load(self);
    return;
  }
  st.decided = true;
  st.context = std::move(r.context);
  auto d = decide_open(*st.context, st.asked);
  st.overrides = std::move(d.overrides);
  st.requested_by = std::move(d.requested_by);
  st.settings = std::move(d.settings);
  using kind = open_decision::kind;
  switch (d.what) {
    case kind::existing_room:
      on_existing_room(self);
      return;
    case kind::wait:
      fail_waiting(self,
                   make_refusal(d.reason.code.empty() ? std::string{"not_due"}
                                                      : d.reason.code,
                                d.reason.message.empty()
                                    ? std::string{"not due yet"}
                                    : d.reason.message));
      finish(self, false, "");
      return;
    case kind::blocked:
      if (r.reason_changed)
        blocked(self, d.reason, *r.reason_changed);
      else
        block(self, d.reason);
      return;
    case kind::refused_before:
      fail_waiting(self, make_refusal("startrace_refused",
                                      "racetime.gg refused these room "
                                      "settings before (see the match's "
                                      "reason): change them first"));
      finish(self, false, "startrace_refused");
      return;
    case kind::claim:
      if (r.claim) {
        on_claim(self, *r.claim);
        return;
      }
      // Cannot happen while both sides decide alike; asking again is safe
      // (a claim made meanwhile is found as the match's room).
      retry_later(self, "claiming its room",
                  make_error(ec::database_failure,
                             "the database did not claim the room"),
                  [self] {
                    load(self);
                  });
      return;
  }
}

void ask_database(opener_pointer self, std::vector<bot_info> bots) {
  auto& st = self->state;
  st.asked = {st.match_id,
              st.mode == opener_mode::manual,
              make_marker(st.match_id),
              st.options.node_name,
              st.requested_by,
              st.overrides.goal,
              st.overrides.invitational,
              std::move(bots),
              now(),
              st.options.grace.count()};
  auto r = st.asked;
  self->request(st.db, db_request_timeout, atom::put::value, std::move(r))
      .then(
          [self](opening_result& r) {
            decide(self, r);
          },
          [self](caf::error& err) {
            if (is(err, ec::not_found)) {
              fail_waiting(self, err);
              finish(self, false, "no_match");
              return;
            }
            retry_later(self, "loading the match and claiming its room", err,
                        [self] {
                          load(self);
                        });
          });
}

/// The bots' live states first (the checks need the match's bot's), then
/// one request to the database for the rest.
void load(opener_pointer self) {
  // The supervisor answers from its own state at once (or the request fails
  // if it is gone), so no timeout needs arming for it.
  self->request(self->state.bots, caf::infinite, atom::status::value)
      .then(
          [self](std::vector<bot_info>& bots) {
            ask_database(self, std::move(bots));
          },
          [self](caf::error& err) {
            spdlog::warn("room opener: {}: the bots did not answer ({})",
                         who(self), describe(err));
            ask_database(self, {});
          });
}

} // namespace

room_opener_actor::behavior_type
room_opener(room_opener_actor::stateful_pointer<room_opener_state> self,
            std::int32_t match_id, opener_mode mode, automation_store_actor db,
            room_bots_actor bots, room_watcher_actor rooms,
            opener_parent_actor parent, room_opener_options options) {
  auto& st = self->state;
  st.match_id = match_id;
  st.mode = mode;
  st.db = std::move(db);
  st.bots = std::move(bots);
  st.rooms = std::move(rooms);
  st.parent = std::move(parent);
  st.options = std::move(options);
  st.start_backoff = protocol::backoff{st.options.retry};
  st.db_backoff = protocol::backoff{st.options.retry};
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  // A manual opener waits for its first request (atom::open below), which
  // the supervisor sends right after spawning it.
  if (mode == opener_mode::automatic) {
    st.loading = true;
    load(self);
  }
  return {
      [self](atom::open, manual_open& request) -> caf::result<room_answer> {
        auto& st = self->state;
        auto rp = self->make_response_promise<room_answer>();
        st.waiting.push_back(rp);
        // Before the checks ran, the first request makes this a manual
        // open with its overrides; later ones wait for the same room.
        if (!st.decided && st.requested_by.empty()) {
          st.mode = opener_mode::manual;
          st.overrides = {request.goal, request.invitational};
          st.requested_by = request.requested_by.empty()
                                ? std::string{"unknown"}
                                : request.requested_by;
        }
        if (!st.loading) {
          st.loading = true;
          load(self);
        }
        return rp;
      },
      [self](atom::start) {
        attempt_again(self);
      },
      [self](atom::search) {
        search(self);
      },
      [self](atom::flush) {
        if (auto step = std::move(self->state.retry_step))
          step();
      },
  };
}

} // namespace racecontrol
