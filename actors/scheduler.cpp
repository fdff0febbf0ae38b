#include "actors/scheduler.hpp"

#include "actors/error.hpp"

#include "protocol/iso8601.hpp"
#include "protocol/json.hpp"
#include "protocol/json_error.hpp"
#include "protocol/metrics_registry.hpp"

#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace racecontrol {

namespace {

using scheduler_pointer = scheduler_actor::stateful_pointer<scheduler_state>;
using run_promise = caf::typed_response_promise<atom::ok>;

const char* const succeeded = "succeeded";
const char* const failed = "failed";
const char* const skipped = "skipped";

/// The wall clock at the database's precision, so a time written and read
/// back compares equal.
timestamp now(scheduler_pointer self) {
  auto t = self->state.options.clock ? self->state.options.clock() : now_us();
  return std::chrono::time_point_cast<std::chrono::microseconds>(t);
}

/// "task 3 'poll rooms'": how every log line names a task.
std::string label(const task_record& row) {
  return "task " + std::to_string(row.id) + " '" + row.name + "'";
}

std::string when(const std::optional<timestamp>& t) {
  return t ? protocol::format_iso8601_time(*t) : std::string{"none"};
}

std::string seconds(std::chrono::milliseconds d) {
  return std::to_string(d.count() / 1000) + " s";
}

task_entry* find(scheduler_pointer self, std::int32_t id) {
  auto it = self->state.tasks.find(id);
  return it == self->state.tasks.end() ? nullptr : &it->second;
}

void load(scheduler_pointer self);
void review(scheduler_pointer self, task_entry& e);
void save(scheduler_pointer self, std::int32_t id);

// --- timers -----------------------------------------------------------------

/// When the task is next due here; nullopt while something else happens
/// to it, or it has no schedule.
std::optional<timestamp> due_at(const task_entry& e) {
  if (e.phase != run_phase::idle || e.held || e.gone || !e.timing ||
      !e.row.is_active || e.row.run_started_at)
    return std::nullopt;
  return e.row.next_run_at;
}

/// One timer, for the earliest due task. A timer armed before is not
/// cancelled; its tick carries an older number and is ignored. The timer
/// runs on CAF's steady clock while tasks are due by the wall clock: it is
/// armed at most reload_interval ahead and then again, so a step of the
/// wall clock (NTP after a boot, a VM restored) delays a run by at most
/// that, not by the step.
void arm(scheduler_pointer self) {
  auto& st = self->state;
  std::optional<timestamp> earliest;
  for (const auto& [id, e] : st.tasks)
    if (auto due = due_at(e); due && (!earliest || *due < *earliest))
      earliest = due;
  if (!earliest || earliest == st.armed_for)
    return;
  st.armed_for = earliest;
  auto delay = std::clamp<timestamp::duration>(*earliest - now(self),
                                               timestamp::duration::zero(),
                                               st.options.reload_interval);
  self->delayed_send(self, delay, atom::tick::value, ++st.timer);
}

// --- finish: the result goes to the database ---------------------------------

/// Keeps a run's result until the database has taken it.
void finish(scheduler_pointer self, std::int32_t id, timestamp started,
            const std::string& status, const std::string& message) {
  auto* e = find(self, id);
  if (e == nullptr || e->phase != run_phase::running ||
      e->row.run_started_at != started)
    return;
  if (status == failed)
    spdlog::warn("scheduler: {} failed: {}; next run: {}", label(e->row),
                 message, when(e->row.next_run_at));
  else if (status == skipped)
    spdlog::info("scheduler: {} skipped: {}", label(e->row), message);
  else
    spdlog::info("scheduler: {} succeeded; next run: {}", label(e->row),
                 when(e->row.next_run_at));
  protocol::metrics().add(
      protocol::metric::task_runs,
      {{"task_type", e->row.task_type}, {"outcome", status}});
  e->unsaved =
      task_finish{id, self->state.options.node_name, started, status, message};
  e->phase = run_phase::finishing;
  save(self, id);
}

void saved(scheduler_pointer self, task_entry& e, const task_finish& f,
           bool recorded) {
  e.saving = false;
  e.unsaved.reset();
  e.phase = run_phase::idle;
  if (!recorded) {
    // Another scheduler took the marker as left behind; its record stands.
    spdlog::warn("scheduler: {}: the run started at {} was no longer marked "
                 "as running, so its result ({}) was not recorded",
                 label(e.row), when(f.started_at), f.status);
    load(self);
    return;
  }
  e.row.last_run_at = f.started_at;
  e.row.last_run_status = f.status;
  e.row.last_run_error = f.message;
  e.row.run_started_at.reset();
  e.row.run_owner.clear();
  e.written_at_load = self->state.loads;
  review(self, e);
  arm(self);
}

void save(scheduler_pointer self, std::int32_t id) {
  auto* e = find(self, id);
  if (e == nullptr || !e->unsaved || e->saving)
    return;
  e->saving = true;
  auto f = *e->unsaved;
  self->request(self->state.store, self->state.options.database_timeout,
                atom::put::value, f)
      .then(
          [self, f](bool recorded) {
            if (auto* e = find(self, f.task_id))
              saved(self, *e, f, recorded);
          },
          [self, f](caf::error& err) {
            auto* e = find(self, f.task_id);
            if (e == nullptr)
              return;
            e->saving = false;
            spdlog::error("scheduler: {}: cannot record its run started at "
                          "{} ({}): {}; trying again at the next reload",
                          label(e->row), when(f.started_at), f.status,
                          describe(err));
          });
}

// --- run: a request to the actor that does the work -------------------------

void run_poll(scheduler_pointer self, std::int32_t id, timestamp started) {
  auto& st = self->state;
  if (!st.rooms) {
    finish(self, id, started, failed, "no room supervisor on this node");
    return;
  }
  auto timeout = st.options.run_timeout;
  self->request(st.rooms, timeout, atom::poll::value)
      .then(
          [self, id, started](const poll_summary& s) {
            auto summary = std::to_string(s.rooms) + " room(s) to watch, " +
                           std::to_string(s.watched) + " watched already, " +
                           std::to_string(s.started) + " started, " +
                           std::to_string(s.failed) + " failed";
            if (auto* e = find(self, id))
              spdlog::info("scheduler: {}: {}", label(e->row), summary);
            if (s.failed > 0)
              finish(self, id, started, failed,
                     "the poll could not start every watcher: " + summary);
            else
              finish(self, id, started, succeeded, "");
          },
          [self, id, started, timeout](caf::error& err) {
            finish(self, id, started, failed,
                   err == caf::sec::request_timeout
                       ? "the room supervisor did not answer within " +
                             seconds(timeout)
                       : "the room supervisor failed: " + describe(err));
          });
}

/// A RACETIME_OPEN_ROOM task whose config names a match ({"match_id": 12,
/// "goal": "...", "invitational": false}) opens that match's room now, as
/// a manual open would. nullopt without a match_id; throws
/// protocol::json_error for a config it cannot read.
std::optional<manual_open> manual_request(const task_record& row) {
  auto doc =
      protocol::parse_json(row.config_json.empty() ? "{}" : row.config_json);
  protocol::json_object config{doc, "config"};
  auto match = config.optional_integer("match_id");
  if (!match)
    return std::nullopt;
  manual_open request;
  request.match_id = static_cast<std::int32_t>(*match);
  request.goal = config.optional_string("goal");
  request.invitational = config.optional_boolean("invitational");
  request.requested_by =
      "scheduled task " + std::to_string(row.id) + " '" + row.name + "'";
  return request;
}

void run_manual_open(scheduler_pointer self, std::int32_t id, timestamp started,
                     manual_open request) {
  auto timeout = self->state.options.run_timeout;
  self->request(self->state.tournaments, timeout, atom::open::value, request)
      .then(
          [self, id, started](const room_answer& a) {
            if (auto* e = find(self, id))
              spdlog::info("scheduler: {}: room {} ({})", label(e->row), a.url,
                           a.existed ? "it existed" : "opened now");
            finish(self, id, started, succeeded, "");
          },
          [self, id, started, match = request.match_id](caf::error& err) {
            finish(self, id, started, failed,
                   "the room of match " + std::to_string(match) +
                       " was not opened: " + describe(err));
          });
}

/// RACETIME_OPEN_ROOM: the safety net under the tournaments' own timers,
/// for the task's organization (or every one).
void run_open_pass(scheduler_pointer self, std::int32_t id, timestamp started) {
  auto& st = self->state;
  if (!st.tournaments) {
    finish(self, id, started, failed, "no room automation on this node");
    return;
  }
  try {
    if (auto request = manual_request(find(self, id)->row)) {
      run_manual_open(self, id, started, std::move(*request));
      return;
    }
  } catch (const protocol::json_error& e) {
    finish(self, id, started, failed,
           std::string{"its config cannot be read: "} + e.what());
    return;
  }
  auto timeout = st.options.run_timeout;
  open_pass pass{find(self, id)->row.organization_id};
  self->request(st.tournaments, timeout, atom::open::value, pass)
      .then(
          [self, id, started](const open_pass_summary& s) {
            auto summary =
                std::to_string(s.tournaments) + " tournament(s), " +
                std::to_string(s.due) +
                " due match(es) without a room: " + std::to_string(s.started) +
                " being opened now, " + std::to_string(s.in_flight) +
                " already";
            if (auto* e = find(self, id))
              spdlog::info("scheduler: {}: {}", label(e->row), summary);
            finish(self, id, started, succeeded, "");
          },
          [self, id, started, timeout](caf::error& err) {
            finish(self, id, started, failed,
                   err == caf::sec::request_timeout
                       ? "the room automation did not answer within " +
                             seconds(timeout)
                       : "the room automation failed: " + describe(err));
          });
}

void start_run(scheduler_pointer self, std::int32_t id, timestamp started) {
  const auto& type = find(self, id)->row.task_type;
  if (type == "RACETIME_POLL_OPEN_ROOMS")
    run_poll(self, id, started);
  else if (type == "RACETIME_OPEN_ROOM")
    run_open_pass(self, id, started);
  else
    finish(self, id, started, failed,
           "racecontrol has no handler for task type " + type);
}

// --- claim: next_run_at advanced and the marker set, before the run ----------

void claimed(scheduler_pointer self, task_entry& e, const task_claim& c,
             claim_outcome outcome, std::optional<run_promise>& rp) {
  e.phase = run_phase::idle;
  if (outcome != claim_outcome::claimed) {
    e.held = true;
    auto why = outcome == claim_outcome::busy
                   ? "another run of it is in flight (its run marker is set)"
                   : "its row changed in the database since it was read";
    spdlog::info("scheduler: {}: not run now: {}", label(e.row), why);
    if (rp)
      rp->deliver(
          make_error(ec::unspecified, label(e.row) + " was not run: " + why));
    if (outcome == claim_outcome::changed)
      load(self);
    arm(self);
    return;
  }
  e.row.next_run_at = c.next_run_at;
  e.row.run_started_at = c.started_at;
  e.row.run_owner = c.owner;
  e.row.is_active = e.row.is_active && !c.deactivate;
  e.written_at_load = self->state.loads;
  e.phase = run_phase::running;
  spdlog::info("scheduler: {} ({}) starts{}; next run: {}", label(e.row),
               e.row.task_type, rp ? " as asked" : "", when(c.next_run_at));
  if (rp)
    rp->deliver(atom::ok::value);
  start_run(self, e.row.id, c.started_at);
}

/// Claims the task's run; `rp` is set for a run asked for (run now), which
/// leaves next_run_at as it is.
void claim(scheduler_pointer self, task_entry& e,
           std::optional<run_promise> rp) {
  auto started = now(self);
  task_claim c;
  c.task_id = e.row.id;
  c.expected_next_run_at = e.row.next_run_at;
  c.owner = self->state.options.node_name;
  c.started_at = started;
  c.deactivate = e.row.schedule_type == "ONE_TIME";
  if (c.deactivate)
    c.next_run_at.reset();
  else if (rp || !e.timing || !e.row.next_run_at)
    c.next_run_at = e.row.next_run_at;
  else
    c.next_run_at = e.timing->next_after_run(*e.row.next_run_at, started);
  e.phase = run_phase::claiming;
  self->request(self->state.store, self->state.options.database_timeout,
                atom::put::value, c)
      .then(
          [self, c, rp](claim_outcome outcome) mutable {
            if (auto* e = find(self, c.task_id))
              claimed(self, *e, c, outcome, rp);
          },
          [self, c, rp](caf::error& err) mutable {
            auto* e = find(self, c.task_id);
            if (e == nullptr)
              return;
            e->phase = run_phase::idle;
            e->held = true;
            e->unanswered_claim = c;
            spdlog::error("scheduler: {}: cannot claim its run: {}; trying "
                          "again after the next reload",
                          label(e->row), describe(err));
            if (rp)
              rp->deliver(err);
            arm(self);
          });
}

/// Claims every task that is due.
void run_due(scheduler_pointer self) {
  auto t = now(self);
  std::vector<std::int32_t> due;
  for (const auto& [id, e] : self->state.tasks)
    if (auto at = due_at(e); at && *at <= t)
      due.push_back(id);
  for (auto id : due)
    claim(self, self->state.tasks.at(id), std::nullopt);
}

// --- review: what a loaded (or just finished) task needs --------------------

/// Records a run marker that no run here will clear as an interrupted run.
void record_interrupted(scheduler_pointer self, task_entry& e) {
  const auto& row = e.row;
  auto message = "interrupted: the run started at " + when(row.run_started_at) +
                 " on node " + row.run_owner +
                 " never reported its end (its daemon stopped during the "
                 "run); not run again before its next time";
  spdlog::warn("scheduler: {}: {}", label(row), message);
  e.unsaved =
      task_finish{row.id, row.run_owner, *row.run_started_at, failed, message};
  e.phase = run_phase::finishing;
  save(self, row.id);
}

void record_invalid(scheduler_pointer self, task_entry& e,
                    const std::string& reason) {
  if (e.row.last_run_status == failed && e.row.last_run_error == reason &&
      !e.row.next_run_at)
    return; // recorded before; not again on every load
  spdlog::error("scheduler: {}: {}; it does not run until the row is fixed",
                label(e.row), reason);
  task_invalid x{e.row.id, reason};
  self->request(self->state.store, self->state.options.database_timeout,
                atom::put::value, x)
      .then(
          [self, x](atom::ok) {
            if (auto* e = find(self, x.task_id)) {
              e->row.last_run_status = failed;
              e->row.last_run_error = x.reason;
              e->row.next_run_at.reset();
              e->written_at_load = self->state.loads;
            }
          },
          [self, x](caf::error& err) {
            spdlog::error("scheduler: task {}: cannot record its invalid "
                          "schedule: {}; trying again at the next reload",
                          x.task_id, describe(err));
          });
}

/// Gives the task the next_run_at `next` in place of its current one (none
/// for a task never scheduled): `why` says what for, in the log.
void schedule(scheduler_pointer self, task_entry& e, timestamp next,
              const char* why) {
  task_schedule s{e.row.id, e.row.next_run_at, next};
  e.phase = run_phase::claiming;
  self->request(self->state.store, self->state.options.database_timeout,
                atom::put::value, s)
      .then(
          [self, s, why](bool applied) {
            auto* e = find(self, s.task_id);
            if (e == nullptr)
              return;
            e->phase = run_phase::idle;
            if (!applied) {
              load(self);
              return;
            }
            e->row.next_run_at = s.next_run_at;
            e->written_at_load = self->state.loads;
            spdlog::info("scheduler: {} scheduled{}: next run {}",
                         label(e->row), why, when(s.next_run_at));
            arm(self);
          },
          [self, s](caf::error& err) {
            auto* e = find(self, s.task_id);
            if (e == nullptr)
              return;
            e->phase = run_phase::idle;
            spdlog::error("scheduler: {}: cannot schedule it: {}; trying "
                          "again at the next reload",
                          label(e->row), describe(err));
          });
}

/// Whether an INTERVAL task's last run started more than 10 minutes after
/// the wall clock's now and its next run lies more than a period and 10
/// minutes ahead: the clock was stepped back. (A CRON task's next
/// occurrence stays: planned from now it would repeat the one that ran.
/// The 10 minutes spare the nodes of a cluster whose clocks differ a
/// little from pulling each other's runs forward.)
bool stepped_back(scheduler_pointer self, const task_record& row) {
  auto t = now(self);
  auto margin = std::chrono::minutes{10};
  if (row.schedule_type != "INTERVAL" || !row.interval_seconds ||
      !row.last_run_at || !row.next_run_at)
    return false;
  auto period = std::chrono::seconds{*row.interval_seconds};
  return *row.last_run_at > t + margin &&
         *row.next_run_at > t + period + margin;
}

void review(scheduler_pointer self, task_entry& e) {
  if (e.phase != run_phase::idle)
    return;
  const auto& opts = self->state.options;
  if (e.unanswered_claim) {
    auto c = *e.unanswered_claim;
    if (e.row.run_started_at == c.started_at && e.row.run_owner == c.owner) {
      e.unanswered_claim.reset();
      spdlog::warn("scheduler: {}: its claim took after all (its answer was "
                   "lost); running it now",
                   label(e.row));
      std::optional<run_promise> none;
      claimed(self, e, c, claim_outcome::claimed, none);
      return;
    }
    // Kept while the row shows no run: a load read before the claim
    // committed (or one asked for before it failed) does not show it yet.
    if (e.row.run_started_at || c.started_at + opts.stale_after < now(self))
      e.unanswered_claim.reset();
  }
  if (e.row.run_started_at) {
    bool ours = e.row.run_owner == opts.node_name;
    if (ours || *e.row.run_started_at + opts.stale_after < now(self)) {
      record_interrupted(self, e);
      return;
    }
    e.held = true;
    if (e.noted_run != e.row.run_started_at)
      spdlog::info("scheduler: {} runs on node {} since {}; not here "
                   "meanwhile",
                   label(e.row), e.row.run_owner, when(e.row.run_started_at));
    e.noted_run = e.row.run_started_at;
    return;
  }
  if (!e.row.is_active) {
    e.gone = true;
    return;
  }
  std::string why;
  e.timing = task_timing::of(e.row, why);
  if (!e.timing)
    record_invalid(self, e, "invalid schedule: " + why);
  else if (!e.row.next_run_at)
    schedule(self, e, e.timing->first_due(now(self)), "");
  else if (stepped_back(self, e.row))
    // Its next run was planned from a wall clock that has since gone
    // back (a clock fast at boot, then corrected): waiting for that time
    // would skip runs for as long as the step. One period from now.
    if (auto next = e.timing->next_after_run(now(self), now(self));
        next && *next < *e.row.next_run_at)
      schedule(self, e, *next,
               " again (the wall clock went back past its last run)");
}

// --- load: the rows, merged with what this scheduler knows -------------------

void merge(scheduler_pointer self, std::vector<task_record>& rows,
           std::uint64_t load_number) {
  auto& tasks = self->state.tasks;
  std::vector<std::int32_t> listed;
  for (auto& row : rows) {
    listed.push_back(row.id);
    auto& e = tasks[row.id];
    // A write of ours answered after this load was asked for: the row we
    // hold is newer than the one read.
    if (e.written_at_load >= load_number)
      continue;
    e.row = std::move(row);
    e.held = false;
    e.gone = false;
  }
  for (auto it = tasks.begin(); it != tasks.end();) {
    bool is_listed =
        std::find(listed.begin(), listed.end(), it->first) != listed.end();
    if (!is_listed && it->second.phase == run_phase::idle) {
      it = tasks.erase(it);
      continue;
    }
    it->second.gone = it->second.gone || !is_listed;
    ++it;
  }
}

void loaded(scheduler_pointer self, std::vector<task_record>& rows,
            std::uint64_t load_number) {
  merge(self, rows, load_number);
  std::vector<std::int32_t> ids;
  for (const auto& [id, e] : self->state.tasks)
    ids.push_back(id);
  for (auto id : ids) {
    save(self, id); // results the database has not taken yet
    if (auto* e = find(self, id))
      review(self, *e);
  }
  arm(self);
}

void load(scheduler_pointer self) {
  auto& st = self->state;
  if (st.loading) {
    st.load_again = true;
    return;
  }
  st.loading = true;
  auto number = ++st.loads;
  auto next = [self] {
    self->state.loading = false;
    if (self->state.load_again) {
      self->state.load_again = false;
      load(self);
    }
  };
  self->request(st.store, st.options.database_timeout, atom::get::value,
                atom::tasks::value)
      .then(
          [self, number, next](std::vector<task_record>& rows) {
            loaded(self, rows, number);
            next();
          },
          [self, next](caf::error& err) {
            spdlog::warn("scheduler: cannot load the scheduled tasks: {}; "
                         "trying again in {}",
                         describe(err),
                         seconds(self->state.options.reload_interval));
            next();
          });
}

// --- stop -------------------------------------------------------------------

/// On an orderly stop, results not saved yet are sent once more and runs
/// in flight are recorded as interrupted (the persistence actor stops
/// after the scheduler); a kill leaves their markers for the next start.
void record_stop(scheduler_pointer self) {
  for (const auto& [id, e] : self->state.tasks) {
    if (e.unsaved)
      caf::anon_send(self->state.store, atom::put::value, *e.unsaved);
    if (e.phase != run_phase::running || !e.row.run_started_at)
      continue;
    spdlog::warn("scheduler: {}: stopping during its run; recorded as "
                 "interrupted",
                 label(e.row));
    caf::anon_send(self->state.store, atom::put::value,
                   task_finish{id, self->state.options.node_name,
                               *e.row.run_started_at, failed,
                               "interrupted: racecontrold stopped during the "
                               "run; not run again before its next time"});
  }
}

} // namespace

