#pragma once

// Every actor interface of racecontrol, in one place: open this file to see
// every message in the system. Each alias lists what the actor accepts and,
// for requests, what it answers.

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace racecontrol {

/// The PERSISTENCE actor: the only path from actors to MariaDB. It runs on
/// a thread of its own (detached), so blocking database calls never stall
/// the scheduler; every reply is a value or a caf::error with a message.
using persistence_actor = caf::typed_actor<
    // Checks that the database answers; replies with its version and how far
    // the schema is migrated.
    caf::replies_to<atom::status>::with<database_status>,
    // (Self-sent) checks that the database still answers.
    caf::reacts_to<atom::tick>>;

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
