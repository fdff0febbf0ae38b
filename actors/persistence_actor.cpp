#include "actors/persistence_actor.hpp"

#include "actors/error.hpp"

#include "persistence/database_error.hpp"
#include "persistence/migrator.hpp"
#include "persistence/sql.hpp"

#include <spdlog/spdlog.h>

namespace racecontrol {

namespace {

caf::error to_error(const persistence::database_error& e) {
  using kind = persistence::database_error::kind;
  switch (e.what_kind()) {
    case kind::connection:
      return make_error(ec::database_unavailable, e.what());
    case kind::constraint:
      return make_error(ec::database_constraint, e.what());
    default:
      return make_error(ec::database_failure, e.what());
  }
}

/// Runs a database call and turns its exceptions into caf::error, so one bad
/// request never takes the actor down.
template <class F>
auto guarded(const char* what, F&& f) -> caf::result<decltype(f())> {
  try {
    return f();
  } catch (const persistence::database_error& e) {
    spdlog::warn("persistence: {} failed: {}", what, e.what());
    return to_error(e);
  } catch (const std::exception& e) {
    spdlog::error("persistence: {} failed unexpectedly: {}", what, e.what());
    return make_error(ec::database_failure, e.what());
  }
}

} // namespace

persistence_actor::behavior_type persistence_behavior(
    persistence_actor::stateful_pointer<persistence_state> self,
    std::shared_ptr<odb::mysql::database> db,
    const persistence::migration_set* migrations,
    std::chrono::milliseconds health_interval) {
  self->state.db = std::move(db);
  self->state.migrations = migrations;
  self->state.health_interval = health_interval;
  self->send(self, atom::tick::value);
  return {
      [self](atom::tick) {
        bool answering = true;
        try {
          auto conn = self->state.db->connection();
          persistence::sql_scalar(*conn, "SELECT 1");
        } catch (const std::exception& e) {
          answering = false;
          if (self->state.answering)
            spdlog::warn("persistence: MariaDB does not answer: {}", e.what());
        }
        if (answering && !self->state.answering)
          spdlog::info("persistence: MariaDB answers again");
        self->state.answering = answering;
        self->delayed_send(self, self->state.health_interval,
                           atom::tick::value);
      },
      [self](atom::status) -> caf::result<database_status> {
        return guarded("status", [&] {
          auto& db = *self->state.db;
          database_status st;
          {
            auto conn = db.connection();
            st.server_version =
                persistence::sql_scalar(*conn, "SELECT VERSION()").value_or("");
          }
          st.database = db.db();
          st.location =
              db.socket() != nullptr && *db.socket() != '\0'
                  ? std::string{db.socket()}
                  : std::string{db.host()} + ":" + std::to_string(db.port());
          if (self->state.migrations != nullptr) {
            persistence::migrator m{db, *self->state.migrations};
            auto applied = m.applied();
            st.schema_version = applied.empty() ? "" : applied.back().version;
            st.pending_migrations =
                static_cast<std::uint32_t>(m.pending().size());
          }
          return st;
        });
      },
  };
}

} // namespace racecontrol
