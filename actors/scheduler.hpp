#pragma once

// The scheduler: runs the scheduled_tasks rows. A task's life, in
// scheduler.cpp from top to bottom:
//
//   load ──> review ──> (never scheduled) schedule: first next_run_at
//              │   └──> (schedule invalid) record it once, wait for a fix
//              │   └──> (run marker left behind) record it as interrupted
//              ▼
//   due (a timer at the earliest next_run_at) ──> claim: next_run_at
//   advanced past now and the run marker set, in the database, BEFORE the
//   run ──> run: a request to the actor that does the work ──> finish:
//   last_run_* written, marker cleared ──> review ...
//
// Because the claim advances next_run_at first, a failed run, a crashed
// daemon or a second scheduler never repeats an occurrence, and runs missed
// while the daemon was down coalesce into the one claim at start.

#include "actors/interfaces.hpp"
#include "actors/task_timing.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace racecontrol {

struct scheduler_options {
  /// This node's name (daemon.node_name), written as run_owner while a run
  /// is in flight. A marker with this name that this scheduler does not
  /// run was left by its previous life (the daemon stopped mid-run), so
  /// node names must be unique among the nodes sharing a database.
  std::string node_name;
  /// How often the task rows are read again (changes made in the database
  /// take effect within this time; `reload` does it at once).
  std::chrono::milliseconds reload_interval{60000};
  /// A run that has not answered within this time is recorded as failed.
  std::chrono::milliseconds run_timeout{300000};
  /// Another node's run marker older than this belongs to a run that ended
  /// without saying so (its daemon stopped); it is recorded as interrupted.
  /// Must exceed every node's run_timeout.
  std::chrono::milliseconds stale_after{360000};
  /// How long to wait for the database's answer.
  std::chrono::milliseconds database_timeout{60000};
  /// The wall clock (UTC); now_us() when empty. Tests drive it with the
  /// test coordinator's clock.
  std::function<timestamp()> clock;
};

/// Where a task is in its life on this scheduler.
enum class run_phase : std::uint8_t {
  idle,      ///< waiting for its next_run_at
  claiming,  ///< a claim (or its first schedule) is on its way
  running,   ///< claimed; the run is in flight
  finishing, ///< a result (its own or an interrupted run's) is being saved
};

/// One task as the scheduler knows it.
struct task_entry {
  task_record row; ///< as last read, with this scheduler's writes applied
  std::optional<task_timing> timing; ///< nullopt: the schedule is invalid
  run_phase phase = run_phase::idle;
  /// A result the database has not taken yet (tried again on each load).
  std::optional<task_finish> unsaved;
  bool saving = false; ///< `unsaved` is on its way
  /// Not claimed before the next load: its run is in flight elsewhere, or
  /// the last claim failed.
  bool held = false;
  /// Not active in the database any more; dropped when the next load no
  /// longer lists it.
  bool gone = false;
  /// The start of another node's run last logged, so it is logged once.
  std::optional<timestamp> noted_run;
  /// A claim whose answer never came (a timeout): the database may have
  /// taken it. When a load shows its run marker, the run is ours and starts
  /// then (rather than being recorded as interrupted, never run); kept until
  /// a load shows another run's marker, or for stale_after.
  std::optional<task_claim> unanswered_claim;
  /// The number of loads requested when a write of this scheduler last
  /// changed `row`; a load requested before that may be older than `row`.
  std::uint64_t written_at_load = 0;
};

struct scheduler_state {
  static constexpr const char* name = "scheduler";

  scheduler_options options;
  task_store_actor store;
  room_poller_actor rooms;     ///< invalid while no room supervisor runs here
  open_pass_actor tournaments; ///< invalid while no room automation runs
  std::map<std::int32_t, task_entry> tasks;
  std::uint64_t loads = 0; ///< loads requested so far
  bool loading = false;
  bool load_again = false; ///< a reload was asked for during a load
  std::uint64_t timer = 0; ///< the current timer's number
  std::optional<timestamp> armed_for;
};

/// The scheduler actor's behavior: loads the tasks at start (and every
/// reload_interval), arms one timer for the earliest next_run_at, claims
/// each due run in the database before it starts, runs it as a request to
/// the actor that does the work and records the result.
/// @param store the persistence actor (or a stand-in that serves tasks)
/// @param rooms the room supervisor, for RACETIME_POLL_OPEN_ROOMS; an
///        invalid handle records those runs as failed
/// @param tournaments the tournament supervisor, for RACETIME_OPEN_ROOM;
///        an invalid handle records those runs as failed
/// @param options timings and this node's name
scheduler_actor::behavior_type
scheduler(scheduler_actor::stateful_pointer<scheduler_state> self,
          task_store_actor store, room_poller_actor rooms,
          open_pass_actor tournaments, scheduler_options options);

} // namespace racecontrol
