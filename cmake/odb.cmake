# ODB code generation at build time. Model headers stay in the source tree;
# everything the ODB compiler writes goes to ${CMAKE_BINARY_DIR}/odb.
#
#   racecontrol_odb_generate(<out-sources-var> <include-prefix> <header>...)
#
# For `persistence/entities/match.hxx` it writes `match-odb.{hxx,ixx,cxx}` and
# `match.sql`. The SQL is ODB's idea of the schema, kept only to compare with
# what migrations/ creates (migrations are the source of truth).

set(RACECONTROL_ODB_OUTPUT_DIR "${CMAKE_BINARY_DIR}/odb")

function(racecontrol_odb_generate out_var include_prefix)
  set(sources)
  set(out_dir "${RACECONTROL_ODB_OUTPUT_DIR}/${include_prefix}")
  file(MAKE_DIRECTORY "${out_dir}")
  foreach(header IN LISTS ARGN)
    get_filename_component(abs "${header}" ABSOLUTE)
    get_filename_component(name "${header}" NAME_WE)
    set(outputs "${out_dir}/${name}-odb.hxx" "${out_dir}/${name}-odb.ixx"
                "${out_dir}/${name}-odb.cxx" "${out_dir}/${name}.sql")
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND "${ODB_COMPILER}"
        --database mysql --std c++14
        --generate-query --generate-schema --schema-format sql
        --fkeys-deferrable-mode not_deferrable
        --default-pointer std::shared_ptr
        --include-prefix "${include_prefix}/"
        --hxx-prologue "#include \"persistence/entities/mysql_value_traits.hxx\""
        -I "${PROJECT_SOURCE_DIR}" -I "${RACECONTROL_ODB_PREFIX}/include"
        --output-dir "${out_dir}"
        "${abs}"
      DEPENDS "${abs}" "${PROJECT_SOURCE_DIR}/persistence/entities/timestamp.hxx"
      COMMENT "ODB: generating persistence code for ${name}"
      VERBATIM)
    list(APPEND sources "${out_dir}/${name}-odb.cxx")
  endforeach()
  set(${out_var} "${sources}" PARENT_SCOPE)
endfunction()
