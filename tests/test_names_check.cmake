# Run by ctest as `cmake -DTESTS_DIR=... -P test_names_check.cmake`: fails if a doctest case
# name holds a ';'. doctest_discover_tests registers names through CMake lists, which split at
# ';', so such a case would be registered under a prefix of its name, match no case, and "pass"
# without running (it happened to ten cases).
file(GLOB sources "${TESTS_DIR}/*.cpp")
set(bad "")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines REGEX "TEST_CASE\\(\"")
  foreach(line IN LISTS lines)
    # file(STRINGS) keeps a line's ';' (escaped), so the pattern sees it inside the quotes.
    if(line MATCHES "TEST_CASE\\(\"[^\"]*;")
      get_filename_component(name "${source}" NAME)
      list(APPEND bad "${name}: ${line}")
    endif()
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n  " listing)
  message(FATAL_ERROR "test case names with ';' (ctest would run nothing for them):\n  ${listing}")
endif()
message(STATUS "no test case name holds a ';'")
