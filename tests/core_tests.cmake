# The core suites (registry, coroutine actors, system): one binary, one ctest test per case.
include(${doctest_DIR}/doctest.cmake)

add_executable(troupe_core_tests
  test_main.cpp
  registry_test.cpp
  co_actor_test.cpp
  system_test.cpp
  extension_test.cpp
  co_actor_failure_test.cpp)
target_link_libraries(troupe_core_tests PRIVATE troupe::framework doctest::doctest)
target_compile_options(troupe_core_tests PRIVATE -Wall -Wextra)

# Names read "core/registry: ...", so `ctest -R core` selects these. A hang is a failure.
doctest_discover_tests(troupe_core_tests
  TEST_PREFIX "core/"
  PROPERTIES TIMEOUT 120)
