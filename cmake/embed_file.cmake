# Writes a C++ source defining `const char* <FUNCTION>()` that returns the
# contents of INPUT.
#   cmake -DINPUT=... -DOUTPUT=... -DFUNCTION=ns::name -P embed_file.cmake
file(READ "${INPUT}" content)
string(REGEX REPLACE "::[^:]*$" "" namespace "${FUNCTION}")
string(REGEX REPLACE "^.*::" "" name "${FUNCTION}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by cmake/embed_file.cmake. Do not edit.
namespace ${namespace} {
const char* ${name}() {
  return R\"rc_embed(${content})rc_embed\";
}
} // namespace ${namespace}
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
