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

} // namespace racecontrol::atom
