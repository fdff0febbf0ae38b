#include "actors/open_decision.hpp"

#include <algorithm>
#include <utility>

namespace racecontrol {

namespace {

bool creating(const match_open_context& m) {
  return m.room && m.room->claim_state == "creating";
}

const bot_info* live_bot(const match_open_context& m,
                         const std::vector<bot_info>& bots) {
  if (!m.bot_id)
    return nullptr;
  auto it = std::find_if(bots.begin(), bots.end(), [&](const bot_info& b) {
    return b.bot_id == *m.bot_id;
  });
  return it == bots.end() ? nullptr : &*it;
}

} // namespace

open_decision decide_open(const match_open_context& m,
                          const std::vector<bot_info>& bots, timestamp now,
                          std::chrono::microseconds grace, open_mode mode,
                          open_overrides overrides, std::string requested_by) {
  using kind = open_decision::kind;
  open_decision d;
  if (creating(m) && !m.room->requested_by.empty() && requested_by.empty()) {
    // An earlier life's manual claim: if its room must be asked for again,
    // ask with the overrides the organizer gave then.
    requested_by = m.room->requested_by;
    overrides = {m.room->requested_goal, m.room->requested_invitational};
  }
  d.settings = match_room_settings(m, overrides, "");
  d.overrides = std::move(overrides);
  d.requested_by = std::move(requested_by);
  if (creating(m)) {
    // An earlier life's claim: racetime.gg may have the room already.
    d.what = kind::existing_room;
    return d;
  }
  auto verdict = check(m, live_bot(m, bots), now, grace, mode);
  d.reason = std::move(verdict.reason);
  switch (verdict.what) {
    case check_verdict::kind::wait:
      d.what = kind::wait;
      return d;
    case check_verdict::kind::blocked:
      d.what = kind::blocked;
      return d;
    case check_verdict::kind::has_room:
      d.what = kind::existing_room;
      return d;
    case check_verdict::kind::open:
      break;
  }
  // racetime.gg refused exactly these settings: sending them again would
  // loop. The reason stays until someone changes them.
  d.what =
      m.refused_settings && *m.refused_settings == settings_hash(d.settings)
          ? kind::refused_before
          : kind::claim;
  return d;
}

open_decision decide_open(const match_open_context& m,
                          const opening_request& asked) {
  return decide_open(m, asked.bots, asked.now,
                     std::chrono::microseconds{asked.grace_us},
                     asked.manual ? open_mode::manual : open_mode::automatic,
                     {asked.goal, asked.invitational}, asked.requested_by);
}

} // namespace racecontrol
