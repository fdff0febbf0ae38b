#pragma once

#include "persistence/entities/racetime_bot.hxx"
#include "persistence/entity_repository.hpp"
#include "persistence/secret_box.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racecontrol::persistence {

/// racetime.gg category bots. One transaction per call. Client secrets
/// are sealed with `secrets` when written; entities come back with the
/// stored (sealed) value: open it with the box where it is used.
class racetime_bot_repository
    : public entity_repository<entities::racetime_bot> {
 public:
  racetime_bot_repository(odb::mysql::database& db, const secret_box& secrets);

  std::optional<entities::racetime_bot>
  find_by_category(const std::string& category);

  /// Every bot with is_active set, by id.
  std::vector<entities::racetime_bot> active();

  /// Every bot, active or not, by id.
  std::vector<entities::racetime_bot> all();

  /// Creates the bot of `category` (active) or updates its name and
  /// credentials, keeping is_active as it is: the configuration file may
  /// supply credentials, but deactivating a bot is the database's call.
  /// Returns the bot's id. Throws secret_failure without a key.
  std::int32_t save_configured(const std::string& category,
                               const std::string& name,
                               const std::string& client_id,
                               const std::string& client_secret);

  /// Inserts an active bot inside the caller's transaction (the HTTP API's
  /// POST /api/bots) and returns its id. With save_configured and
  /// set_secret_in, the only writers of client_secret: each stores it
  /// through stored_secret, so how a secret rests is decided in one place.
  static std::int32_t
  insert_in(odb::mysql::connection& conn, const std::string& category,
            const std::string& name, const std::string& client_id,
            const std::string& client_secret, const secret_box& secrets);

  /// Replaces a bot's client secret inside the caller's transaction.
  static void set_secret_in(odb::mysql::connection& conn, std::int32_t bot_id,
                            const std::string& client_secret,
                            const secret_box& secrets);

  /// Records a connection state change; `connected_at` is set on success.
  bool set_status(std::int32_t bot_id, entities::bot_status status,
                  const std::optional<std::string>& message,
                  const std::optional<timestamp>& connected_at = std::nullopt);

 private:
  const secret_box& secrets_;
};

/// The enumerator name, as stored in the database ("auth_failed").
const char* to_string(entities::bot_status status);

} // namespace racecontrol::persistence
