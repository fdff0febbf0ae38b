// One racetime.gg room, from attach to result, top to bottom:
//
//   load   the room's match and players from the database
//   fetch  the race over HTTP (it may have moved on, or ended, unwatched)
//   watch  hold the bot socket; apply each race.data newer than the last;
//          write what changed; invite and accept match players; answer
//          chat commands; a periodic pass for players who linked since
//   record the result (or the cancellation) exactly once
//   settle keep watching while racetime.gg lets a finish (or a cancelled
//          race's forfeit) be undone: a race reopened withdraws what was
//          recorded of its end, and its next end is recorded
//
// Every step that waits on the database or racetime.gg retries with
// backoff; a write is kept until MariaDB confirms it.

#include "actors/race_room.hpp"

#include "actors/error.hpp"

#include "protocol/bot_actions.hpp"
#include "protocol/json.hpp"
#include "protocol/metrics_registry.hpp"
#include "protocol/server_messages.hpp"

#include <caf/actor_cast.hpp>

#include <algorithm>

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

using room_pointer = race_room_actor::stateful_pointer<race_room_state>;
using phase = race_room_state::phase;

std::string describe_room(const room_record& r) {
  std::string out = "room " + r.slug + " (id " + std::to_string(r.id);
  if (r.match_id)
    out += ", match " + std::to_string(*r.match_id);
  return out + ")";
}

const char* phase_name(phase p) {
  switch (p) {
    case phase::loading:
      return "attaching";
    case phase::fetching:
      return "attaching";
    case phase::watching:
      return "watching";
    case phase::settling:
      return "ended (an undo could still reopen it)";
    case phase::ending:
      return "recording";
  }
  return "?";
}

std::string slug_of(const std::string& race_name) {
  auto slash = race_name.find('/');
  return slash == std::string::npos ? race_name : race_name.substr(slash + 1);
}

// --- writes ---------------------------------------------------------------

void flush(room_pointer self);
void finish_if_done(room_pointer self);
void tick_within(room_pointer self, caf::timespan delay);

/// Holds the race's bot socket from now on (asked for once).
void hold_socket(room_pointer self) {
  auto& st = self->state;
  if (st.socket_asked)
    return;
  st.socket_asked = true;
  st.link->connect(slug_of(st.room.slug));
}

/// Drops the `n` writes MariaDB confirmed.
void write_done(room_pointer self, std::size_t n = 1) {
  auto& writes = self->state.writes;
  writes.erase(writes.begin(), std::next(writes.begin(), n));
  self->state.writing = false;
  self->state.write_backoff.reset();
  flush(self);
  finish_if_done(self);
}

/// The room was placed on another node since this watcher started: it
/// stops at once, its writes dropped (the new owner re-reads the race), no
/// more invitations, chat or writes.
void fenced(room_pointer self, const caf::error& err) {
  auto& st = self->state;
  spdlog::warn("{}: fenced, stopping at once without writing ({} write(s) "
               "dropped): {}",
               st.who, st.writes.size(), describe(err));
  st.writes.clear();
  st.writing = false;
  st.stopping = true;
  if (st.link)
    st.link->close();
  self->quit(err);
}

void write_failed(room_pointer self, const caf::error& err) {
  auto& st = self->state;
  if (is(err, ec::fenced))
    return fenced(self, err);
  st.writing = false;
  st.last_error = describe(err);
  auto delay = st.write_backoff.next_delay();
  spdlog::warn("{}: database write failed ({}); {} write(s) kept, retrying "
               "in {} ms",
               st.who, st.last_error, st.writes.size(), delay.count());
  self->delayed_send(self, delay, atom::flush::value);
}

