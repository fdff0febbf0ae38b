#pragma once

// Every atom of racecontrol, in one place. CAF 0.17 atoms hold at most 10
// characters, and two atoms with the same text are the same type.

#include <caf/atom.hpp>

namespace racecontrol::atom {

/// Asks a component how it is doing.
using status = caf::atom_constant<caf::atom("status")>;

/// Asks a component to stop in an orderly way.
using shutdown = caf::atom_constant<caf::atom("shutdown")>;

} // namespace racecontrol::atom
