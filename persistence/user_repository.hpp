#pragma once

#include "persistence/entities/user.hxx"
#include "persistence/entity_repository.hpp"
#include "persistence/secret_box.hpp"

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

/// Users. One transaction per call. RaceTime tokens are sealed with
/// `secrets` when written; entities come back with the stored (sealed)
/// values, racetime_tokens() opens them.
class user_repository : public entity_repository<entities::user> {
 public:
  user_repository(odb::mysql::database& db, const secret_box& secrets);

  std::optional<entities::user> find_by_discord_id(std::uint64_t discord_id);
  std::optional<entities::user> find_by_racetime_id(const std::string& id);

  /// Stores a linked racetime.gg account (and its tokens, sealed) on the
  /// user. Throws secret_failure without a key.
  bool link_racetime(std::int32_t user_id, const racetime_link& link);

  /// The user's racetime.gg link with its tokens opened; nullopt when not
  /// linked. Throws secret_failure when a token cannot be opened.
  std::optional<racetime_link> racetime_tokens(std::int32_t user_id);

  /// Forgets the racetime.gg account and tokens.
  bool unlink_racetime(std::int32_t user_id);

 private:
  const secret_box& secrets_;
};

} // namespace racecontrol::persistence