/// The progress and audit entries at the head of the queue, in order (at
/// most 64): they go to MariaDB as one transaction.
std::vector<room_update> leading_updates(const std::list<room_write>& writes,
                                         const room_record& room) {
  constexpr std::size_t max_batch = 64;
  std::vector<room_update> out;
  for (const auto& w : writes) {
    if (out.size() == max_batch)
      break;
    if (const auto* p = std::get_if<persistence::room_progress>(&w))
      out.push_back({*p, std::nullopt, room.id, room.owner_epoch});
    else if (const auto* a = std::get_if<audit_record>(&w))
      out.push_back({std::nullopt, *a, room.id, room.owner_epoch});
    else
      break;
  }
  for (auto& u : out)
    if (u.progress)
      u.progress->owner_epoch = room.owner_epoch;
  return out;
}

void flush(room_pointer self) {
  auto& st = self->state;
  if (st.writing || st.writes.empty())
    return;
  st.writing = true;
  // Every write carries this watcher's placement: MariaDB refuses it once
  // the room was placed again (fencing).
  auto& next = st.writes.front();
  if (auto* result = std::get_if<persistence::room_result>(&next)) {
    result->owner_epoch = st.room.owner_epoch;
    self->request(st.db, db_request_timeout, atom::put::value, *result)
        .then(
            [self](result_outcome outcome) {
              spdlog::info("{}: result {}", self->state.who,
                           outcome == result_outcome::recorded
                               ? "recorded"
                               : "was recorded before; nothing written");
              write_done(self);
            },
            [self](caf::error& err) {
              write_failed(self, err);
            });
    return;
  }
  if (auto batch = leading_updates(st.writes, st.room); !batch.empty()) {
    auto n = batch.size();
    self->request(st.db, db_request_timeout, atom::put::value, std::move(batch))
        .then(
            [self, n](atom::ok) {
              write_done(self, n);
            },
            [self](caf::error& err) {
              write_failed(self, err);
            });
    return;
  }
  auto& closure = std::get<persistence::room_closure>(next);
  closure.owner_epoch = st.room.owner_epoch;
  self->request(st.db, db_request_timeout, atom::put::value, closure)
      .then(
          [self](atom::ok) {
            write_done(self);
          },
          [self](caf::error& err) {
            write_failed(self, err);
          });
}

/// Queues a write. The flush runs options.write_delay later (at least
/// after the message at hand), so the writes of the frames that come
/// together (invitations, entrants, status) share a transaction.
void enqueue(room_pointer self, room_write w) {
  auto& st = self->state;
  bool idle = st.writes.empty() && !st.writing;
  st.writes.push_back(std::move(w));
  if (!idle)
    return; // the write in flight flushes the rest when it is confirmed
  if (st.options.write_delay.count() == 0)
    self->send(self, atom::flush::value);
  else
    self->send(st.clock, atom::flush::value,
               caf::timespan{st.options.write_delay},
               caf::actor_cast<race_room_actor>(self));
}

void audit(room_pointer self, const std::string& action,
           const std::string& details_json) {
  const auto& st = self->state;
  audit_record a;
  if (st.ctx && st.ctx->match)
    a.organization_id = st.ctx->match->organization_id;
  a.action = action;
  a.entity_type = "racetime_room";
  a.entity_id = st.room.id;
  a.details_json = details_json;
  enqueue(self, std::move(a));
}

/// Ends the actor once the race is over (or it is asked to stop) and every
/// write is confirmed.
void finish_if_done(room_pointer self) {
  auto& st = self->state;
  bool over = st.step == phase::ending || st.stopping;
  if (!over || !st.writes.empty())
    return;
  if (st.link)
    st.link->close();
  if (st.step == phase::ending)
    spdlog::info("{}: done; no longer watched", st.who);
  self->quit(st.stop_reason);
}

// --- acting on the race
// -------------------------------------------------------

/// The audit details of an invitation or acceptance.
std::string racetime_id_details(const std::string& user) {
  return protocol::json_text([&](protocol::json_writer& w) {
    w.StartObject();
    protocol::write_string(w, "racetime_id", user);
    w.EndObject();
  });
}

void send_action(room_pointer self, const protocol::bot_action& action) {
  if (self->state.link)
    self->state.link->send(protocol::serialize(action));
}

