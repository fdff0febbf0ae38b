# Writes a C++ source holding every migrations/*.sql file, so each binary
# knows the schema it expects without shipping the directory.
#   cmake -DMIGRATIONS_DIR=... -DOUTPUT=... -P embed_migrations.cmake
file(GLOB files RELATIVE "${MIGRATIONS_DIR}" "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(file IN LISTS files)
  file(READ "${MIGRATIONS_DIR}/${file}" content)
  string(APPEND body "    {\"${file}\", R\"racecontrol_sql(${content})racecontrol_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from migrations/ by cmake/embed_migrations.cmake. Do not edit.
#include <string>
#include <utility>
#include <vector>

namespace racecontrol::persistence {

std::vector<std::pair<std::string, std::string>> embedded_migration_files() {
  return {
${body}  };
}

} // namespace racecontrol::persistence
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
