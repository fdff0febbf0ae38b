#include "actors/coordinator_lease.hpp"

#include "actors/error.hpp"

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

using clock_type = std::chrono::steady_clock;

/// Logs `note` unless it was the last thing said (a standby retries every
/// second; its log says each change once).
void note_once(coordinator_lease_pointer self, const std::string& note) {
  if (self->state.last_note == note)
    return;
  self->state.last_note = note;
  spdlog::info("cluster: {}", note);
}

void give_up(coordinator_lease_pointer self, const std::string& why) {
  auto line = self->state.options.node_name +
              " stops acting as the active coordinator: " + why +
              "; exiting so that it starts again as a standby";
  spdlog::critical("cluster: {}", line);
  self->quit(make_error(ec::component_failed, line));
}

void on_claimed(coordinator_lease_pointer self, const lease_state& s,
                clock_type::time_point sent) {
  auto& st = self->state;
  st.last = s;
  if (!s.held) {
    if (st.held)
      return give_up(self, "the lease is now " + s.holder + "'s (epoch " +
                               std::to_string(s.epoch) + ")");
    return note_once(self, st.options.node_name + " is standby: " +
                               (s.holder.empty() ? "nobody" : s.holder) +
                               " holds the coordinator lease (epoch " +
                               std::to_string(s.epoch) + ")");
  }
  if (st.held && s.epoch != st.epoch) {
    if (!s.retaken_own || s.epoch != st.epoch + 1)
      return give_up(self, "the lease was taken afresh (epoch " +
                               std::to_string(st.epoch) + " -> " +
                               std::to_string(s.epoch) +
                               "): another coordinator may have acted between");
    // Lapsed by MariaDB's clock while this node's own count (a monotonic
    // clock) still ran: the machine was paused or its wall clock stepped
    // forward. Still this node's row when it ran out, so nobody acted
    // between; exiting would stop every worker's rooms for nothing.
    spdlog::warn("cluster: {}'s lease ran out by MariaDB's clock before its "
                 "own count (a paused machine or a wall clock step?); nobody "
                 "took it between, so it goes on as epoch {} (was {})",
                 st.options.node_name, s.epoch, st.epoch);
    st.epoch = s.epoch;
  }
  st.runs_out = sent + st.options.lease;
  st.last_note.clear();
  if (st.held)
    return;
  st.held = true;
  st.epoch = s.epoch;
  spdlog::info("cluster: {} is now the active coordinator (epoch {})",
               st.options.node_name, s.epoch);
  self->send(st.node, atom::start::value, s.epoch);
}

void on_claim_failed(coordinator_lease_pointer self, const caf::error& err) {
  auto& st = self->state;
  auto what = describe(err);
  if (!st.held)
    return note_once(
        self, st.options.node_name + " cannot claim the coordinator lease: " +
                  what + "; trying again every " +
                  std::to_string(st.options.renew_interval.count()) + " ms");
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.runs_out - clock_type::now());
  spdlog::warn("cluster: {} cannot renew the coordinator lease: {}; it runs "
               "out in {} ms",
               st.options.node_name, what, left.count());
}

void claim(coordinator_lease_pointer self) {
  auto& st = self->state;
  self->delayed_send(self, st.options.renew_interval, atom::tick::value);
  // Stop one interval early: the next tick would come after the lease ran
  // out, when a standby may already act.
  if (st.held && clock_type::now() + st.options.renew_interval >= st.runs_out)
    return give_up(
        self, "no renewal succeeded for " +
                  std::to_string(
                      (st.options.lease - st.options.renew_interval).count()) +
                  " ms and the lease runs out within the next "
                  "interval");
  if (st.in_flight)
    return; // a slow database: the deadline above still holds
  st.in_flight = true;
  auto sent = clock_type::now();
  lease_claim c{st.options.lease_name, st.options.holder,
                static_cast<std::int64_t>(st.options.lease.count())};
  self->request(st.db, st.options.lease, atom::put::value, c)
      .then(
          [self, sent](const lease_state& s) {
            self->state.in_flight = false;
            on_claimed(self, s, sent);
          },
          [self](const caf::error& err) {
            self->state.in_flight = false;
            on_claim_failed(self, err);
          });
}

} // namespace

coordinator_lease_actor::behavior_type
coordinator_lease(coordinator_lease_pointer self, persistence_actor db,
                  node_actor node, coordinator_lease_options options) {
  self->state.options = std::move(options);
  if (self->state.options.holder.empty())
    self->state.options.holder = self->state.options.node_name;
  self->state.db = std::move(db);
  self->state.node = std::move(node);
  self->state.last.name = self->state.options.lease_name;
  spdlog::info("cluster: {} claims the coordinator lease (renewed every {} "
               "ms, runs out after {} ms)",
               self->state.options.node_name,
               self->state.options.renew_interval.count(),
               self->state.options.lease.count());
  self->send(self, atom::tick::value);
  return {
      [self](atom::tick) {
        claim(self);
      },
      [self](atom::status) {
        return self->state.last;
      },
  };
}

} // namespace racecontrol