void invite_and_accept(room_pointer self, const room_plan& plan) {
  auto& st = self->state;
  std::string invited; // one log line for all of them
  std::size_t count = 0;
  for (const auto& user : plan.invite) {
    st.memory.invited.insert(user);
    send_action(
        self, protocol::user_action{protocol::user_action::kind::invite, user});
    // Sent again after a refusal: logged and audited the first time only.
    if (!st.memory.announced.insert(user).second)
      continue;
    invited += (invited.empty() ? "" : ", ") + user;
    ++count;
    audit(self, "racetime_room.invited", racetime_id_details(user));
  }
  if (!invited.empty())
    spdlog::info("{}: invited racetime.gg user{} {}", st.who,
                 count == 1 ? "" : "s", invited);
  for (const auto& user : plan.accept) {
    st.memory.accepted.insert(user);
    send_action(self, protocol::user_action{
                          protocol::user_action::kind::accept_request, user});
    spdlog::info("{}: accepted the join request of {}", st.who, user);
    audit(self, "racetime_room.accepted", racetime_id_details(user));
  }
}

// --- after the end -------------------------------------------------------

/// A race racetime.gg's racebot cancelled: never started, fewer than two
/// players joined (invited, requested or declined entrants have not), and
/// cancelled `limit` (less a tenth, for clocks and the racebot's pace) or
/// more after it opened. A person's cancel sooner keeps the match.
bool cancelled_by_racebot(const protocol::race_snapshot& race,
                          std::chrono::milliseconds limit) {
  if (race.started_at || !race.cancelled_at || !race.opened_at)
    return false;
  auto open_for =
      std::chrono::microseconds{*race.cancelled_at - *race.opened_at};
  if (open_for < limit - limit / 10)
    return false;
  auto joined = std::count_if(
      race.entrants.begin(), race.entrants.end(), [](const auto& e) {
        return e.status != "requested" && e.status != "invited" &&
               e.status != "declined";
      });
  return joined < 2;
}

/// The result (or the cancellation) is queued: the room keeps watching for
/// what is left of the undo window, counted from the race's end (at most
/// the whole window, should racetime.gg's clock be ahead), unless nothing
/// is left. racetime.gg lets an entrant undo a finish, or a forfeit of a
/// cancelled race, for ten minutes: either reopens the race.
void settle(room_pointer self) {
  auto& st = self->state;
  auto now = std::chrono::system_clock::now();
  const auto& end = st.last->status == "cancelled" ? st.last->cancelled_at
                                                   : st.last->ended_at;
  auto ended =
      end ? std::chrono::system_clock::time_point{std::chrono::microseconds{
                *end}}
          : now;
  caf::timespan window = st.options.undo_window;
  auto left =
      std::clamp<caf::timespan>(ended + window - now, caf::timespan{0}, window);
  if (left <= caf::timespan{0}) {
    st.step = phase::ending;
    return;
  }
  st.step = phase::settling;
  st.settle_deadline = self->clock().now() + left;
  tick_within(self, left);
  hold_socket(self); // a reopening is heard at once
}

/// A settling room whose window is over stops (once its writes are in).
void settle_if_over(room_pointer self) {
  auto& st = self->state;
  if (st.step == phase::settling && self->clock().now() >= st.settle_deadline) {
    st.step = phase::ending;
    finish_if_done(self);
  }
}

