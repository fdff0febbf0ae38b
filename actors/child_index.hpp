#pragma once

// The children a supervisor started and monitors, by address, each with the
// key it knows it by (a room's, a bot's, a match's id), and the guarantee
// that they end with it. Supervisors monitor their children instead of
// linking to them (a child's failure is theirs to handle, with backoff). A
// child that nothing else references ends when its supervisor's state goes;
// one that something still holds (a bot connection with a request or a
// timer in flight) would otherwise run on, unsupervised, beside the one the
// restarted supervisor starts for the same bot, room or tournament.

#include <caf/actor_addr.hpp>
#include <caf/exit_reason.hpp>
#include <caf/local_actor.hpp>
#include <caf/send.hpp>

#include <map>
#include <memory>

namespace racecontrol {

/// Shared between the supervisor's state and the function that stops the
/// children when it ends: its state is gone by then.
template <class Key>
using child_index = std::shared_ptr<std::map<caf::actor_addr, Key>>;

template <class Key>
child_index<Key> make_child_index() {
  return std::make_shared<std::map<caf::actor_addr, Key>>();
}

/// However `self` ends, every child still in `children` and still alive is
/// asked to stop (`user_shutdown`: a room still writes its last results).
/// After a clean stop, which waits for its children, none is left to ask.
template <class Key>
void stop_children_at_exit(caf::local_actor* self, child_index<Key> children) {
  self->attach_functor([children = std::move(children)] {
    for (const auto& entry : *children)
      caf::anon_send_exit(entry.first, caf::exit_reason::user_shutdown);
  });
}

} // namespace racecontrol
