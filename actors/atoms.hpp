#pragma once

// Every atom of racecontrol, in one place. CAF 0.17 atoms hold at most 10
// characters, and two atoms with the same text are the same type.

#include <caf/atom.hpp>

namespace racecontrol::atom {

/// Asks a component how it is doing.
using status = caf::atom_constant<caf::atom("status")>;

/// Asks a component to stop in an orderly way.
using shutdown = caf::atom_constant<caf::atom("shutdown")>;

/// A supervisor's timer: start the named child again after its backoff.
using restart = caf::atom_constant<caf::atom("restart")>;

/// The daemon's signal thread reports SIGINT or SIGTERM to its main thread.
using signal = caf::atom_constant<caf::atom("signal")>;

/// Periodic work an actor schedules for itself.
using tick = caf::atom_constant<caf::atom("tick")>;

/// Reads from the database ("get bots", "get room 7").
using get = caf::atom_constant<caf::atom("get")>;

/// Writes to the database.
using put = caf::atom_constant<caf::atom("put")>;

/// A done write that has nothing else to say.
using ok = caf::atom_constant<caf::atom("ok")>;

/// Selects bots in a request.
using bots = caf::atom_constant<caf::atom("bots")>;

/// Selects rooms in a request.
using rooms = caf::atom_constant<caf::atom("rooms")>;

/// Selects one room in a request.
using room = caf::atom_constant<caf::atom("room")>;

/// Start watching a room.
using watch = caf::atom_constant<caf::atom("watch")>;

/// Re-sync with the database (find what lacks a watcher).
using poll = caf::atom_constant<caf::atom("poll")>;

/// Re-read configuration rows (bots, tasks) without a restart.
using reload = caf::atom_constant<caf::atom("reload")>;

/// A room's race, fetched over HTTP (or why not).
using fetched = caf::atom_constant<caf::atom("fetched")>;

/// (Self-sent) fetch the race over HTTP now.
using fetch = caf::atom_constant<caf::atom("fetch")>;

/// A text frame from a bot socket.
using frame = caf::atom_constant<caf::atom("frame")>;

/// A change of a bot socket's state.
using socket = caf::atom_constant<caf::atom("socket")>;

/// (Self-sent) load what the database knows about a room.
using load = caf::atom_constant<caf::atom("load")>;

/// (Self-sent) retry the writes waiting for the database.
using flush = caf::atom_constant<caf::atom("flush")>;

/// A category bot's token.
using token = caf::atom_constant<caf::atom("token")>;

/// Ask to be sent something whenever it changes.
using subscribe = caf::atom_constant<caf::atom("subscribe")>;

/// racetime.gg refused a token ("Permission denied").
using refused = caf::atom_constant<caf::atom("refused")>;

/// News from a bot's token keeper.
using keeper = caf::atom_constant<caf::atom("keeper")>;

/// A bot's state changed.
using state = caf::atom_constant<caf::atom("state")>;
// --- the scheduler's ---------------------------------------------------------

/// Selects scheduled tasks in a request.
using tasks = caf::atom_constant<caf::atom("tasks")>;

/// Run a scheduled task now, outside its schedule.
using run = caf::atom_constant<caf::atom("run")>;

// --- the room automation's ---------------------------------------------------

/// Open a match's race room (startrace), or every due one.
using open = caf::atom_constant<caf::atom("open")>;

/// Ask a bot to send startrace.
using start = caf::atom_constant<caf::atom("start")>;

/// Selects a category's current races in a request.
using races = caf::atom_constant<caf::atom("races")>;

/// A match's room is due to open (a tournament's timer).
using due = caf::atom_constant<caf::atom("due")>;

/// A tournament or match changed (the API or the console says so).
using changed = caf::atom_constant<caf::atom("changed")>;

/// A room opener finished: the match has its room, or a reason it has not.
using opened = caf::atom_constant<caf::atom("opened")>;

/// (Self-sent) look for a room whose startrace outcome is unknown.
using search = caf::atom_constant<caf::atom("search")>;

/// Selects room claims in a request.
using claims = caf::atom_constant<caf::atom("claims")>;

/// Selects one match in a request.
using match = caf::atom_constant<caf::atom("match")>;

/// Deliver the notifications waiting in the outbox.
using notify = caf::atom_constant<caf::atom("notify")>;

/// A notification was posted (or why not).
using sent = caf::atom_constant<caf::atom("sent")>;

/// An HTTP request for the HTTP API actor.
using http = caf::atom_constant<caf::atom("http")>;

/// Selects what /metrics reads from the database on a scrape.
using metrics = caf::atom_constant<caf::atom("metrics")>;

// --- the admin console's -----------------------------------------------------

/// A console session's event (opened, a line, closed) for the console actor.
using console = caf::atom_constant<caf::atom("console")>;

/// Checks a secret presented to log in (an API token).
using login = caf::atom_constant<caf::atom("login")>;

/// Selects audit entries in a request.
using audit = caf::atom_constant<caf::atom("audit")>;

/// Stop (true) or resume (false) opening new rooms on this node.
using drain = caf::atom_constant<caf::atom("drain")>;

/// A worker node joins the cluster's coordinator.
using join = caf::atom_constant<caf::atom("join")>;

/// A worker's own timer: reach a coordinator (again).
using connect = caf::atom_constant<caf::atom("connect")>;

/// A worker's lease renewal (cluster).
using heartbeat = caf::atom_constant<caf::atom("heartbeat")>;

/// Stop watching a room (it moves to another node).
using drop = caf::atom_constant<caf::atom("drop")>;

/// Stop every room at once: this node's lease ran out.
using fence = caf::atom_constant<caf::atom("fence")>;

/// A worker is gone for good (its lease ran out).
using leave = caf::atom_constant<caf::atom("leave")>;

/// (Self-sent) places the rooms waiting for a worker.
using place = caf::atom_constant<caf::atom("place")>;

} // namespace racecontrol::atom