/// Newer data of a race whose end is written: whether racetime.gg reopened
/// it (an entrant undid a finish or a forfeit), so that it is applied as a
/// running race again and its next end written. An end not seen before
/// means it was reopened and ended again while the room heard nothing: the
/// reopening is written first, then the new end. The same end with other
/// outcomes for the match's players (a monitor disqualified one, and the
/// places behind moved up) is applied too: its result replaces the one
/// written. Only `next`'s version is kept otherwise.
bool reopened(room_pointer self, race_snapshot& next) {
  auto& st = self->state;
  const auto& last = *st.last;
  if (next.status == last.status && next.ended_at == last.ended_at &&
      next.cancelled_at == last.cancelled_at) {
    if (next.status == "finished" && outcomes_changed(*st.ctx, last, next)) {
      spdlog::warn("{}: racetime.gg changed the race's result after its end "
                   "(a disqualification, say); the result written before is "
                   "replaced",
                   st.who);
      return true;
    }
    st.last->version = next.version;
    return false;
  }
  bool new_end = race_over(next.status);
  spdlog::warn("{}: racetime.gg reopened the race (an entrant undid a "
               "finish or a forfeit); its {} written before is withdrawn{}",
               st.who, last.status == "cancelled" ? "cancellation" : "result",
               new_end ? " and the new end written" : "");
  st.step = phase::watching;
  hold_socket(self);
  if (new_end) {
    persistence::room_progress p;
    p.room_id = st.room.id;
    p.match_id = st.room.match_id;
    p.status = "in_progress";
    enqueue(self, std::move(p));
  }
  return true;
}

/// Applies a newer race; `next` is left holding the snapshot it replaced
/// (its memory is reused for the next frame).
void apply(room_pointer self, race_snapshot& next) {
  auto& st = self->state;
  if (!st.ctx || st.step == phase::ending)
    return;
  // racetime.gg finds a bot socket's race by its slug alone, the newest
  // first: a race of another category opened later under the same slug
  // would answer on this room's socket. Not this match's race; it is not
  // news either, so the quiet recheck fetches the room's own over HTTP.
  if (next.name != st.room.slug) {
    if (!st.foreign_race_seen)
      spdlog::warn("{}: ignoring the data of race {} (another category's "
                   "race with this room's name)",
                   st.who, next.name);
    st.foreign_race_seen = true;
    return;
  }
  // racetime.gg can send version N after N+1 (two processes broadcast).
  st.last_news = self->clock().now();
  if (st.last && next.version <= st.last->version)
    return settle_if_over(self);
  if (st.step == phase::settling && !reopened(self, next))
    return settle_if_over(self);
  auto plan = plan_room(*st.ctx, st.last ? &*st.last : nullptr, next, st.memory,
                        std::chrono::system_clock::now());
  if (!st.last || st.last->status != next.status)
    spdlog::info("{}: race is {} (version {})", st.who, next.status,
                 next.version);
  // The socket first: actions sent before it exists would have nowhere to
  // go (the session keeps them queued until it is open).
  if (plan.end == race_end::none && st.step != phase::watching) {
    st.step = phase::watching;
    hold_socket(self);
  }
  invite_and_accept(self, plan);
  if (plan.progress)
    enqueue(self, std::move(*plan.progress));
  if (st.last)
    std::swap(*st.last, next);
  else
    st.last = std::move(next);
  if (plan.end == race_end::finished) {
    enqueue(self, std::move(*plan.result));
    settle(self);
  } else if (plan.end == race_end::cancelled) {
    persistence::room_closure closure{st.room.id, "cancelled",
                                      "the race was cancelled on racetime.gg",
                                      false, st.room.owner_epoch};
    if (st.last->cancelled_at)
      closure.ended_at =
          timestamp{std::chrono::microseconds{*st.last->cancelled_at}};
    if (st.room.match_id &&
        cancelled_by_racebot(*st.last, st.options.racebot_cancel_after)) {
      closure.release_match = true;
      closure.reason =
          "racetime.gg cancelled the room because fewer than two players "
          "joined it in time: the match has no room now; it gets a new one "
          "while it is due if its tournament opens rooms by itself, else "
          "open one by hand";
      spdlog::warn("{}: {}", st.who, closure.reason);
    }
    enqueue(self, std::move(closure));
    settle(self);
  } else if (plan.end == race_end::partitioned) {
    // No undo brings a partitioned race back, so nothing to settle.
    spdlog::warn("{}: racetime.gg split the race into partition races; the "
                 "room is closed without a result",
                 st.who);
    enqueue(self, persistence::room_closure{
                      st.room.id, "partitioned",
                      "racetime.gg split the race into partition races, "
                      "which racecontrol does not follow: record the match's "
                      "result by hand",
                      false, st.room.owner_epoch});
    st.step = phase::ending;
  }
  finish_if_done(self);
}

