#pragma once

// Every actor interface of racecontrol, in one place: open this file to see
// every message in the system. Each alias lists what the actor accepts and,
// for requests, what it answers.

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace racecontrol {

/// What a PERSISTENCE WORKER serves: one request at a time, on a thread
/// of its own (detached), because ODB blocks. Every reply is a value or a
/// caf::error (database_unavailable, database_constraint, database_failure,
/// not_found) with a message a person can act on.
using persistence_worker_actor = caf::typed_actor<
    // Checks that the database answers; replies with its version and how far
    // the schema is migrated. Only reads.
    caf::replies_to<atom::status>::with<database_status>,
    // Every racetime.gg bot row, active or not.
    caf::replies_to<atom::get, atom::bots>::with<std::vector<bot_record>>,
    // Creates or updates the bot of a category from the configuration file
    // (is_active kept as the database has it); replies with its id.
    caf::replies_to<atom::put, bot_record>::with<std::int32_t>,
    // Records a bot's connection state (racetime_bots.status, ...).
    caf::replies_to<atom::put, bot_state_change>::with<atom::ok>,
    // Rooms whose race has not ended; parked ones only when the flag says so.
    caf::replies_to<atom::get, atom::rooms,
                    bool>::with<std::vector<room_record>>,
    // A room with its match and players (not_found when there is no room).
    caf::replies_to<atom::get, atom::room, std::int32_t>::with<room_context>,
    // What changed in a room: status, entrants, the match's start.
    caf::replies_to<atom::put, room_progress>::with<atom::ok>,
    // A finished race's result, exactly once.
    caf::replies_to<atom::put, room_result>::with<result_outcome>,
    // A room no longer watched: cancelled, gone or parked, with the reason.
    caf::replies_to<atom::put, room_closure>::with<atom::ok>,
    // An audit entry written by racecontrol itself.
    caf::replies_to<atom::put, audit_record>::with<atom::ok>>;

/// The PERSISTENCE actor: the one door from actors to MariaDB. It accepts
/// every request of a worker and hands each to an idle worker of its pool,
/// so one slow query does not stall the others. Requests wait in order
/// while every worker is busy.
using persistence_actor = persistence_worker_actor::extend<
    // (Self-sent) checks that the database still answers and logs changes.
    caf::reacts_to<atom::tick>>;

/// The ROOM SUPERVISOR actor: one room actor per racetime_rooms row whose
/// race has not ended; restarts a failed one with backoff and parks it (its
/// reason stored, an audit entry written) when it keeps failing.
using room_supervisor_actor = caf::typed_actor<
    // Watch this room (just created, or found by a poll); ok when it is
    // watched already.
    caf::replies_to<atom::watch, room_record>::with<atom::ok>,
    // Re-sync with the database: a watcher for every room to be watched
    // that lacks one (parked rooms wait for an operator).
    caf::replies_to<atom::poll>::with<poll_summary>,
    // Every watcher and its state, for operators.
    caf::replies_to<atom::status>::with<std::vector<room_watch_info>>,
    // (Self-sent) starts a failed room's watcher again after its backoff.
    caf::reacts_to<atom::restart, std::int32_t>>;

/// The NODE actor: root supervisor of one racecontrold process. It spawns
/// and monitors every component and stops them in a fixed order.
using node_actor = caf::typed_actor<
    // Replies with the node's name and its live components.
    caf::replies_to<atom::status>::with<node_status>,
    // Stops every component (newest first), then the node itself.
    caf::reacts_to<atom::shutdown>,
    // (Self-sent) starts the named component again after its backoff.
    caf::reacts_to<atom::restart, std::string>>;

} // namespace racecontrol
