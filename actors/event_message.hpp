#pragma once

// What a notification says on Discord: the outbox row's event and details
// rendered as a message (issue 11, point 7). Plain functions.

#include "persistence/runtime_records.hpp"
#include "protocol/discord_message.hpp"

#include <string>

namespace racecontrol {

/// The message for one outbox row: players mentioned in its content (embed
/// mentions do not ping), an embed with the room link, the scheduled time
/// as a Discord timestamp (<t:...:F>, shown in each reader's time zone),
/// and for a finished race the results; the row's nonce with
/// enforce_nonce. `racetime_base` makes room links. Details it cannot read
/// give a plain message naming the event rather than none.
protocol::discord_message render_event(const persistence::outbox_item& item,
                                       const std::string& racetime_base);

} // namespace racecontrol