void answer_chat(room_pointer self, const std::string& frame) {
  auto& st = self->state;
  auto msg = protocol::parse_server_message(frame);
  if (!msg || !st.ctx)
    return;
  const auto* chat = std::get_if<protocol::chat_message_message>(&msg->body);
  if (chat == nullptr || chat->message.is_bot || chat->message.is_system)
    return;
  auto command = chat_command(chat->message.message_plain);
  if (command.empty())
    return;
  auto answer = answer_command(command, *st.ctx, st.last ? &*st.last : nullptr,
                               std::chrono::system_clock::now());
  if (answer.empty() ||
      !st.limiter.allow(command, std::chrono::steady_clock::now()))
    return;
  protocol::message_action m;
  m.message = answer;
  m.guid = protocol::make_guid();
  send_action(self, m);
}

} // namespace

bool room_reads(std::string_view frame) {
  using protocol::frame_kind;
  auto kind = protocol::classify_frame(frame);
  if (!kind || *kind == frame_kind::race_data || *kind == frame_kind::error)
    return true;
  if (*kind != frame_kind::chat_message)
    return false;
  auto msg = protocol::parse_server_message(frame);
  const auto* chat =
      msg ? std::get_if<protocol::chat_message_message>(&msg->body) : nullptr;
  return chat == nullptr || (!chat->message.is_bot && !chat->message.is_system);
}

