#pragma once

#include "persistence/entities/organization.hxx"
#include "persistence/entity_repository.hpp"

#include <optional>
#include <string>

namespace racecontrol::persistence {

/// Organizations (tenants). One transaction per call.
class organization_repository
    : public entity_repository<entities::organization> {
 public:
  explicit organization_repository(odb::mysql::database& db);

  std::optional<entities::organization> find_by_name(const std::string& name);
};

} // namespace racecontrol::persistence
