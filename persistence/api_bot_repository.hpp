#pragma once

// The HTTP API's racetime.gg bots (issue 12): the bots an organization may
// use (racetime_bot_organizations), creating one for it, and changing or
// deactivating one it may use, each with an audit entry in the same
// transaction. Client secrets are written only through
// racetime_bot_repository (insert_in, set_secret_in) and never read here:
// no answer carries one.

#include "persistence/api_records.hpp"
#include "persistence/secret_box.hpp"

#include <odb/mysql/database.hxx>

#include <variant>
#include <vector>

namespace racecontrol::persistence {

class api_bot_repository {
 public:
  api_bot_repository(odb::mysql::database& db, const secret_box& secrets)
      : db_(db), secrets_(secrets) {}

  /// The bots linked to the organization by ascending id, or the one with
  /// q.id (whatever its links; organization_linked says).
  std::vector<bot_view> bots(const bot_query& q);

  /// Creates the bot and links it to the organization, or changes a bot
  /// linked to it. Refused, writing nothing: category_taken (a bot of that
  /// category exists: categories are unique), not_found, forbidden (a bot
  /// the organization may not use).
  std::variant<bot_view, api_refusal> write(const bot_write& w);

 private:
  odb::mysql::database& db_;
  const secret_box& secrets_; ///< seals client secrets
};

} // namespace racecontrol::persistence