namespace {

void on_frame(room_pointer self, const std::string& frame) {
  auto kind = protocol::classify_frame(frame);
  if (!kind) {
    spdlog::warn("{}: ignored a frame that is not a racetime.gg message: {}",
                 self->state.who, kind.error().what());
    return;
  }
  switch (*kind) {
    case protocol::frame_kind::race_data: {
      // Decoded into this thread's scratch snapshot, which holds the
      // memory of a snapshot a room replaced: no allocation per frame.
      thread_local race_snapshot scratch;
      auto error = protocol::decode_race_frame(frame, scratch);
      protocol::metrics().add(protocol::metric::race_data_messages,
                              {{"result", error ? "invalid" : "decoded"}});
      if (error)
        spdlog::warn("{}: ignored a race.data frame: {}", self->state.who,
                     error->what());
      else
        apply(self, scratch);
      break;
    }
    case protocol::frame_kind::chat_message:
      answer_chat(self, frame);
      break;
    case protocol::frame_kind::error:
      spdlog::warn("{}: racetime.gg reported an error: {}", self->state.who,
                   frame.substr(0, 500));
      // A refused invitation ("X is not allowed to join this race": racing
      // in another race, or not streaming while streaming is required)
      // names no action: the players still missing from the race are
      // invited again by the next pass, within a tick_interval, and get in
      // once the cause is gone. Players in the race are not invited again.
      if (frame.find("not allowed to join") == std::string::npos)
        break;
      self->state.memory.invited.clear();
      self->state.replan_people = true;
      tick_within(self, self->state.options.tick_interval);
      break;
    default:
      break;
  }
}

// --- attaching
// ----------------------------------------------------------------

/// The room's context arrived: the first one starts the watch.
void on_loaded(room_pointer self, room_context&& ctx) {
  auto& st = self->state;
  st.load_backoff.reset();
  bool first = !st.ctx;
  st.ctx = std::move(ctx);
  if (first && st.room.just_opened) {
    // racetime.gg sends race.data as soon as the socket opens: a room
    // created a moment ago needs no fetch before it.
    st.step = phase::watching;
    hold_socket(self);
  } else if (first) {
    st.step = phase::fetching;
    st.link->fetch(st.room.slug);
  } else if (st.last && st.step == phase::watching) {
    invite_and_accept(self, plan_invitations(*st.ctx, *st.last, st.memory));
  }
}

void load(room_pointer self) {
  self->request(self->state.db, db_request_timeout, atom::get::value,
                atom::room::value, self->state.room.id)
      .then(
          [self](room_context& ctx) {
            on_loaded(self, std::move(ctx));
          },
          [self](caf::error& err) {
            auto& st = self->state;
            if (is(err, ec::not_found)) {
              spdlog::warn("{}: its racetime_rooms row is gone; not watched",
                           st.who);
              self->quit();
              return;
            }
            st.last_error = describe(err);
            auto delay = st.load_backoff.next_delay();
            spdlog::warn("{}: cannot load the room ({}); retrying in {} ms",
                         st.who, st.last_error, delay.count());
            self->delayed_send(self, delay, atom::load::value);
          });
}

void on_fetch_failure(room_pointer self, const fetch_failure& f) {
  auto& st = self->state;
  if (f.gone && st.step == phase::settling) {
    // Its result is written: nothing to close.
    spdlog::info("{}: {}; no longer watched", st.who, f.message);
    st.step = phase::ending;
    return finish_if_done(self);
  }
  if (f.gone) {
    spdlog::warn("{}: {}; closing it", st.who, f.message);
    st.step = phase::ending;
    enqueue(self, persistence::room_closure{st.room.id, "gone", f.message,
                                            false, st.room.owner_epoch});
    return;
  }
  st.last_error = f.message;
  if (st.fetch_retry_armed)
    return; // a fetch of the pass failed while the retry waits
  st.fetch_retry_armed = true;
  auto delay = st.fetch_backoff.next_delay();
  spdlog::warn("{}: {}; retrying in {} ms", st.who, f.message, delay.count());
  self->delayed_send(self, delay, atom::fetch::value);
}

/// Arms the periodic pass `delay` from now. A room with an open socket
/// sleeps until its quiet recheck (10,000 rooms woke 167 times a second
/// for nothing at a one-minute pass); a lost socket brings the pass
/// forward, and the tick armed before then is recognised as stale. The
/// room clock sends it (at that time or a little later).
void arm_tick(room_pointer self, caf::timespan delay) {
  auto& st = self->state;
  st.next_tick = self->clock().now() + delay;
  self->send(st.clock, atom::tick::value, delay,
             caf::actor_cast<race_room_actor>(self));
}

/// Brings the periodic pass forward to at most `delay` from now.
void tick_within(room_pointer self, caf::timespan delay) {
  auto& st = self->state;
  if (st.next_tick - self->clock().now() > delay)
    arm_tick(self, delay);
}

void pass_within_a_tick(room_pointer self) {
  tick_within(self, self->state.options.tick_interval);
}

void on_socket(room_pointer self, const socket_event& e) {
  auto& st = self->state;
  switch (e.what) {
    case socket_event::kind::opened:
      st.socket_open = true;
      spdlog::info("{}: bot socket open", st.who);
      break;
    case socket_event::kind::lost:
      st.socket_open = false;
      spdlog::warn("{}: bot socket lost: {}", st.who, e.detail);
      pass_within_a_tick(self);
      break;
    case socket_event::kind::dropped:
      // An invitation that never went out is sent again by the next pass,
      // within a tick_interval (not at once: what racetime.gg refused
      // would come back at the rate it is refused).
      st.memory.invited.clear();
      st.memory.accepted.clear();
      st.replan_people = true;
      spdlog::warn("{}: an action was given up: {}", st.who, e.detail);
      pass_within_a_tick(self);
      break;
  }
}

void on_tick(room_pointer self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (now < st.next_tick)
    return; // superseded
  caf::timespan next = st.options.tick_interval;
  if (st.step == phase::watching || st.step == phase::settling) {
    auto quiet = now - st.last_news;
    // Without its socket the room may have missed the end (or a reopening);
    // with it, after a quiet recheck, too.
    bool fetch = !st.socket_open || quiet >= st.options.quiet_recheck;
    if (!fetch)
      next = std::max<caf::timespan>(next, st.options.quiet_recheck - quiet);
    if (st.step == phase::settling) {
      // At the window's end one fetch tells whether the race is still over.
      auto left = st.settle_deadline - now;
      fetch = fetch || left <= caf::timespan{0};
      if (left > caf::timespan{0})
        next = std::min<caf::timespan>(next, left);
    }
    // A failed fetch's retry, if armed, comes anyway.
    if (fetch && !st.fetch_retry_armed)
      st.link->fetch(st.room.slug);
    if (st.replan_people && st.ctx && st.last) {
      st.replan_people = false;
      invite_and_accept(self, plan_invitations(*st.ctx, *st.last, st.memory));
    }
  }
  arm_tick(self, next);
}

void begin_stop(room_pointer self, const caf::exit_msg& msg) {
  auto& st = self->state;
  if (st.stopping) {
    // Asked again to stop as it is stopping (its supervisor ended meanwhile
    // and asks every child it still had): the stop under way has its own
    // deadline for the last writes. Anything else ends it now.
    if (msg.reason != caf::exit_reason::user_shutdown)
      self->quit(msg.reason);
    return;
  }
  st.stopping = true;
  st.stop_reason = msg.reason;
  if (st.link)
    st.link->close();
  if (!st.writes.empty()) {
    spdlog::info("{}: stopping after {} pending write(s)", st.who,
                 st.writes.size());
    flush(self); // not waiting out write_delay
    st.stop_deadline =
        std::chrono::steady_clock::now() + st.options.flush_on_stop;
    self->delayed_send(self, st.options.flush_on_stop, atom::flush::value);
  }
  finish_if_done(self);
}

} // namespace

