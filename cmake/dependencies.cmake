# Finds every third-party dependency and exposes it as an imported target.
# Debian 12 ships no CMake configuration for CAF, MariaDB Connector/C or the
# ODB runtime (which scripts/setup builds into a prefix), so those are found
# by hand.

find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
find_package(spdlog REQUIRED)

# --- CAF 0.17 (libcaf-dev) ---------------------------------------------------
find_path(CAF_INCLUDE_DIR caf/all.hpp)
find_library(CAF_CORE_LIBRARY caf_core)
find_library(CAF_IO_LIBRARY caf_io)
if(NOT CAF_INCLUDE_DIR OR NOT CAF_CORE_LIBRARY OR NOT CAF_IO_LIBRARY)
  message(FATAL_ERROR "CAF not found: install libcaf-dev (scripts/setup does)")
endif()
add_library(CAF::core UNKNOWN IMPORTED)
set_target_properties(CAF::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)
find_library(CAF_OPENSSL_LIBRARY caf_openssl)
if(NOT CAF_OPENSSL_LIBRARY)
  message(FATAL_ERROR "CAF's OpenSSL module not found: install libcaf-dev")
endif()
add_library(CAF::io UNKNOWN IMPORTED)
set_target_properties(CAF::io PROPERTIES
  IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
  INTERFACE_LINK_LIBRARIES CAF::core)
# The cluster transport (issue 13): CAF's middleman over TLS.
add_library(CAF::openssl UNKNOWN IMPORTED)
set_target_properties(CAF::openssl PROPERTIES
  IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
  INTERFACE_LINK_LIBRARIES "CAF::io;OpenSSL::SSL;OpenSSL::Crypto")

# --- RapidJSON (header only) -------------------------------------------------
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h)
if(NOT RAPIDJSON_INCLUDE_DIR)
  message(FATAL_ERROR "RapidJSON not found: install rapidjson-dev")
endif()
add_library(RapidJSON INTERFACE)
target_include_directories(RapidJSON SYSTEM INTERFACE "${RAPIDJSON_INCLUDE_DIR}")
# std::string support and no assert() aborts on malformed input: the parsers
# check every type before they read a value.
target_compile_definitions(RapidJSON INTERFACE RAPIDJSON_HAS_STDSTRING=1)

# --- MariaDB Connector/C -----------------------------------------------------
find_path(MARIADB_INCLUDE_DIR mysql.h PATH_SUFFIXES mariadb)
find_library(MARIADB_LIBRARY mariadb)
if(NOT MARIADB_INCLUDE_DIR OR NOT MARIADB_LIBRARY)
  message(FATAL_ERROR "MariaDB Connector/C not found: install libmariadb-dev")
endif()
add_library(MariaDB::client UNKNOWN IMPORTED)
set_target_properties(MariaDB::client PROPERTIES
  IMPORTED_LOCATION "${MARIADB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MARIADB_INCLUDE_DIR}")

# --- ODB runtime (built by scripts/setup) and compiler -----------------------
set(RACECONTROL_ODB_PREFIX "${PROJECT_SOURCE_DIR}/.deps/odb" CACHE PATH
    "Prefix holding libodb and libodb-mysql (scripts/setup installs it)")
find_program(ODB_COMPILER odb)
find_library(ODB_LIBRARY odb PATHS "${RACECONTROL_ODB_PREFIX}/lib" NO_DEFAULT_PATH)
find_library(ODB_MYSQL_LIBRARY odb-mysql PATHS "${RACECONTROL_ODB_PREFIX}/lib" NO_DEFAULT_PATH)
if(NOT ODB_COMPILER OR NOT ODB_LIBRARY OR NOT ODB_MYSQL_LIBRARY)
  message(FATAL_ERROR
    "ODB not found (compiler: ${ODB_COMPILER}, runtime in ${RACECONTROL_ODB_PREFIX}): "
    "run scripts/setup, or set RACECONTROL_ODB_PREFIX")
endif()
add_library(ODB::mysql INTERFACE IMPORTED)
set_target_properties(ODB::mysql PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${RACECONTROL_ODB_PREFIX}/include;${MARIADB_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${ODB_MYSQL_LIBRARY};${ODB_LIBRARY};MariaDB::client")
# GCC 12 reports use-after-free inside ODB's own shared-pointer headers after
# inlining them into our code (a known false positive of its middle end).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
  set_property(TARGET ODB::mysql APPEND PROPERTY INTERFACE_COMPILE_OPTIONS -Wno-use-after-free)
endif()
# The prefix is not on the loader path: record it in every binary.
list(APPEND CMAKE_BUILD_RPATH "${RACECONTROL_ODB_PREFIX}/lib")
list(APPEND CMAKE_INSTALL_RPATH "${RACECONTROL_ODB_PREFIX}/lib")
