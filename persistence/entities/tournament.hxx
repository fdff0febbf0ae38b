#pragma once

// A tournament and its racetime.gg room automation settings (seed 001).
// Table `tournaments`.

#include "persistence/entities/timestamp.hxx"

#include <odb/core.hxx>
#include <odb/nullable.hxx>

#include <cstdint>
#include <string>

namespace racecontrol::entities {

#pragma db object table("tournaments")
struct tournament {
#pragma db id auto
  std::int32_t id = 0;

  std::int32_t organization_id = 0;

#pragma db type("VARCHAR(255)")
  std::string name;

#pragma db type("TEXT")
  odb::nullable<std::string> description;

  bool is_active = true;

  /// The bot that opens this tournament's rooms (NULL: none assigned).
  odb::nullable<std::int32_t> racetime_bot_id;

  bool racetime_auto_create_rooms = false;

  /// Minutes before a match's scheduled time at which its room opens.
  std::int32_t room_open_minutes_before = 60;

  /// Players must have a linked racetime.gg account to be scheduled.
  bool require_racetime_link = false;

#pragma db type("VARCHAR(255)")
  odb::nullable<std::string> racetime_default_goal;

  /// Discord channel that receives room and result notifications.
  odb::nullable<std::uint64_t> discord_notification_channel_id;

  timestamp created_at;
  timestamp updated_at;
};

} // namespace racecontrol::entities