race_room_actor::behavior_type race_room(
    room_pointer self, room_record room, std::optional<room_context> loaded,
    persistence_actor db, room_clock_actor clock, room_link_factory links,
    std::shared_ptr<protocol::token_source> tokens, race_room_options options) {
  auto& st = self->state;
  st.room = std::move(room);
  st.who = describe_room(st.room);
  st.options = options;
  st.db = std::move(db);
  st.clock = std::move(clock);
  st.load_backoff = protocol::backoff{options.retry};
  st.fetch_backoff = protocol::backoff{options.retry};
  st.write_backoff = protocol::backoff{options.retry};
  st.link = links(self->address(), st.room, std::move(tokens));
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    begin_stop(self, msg);
  });
  if (loaded && loaded->room.id == st.room.id)
    on_loaded(self, std::move(*loaded));
  else
    load(self);
  arm_tick(self, options.tick_interval);
  return {
      [self](atom::fetched, race_snapshot& race) {
        self->state.fetch_backoff.reset();
        apply(self, race);
      },
      [self](atom::fetched, const fetch_failure& f) {
        on_fetch_failure(self, f);
      },
      [self](atom::frame, const std::string& frame) {
        on_frame(self, frame);
      },
      [self](atom::socket, const socket_event& e) {
        on_socket(self, e);
      },
      [self](atom::load, std::uint64_t fingerprint) {
        const auto& ctx = self->state.ctx;
        if (!ctx || ctx->fingerprint != fingerprint)
          load(self);
      },
      [self](atom::load) {
        load(self);
      },
      [self](atom::fetch) {
        self->state.fetch_retry_armed = false;
        if (self->state.step != phase::ending)
          self->state.link->fetch(self->state.room.slug);
      },
      [self](atom::flush) {
        if (self->state.stopping &&
            std::chrono::steady_clock::now() >= self->state.stop_deadline) {
          // The grace period for the last writes is over.
          spdlog::warn("{}: stopping with {} write(s) unconfirmed; the next "
                       "start re-reads the race",
                       self->state.who, self->state.writes.size());
          self->quit(self->state.stop_reason);
          return;
        }
        flush(self);
      },
      [self](atom::tick) {
        on_tick(self);
      },
      [self](atom::status) {
        const auto& st = self->state;
        return room_watch_info{st.room.id,
                               st.room.slug,
                               st.last ? st.last->status : st.room.status,
                               phase_name(st.step),
                               0,
                               st.last_error,
                               ""};
      },
  };
}

} // namespace racecontrol
