#include "protocol/action_ledger.hpp"

#include "protocol/bot_actions.hpp"
#include "protocol/json.hpp"

#include <algorithm>
#include <array>

namespace racecontrol::protocol {

namespace {

constexpr std::array<std::string_view, 15> token_actions{
    "pin_message", "unpin_message",     "setinfo",        "setmeta",
    "make_open",   "make_invitational", "begin",          "cancel",
    "invite",      "accept_request",    "force_unready",  "remove_entrant",
    "add_monitor", "remove_monitor",    "override_stream"};

bool needs_token(frame_kind k) {
  return k == frame_kind::message || k == frame_kind::action;
}

} // namespace

frame_kind classify_frame(std::string_view text) {
  rapidjson::Document doc;
  try {
    doc = parse_json(text, 1024 * 1024);
  } catch (const json_error&) {
    return frame_kind::unknown;
  }
  if (!doc.IsObject())
    return frame_kind::unknown;
  auto action = doc.FindMember("action");
  if (action == doc.MemberEnd() || !action->value.IsString())
    return frame_kind::unknown;
  std::string_view name{action->value.GetString(),
                        action->value.GetStringLength()};
  if (name == "ping")
    return frame_kind::ping;
  if (name == "getrace" || name == "gethistory")
    return frame_kind::read_only;
  if (name == "message") {
    // Only a valid guid makes a repeat harmless.
    auto data = doc.FindMember("data");
    if (data != doc.MemberEnd() && data->value.IsObject()) {
      auto guid = data->value.FindMember("guid");
      if (guid != data->value.MemberEnd() && guid->value.IsString() &&
          valid_guid({guid->value.GetString(), guid->value.GetStringLength()}))
        return frame_kind::message;
    }
    return frame_kind::action;
  }
  if (std::find(token_actions.begin(), token_actions.end(), name) !=
      token_actions.end())
    return frame_kind::action;
  return frame_kind::unknown;
}

const char* to_string(drop_reason r) {
  switch (r) {
    case drop_reason::queue_full:
      return "queue_full";
    case drop_reason::refused:
      return "refused";
    case drop_reason::outcome_unknown:
      return "outcome_unknown";
  }
  return "unknown";
}

void action_ledger::written(outgoing_frame f) {
  if (f.own && f.kind != frame_kind::ping)
    return; // a resync request: nothing to settle or send again
  if (windows_.empty() || windows_.back().closed)
    windows_.emplace_back();
  auto& w = windows_.back();
  if (f.kind == frame_kind::ping) {
    w.closed = true;
    w.own_ping = f.own;
  }
  if (needs_token(f.kind))
    ++w.actions;
  if (!f.own)
    w.frames.push_back(std::move(f));
}

bool action_ledger::needs_ping() const {
  return !windows_.empty() && !windows_.back().closed &&
         windows_.back().actions > 0;
}

bool action_ledger::settled() const {
  return std::all_of(windows_.begin(), windows_.end(), [](const window& w) {
    return w.actions == 0;
  });
}

bool action_ledger::permission_denied() {
  // Errors about a window's actions come after the previous window's pong
  // and before its own: they belong to the oldest unsettled window.
  if (windows_.empty())
    return false;
  auto& w = windows_.front();
  if (w.denied >= w.actions)
    return false;
  ++w.denied;
  return true;
}

action_ledger::verdict action_ledger::pong() {
  verdict v;
  if (windows_.empty() || !windows_.front().closed)
    return v; // a pong for no ping we wrote: the owner's business
  auto w = std::move(windows_.front());
  windows_.pop_front();
  v.answers_owner = !w.own_ping;
  release(w, v, nullptr);
  return v;
}

action_ledger::verdict action_ledger::ended(steady_time now) {
  verdict v;
  for (auto& w : windows_)
    release(w, v, &now);
  windows_.clear();
  return v;
}

void action_ledger::release(window& w, verdict& v, const steady_time* ended) {
  // The refused actions are the last `denied` ones that needed the token.
  std::size_t first_refused = w.actions - std::min(w.denied, w.actions);
  std::size_t index = 0;
  for (auto& f : w.frames) {
    bool token = needs_token(f.kind);
    if (token && index++ >= first_refused) {
      if (f.refused) {
        v.refused.push_back(std::move(f));
      } else {
        f.refused = true;
        f.repeated = true;
        v.resend.push_back(std::move(f));
      }
      continue;
    }
    if (ended == nullptr)
      continue; // settled by the pong
    bool again = false;
    if (f.kind == frame_kind::message)
      again = *ended - f.first_written < guid_window;
    else if (f.kind == frame_kind::read_only || f.kind == frame_kind::ping)
      again = !f.repeated;
    if (again) {
      f.repeated = true;
      v.resend.push_back(std::move(f));
    } else {
      v.unknown.push_back(std::move(f));
    }
  }
}

} // namespace racecontrol::protocol