scheduler_actor::behavior_type scheduler(scheduler_pointer self,
                                         task_store_actor store,
                                         room_poller_actor rooms,
                                         open_pass_actor tournaments,
                                         scheduler_options options) {
  auto& st = self->state;
  st.store = std::move(store);
  st.rooms = std::move(rooms);
  st.tournaments = std::move(tournaments);
  st.options = std::move(options);
  spdlog::info("scheduler: started on node {} (tasks read every {}, runs "
               "time out after {}{})",
               st.options.node_name, seconds(st.options.reload_interval),
               seconds(st.options.run_timeout),
               st.rooms ? "" : "; no room supervisor on this node");
  // A throwing handler ends this actor with the exception's message.
  self->set_exception_handler(exception_error);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    record_stop(self);
    self->quit(msg.reason);
  });
  self->send(self, atom::reload::value, atom::tick::value);
  return {
      [self](atom::reload) {
        load(self);
      },
      [self](atom::reload, atom::tick) {
        load(self);
        self->delayed_send(self, self->state.options.reload_interval,
                           atom::reload::value, atom::tick::value);
      },
      [self](atom::tick, std::uint64_t timer) {
        if (timer != self->state.timer)
          return;
        self->state.armed_for.reset();
        run_due(self);
        arm(self);
      },
      [self](atom::run, std::int32_t id) -> caf::result<atom::ok> {
        auto* e = find(self, id);
        if (e == nullptr || e->gone || !e->row.is_active)
          return make_error(ec::not_found, "no active scheduled task has id " +
                                               std::to_string(id));
        if (e->phase != run_phase::idle || e->row.run_started_at)
          return make_error(ec::unspecified,
                            label(e->row) + " is running already");
        auto rp = self->make_response_promise<atom::ok>();
        claim(self, *e, rp);
        return rp;
      },
  };
}

} // namespace racecontrol
