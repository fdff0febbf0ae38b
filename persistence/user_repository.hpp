#pragma once

#include "persistence/entities/user.hxx"
#include "persistence/entity_repository.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace racecontrol::persistence {

/// The racetime.gg side of a user, written together by account linking.
struct racetime_link {
  std::string racetime_id;
  std::string racetime_name;
  std::string access_token;
  std::optional<std::string> refresh_token;
  std::optional<timestamp> expires_at;
};

/// Users. One transaction per call.
class user_repository : public entity_repository<entities::user> {
 public:
  explicit user_repository(odb::mysql::database& db);

  std::optional<entities::user> find_by_discord_id(std::uint64_t discord_id);
  std::optional<entities::user> find_by_racetime_id(const std::string& id);

  /// Stores a linked racetime.gg account (and its tokens) on the user.
  bool link_racetime(std::int32_t user_id, const racetime_link& link);

  /// Forgets the racetime.gg account and tokens.
  bool unlink_racetime(std::int32_t user_id);
};

} // namespace racecontrol::persistence
